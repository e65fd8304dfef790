-- The revocation plan (findings.md, "Revocation actions"): what idrift would change to close the
-- open findings, one action per (kind, target), derived in one statement over the whole estate
-- after the findings moved. pipelines/revocation/plan.py applies the model guard to it and
-- stores it as `revocation_plan`; the provider call each action makes is spelled by its
-- executor (`describe`) wherever the plan is shown, and a revoke_grant's kept policy is worked
-- out from the grant's statements and the agent's allowances kept here.
--
-- An auditor can check here that:
-- - only open findings plan anything: a suppressed or resolved finding plans nothing;
-- - nothing is planned from missing data: a finding kept as it was because its scope's latest
--   sync of what its rule reads was incomplete or held back (`_rule_reads`) plans nothing; the
--   findings raised from the last complete observation anyway (IDN-ORPHANED, DLG-EXPIRED,
--   DLG-BROKEN-CHAIN) may, because the executor re-reads the target before it acts;
-- - cascades follow declared delegation only: disabling an agent (the plan disables every one of
--   its identities not disabled yet) plans the same for every identity, not yet disabled, of
--   each agent declared `delegated_by` it, at any depth, which DLG-BROKEN-CHAIN would otherwise
--   ask for one sync later. Observed edges never cascade: an undeclared identity is bound to no
--   agent, so disabling it reaches nothing else;
-- - pre-approved (run in `auto` mode without a person) are only the actions closing DLG-EXPIRED,
--   or IDN-ORPHANED of a terminated sponsor, and their cascades; never delete_login_profile;
-- - a grant reaching an identity through a group is not revoked per identity (that would change
--   the group for every member); its finding stays open with no action;
-- - idrift never plans against its own read and revoke roles (a trust rewrite there would lock
--   idrift out) nor against roles the provider manages (service-linked roles);
-- - every trust change of one role is one action, so two findings on one trust policy cannot
--   undo each other's rewrite.
CREATE OR REPLACE TEMP TABLE _plan AS
WITH acting AS (
    SELECT f.*,
           CASE
               WHEN f.rule IN ('IDN-ORPHANED', 'DLG-EXPIRED', 'DLG-BROKEN-CHAIN', 'IDN-UNDECLARED', 'IDN-DORMANT')
                   THEN 'disable_identity'
               WHEN f.rule IN ('CRD-UNUSED', 'CRD-LONG-LIVED', 'USE-HUMAN-ON-NHI') AND f.object = 'login_profile'
                   THEN 'delete_login_profile'
               WHEN f.rule IN ('CRD-UNUSED', 'CRD-LONG-LIVED') THEN 'deactivate_credential'
               WHEN f.rule = 'ENT-EXCESS' AND g.path IN ('direct', 'inline') THEN 'revoke_grant'
               WHEN f.rule = 'DLG-UNDECLARED' AND f.object IN (
                        SELECT source FROM current_edges e
                        WHERE e.edge_type = 'aws_trust' AND e.target_identity_id = f.identity_id) THEN 'remove_trust'
               WHEN f.rule = 'TRUST-WEAK' THEN 'remove_trust'
           END AS kind
    FROM findings f
    LEFT JOIN (SELECT DISTINCT provider, scope_id, identity_id, source, path FROM current_grants) g
           ON f.rule = 'ENT-EXCESS' AND g.provider = f.provider AND g.scope_id = f.scope
          AND g.identity_id = f.identity_id AND g.source = f.object
    WHERE f.status = 'open'
      AND f.provider IN (SELECT provider FROM _revokers)
      AND NOT EXISTS (
          SELECT 1 FROM _rule_reads r JOIN scope_freshness s ON s.entity = r.entity
          WHERE r.rule = f.rule AND NOT r.stale_ok AND s.stale AND s.provider = f.provider AND s.scope_id = f.scope)
), direct AS (
    SELECT kind, provider, scope AS scope_id, identity_id, principal,
           CASE WHEN kind IN ('deactivate_credential', 'revoke_grant', 'delete_login_profile') THEN object END AS object,
           agent, id AS finding, rule, trigger_at,
           (rule = 'DLG-EXPIRED' OR (rule = 'IDN-ORPHANED' AND evidence ->> 'sponsor_status' = 'terminated'))
               AND kind <> 'delete_login_profile' AS pre_approved,
           CASE rule WHEN 'DLG-UNDECLARED' THEN [{statement_index: NULL::INTEGER, source: object}]
                     WHEN 'TRUST-WEAK' THEN list_transform(
                         from_json(evidence -> 'principals', '[{"source": "VARCHAR"}]'),
                         lambda p: {statement_index: (evidence ->> 'statement_index')::INTEGER, source: p.source})
           END AS remove,
           NULL::VARCHAR AS cascade_from
    FROM acting WHERE kind IS NOT NULL
), disabling AS (
    SELECT DISTINCT d.provider, d.scope_id, d.identity_id, d.pre_approved, b.agent_id
    FROM direct d JOIN r_bindings b USING (provider, scope_id, identity_id)
    WHERE d.kind = 'disable_identity'
), agent_disables AS (
    SELECT g.* FROM disabling g
    WHERE NOT EXISTS (
        SELECT 1 FROM r_bindings b JOIN r_identities i USING (provider, scope_id, identity_id)
        WHERE b.agent_id = g.agent_id AND i.disabled IS NOT TRUE
          AND (b.provider, b.scope_id, b.identity_id) NOT IN (SELECT (provider, scope_id, identity_id) FROM disabling))
), cascaded AS (
    SELECT 'disable_identity' AS kind, i.provider, i.scope_id, i.identity_id, i.principal, NULL AS object,
           d.agent_id AS agent, NULL AS finding, NULL AS rule, NULL::TIMESTAMPTZ AS trigger_at, ad.pre_approved,
           NULL AS remove,
           left(sha256(concat_ws('|', 'disable_identity', ad.provider, ad.scope_id, ad.identity_id, '')), 16) AS cascade_from
    FROM agent_disables ad
    JOIN agent_ancestors x ON x.ancestor = ad.agent_id
    JOIN r_bindings d ON d.agent_id = x.agent_id
    JOIN r_identities i ON i.provider = d.provider AND i.scope_id = d.scope_id AND i.identity_id = d.identity_id
    WHERE i.disabled IS NOT TRUE AND i.provider IN (SELECT provider FROM _revokers)
), actions AS (
    SELECT kind, provider, scope_id, identity_id, any_value(principal) AS principal, object,
           min(agent) AS agent,
           coalesce(list(DISTINCT finding ORDER BY finding) FILTER (WHERE finding IS NOT NULL), []) AS findings,
           coalesce(list(DISTINCT rule ORDER BY rule) FILTER (WHERE rule IS NOT NULL), []) AS rules,
           coalesce(list(DISTINCT cascade_from ORDER BY cascade_from) FILTER (WHERE cascade_from IS NOT NULL), []) AS cascade_from,
           min(trigger_at) AS trigger_at, bool_or(pre_approved) AS pre_approved,
           list_distinct(flatten(list(remove) FILTER (WHERE remove IS NOT NULL))) AS remove
    FROM (SELECT * FROM direct UNION ALL BY NAME SELECT * FROM cascaded)
    GROUP BY kind, provider, scope_id, identity_id, object
), grant_sources AS (  -- only the grants a revoke_grant targets
    SELECT g.provider, g.scope_id, g.identity_id, g.source, any_value(g.path) AS path,
           any_value(g.policy_arn) AS policy_arn, list(g.statement_id ORDER BY g.statement_index) AS statement_ids,
           list({effect: g.effect, sid: g.sid, actions: g.actions, not_actions: g.not_actions, resources: g.resources,
                 not_resources: g.not_resources, condition: g.condition} ORDER BY g.statement_index) AS statements
    FROM current_grants g
    SEMI JOIN actions a ON a.kind = 'revoke_grant' AND a.provider = g.provider AND a.scope_id = g.scope_id
                       AND a.identity_id = g.identity_id AND a.object = g.source
    GROUP BY g.provider, g.scope_id, g.identity_id, g.source
), allowances AS (  -- what the agents of a revoke_grant's identity may hold: the executor keeps it
    SELECT b.provider, b.scope_id, b.identity_id,
           list(DISTINCT {actions: m.actions, resources: m.resources}) AS allowances
    FROM r_bindings b JOIN model_allow_aws m USING (agent_id)
    SEMI JOIN actions a ON a.kind = 'revoke_grant' AND a.provider = b.provider AND a.scope_id = b.scope_id
                       AND a.identity_id = b.identity_id
    GROUP BY ALL
), identified AS (
    SELECT left(sha256(concat_ws('|', a.kind, a.provider, a.scope_id, a.identity_id, coalesce(a.object, ''))), 16)
               AS action_id, a.*
    FROM actions a
)
SELECT a.* REPLACE (list_filter(a.cascade_from, lambda x: x <> a.action_id) AS cascade_from),
       i.kind AS identity_kind, i.name AS identity_name,
       CASE a.kind
           WHEN 'disable_identity' THEN format('Disable {}', a.principal)
           WHEN 'deactivate_credential' THEN format('Deactivate the credential {} of {}', a.object, a.principal)
           WHEN 'revoke_grant' THEN format('Revoke {} from {}, keeping what its agent may hold', a.object, a.principal)
           WHEN 'remove_trust' THEN format('Remove from the trust policy of {}: {}', a.principal,
                                           array_to_string(list_sort(list_distinct(list_transform(a.remove,
                                                           lambda r: r.source))), ', '))
           WHEN 'delete_login_profile' THEN format('Delete the console password of {}', a.principal)
       END || ' (' || concat_ws('; ',
           CASE WHEN len(a.rules) > 0 THEN 'closes ' || array_to_string(a.rules, ', ') END,
           CASE WHEN len(list_filter(a.cascade_from, lambda x: x <> a.action_id)) > 0
                THEN 'cascade of ' || array_to_string(list_filter(a.cascade_from, lambda x: x <> a.action_id), ', ')
           END) || ').' AS sentence,
       -- what the plan saw of the target: the executor compares it with what it re-reads
       CASE a.kind
           WHEN 'revoke_grant' THEN to_json({path: g.path, policy_arn: g.policy_arn, statement_ids: g.statement_ids,
                                             statements: g.statements, allowances: coalesce(w.allowances, [])})
           WHEN 'remove_trust' THEN to_json({trust_policy: i.attributes -> 'trust_policy', remove: a.remove})
           -- a key that is only too old (not unused) is deactivated after its rotation, never before
           WHEN 'deactivate_credential' THEN to_json({after_rotation: NOT list_contains(a.rules, 'CRD-UNUSED')})
       END AS target,
       coalesce(old.first_planned, clock_now()) AS first_planned,
       old.action_id IS NULL AS new
FROM identified a
JOIN current_identities i USING (provider, scope_id, identity_id)
LEFT JOIN grant_sources g ON a.kind = 'revoke_grant' AND g.provider = a.provider AND g.scope_id = a.scope_id
                         AND g.identity_id = a.identity_id AND g.source = a.object
LEFT JOIN allowances w ON a.kind = 'revoke_grant' AND w.provider = a.provider AND w.scope_id = a.scope_id
                      AND w.identity_id = a.identity_id
LEFT JOIN revocation_plan old ON old.action_id = a.action_id
WHERE NOT coalesce(i.provider_managed, false)
  AND NOT any_true(list_transform((SELECT any_value(ignore) FROM run_context), lambda g: i.principal GLOB g));
