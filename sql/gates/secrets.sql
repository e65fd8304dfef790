-- gate: secrets
-- title: No secret values
--
-- No staged text has the shape of a secret: a secret access key, a session token, a private
-- key, an OAuth or API token, a JWT (pipelines/secrets.py; key ids such as AKIA... are
-- identifiers, not secrets). The connectors drop the fields that carry secrets; this catches
-- one hiding where nobody expected it (a tag, a description, a condition).
WITH texts AS (
    SELECT provider, scope_id, 'identity ' || principal AS place,
           concat_ws(' ', name, email, tags, attributes) AS text FROM _staged_identities
    UNION ALL
    SELECT provider, scope_id, 'credential ' || credential_id, attributes FROM _staged_credentials
    UNION ALL
    SELECT provider, scope_id, 'edge ' || edge_id, concat_ws(' ', source, condition) FROM _staged_edges
    UNION ALL
    SELECT g.provider, g.scope_id, 'statement ' || s.statement_id, s.condition
    FROM _staged_statements s JOIN (SELECT DISTINCT provider, scope_id, statement_id FROM _staged_grants) g
        USING (statement_id)
    WHERE s.condition IS NOT NULL
)
SELECT provider, scope_id, count(*) AS failures, 'a secret-shaped value in ' || min(place) AS reason
FROM texts WHERE text IS NOT NULL AND looks_secret(text)
GROUP BY ALL
