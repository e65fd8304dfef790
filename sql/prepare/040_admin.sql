-- creates: [r_identity_grants]
-- reads: [identities, grants]
--
-- Per identity, how many grants it holds, and how many are admin-equivalent (findings.md: `*`
-- actions, `iam:*`, AdministratorAccess, roles/owner, roles/editor, Entra Global
-- Administrator, Application.ReadWrite.All, RoleManagement.ReadWrite.Directory). An identity
-- with one has its findings raised one severity step.
CREATE OR REPLACE TEMP TABLE r_identity_grants AS
WITH admin_statements AS (
    SELECT statement_id FROM statements WHERE admin
), held AS (
    SELECT provider, scope_id, identity_id, source,
           statement_id IN (SELECT statement_id FROM admin_statements)
           OR policy_arn LIKE 'arn:aws%:iam::aws:policy/AdministratorAccess'
           OR (grant_kind = 'gcp_binding' AND regexp_matches(source, '/roles/(owner|editor)$'))
           OR (grant_kind IN ('entra_app_role', 'entra_directory_role')
               AND regexp_matches(source, '/(Global Administrator|Application\.ReadWrite\.All|RoleManagement\.ReadWrite\.Directory)$'))
               AS admin
    FROM grant_history WHERE valid_to IS NULL
)
SELECT provider, scope_id, identity_id, count(*) AS grants,
       count(*) FILTER (WHERE admin) AS admin_grants, min(source) FILTER (WHERE admin) AS admin_source
FROM held GROUP BY ALL;
