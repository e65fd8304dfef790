-- creates: [r_bindings, r_identities]
-- reads: [identities]
--
-- Every current identity with what the rules ask of it: whether it is a person's account,
-- whether it is ignored (provider-managed, idrift's own roles, `settings.ignore`), which agents
-- bind it (and the agents those delegate from), its thresholds (the strictest of its agents' overrides, else the settings) and when
-- idrift first saw it. `r_bindings` (next file) holds the (agent, identity) pairs.
CREATE OR REPLACE TEMP TABLE r_bindings AS
WITH keys AS (
    SELECT provider, scope_id, identity_id, lower(principal) AS match_key FROM current_identities
    UNION ALL
    SELECT provider, scope_id, identity_id, lower(identity_id) FROM current_identities WHERE provider = 'entra'
)
SELECT DISTINCT m.agent_id, k.provider, k.scope_id, k.identity_id, k.match_key
FROM model_identities m JOIN keys k ON k.provider = m.provider AND k.match_key = lower(m.principal);

CREATE OR REPLACE TEMP TABLE r_identities AS
WITH persons AS (
    SELECT lower(sponsor_id) AS person FROM model_sponsors
    UNION SELECT lower(email) FROM model_sponsors WHERE email IS NOT NULL
    UNION SELECT lower(person_id) FROM current_people
    UNION SELECT lower(email) FROM current_people WHERE email IS NOT NULL
), counted AS (
    SELECT b.provider, b.scope_id, b.identity_id, count(*) AS n, min(b.agent_id) AS agent,
           min(coalesce(a.inactive_after, st.inactive_after)) AS inactive_after,
           min(coalesce(a.unused_credential_after, st.unused_credential_after)) AS unused_credential_after,
           min(coalesce(a.max_credential_age, st.max_credential_age)) AS max_credential_age,
           min(a.delegated_by) AS parent
    FROM r_bindings b JOIN model_agents a USING (agent_id) CROSS JOIN model_settings st
    GROUP BY ALL
), several AS (
    -- lists are built only for the few principals bound to more than one agent
    SELECT b.provider, b.scope_id, b.identity_id, list(b.agent_id ORDER BY b.agent_id) AS agents,
           list(a.delegated_by) FILTER (WHERE a.delegated_by IS NOT NULL) AS parents
    FROM r_bindings b JOIN model_agents a USING (agent_id)
    WHERE (b.provider, b.scope_id, b.identity_id) IN (SELECT (provider, scope_id, identity_id) FROM counted WHERE n > 1)
    GROUP BY ALL
), bound AS (
    SELECT c.* EXCLUDE (n, agent, parent), coalesce(s.agents, [c.agent]) AS agents,
           coalesce(s.parents, CASE WHEN c.parent IS NOT NULL THEN [c.parent] ELSE [] END) AS parents
    FROM counted c LEFT JOIN several s USING (provider, scope_id, identity_id)
), first_seen AS (
    SELECT h.provider, h.scope_id, h.identity_id, min(r.started_at) AS first_seen
    FROM identity_history h JOIN runs r ON r.run_seq = h.valid_from
    GROUP BY ALL
), ignore_globs AS (
    SELECT list_concat(st.ignore, coalesce((SELECT any_value(ignore) FROM run_context), [])) AS globs
    FROM model_settings st
)
SELECT i.*, f.first_seen,
       coalesce(lower(i.email) IN (SELECT person FROM persons), false)
           OR coalesce(lower(i.name) IN (SELECT person FROM persons), false) AS is_person,
       coalesce(i.provider_managed, false)
           OR any_true(list_transform(g.globs, lambda p: i.principal GLOB p OR i.identity_id GLOB p
                                                              OR coalesce(i.email GLOB p, false))) AS ignored,
       b.agents, b.parents,
       coalesce(b.inactive_after, st.inactive_after) AS inactive_after,
       coalesce(b.unused_credential_after, st.unused_credential_after) AS unused_credential_after,
       coalesce(b.max_credential_age, st.max_credential_age) AS max_credential_age
FROM current_identities i
CROSS JOIN model_settings st CROSS JOIN ignore_globs g
LEFT JOIN bound b USING (provider, scope_id, identity_id)
LEFT JOIN first_seen f USING (provider, scope_id, identity_id);
