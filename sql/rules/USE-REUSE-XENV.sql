-- id: USE-REUSE-XENV
-- title: Identity reused or crossing environments
-- severity: 3
-- maps_to: [NHI9, NHI8]
-- remediation: none (ticket)
-- reads: [identities]
-- sla: none
-- clock: false
--
-- One principal bound to more than one agent (raised on the principal); or an agent holding
-- identities in scopes the config labels with different environments, or in a scope whose label
-- differs from the agent's `environment` (raised on each such identity). A scope with no label
-- is never compared. The object names the agents involved.
WITH bound_twice AS (  -- counted first: the agents are listed only for the few principals bound twice
    SELECT provider, lower(principal) AS match_key FROM model_identities GROUP BY ALL HAVING count(*) > 1
), reused AS (
    SELECT m.provider, lower(m.principal) AS match_key, any_value(m.principal) AS principal,
           any_value(m.scope_hint) AS scope_hint, list(DISTINCT m.agent_id ORDER BY m.agent_id) AS agents
    FROM model_identities m SEMI JOIN bound_twice t ON t.provider = m.provider AND t.match_key = lower(m.principal)
    GROUP BY m.provider, lower(m.principal)
    HAVING count(DISTINCT m.agent_id) > 1
), labels AS (
    SELECT provider, scope_id, arg_max(environment, run_seq) AS environment FROM scope_syncs GROUP BY ALL
), placed AS (
    SELECT b.agent_id, a.environment AS agent_environment, b.provider, b.scope_id, b.identity_id, i.principal,
           l.environment AS scope_environment
    FROM r_bindings b JOIN model_agents a USING (agent_id) JOIN r_identities i USING (provider, scope_id, identity_id)
    JOIN labels l USING (provider, scope_id)
    WHERE l.environment IS NOT NULL
), mixed AS (
    SELECT agent_id FROM placed WHERE agent_environment IS NULL GROUP BY agent_id
    HAVING count(DISTINCT scope_environment) > 1
)
SELECT r.provider, coalesce(i.scope_id, r.scope_hint, 'model') AS scope_id,
       coalesce(i.identity_id, r.principal) AS identity_id, coalesce(i.principal, r.principal) AS principal,
       array_to_string(r.agents, ',') AS object, r.agents[1] AS agent_id,
       format('{} is bound to {} agents: {}', r.principal, len(r.agents), array_to_string(r.agents, ', ')) AS detail,
       to_json({agents: r.agents}) AS evidence, NULL::TIMESTAMPTZ AS trigger_at
FROM reused r
LEFT JOIN (SELECT *, lower(principal) AS match_key FROM r_identities) i USING (provider, match_key)
UNION ALL
SELECT p.provider, p.scope_id, p.identity_id, p.principal, p.agent_id, p.agent_id,
       CASE WHEN p.agent_environment IS NOT NULL
            THEN format('{} of agent {} ({}) is in scope {}, labelled {}', p.principal, p.agent_id,
                        p.agent_environment, p.scope_id, p.scope_environment)
            ELSE format('agent {} holds identities in several environments; {} is in {} ({})', p.agent_id,
                        p.principal, p.scope_id, p.scope_environment) END,
       to_json({agent_environment: p.agent_environment, scope_environment: p.scope_environment}), NULL
FROM placed p
WHERE (p.agent_environment IS NOT NULL AND p.scope_environment <> p.agent_environment)
   OR p.agent_id IN (SELECT agent_id FROM mixed)
