-- Each declared agent's delegation chain, computed once per model (load_model_tables copies it
-- into `agent_tree`). A sub-agent's sponsor is its root's sponsor; its depth is the number of
-- agents on the chain; an agent without `expires` inherits its nearest ancestor's.
CREATE OR REPLACE VIEW agent_tree_of_model AS
WITH RECURSIVE tree AS (
    SELECT agent_id, agent_id AS root_agent, sponsor AS root_sponsor, NULL::VARCHAR AS parent, 1 AS depth,
           [sponsor, agent_id] AS chain, []::VARCHAR[] AS ancestors, expires
    FROM model_agents WHERE delegated_by IS NULL
    UNION ALL
    SELECT a.agent_id, t.root_agent, t.root_sponsor, a.delegated_by, t.depth + 1,
           list_append(t.chain, a.agent_id), list_append(t.ancestors, t.agent_id), coalesce(a.expires, t.expires)
    FROM model_agents a JOIN tree t ON a.delegated_by = t.agent_id
), entries AS (
    SELECT agent_id,
           list({'action_globs': list_transform(actions, lambda x: iam_glob(lower(x))),
                 'resource_globs': list_transform(resources, lambda x: iam_glob(x))} ORDER BY entry_index) AS aws_globs
    FROM model_allow_aws GROUP BY agent_id
)
SELECT tree.*, entries.aws_globs FROM tree LEFT JOIN entries USING (agent_id);

-- Sub-agents wider than their parent: allowances outside the parent's `allow` (the same
-- containment as for grants: each declared (action, resource) pair must lie inside one of the
-- parent's entries), or an explicit `expires` later than the parent's (own or inherited).
-- Reads agent_tree, so it is computed after it.
CREATE OR REPLACE VIEW agent_escalation_of_model AS
WITH subs AS (
    SELECT t.agent_id, t.parent, coalesce(p.aws_globs, []) AS parent_globs, a.expires AS own_expires,
           p.expires AS parent_expires
    FROM agent_tree t JOIN agent_tree p ON p.agent_id = t.parent JOIN model_agents a ON a.agent_id = t.agent_id
), declared_pairs AS (
    SELECT agent_id, action, unnest(resources) AS resource
    FROM (SELECT agent_id, unnest(actions) AS action, resources FROM model_allow_aws)
), aws AS (
    SELECT s.agent_id, list({action: d.action, resource: d.resource}) AS excess
    FROM declared_pairs d JOIN subs s USING (agent_id)
    WHERE NOT entries_cover(s.parent_globs, iam_key(lower(d.action)), iam_key(d.resource))
    GROUP BY s.agent_id
), other AS (
    SELECT s.agent_id, list({grant_kind: m.grant_kind, resource: m.resource, role: m.role}) AS excess
    FROM subs s JOIN model_allow_grants m ON m.agent_id = s.agent_id
    LEFT JOIN model_allow_grants pm ON pm.agent_id = s.parent AND pm.grant_kind = m.grant_kind AND pm.role = m.role
        AND (pm.resource IS NOT DISTINCT FROM m.resource OR (pm.grant_kind = 'gcp_binding' AND pm.resource IS NULL))
    WHERE pm.agent_id IS NULL
    GROUP BY s.agent_id
)
SELECT s.agent_id, s.parent, aws.excess AS aws_excess, other.excess AS other_excess,
       s.own_expires > s.parent_expires AS later_expiry, s.own_expires, s.parent_expires
FROM subs s LEFT JOIN aws USING (agent_id) LEFT JOIN other USING (agent_id)
WHERE aws.excess IS NOT NULL OR other.excess IS NOT NULL OR s.own_expires > s.parent_expires;
