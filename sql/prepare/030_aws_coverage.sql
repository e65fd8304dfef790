-- creates: [r_identity_entries, r_uncovered_statements, r_uncovered_pairs]
-- reads: [identities, grants]
-- needs: [r_identities]
--
-- The (action, resource) pairs of Allow statements reaching bound AWS identities that an
-- allowance set does not cover (declared-model.md, "Matching grants (AWS)"). The `basis` of
-- the check is `own` (the allowances of every agent bound to the identity: ENT-EXCESS), or
-- `parent` for the identities of a sub-agent whose own allowances are wider than its parent's
-- (DLG-ESCALATION; for the others, a pair inside their own allowances is inside the parent's).
-- The whole estate is checked in one pass: a statement is covered when every one of its pairs
-- is covered by one entry; only the statements that are not are taken apart into pairs. A pair
-- that an unconditional Deny reaching the same identity covers is not effective: it stays here
-- with `denied_by` set, for the evidence.
CREATE OR REPLACE TEMP TABLE r_identity_entries AS
SELECT b.provider, b.scope_id, b.identity_id, 'own' AS basis, NULL::VARCHAR AS against,
       flatten(list(coalesce(t.aws_globs, []))) AS entries
FROM r_bindings b JOIN agent_tree t USING (agent_id)
WHERE b.provider = 'aws'
GROUP BY ALL
UNION ALL
SELECT b.provider, b.scope_id, b.identity_id, 'parent', d.parent, coalesce(p.aws_globs, [])
FROM r_bindings b JOIN agent_escalation d USING (agent_id) JOIN agent_tree p ON p.agent_id = d.parent
WHERE b.provider = 'aws' AND d.aws_excess IS NOT NULL;

CREATE OR REPLACE TEMP TABLE r_uncovered_statements AS
SELECT e.basis, e.against, g.provider, g.scope_id, g.identity_id, g.source, g.statement_index, g.statement_id,
       g.actions, g.not_actions,
       g.resources, g.not_resources, g.action_keys, g.resource_keys, g.condition, e.entries
FROM current_grants g JOIN r_identity_entries e USING (provider, scope_id, identity_id)
WHERE g.grant_kind = 'aws_statement' AND g.effect = 'Allow'
  AND NOT all_true(list_transform(g.action_keys, lambda a:
                all_true(list_transform(g.resource_keys, lambda r: entries_cover(e.entries, a, r)))));

CREATE OR REPLACE TEMP TABLE r_uncovered_pairs AS
WITH by_action AS (
    -- unnested in the select list, pairwise: a NotAction statement has thousands of keys, and
    -- indexing its list once per key would copy it once per key
    SELECT s.* EXCLUDE (action_keys, actions), unnest(s.action_keys) AS action_key,
           unnest(coalesce(s.actions, list_transform(s.action_keys, lambda k_: NULL::VARCHAR))) AS action_text
    FROM r_uncovered_statements s
), pairs AS (
    SELECT b.* EXCLUDE (resource_keys, resources), unnest(b.resource_keys) AS resource_key,
           unnest(coalesce(b.resources, list_transform(b.resource_keys, lambda k_: NULL::VARCHAR))) AS resource_text
    FROM by_action b
), uncovered AS (
    SELECT * EXCLUDE (entries) FROM pairs
    WHERE NOT entries_cover(entries, action_key, resource_key)
), named AS (
    SELECT u.* EXCLUDE (action_text, resource_text),
           coalesce(CASE WHEN u.not_actions IS NULL THEN u.action_text END, c.action, iam_unkey(u.action_key)) AS action,
           coalesce(u.resource_text, '*') AS resource
    FROM uncovered u LEFT JOIN aws_actions c ON u.not_actions IS NOT NULL AND c.key = u.action_key
), denies AS (
    SELECT provider, scope_id, identity_id, source, action_globs, resource_globs, not_resource_globs
    FROM current_grants WHERE grant_kind = 'aws_statement' AND effect = 'Deny' AND condition IS NULL
), denied AS (
    SELECT n.basis, n.against, n.provider, n.scope_id, n.identity_id, n.source, n.statement_index, n.action_key,
           n.resource_key, min(d.source) AS denied_by
    FROM named n JOIN denies d ON d.provider = n.provider AND d.scope_id = n.scope_id AND d.identity_id = n.identity_id
    WHERE iam_covered(n.action_key, d.action_globs)
      AND CASE WHEN d.not_resource_globs IS NULL THEN iam_covered(n.resource_key, d.resource_globs)
               ELSE NOT contains(n.resource_key, chr(1)) AND NOT contains(n.resource_key, '?')
                    AND NOT iam_covered(n.resource_key, d.not_resource_globs) END
    GROUP BY ALL
)
SELECT n.*, d.denied_by
FROM named n
LEFT JOIN denied d USING (basis, provider, scope_id, identity_id, source, statement_index, action_key, resource_key);
