-- creates: [r_identity_entries, r_allow_sets, r_uncovered_pairs]
-- reads: [identities, grants]
-- needs: [r_identities]
--
-- The (action, resource) pairs of Allow statements reaching bound AWS identities that an
-- allowance set does not cover (declared-model.md, "Matching grants (AWS)"). The `basis` of
-- the check is `own` (the allowances of every agent bound to the identity: ENT-EXCESS), or
-- `parent` for the identities of a sub-agent whose own allowances are wider than its parent's
-- (DLG-ESCALATION; for the others, a pair inside their own allowances is inside the parent's).
-- A statement is covered when every one of its pairs lies inside one allowance entry. Whether
-- it is depends only on the statement and the allowance set, and both repeat across the estate
-- (a team's policy, a template's allowances), so each distinct (statement, allowance set) is
-- judged once, and only the uncovered ones are taken apart into pairs. A pair that an unconditional Deny reaching the same identity
-- covers is not effective: it stays here with `denied_by` set, for the evidence.
CREATE OR REPLACE TEMP TABLE r_identity_entries AS
WITH own AS (
    -- most identities are bound to one agent: its allowance set; several: the union of theirs
    SELECT b.provider, b.scope_id, b.identity_id, coalesce(t.allow_set, 0) AS set_id, NULL AS agent_sets
    FROM r_bindings b JOIN agent_tree t USING (agent_id) JOIN r_identities i USING (provider, scope_id, identity_id)
    WHERE b.provider = 'aws' AND len(i.agents) = 1
    UNION ALL
    SELECT b.provider, b.scope_id, b.identity_id, sum(coalesce(t.allow_set, 0)), list(t.allow_set)
    FROM r_bindings b JOIN agent_tree t USING (agent_id) JOIN r_identities i USING (provider, scope_id, identity_id)
    WHERE b.provider = 'aws' AND len(i.agents) > 1
    GROUP BY ALL
)
SELECT provider, scope_id, identity_id, 'own' AS basis, NULL::VARCHAR AS against, set_id, agent_sets FROM own
UNION ALL
SELECT b.provider, b.scope_id, b.identity_id, 'parent', d.parent, coalesce(p.allow_set, 0), NULL
FROM r_bindings b JOIN agent_escalation d USING (agent_id) JOIN agent_tree p ON p.agent_id = d.parent
WHERE b.provider = 'aws' AND d.aws_excess IS NOT NULL;

-- The allowance sets in use, with their entries: the model's, the empty one, and the unions of
-- identities bound to several agents.
CREATE OR REPLACE TEMP TABLE r_allow_sets AS
SELECT set_id, entries FROM allow_sets
UNION ALL
SELECT 0, []
UNION ALL
SELECT e.set_id, flatten(list(coalesce(a.entries, [])))
FROM (SELECT DISTINCT set_id, unnest(agent_sets) AS agent_set FROM r_identity_entries WHERE agent_sets IS NOT NULL) e
LEFT JOIN allow_sets a ON a.set_id = e.agent_set
WHERE e.set_id <> 0 AND e.set_id NOT IN (SELECT set_id FROM allow_sets)  -- a union with empty sets is its other set
GROUP BY e.set_id;

CREATE OR REPLACE TEMP TABLE r_uncovered_pairs AS
WITH held AS (
    SELECT e.basis, e.against, e.set_id, g.provider, g.scope_id, g.identity_id, g.source, g.statement_index,
           g.statement_id
    FROM grant_history g JOIN r_identity_entries e USING (provider, scope_id, identity_id)
    WHERE g.valid_to IS NULL AND g.grant_kind = 'aws_statement'
), combos AS (
    SELECT DISTINCT statement_id, set_id FROM held
), uncovered_combos AS (
    SELECT c.statement_id, c.set_id, s.actions, s.resources, s.action_keys, s.resource_keys, s.not_actions,
           s.not_resources, s.condition, x.entries
    FROM combos c JOIN statements s USING (statement_id) JOIN r_allow_sets x USING (set_id)
    WHERE s.effect = 'Allow'
      AND NOT all_true(list_transform(s.action_keys, lambda a:
                all_true(list_transform(s.resource_keys, lambda r: entries_cover(x.entries, a, r)))))
), by_action AS (
    -- unnested in the select list, pairwise: indexing a long NotAction list once per key would
    -- copy it once per key
    SELECT u.* EXCLUDE (action_keys, actions), unnest(u.action_keys) AS action_key,
           unnest(coalesce(u.actions, list_transform(u.action_keys, lambda k_: NULL::VARCHAR))) AS action_text
    FROM uncovered_combos u
), combo_pairs AS (
    SELECT p.* EXCLUDE (entries)
    FROM (SELECT b.* EXCLUDE (resource_keys, resources), unnest(b.resource_keys) AS resource_key,
                 unnest(coalesce(b.resources, list_transform(b.resource_keys, lambda k_: NULL::VARCHAR))) AS resource_text
          FROM by_action b) p
    WHERE NOT entries_cover(p.entries, p.action_key, p.resource_key)
), named AS (
    SELECT p.* EXCLUDE (action_text, resource_text),
           coalesce(CASE WHEN p.not_actions IS NULL THEN p.action_text END, c.action, iam_unkey(p.action_key)) AS action,
           coalesce(p.resource_text, '*') AS resource
    FROM combo_pairs p LEFT JOIN aws_actions c ON p.not_actions IS NOT NULL AND c.key = p.action_key
), pairs AS (
    SELECT h.basis, h.against, h.provider, h.scope_id, h.identity_id, h.source, h.statement_index, n.*
    FROM held h JOIN named n USING (statement_id, set_id)
)
SELECT * EXCLUDE (set_id) FROM pairs;

-- Each uncovered pair with the unconditional Deny that makes it ineffective, if one does.
CREATE OR REPLACE TEMP TABLE r_uncovered_pairs AS
WITH pairs AS (
    SELECT * FROM r_uncovered_pairs
), deny_statements AS (
    SELECT statement_id, action_globs, resource_globs, not_resource_globs FROM statements
    WHERE effect = 'Deny' AND condition IS NULL
), denies AS (
    SELECT g.provider, g.scope_id, g.identity_id, g.source, s.action_globs, s.resource_globs, s.not_resource_globs
    FROM grant_history g JOIN deny_statements s USING (statement_id)
    WHERE g.valid_to IS NULL AND g.grant_kind = 'aws_statement'
      AND (g.provider, g.scope_id, g.identity_id) IN (SELECT (provider, scope_id, identity_id) FROM pairs)
), denied AS (
    SELECT p.basis, p.provider, p.scope_id, p.identity_id, p.source, p.statement_index, p.action_key, p.resource_key,
           min(d.source) AS denied_by
    FROM pairs p JOIN denies d ON d.provider = p.provider AND d.scope_id = p.scope_id AND d.identity_id = p.identity_id
    WHERE iam_covered(p.action_key, d.action_globs)
      AND CASE WHEN d.not_resource_globs IS NULL THEN iam_covered(p.resource_key, d.resource_globs)
               ELSE NOT contains(p.resource_key, chr(1)) AND NOT contains(p.resource_key, '?')
                    AND NOT iam_covered(p.resource_key, d.not_resource_globs) END
    GROUP BY ALL
)
SELECT p.*, d.denied_by
FROM pairs p
LEFT JOIN denied d USING (basis, provider, scope_id, identity_id, source, statement_index, action_key, resource_key);
