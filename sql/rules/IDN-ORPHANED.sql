-- id: IDN-ORPHANED
-- title: Sponsor gone
-- severity: 4
-- maps_to: [NHI1, ASI03, AC-2(3)(b), PCI 8.2.5]
-- remediation: disable every identity in the chain, deactivate its credentials
-- reads: [identities]
-- sla: sponsor_inactive
-- clock: true
-- stale_ok: true
--
-- The sponsor at the root of an agent's delegation chain is missing (neither the HR feed nor
-- the model knows them), suspended or terminated, and an identity of an agent in that chain is
-- not disabled. Raised on each such identity, from the scope's last complete observation even
-- when its latest sync failed (the finding is then marked stale). The trigger is the
-- termination instant, or when the HR feed first showed the status.
SELECT i.provider, i.scope_id, i.identity_id, i.principal, NULL AS object, t.agent_id,
       format('the sponsor {} of agent {} is {}, and {} can still act', t.root_sponsor, t.agent_id, s.status,
              i.principal) AS detail,
       to_json({sponsor: t.root_sponsor, sponsor_status: s.status, status_source: s.status_source,
                terminated_at: s.terminated_at, disabled: i.disabled}) AS evidence,
       s.status_since AS trigger_at
FROM r_bindings b
JOIN r_identities i USING (provider, scope_id, identity_id)
JOIN agent_tree t USING (agent_id)
JOIN sponsor_status s ON s.sponsor_id = t.root_sponsor
WHERE s.status IN ('missing', 'suspended', 'terminated') AND i.disabled IS NOT TRUE
