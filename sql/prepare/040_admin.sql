-- creates: [r_identity_grants]
-- reads: [identities, grants]
--
-- Per identity, how many grants it holds, and how many are admin-equivalent (findings.md: `*`
-- actions, `iam:*`, AdministratorAccess, roles/owner, roles/editor, Entra Global
-- Administrator, Application.ReadWrite.All, RoleManagement.ReadWrite.Directory). An identity
-- with one has its findings raised one severity step.
CREATE OR REPLACE TEMP TABLE r_identity_grants AS
SELECT provider, scope_id, identity_id, count(*) AS grants,
       count(*) FILTER (WHERE admin) AS admin_grants, min(source) FILTER (WHERE admin) AS admin_source
FROM (
    SELECT g.provider, g.scope_id, g.identity_id, g.source,
           (g.grant_kind = 'aws_statement' AND s.admin)
           OR g.policy_arn LIKE 'arn:aws%:iam::aws:policy/AdministratorAccess'
           OR (g.grant_kind = 'gcp_binding' AND regexp_matches(g.source, '/roles/(owner|editor)$'))
           OR (g.grant_kind IN ('entra_app_role', 'entra_directory_role')
               AND regexp_matches(g.source, '/(Global Administrator|Application\.ReadWrite\.All|RoleManagement\.ReadWrite\.Directory)$'))
               AS admin
    FROM grant_history g LEFT JOIN statements s USING (statement_id)
    WHERE g.valid_to IS NULL
)
GROUP BY ALL;
