-- Verification of executed revocations (findings.md, "Rules every execution keeps"): an action
-- the ledger shows done (or already done) is `verified` by the first complete, published sync
-- of its target's scope that began after the change, when that sync no longer observes what
-- the action removed, and `not_effective` when it still does. `_awaiting` holds the ledger's
-- actions waiting for this; the lag runs from the action's trigger to the end of that sync.
-- A disabled identity is the deny-all policy seen on it (or the identity gone); a credential,
-- a login profile, a grant or a trusted principal is verified gone when no current row of it
-- is active.
CREATE OR REPLACE TEMP TABLE _verified AS
WITH needs AS (
    SELECT a.*, CASE a.kind WHEN 'disable_identity' THEN 'identities' WHEN 'remove_trust' THEN 'edges'
                            WHEN 'revoke_grant' THEN 'grants' ELSE 'credentials' END AS entity
    FROM _awaiting a
), observed AS (
    SELECT n.*, s.ended_at AS observed_at, s.run_id AS observed_run
    FROM needs n
    JOIN scope_freshness f USING (provider, scope_id, entity)
    JOIN scope_syncs s ON s.run_seq = f.observed_seq AND s.provider = n.provider AND s.scope_id = n.scope_id
    WHERE s.started_at > n.attempted_at
)
SELECT o.action_id, o.observed_at, o.observed_run,
       CASE o.kind
           WHEN 'disable_identity' THEN coalesce((
               SELECT bool_and(i.disabled IS TRUE) FROM current_identities i
               WHERE i.provider = o.provider AND i.scope_id = o.scope_id AND i.identity_id = o.identity_id), true)
           WHEN 'deactivate_credential' THEN NOT EXISTS (
               SELECT 1 FROM current_credentials c
               WHERE c.provider = o.provider AND c.scope_id = o.scope_id AND c.identity_id = o.identity_id
                 AND c.credential_id = o.object AND c.status = 'active')
           WHEN 'delete_login_profile' THEN NOT EXISTS (
               SELECT 1 FROM current_credentials c
               WHERE c.provider = o.provider AND c.scope_id = o.scope_id AND c.identity_id = o.identity_id
                 AND c.kind = 'password' AND c.status = 'active')
           WHEN 'revoke_grant' THEN NOT EXISTS (
               SELECT 1 FROM current_grants g
               WHERE g.provider = o.provider AND g.scope_id = o.scope_id AND g.identity_id = o.identity_id
                 AND g.source = o.object)
           WHEN 'remove_trust' THEN NOT EXISTS (
               SELECT 1 FROM current_edges e
               WHERE e.provider = o.provider AND e.scope_id = o.scope_id AND e.target_identity_id = o.identity_id
                 AND e.edge_type = 'aws_trust' AND e.effect = 'Allow' AND list_contains(o.sources, e.source))
       END AS effective,
       epoch(o.observed_at - o.trigger_at) AS lag_seconds
FROM observed o;
