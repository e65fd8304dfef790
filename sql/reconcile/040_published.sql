-- What a run publishes for the read commands and the report (pipelines/publish.py): the
-- finding records exactly as findings.md defines them, in their documented order.
CREATE OR REPLACE TEMP VIEW published_findings AS
SELECT id, rule, title, severity, severity_name, status, agent, sponsor, chain, provider, scope, principal, object,
       detail,
       CASE WHEN suppressed_by IS NOT NULL THEN json_merge_patch(evidence, json_object('suppressed_by', suppressed_by))
            ELSE evidence END AS evidence,
       trigger_at, first_seen, last_seen, resolved_at, reopened_at, stale_observation, remediation,
       identity_id
FROM findings
ORDER BY severity DESC, rule, principal, id;

-- The identity register: every current identity, what binds it, and its open findings.
CREATE OR REPLACE TEMP VIEW published_identities AS
WITH credentials AS (
    SELECT provider, scope_id, identity_id, count(*) AS active_credentials
    FROM current_credentials WHERE status = 'active' GROUP BY ALL
), open_findings AS (
    SELECT provider, scope AS scope_id, identity_id, count(*) AS open_findings
    FROM findings WHERE status = 'open' GROUP BY ALL
)
SELECT i.provider, i.scope_id AS scope, i.principal, i.identity_id, i.kind, i.name, i.created_at,
       i.disabled, i.last_authenticated_at, i.is_person, i.ignored, array_to_string(i.agents, ',') AS agents,
       t.root_sponsor AS sponsor, coalesce(a.admin_grants, 0) > 0 AS admin,
       coalesce(c.active_credentials, 0) AS active_credentials, coalesce(o.open_findings, 0) AS open_findings,
       i.stale_observation
FROM r_identities i
LEFT JOIN agent_tree t ON t.agent_id = i.agents[1]
LEFT JOIN r_identity_grants a USING (provider, scope_id, identity_id)
LEFT JOIN credentials c USING (provider, scope_id, identity_id)
LEFT JOIN open_findings o USING (provider, scope_id, identity_id)
ORDER BY i.provider, i.scope_id, i.principal;

-- Revocations: the plan's actions with their state in the ledger (planned, held, dry_run,
-- refused, done, already_done, skipped, failed, verified, not_effective, undone), then the
-- actions the ledger knows that left the plan since (their findings resolved). A planned
-- action's provider call is spelled when it is shown (pipelines/report/records.py), from its
-- target; a left one's is the call the ledger recorded.
CREATE OR REPLACE TEMP VIEW published_revocations AS
SELECT * FROM (
    SELECT p.action_id, p.kind, p.provider, p.scope_id, p.principal, p.object, p.agent, p.findings, p.rules,
           p.cascade_from, p.pre_approved, p.trigger_at, p.sentence, p.held, p.first_planned, true AS in_plan,
           p.identity_id, p.identity_kind, p.identity_name, p.target,
           coalesce(s.state, CASE WHEN p.held THEN 'held' ELSE 'planned' END) AS state, s.state_at, s.state_reason,
           s.approver, s.lag_seconds
    FROM revocation_plan p LEFT JOIN _ledger_state s USING (action_id)
    UNION ALL BY NAME
    SELECT action_id, kind, provider, scope_id, principal, object, agent, findings, rules, false AS in_plan, state,
           state_at, state_reason, approver, lag_seconds, call, sentence
    FROM _ledger_state WHERE action_id NOT IN (SELECT action_id FROM revocation_plan)
)
ORDER BY in_plan DESC, kind, principal, action_id;
