-- id: USE-HUMAN-ON-NHI
-- title: Human login on a non-human identity
-- severity: 4
-- maps_to: [NHI10, PCI 8.6.1]
-- remediation: delete login profile
-- reads: [identities, credentials]
-- sla: default
-- clock: false
--
-- An identity bound to an agent can log in interactively: an AWS console password (login
-- profile), or an interactive sign-in credential of another provider.
SELECT c.provider, c.scope_id, c.identity_id, i.principal, 'login_profile' AS object, i.agents[1] AS agent_id,
       format('{} (agent {}) has a console password', i.principal, i.agents[1]) AS detail,
       to_json({password_last_used: c.last_used_at, password_last_changed: c.created_at,
                mfa_active: c.attributes ->> 'mfa_active'}) AS evidence,
       NULL::TIMESTAMPTZ AS trigger_at
FROM current_credentials c JOIN r_identities i USING (provider, scope_id, identity_id)
WHERE i.agents IS NOT NULL AND c.kind = 'password' AND c.status = 'active'
