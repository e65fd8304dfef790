-- id: DLG-BROKEN-CHAIN
-- title: Active agent under an inactive parent
-- severity: 4
-- maps_to: [ASI03, ASI08, AC-2(3)(b)]
-- remediation: disable_identity (cascade)
-- reads: [identities]
-- sla: default
-- clock: true
-- stale_ok: true
--
-- An agent is active (not expired, and one of its identities is not disabled) while an agent
-- above it is expired, or has declared identities that are all disabled or missing; or its
-- chain is deeper than `settings.max_delegation_depth`. (A gone sponsor is IDN-ORPHANED.)
-- Raised on each identity of the active agent that is not disabled. An identity whose scope
-- idrift does not sync completely is never taken as missing.
WITH declared AS (
    SELECT agent_id, count(*) AS identities,
           count(*) FILTER (WHERE state = 'missing' OR (state = 'observed' AND disabled)) AS gone
    FROM r_declared_identities GROUP BY agent_id
), inactive AS (
    SELECT t.agent_id, t.expires,
           CASE WHEN t.expires <= clock_now() THEN 'expired'
                WHEN d.identities > 0 AND d.gone = d.identities THEN 'disabled or missing' END AS why
    FROM agent_tree t LEFT JOIN declared d USING (agent_id)
), inactive_ancestors AS (
    SELECT x.agent_id, list({agent: i.agent_id, why: i.why} ORDER BY x.distance DESC) AS ancestors,
           min(i.expires) FILTER (WHERE i.why = 'expired') AS expired_at
    FROM inactive i JOIN agent_ancestors x ON x.ancestor = i.agent_id
    WHERE i.why IS NOT NULL
    GROUP BY x.agent_id
), broken AS (
    SELECT t.agent_id, a.ancestors AS inactive_ancestors, a.expired_at, t.depth, st.max_delegation_depth AS max_depth
    FROM agent_tree t CROSS JOIN model_settings st LEFT JOIN inactive_ancestors a USING (agent_id)
    WHERE (t.expires IS NULL OR t.expires > clock_now())
      AND (a.agent_id IS NOT NULL OR t.depth > st.max_delegation_depth)
)
SELECT i.provider, i.scope_id, i.identity_id, i.principal, NULL AS object, k.agent_id,
       CASE WHEN k.inactive_ancestors IS NOT NULL
            THEN format('agent {} is active under {} ({})', k.agent_id, k.inactive_ancestors[1].agent,
                        k.inactive_ancestors[1].why)
            ELSE format('agent {} sits {} levels deep; the model allows {}', k.agent_id, k.depth, k.max_depth) END
           AS detail,
       to_json({inactive_ancestors: k.inactive_ancestors, depth: k.depth, max_delegation_depth: k.max_depth})
           AS evidence,
       k.expired_at AS trigger_at
FROM broken k
JOIN r_bindings b USING (agent_id)
JOIN r_identities i USING (provider, scope_id, identity_id)
WHERE i.disabled IS NOT TRUE
