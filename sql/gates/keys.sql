-- gate: keys
-- title: Keys present and unique
--
-- Every staged row has its key, and no key appears twice in a scope of this run: an identity's
-- provider id, a credential's (identity, id), a grant's (identity, source, statement index), an
-- edge's id. A duplicate would count one grant twice; a missing key would make a row nobody's.
WITH nulls AS (
    SELECT provider, scope_id, 'identities' AS entity, count(*) AS n FROM _staged_identities
    WHERE identity_id IS NULL GROUP BY ALL
    UNION ALL
    SELECT provider, scope_id, 'credentials', count(*) FROM _staged_credentials
    WHERE identity_id IS NULL OR credential_id IS NULL GROUP BY ALL
    UNION ALL
    SELECT provider, scope_id, 'grants', count(*) FROM _staged_grants
    WHERE identity_id IS NULL OR source IS NULL OR statement_index IS NULL GROUP BY ALL
    UNION ALL
    SELECT provider, scope_id, 'edges', count(*) FROM _staged_edges WHERE edge_id IS NULL GROUP BY ALL
), suspects AS (
    -- grant keys grouped by their 64-bit hash (ten million group in under a second that way),
    -- and the few hashes seen twice confirmed on the keys themselves
    SELECT h FROM (SELECT hash(provider, scope_id, identity_id, source, statement_index) AS h FROM _staged_grants)
    GROUP BY h HAVING count(*) > 1
), repeated AS (
    SELECT provider, scope_id, 'identities' AS entity, identity_id AS k FROM _staged_identities
    WHERE identity_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT provider, scope_id, 'credentials', identity_id || '/' || credential_id FROM _staged_credentials
    GROUP BY provider, scope_id, identity_id, credential_id HAVING count(*) > 1
    UNION ALL
    SELECT provider, scope_id, 'grants', identity_id || '/' || source || '/' || statement_index FROM _staged_grants
    WHERE hash(provider, scope_id, identity_id, source, statement_index) IN (SELECT h FROM suspects)
    GROUP BY provider, scope_id, identity_id, source, statement_index HAVING count(*) > 1
    UNION ALL
    SELECT provider, scope_id, 'edges', edge_id FROM _staged_edges
    WHERE edge_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1
), failures AS (
    SELECT provider, scope_id, entity, n, 'a key is missing' AS what FROM nulls
    UNION ALL
    SELECT provider, scope_id, entity, count(*), 'key ' || any_value(k) || ' appears more than once' FROM repeated
    GROUP BY ALL
)
SELECT provider, scope_id, sum(n) AS failures, string_agg(entity || ': ' || what, '; ' ORDER BY entity) AS reason
FROM failures
GROUP BY ALL
