-- creates: [r_declared_escalation]
-- reads: []
--
-- Sub-agents whose declared model is wider than their parent's (declared-model.md,
-- "Delegation chain"): allowances outside the parent's `allow` (the same containment as for
-- grants), or an explicit `expires` later than the parent's (own or inherited).
CREATE OR REPLACE TEMP TABLE r_declared_escalation AS
WITH subs AS (
    SELECT t.agent_id, t.parent, coalesce(t.aws_entries, []) AS own_entries,
           coalesce(p.aws_entries, []) AS parent_entries, a.expires AS own_expires, p.expires AS parent_expires
    FROM agent_tree t JOIN agent_tree p ON p.agent_id = t.parent JOIN model_agents a ON a.agent_id = t.agent_id
), aws AS (
    SELECT s.agent_id, list({action: x.actions[ai], resource: x.resources[ri]}) AS excess
    FROM subs s, unnest(s.own_entries) AS u(x),
         unnest(range(1, len(x.actions) + 1)) AS a(ai), unnest(range(1, len(x.resources) + 1)) AS r(ri)
    WHERE NOT entries_cover(s.parent_entries, iam_key(lower(x.actions[ai])), iam_key(x.resources[ri]))
    GROUP BY s.agent_id
), other AS (
    SELECT s.agent_id, list({grant_kind: m.grant_kind, resource: m.resource, role: m.role}) AS excess
    FROM subs s JOIN model_allow_grants m ON m.agent_id = s.agent_id
    WHERE NOT EXISTS (
        SELECT 1 FROM model_allow_grants pm
        WHERE pm.agent_id = s.parent AND pm.grant_kind = m.grant_kind AND pm.role = m.role
          AND (pm.resource IS NOT DISTINCT FROM m.resource OR (pm.grant_kind = 'gcp_binding' AND pm.resource IS NULL)))
    GROUP BY s.agent_id
)
SELECT s.agent_id, s.parent, s.parent_entries, aws.excess AS aws_excess, other.excess AS other_excess,
       s.own_expires > s.parent_expires AS later_expiry, s.own_expires, s.parent_expires
FROM subs s LEFT JOIN aws USING (agent_id) LEFT JOIN other USING (agent_id)
WHERE aws.excess IS NOT NULL OR other.excess IS NOT NULL OR s.own_expires > s.parent_expires;
