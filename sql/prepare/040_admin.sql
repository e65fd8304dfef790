-- creates: [r_admin]
-- reads: [identities, grants]
--
-- Identities holding an admin-equivalent entitlement (findings.md: `*` actions, `iam:*`,
-- AdministratorAccess, roles/owner, roles/editor, Entra Global Administrator,
-- Application.ReadWrite.All, RoleManagement.ReadWrite.Directory): their findings are raised one
-- severity step.
CREATE OR REPLACE TEMP TABLE r_admin AS
SELECT provider, scope_id, identity_id, min(source) AS admin_source, count(*) AS admin_grants
FROM current_grants
WHERE (grant_kind = 'aws_statement' AND admin)
   OR policy_arn LIKE 'arn:aws%:iam::aws:policy/AdministratorAccess'
   OR (grant_kind = 'gcp_binding' AND regexp_matches(source, '/roles/(owner|editor)$'))
   OR (grant_kind IN ('entra_app_role', 'entra_directory_role')
       AND regexp_matches(source, '/(Global Administrator|Application\.ReadWrite\.All|RoleManagement\.ReadWrite\.Directory)$'))
GROUP BY ALL;
