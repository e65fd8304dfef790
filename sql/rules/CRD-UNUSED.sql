-- id: CRD-UNUSED
-- title: Unused credential
-- severity: 3
-- maps_to: [NHI7, AC-2(3)(d), CIS AWS 2.11]
-- remediation: deactivate_credential
-- reads: [identities, credentials]
-- sla: default
-- clock: true
--
-- On a non-human identity, bound or not, an active access key, secret, certificate or
-- password last used longer ago than `unused_credential_after` (never used: created longer ago
-- than that).
SELECT c.provider, c.scope_id, c.identity_id, i.principal, c.credential_id AS object, i.agents[1] AS agent_id,
       CASE WHEN c.last_used_at IS NULL
            THEN format('{} {} of {} was never used since {}', c.kind, c.credential_id, i.principal,
                        strftime(c.created_at, '%Y-%m-%d'))
            ELSE format('{} {} of {} was last used on {}', c.kind, c.credential_id, i.principal,
                        strftime(c.last_used_at, '%Y-%m-%d')) END AS detail,
       to_json({kind: c.kind, created_at: c.created_at, last_used_at: c.last_used_at,
                last_used_service: c.last_used_service, last_used_source: c.last_used_source,
                unused_credential_after: i.unused_credential_after::VARCHAR}) AS evidence,
       NULL::TIMESTAMPTZ AS trigger_at
FROM current_credentials c JOIN r_identities i USING (provider, scope_id, identity_id)
WHERE NOT i.is_person AND c.status = 'active'
  AND coalesce(c.last_used_at, c.created_at) < clock_now() - i.unused_credential_after
