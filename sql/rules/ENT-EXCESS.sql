-- id: ENT-EXCESS
-- title: Entitlement beyond the declared allowance
-- severity: 4
-- maps_to: [NHI5, ASI03, AC-6, CSF PR.AA-05]
-- remediation: revoke_grant
-- reads: [identities, grants]
-- sla: default
-- clock: false
--
-- An observed grant on a bound identity that the `allow` of no agent bound to it covers.
-- AWS: every Allow statement reaching the identity (its inline and attached policies, and its
-- groups'), pair by pair: each (action, resource) pair must lie inside one allowance entry, by
-- pattern containment (`s3:Get*` is not inside `s3:GetObject`; actions ignore case, resources
-- do not). NotAction stands for every catalogue action it leaves, NotResource for `*`. A pair
-- an unconditional Deny covers is not effective; conditions never narrow an Allow, and a
-- conditional Deny subtracts nothing (both are shown). One finding per granting policy; its
-- evidence lists the uncovered pairs.
WITH effective AS (
    SELECT * FROM r_uncovered_pairs WHERE basis = 'own' AND denied_by IS NULL
), aws AS (
    SELECT e.provider, e.scope_id, e.identity_id, e.source,
           list_sort(list(DISTINCT {action: e.action, resource: e.resource})) AS pairs,
           list(DISTINCT e.statement_index ORDER BY e.statement_index) AS statements,
           list(DISTINCT e.condition) FILTER (WHERE e.condition IS NOT NULL) AS conditions,
           bool_or(e.not_actions IS NOT NULL) AS not_action,
           bool_or(e.not_resources IS NOT NULL) AS not_resource
    FROM effective e GROUP BY ALL
), denied AS (
    SELECT provider, scope_id, identity_id, source, list_sort(list(DISTINCT {action: action, resource: resource, denied_by: denied_by}))
           AS denied
    FROM r_uncovered_pairs WHERE basis = 'own' AND denied_by IS NOT NULL GROUP BY ALL
)
SELECT a.provider, a.scope_id, a.identity_id, i.principal, a.source AS object, i.agents[1] AS agent_id,
       format('{} holds {} action/resource pair(s) through {} that its declared allowance does not cover',
              i.principal, len(a.pairs), a.source) AS detail,
       to_json({uncovered: a.pairs[:100], uncovered_count: len(a.pairs), statements: a.statements,
                conditions: a.conditions, not_action: a.not_action, not_resource: a.not_resource,
                denied: d.denied[:100], agents: i.agents}) AS evidence,
       NULL::TIMESTAMPTZ AS trigger_at, a.pairs
FROM aws a
JOIN r_identities i USING (provider, scope_id, identity_id)
LEFT JOIN denied d USING (provider, scope_id, identity_id, source)
