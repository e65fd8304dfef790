-- The current estate: the open intervals. Only complete, published syncs open or close intervals,
-- so these are exactly each scope's last complete observation of each entity type; the freshness
-- columns say how old it is and whether a later sync failed to refresh it.
CREATE OR REPLACE VIEW current_identities AS
SELECT h.* EXCLUDE (row_hash, valid_to), f.observed_seq, f.observed_at, f.stale, f.stale_observation
FROM identity_history h
JOIN scope_freshness f ON f.provider = h.provider AND f.scope_id = h.scope_id AND f.entity = 'identities'
WHERE h.valid_to IS NULL;

CREATE OR REPLACE VIEW current_credentials AS
SELECT h.* EXCLUDE (row_hash, valid_to), f.observed_seq, f.observed_at, f.stale, f.stale_observation
FROM credential_history h
JOIN scope_freshness f ON f.provider = h.provider AND f.scope_id = h.scope_id AND f.entity = 'credentials'
WHERE h.valid_to IS NULL;

CREATE OR REPLACE VIEW current_grants AS
SELECT h.* EXCLUDE (row_hash, valid_to), s.* EXCLUDE (statement_id),
       f.observed_seq, f.observed_at, f.stale, f.stale_observation
FROM grant_history h
JOIN statements s USING (statement_id)
JOIN scope_freshness f ON f.provider = h.provider AND f.scope_id = h.scope_id AND f.entity = 'grants'
WHERE h.valid_to IS NULL;

CREATE OR REPLACE VIEW current_edges AS
SELECT h.* EXCLUDE (row_hash, valid_to), f.observed_seq, f.observed_at, f.stale, f.stale_observation
FROM edge_history h
JOIN scope_freshness f ON f.provider = h.provider AND f.scope_id = h.scope_id AND f.entity = 'edges'
WHERE h.valid_to IS NULL;

CREATE OR REPLACE VIEW current_people AS
SELECT * EXCLUDE (row_hash, valid_to) FROM person_history WHERE valid_to IS NULL;
