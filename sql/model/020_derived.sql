-- What the model derives, once per run, when it loads.

-- Each declared agent's place in its delegation tree. A sub-agent's sponsor is its root's
-- sponsor; its depth is the number of agents on its chain; an agent without `expires` inherits
-- its nearest ancestor's. `allow_set` names its AWS allowances: agents declaring the same
-- entries (the agents of one template) share one set, matched once per statement
-- (sql/prepare/030).
CREATE OR REPLACE TEMP TABLE agent_tree AS
WITH RECURSIVE tree AS (
    SELECT agent_id, agent_id AS root_agent, sponsor AS root_sponsor, NULL::VARCHAR AS parent, 1 AS depth, expires
    FROM model_agents WHERE delegated_by IS NULL
    UNION ALL
    SELECT a.agent_id, t.root_agent, t.root_sponsor, a.delegated_by, t.depth + 1, coalesce(a.expires, t.expires)
    FROM model_agents a JOIN tree t ON a.delegated_by = t.agent_id
), sets AS (
    SELECT agent_id, sum(entry_hash::HUGEINT) AS allow_set FROM model_allow_aws GROUP BY agent_id
)
SELECT tree.*, sets.allow_set FROM tree LEFT JOIN sets USING (agent_id);

-- Every (agent, ancestor) pair, flat: the chain of an agent, and what a decision about the
-- ancestor reaches (distance 1: the parent).
CREATE OR REPLACE TEMP TABLE agent_ancestors AS
WITH RECURSIVE up AS (
    SELECT agent_id, delegated_by AS ancestor, 1 AS distance FROM model_agents WHERE delegated_by IS NOT NULL
    UNION ALL
    SELECT u.agent_id, a.delegated_by, u.distance + 1
    FROM up u JOIN model_agents a ON a.agent_id = u.ancestor WHERE a.delegated_by IS NOT NULL
)
SELECT * FROM up;

-- Each allowance set once (its id: the sum of its entries' hashes, so the same entries make
-- the same set), its entries ready for matching (the globs of 005_patterns.sql).
CREATE OR REPLACE TEMP TABLE allow_sets AS
WITH representative AS (
    SELECT allow_set AS set_id, min(agent_id) AS agent_id FROM agent_tree WHERE allow_set IS NOT NULL GROUP BY ALL
)
SELECT r.set_id,  -- entries in no particular order: one of them covering is what counts
       list({'action_globs': list_transform(m.actions, lambda x_: iam_glob(lower(x_))),
             'resource_globs': list_transform(m.resources, lambda x_: iam_glob(x_))}) AS entries
FROM representative r JOIN model_allow_aws m USING (agent_id)
GROUP BY r.set_id;

-- Sub-agents wider than their parent: allowances outside the parent's `allow` (the same
-- containment as for grants: each declared (action, resource) pair must lie inside one of the
-- parent's entries), or an explicit `expires` later than the parent's (own or inherited). An
-- entry the parent declares as written needs no matching.
CREATE OR REPLACE TEMP TABLE agent_escalation AS
WITH subs AS (
    SELECT t.agent_id, t.parent, p.allow_set AS parent_set, a.expires AS own_expires, p.expires AS parent_expires
    FROM agent_tree t JOIN agent_tree p ON p.agent_id = t.parent JOIN model_agents a ON a.agent_id = t.agent_id
), new_entries AS (
    SELECT s.agent_id, s.parent_set, m.actions, m.resources
    FROM subs s JOIN model_allow_aws m USING (agent_id)
    LEFT JOIN model_allow_aws pm ON pm.agent_id = s.parent AND pm.entry_hash = m.entry_hash
    WHERE pm.agent_id IS NULL
), declared_pairs AS (
    SELECT agent_id, coalesce(ps.entries, []) AS parent_entries, action, unnest(resources) AS resource
    FROM (SELECT agent_id, parent_set, unnest(actions) AS action, resources FROM new_entries) n
    LEFT JOIN allow_sets ps ON ps.set_id = n.parent_set
), aws AS (
    SELECT agent_id, list({action: action, resource: resource}) AS excess
    FROM declared_pairs
    WHERE NOT entries_cover(parent_entries, iam_key(lower(action)), iam_key(resource))
    GROUP BY agent_id
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
