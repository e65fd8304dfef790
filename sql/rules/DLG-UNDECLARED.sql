-- id: DLG-UNDECLARED
-- title: Undeclared delegation edge
-- severity: 4
-- maps_to: [ASI03, ASI07]
-- remediation: remove the trust / binding (approval)
-- reads: [identities, edges]
-- sla: default
-- clock: false
--
-- An observed edge lets one identity act as another (an AWS trust policy allowing
-- sts:AssumeRole to a principal by ARN, iam:PassRole on a role by ARN; GCP actAs and token
-- creation; Entra owners and federated credentials) and the declared model does not explain
-- it: both ends bound to the same agent, the target's agent delegated by the source's agent, or
-- the source a person's account. Only edges between two non-ignored identities of synced scopes
-- count (an account-root trust is TRUST-WEAK's to judge; a service principal is how a workload
-- runs). Raised on the target, the identity that can be acted as, with the source as the object.
WITH edges AS (
    SELECT e.*, lower(e.source) AS source_key FROM current_edges e
    WHERE e.effect = 'Allow' AND e.source_kind = 'principal'
      AND (e.edge_type <> 'aws_trust'
           OR iam_covered('sts:assumerole', list_transform(e.actions, lambda x: iam_glob(lower(x)))))
), sources AS (
    SELECT lower(principal) AS source_key, provider, scope_id, identity_id, agents, is_person, ignored
    FROM r_identities
), found AS (
    SELECT e.provider, e.scope_id, e.target_identity_id AS identity_id, t.principal, e.source,
           s.agents AS source_agents, t.agents AS target_agents,
           list({edge_type: e.edge_type, statement_index: e.statement_index, actions: e.actions,
                 condition: e.condition} ORDER BY e.edge_type, e.statement_index) AS edges
    FROM edges e
    JOIN sources s USING (source_key)
    JOIN r_identities t ON t.provider = e.provider AND t.scope_id = e.scope_id AND t.identity_id = e.target_identity_id
    WHERE NOT s.is_person AND NOT s.ignored AND NOT t.ignored
      AND NOT coalesce(list_has_any(s.agents, t.agents), false)     -- the same agent
      AND NOT coalesce(list_has_any(s.agents, t.parents), false)    -- a declared delegation
    GROUP BY ALL
)
SELECT provider, scope_id, identity_id, principal, source AS object, target_agents[1] AS agent_id,
       format('{} can act as {} ({}), and no declared delegation explains it', source, principal,
              array_to_string(list_distinct(list_transform(edges, lambda x: x.edge_type)), ', ')) AS detail,
       to_json({source_agents: source_agents, target_agents: target_agents, edges: edges}) AS evidence,
       NULL::TIMESTAMPTZ AS trigger_at
FROM found
