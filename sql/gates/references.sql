-- gate: references
-- title: Every row belongs to a known identity
--
-- Every staged credential and grant belongs to an identity of its scope, and every edge's
-- target is one (an edge's source may be an account root, a federated provider, a service or a
-- principal of another scope). The identities are this run's when it read them completely,
-- else the scope's last published ones.
WITH known AS (
    SELECT provider, scope_id, identity_id FROM _staged_identities
    UNION ALL
    SELECT h.provider, h.scope_id, h.identity_id FROM identity_history h
    JOIN _staged_scopes s USING (provider, scope_id)
    WHERE h.valid_to IS NULL AND NOT s.identities_complete
), dangling AS (
    SELECT provider, scope_id, 'credential' AS what, identity_id FROM _staged_credentials
    UNION ALL
    SELECT provider, scope_id, 'grant', identity_id FROM _staged_grants
    UNION ALL
    SELECT provider, scope_id, 'edge target', target_identity_id FROM _staged_edges
)
SELECT d.provider, d.scope_id, count(*) AS failures,
       string_agg(DISTINCT d.what, ', ') || ' of unknown identity ' || any_value(d.identity_id) AS reason
FROM dangling d ANTI JOIN known k USING (provider, scope_id, identity_id)
GROUP BY ALL
