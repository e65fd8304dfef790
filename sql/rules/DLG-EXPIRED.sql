-- id: DLG-EXPIRED
-- title: Agent past its expiry
-- severity: 4
-- maps_to: [ASI03, AC-2(3)(a)]
-- remediation: disable_identity, deactivate credentials (pre-approved)
-- reads: [identities]
-- sla: expired
-- clock: true
-- stale_ok: true
--
-- The agent's `expires` (its own, else inherited from the nearest ancestor that has one) has
-- passed and one of its identities is not disabled. Raised on each such identity, from the
-- last complete observation even when the scope's latest sync failed. The trigger is the expiry.
SELECT i.provider, i.scope_id, i.identity_id, i.principal, NULL AS object, t.agent_id,
       format('agent {} expired on {} and {} can still act', t.agent_id, strftime(t.expires, '%Y-%m-%d %H:%M UTC'),
              i.principal) AS detail,
       to_json({expires: t.expires, inherited: a.expires IS NULL, disabled: i.disabled}) AS evidence,
       t.expires AS trigger_at
FROM r_bindings b
JOIN r_identities i USING (provider, scope_id, identity_id)
JOIN agent_tree t USING (agent_id)
JOIN model_agents a USING (agent_id)
WHERE t.expires <= clock_now() AND i.disabled IS NOT TRUE
