-- id: DLG-ESCALATION
-- title: Sub-agent wider than its parent
-- severity: 5
-- maps_to: [ASI03, NHI5, AC-6]
-- remediation: revoke_grant on the observed excess; none when only the declared model is wider (model drift to fix)
-- reads: [identities, grants]
-- sla: default
-- clock: false
--
-- Delegation must attenuate: a sub-agent's declared allowances must lie inside its parent's
-- `allow`, the grants observed on its identities too, and its explicit `expires` must not be
-- later than its parent's (a sub-agent without `expires` inherits its parent's). Raised on each
-- identity of the sub-agent (or on the agent itself, provider `model`, when it declares none),
-- with the parent agent as the object; the evidence separates the declared excess from the
-- observed one (effective grants outside the parent's allowances).
WITH observed AS (
    -- a pair outside the sub-agent's own allowances and outside its parent's ...
    SELECT u.provider, u.scope_id, u.identity_id, t.agent_id, u.action, u.resource
    FROM r_uncovered_pairs u
    JOIN r_bindings b USING (provider, scope_id, identity_id)
    JOIN agent_tree t ON t.agent_id = b.agent_id AND t.parent IS NOT NULL
    JOIN agent_tree p ON p.agent_id = t.parent
    LEFT JOIN allow_sets ps ON ps.set_id = p.allow_set
    WHERE u.basis = 'own' AND u.denied_by IS NULL
      AND NOT entries_cover(coalesce(ps.entries, []), u.action_key, u.resource_key)
    UNION
    -- ... or any pair outside the parent's, when the sub-agent's own allowances are wider
    SELECT u.provider, u.scope_id, u.identity_id, b.agent_id, u.action, u.resource
    FROM r_uncovered_pairs u
    JOIN r_bindings b USING (provider, scope_id, identity_id)
    JOIN agent_tree t ON t.agent_id = b.agent_id AND t.parent = u.against
    WHERE u.basis = 'parent' AND u.denied_by IS NULL
), observed_by_identity AS (
    SELECT provider, scope_id, identity_id, agent_id, list_sort(list(DISTINCT {action: action, resource: resource})) AS pairs
    FROM observed GROUP BY ALL
), subjects AS (
    SELECT agent_id FROM agent_escalation
    UNION SELECT agent_id FROM observed_by_identity
), targets AS (
    -- every identity of the sub-agent, or the agent itself when it has none observed
    SELECT s.agent_id, b.provider, b.scope_id, b.identity_id, i.principal
    FROM subjects s JOIN r_bindings b USING (agent_id) JOIN r_identities i USING (provider, scope_id, identity_id)
    UNION ALL
    SELECT s.agent_id, 'model', 'model', 'agent:' || s.agent_id, 'agent:' || s.agent_id
    FROM subjects s WHERE NOT EXISTS (SELECT 1 FROM r_bindings b WHERE b.agent_id = s.agent_id)
)
SELECT t.provider, t.scope_id, t.identity_id, t.principal, sub.parent AS object, t.agent_id,
       format('sub-agent {} is wider than its parent {}: {}', t.agent_id, sub.parent,
              concat_ws(', ',
                  CASE WHEN o.pairs IS NOT NULL THEN format('{} observed pair(s) outside the parent''s allowances',
                                                            len(o.pairs)) END,
                  CASE WHEN d.aws_excess IS NOT NULL OR d.other_excess IS NOT NULL
                       THEN 'its declared allowances exceed the parent''s' END,
                  CASE WHEN d.later_expiry THEN format('it expires {} after its parent ({})',
                                                      strftime(d.own_expires, '%Y-%m-%d'),
                                                      strftime(d.parent_expires, '%Y-%m-%d')) END)) AS detail,
       to_json({parent: sub.parent, observed_excess: o.pairs[:100], observed_excess_count: coalesce(len(o.pairs), 0),
                declared_excess: d.aws_excess, declared_excess_other: d.other_excess,
                expires: d.own_expires, parent_expires: d.parent_expires}) AS evidence,
       NULL::TIMESTAMPTZ AS trigger_at, o.pairs
FROM targets t
JOIN agent_tree sub USING (agent_id)
LEFT JOIN agent_escalation d USING (agent_id)
LEFT JOIN observed_by_identity o ON o.agent_id = t.agent_id AND o.provider = t.provider AND o.scope_id = t.scope_id
                                AND o.identity_id = t.identity_id
WHERE o.pairs IS NOT NULL OR d.agent_id IS NOT NULL
