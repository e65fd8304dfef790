-- id: IDN-MISSING
-- title: Declared identity not found
-- severity: 1
-- maps_to: [AC-2]
-- remediation: none (model drift to fix)
-- reads: [identities]
-- sla: none
-- clock: false
--
-- A principal named under an agent's `identities` does not exist in its scope, and that scope
-- synced its identities completely. A principal of a scope idrift does not sync (or did not
-- sync completely) is unknown, never missing.
SELECT provider, scope_id, principal AS identity_id, principal, NULL AS object, agent_id,
       format('agent {} declares {}, which {} scope {} does not have', agent_id, principal, provider, scope_id)
           AS detail,
       to_json({declared_by: agent_id}) AS evidence,
       NULL::TIMESTAMPTZ AS trigger_at
FROM r_declared_identities
WHERE state = 'missing'
