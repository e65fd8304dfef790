-- Time travel: the estate as a given run saw it (its last complete observation of each scope).
--   SELECT * FROM grants_as_of(run_as_of(TIMESTAMPTZ '2026-11-20 17:00:00+00'));
CREATE OR REPLACE MACRO run_as_of(ts) AS
    (SELECT max(run_seq) FROM runs WHERE ended_at IS NOT NULL AND ended_at <= ts);

CREATE OR REPLACE MACRO identities_as_of(n) AS TABLE
    SELECT * EXCLUDE (row_hash) FROM identity_history WHERE valid_from <= n AND (valid_to IS NULL OR valid_to > n);

CREATE OR REPLACE MACRO credentials_as_of(n) AS TABLE
    SELECT * EXCLUDE (row_hash) FROM credential_history WHERE valid_from <= n AND (valid_to IS NULL OR valid_to > n);

CREATE OR REPLACE MACRO grants_as_of(n) AS TABLE
    SELECT h.* EXCLUDE (row_hash), s.* EXCLUDE (statement_id)
    FROM grant_history h JOIN statements s USING (statement_id)
    WHERE h.valid_from <= n AND (h.valid_to IS NULL OR h.valid_to > n);

CREATE OR REPLACE MACRO edges_as_of(n) AS TABLE
    SELECT * EXCLUDE (row_hash) FROM edge_history WHERE valid_from <= n AND (valid_to IS NULL OR valid_to > n);

CREATE OR REPLACE MACRO people_as_of(n) AS TABLE
    SELECT * EXCLUDE (row_hash) FROM person_history WHERE valid_from <= n AND (valid_to IS NULL OR valid_to > n);

CREATE OR REPLACE MACRO blast_radius_as_of(n) AS TABLE
    SELECT * EXCLUDE (row_hash) FROM blast_radius_history WHERE valid_from <= n AND (valid_to IS NULL OR valid_to > n);
