-- gate: keys
-- title: Keys present and unique
--
-- Every staged row has its key, and no key appears twice in a scope of this run: an identity's
-- provider id, a credential's (identity, id), a grant's (identity, source, statement index), an
-- edge's id. A duplicate would count one grant twice; a missing key would make a row nobody's.
WITH keyed AS (
    SELECT provider, scope_id, 'identities' AS entity, identity_id AS k FROM _staged_identities
    UNION ALL
    SELECT provider, scope_id, 'credentials', CASE WHEN identity_id IS NOT NULL AND credential_id IS NOT NULL
                                                   THEN identity_id || '/' || credential_id END FROM _staged_credentials
    UNION ALL
    SELECT provider, scope_id, 'grants', CASE WHEN identity_id IS NOT NULL AND source IS NOT NULL AND statement_index IS NOT NULL
                                              THEN identity_id || '/' || source || '/' || statement_index END FROM _staged_grants
    UNION ALL
    SELECT provider, scope_id, 'edges', edge_id FROM _staged_edges
), nulls AS (
    SELECT provider, scope_id, entity, count(*) AS n, 'a key is missing' AS what FROM keyed WHERE k IS NULL GROUP BY ALL
), repeated AS (
    SELECT provider, scope_id, entity, count(*) AS n, 'key ' || any_value(k) || ' appears more than once' AS what
    FROM (SELECT provider, scope_id, entity, k FROM keyed WHERE k IS NOT NULL GROUP BY ALL HAVING count(*) > 1)
    GROUP BY ALL
)
SELECT provider, scope_id, sum(n) AS failures,
       string_agg(entity || ': ' || what, '; ' ORDER BY entity) AS reason
FROM (SELECT * FROM nulls UNION ALL SELECT * FROM repeated)
GROUP BY ALL
