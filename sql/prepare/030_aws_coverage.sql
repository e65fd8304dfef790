-- creates: [r_identity_entries, r_uncovered_statements, r_uncovered_pairs]
-- reads: [identities, grants]
-- needs: [r_identities, r_declared_escalation]
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
       flatten(list(coalesce(t.aws_entries, []))) AS entries
FROM r_bindings b JOIN agent_tree t USING (agent_id)
WHERE b.provider = 'aws'
GROUP BY ALL
UNION ALL
SELECT b.provider, b.scope_id, b.identity_id, 'parent', d.parent, d.parent_entries
FROM r_bindings b JOIN r_declared_escalation d USING (agent_id)
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
WITH pairs AS (
    SELECT s.* EXCLUDE (action_keys, resource_keys, entries), s.action_keys[ai] AS action_key,
           s.resource_keys[ri] AS resource_key, s.actions[ai] AS action_text, s.resources[ri] AS resource_text,
           s.entries
    FROM r_uncovered_statements s,
         unnest(range(1, len(s.action_keys) + 1)) AS a(ai), unnest(range(1, len(s.resource_keys) + 1)) AS r(ri)
), uncovered AS (
    SELECT * EXCLUDE (entries) FROM pairs
    WHERE NOT entries_cover(entries, action_key, resource_key)
), denies AS (
    SELECT provider, scope_id, identity_id, source, action_globs, resource_globs, not_resource_globs
    FROM current_grants WHERE grant_kind = 'aws_statement' AND effect = 'Deny' AND condition IS NULL
)
SELECT u.basis, u.against, u.provider, u.scope_id, u.identity_id, u.source, u.statement_index, u.statement_id,
       coalesce(CASE WHEN u.not_actions IS NULL THEN u.action_text END,
                (SELECT c.action FROM aws_actions c WHERE c.key = u.action_key), iam_unkey(u.action_key)) AS action,
       coalesce(u.resource_text, '*') AS resource, u.action_key, u.resource_key, u.condition,
       u.not_actions, u.not_resources,
       (SELECT min(d.source) FROM denies d
        WHERE d.provider = u.provider AND d.scope_id = u.scope_id AND d.identity_id = u.identity_id
          AND iam_covered(u.action_key, d.action_globs)
          AND CASE WHEN d.not_resource_globs IS NULL THEN iam_covered(u.resource_key, d.resource_globs)
                   ELSE NOT contains(u.resource_key, chr(1)) AND NOT contains(u.resource_key, '?')
                        AND NOT iam_covered(u.resource_key, d.not_resource_globs) END) AS denied_by
FROM uncovered u;
