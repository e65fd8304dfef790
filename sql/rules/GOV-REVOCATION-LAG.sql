-- id: GOV-REVOCATION-LAG
-- title: Revocation slower than its SLA
-- severity: 4
-- maps_to: [AC-2(3), PCI 8.2.5, tempo alignment]
-- remediation: escalate
-- reads: [identities]
-- sla: none
-- clock: true
-- stale_ok: true
-- phase: 2
--
-- A finding whose remediation revokes access is still open longer after its trigger (the
-- sponsor's termination, the expiry, the finding opening or reopening) than its SLA in
-- `settings.revocation.sla`: `sponsor_inactive` for a gone sponsor, `expired` for an expired
-- agent, `default` for the rest. Raised on the identity, with the late finding's id as the
-- object; it resolves when the late finding does, which is when a sync no longer observes the
-- access (the sync that verifies a revocation resolves the findings it closes). The lag of each
-- verified revocation, from its trigger to that sync, is kept in the ledger and the report.
SELECT f.provider, f.scope AS scope_id, f.identity_id, f.principal, f.id AS object, f.agent AS agent_id,
       format('{} on {} has been open for {} since its trigger; its SLA is {}', f.rule, f.principal,
              date_trunc('minute', clock_now() - f.since), f.sla) AS detail,
       to_json({finding: f.id, rule: f.rule, since: f.since, sla: f.sla::VARCHAR,
                late_by: (clock_now() - f.since - f.sla)::VARCHAR}) AS evidence,
       f.since AS trigger_at
FROM (
    SELECT f.*, coalesce(f.reopened_at, f.trigger_at, f.first_seen) AS since,
           CASE r.sla WHEN 'sponsor_inactive' THEN st.sla_sponsor_inactive WHEN 'expired' THEN st.sla_expired
                      ELSE st.sla_default END AS sla
    FROM findings f JOIN r_rules r USING (rule) CROSS JOIN model_settings st
    WHERE f.status = 'open' AND r.sla <> 'none' AND f.provider <> 'model'
) f
WHERE clock_now() - f.since > f.sla
