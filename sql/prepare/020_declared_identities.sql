-- creates: [r_declared_identities]
-- reads: [identities]
-- needs: [r_identities]
--
-- Every principal the model names, and what became of it: observed (and then disabled or
-- not), missing (its scope synced its identities completely and it is not there), or unknown
-- (its scope is not synced, or not completely: nothing is concluded from missing data).
CREATE OR REPLACE TEMP TABLE r_declared_identities AS
WITH complete_scopes AS (
    SELECT provider, scope_id FROM scope_freshness WHERE entity = 'identities' AND observed_seq IS NOT NULL
), observed AS (
    SELECT b.agent_id, i.provider, i.scope_id, i.identity_id, i.principal, i.disabled
    FROM r_bindings b JOIN r_identities i USING (provider, scope_id, identity_id)
), unobserved AS (
    SELECT m.* FROM model_identities m
    LEFT JOIN r_bindings b ON b.agent_id = m.agent_id AND b.provider = m.provider AND b.match_key = lower(m.principal)
    WHERE b.agent_id IS NULL
)
SELECT agent_id, provider, scope_id, identity_id, principal, disabled, 'observed' AS state FROM observed
UNION ALL
SELECT u.agent_id, u.provider, coalesce(u.scope_hint, c.scope_id), NULL, u.principal, NULL,
       CASE WHEN c.scope_id IS NOT NULL THEN 'missing' ELSE 'unknown' END
FROM unobserved u
LEFT JOIN complete_scopes c ON c.provider = u.provider AND (c.scope_id = u.scope_hint OR u.scope_hint IS NULL)
QUALIFY row_number() OVER (PARTITION BY u.agent_id, u.provider, u.principal ORDER BY c.scope_id) = 1;
