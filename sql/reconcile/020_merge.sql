-- The lifecycle (findings.md, "The finding record"): a final finding not seen before opens (or
-- is suppressed at once); one seen before keeps its id and `first_seen`, and reopens if it was
-- resolved; an open or suppressed finding of a rule evaluated in this phase that is no longer
-- raised resolves, unless its (rule, scope) is frozen by a stale observation. Every change of
-- status is appended to `finding_events`.
INSERT INTO finding_events
SELECT (SELECT run_seq FROM run_context), n.id,
       CASE WHEN f.id IS NULL THEN CASE n.status WHEN 'open' THEN 'opened' ELSE 'suppressed' END
            WHEN f.status = 'resolved' THEN CASE n.status WHEN 'open' THEN 'reopened' ELSE 'suppressed' END
            WHEN n.status = 'suppressed' THEN 'suppressed'
            ELSE 'unsuppressed' END,
       clock_now()
FROM _final n LEFT JOIN findings f USING (id)
WHERE f.id IS NULL OR f.status <> n.status;

UPDATE findings f SET
    status = n.status, title = n.title, severity = n.severity, severity_name = severity_name(n.severity),
    agent = n.agent_id, sponsor = n.sponsor, chain = n.chain, principal = n.principal, detail = n.detail,
    evidence = n.evidence, pairs = n.pairs, suppressed_by = n.suppressed_by, stale_observation = n.stale_observation,
    last_seen = clock_now(), last_run_seq = (SELECT run_seq FROM run_context),
    resolved_at = NULL,
    reopened_at = CASE WHEN f.status = 'resolved' THEN clock_now() ELSE f.reopened_at END,
    trigger_at = coalesce(n.trigger_at, CASE WHEN f.status = 'resolved' THEN clock_now() ELSE f.trigger_at END)
FROM _final n WHERE f.id = n.id;

INSERT INTO findings BY NAME
SELECT n.id, n.rule, n.title, n.severity, severity_name(n.severity) AS severity_name, n.status, n.agent_id AS agent,
       n.sponsor, n.chain, n.provider, n.scope_id AS scope, n.principal, n.identity_id, n.object, n.detail, n.evidence,
       n.pairs, coalesce(n.trigger_at, clock_now()) AS trigger_at, clock_now() AS first_seen, clock_now() AS last_seen,
       n.stale_observation, n.suppressed_by, (SELECT run_seq FROM run_context) AS last_run_seq
FROM _final n WHERE NOT EXISTS (SELECT 1 FROM findings f WHERE f.id = n.id);

CREATE OR REPLACE TEMP TABLE _resolved AS
SELECT f.id FROM findings f
WHERE f.status IN ('open', 'suppressed') AND f.rule IN (SELECT rule FROM _phase_rules)
  AND NOT EXISTS (SELECT 1 FROM _final n WHERE n.id = f.id)
  AND NOT EXISTS (SELECT 1 FROM _frozen z WHERE z.rule = f.rule AND z.provider = f.provider AND z.scope_id = f.scope);

INSERT INTO finding_events SELECT (SELECT run_seq FROM run_context), id, 'resolved', clock_now() FROM _resolved;

UPDATE findings SET status = 'resolved', resolved_at = clock_now(), last_run_seq = (SELECT run_seq FROM run_context)
WHERE id IN (SELECT id FROM _resolved);
