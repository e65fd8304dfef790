-- id: CRD-LONG-LIVED
-- title: Credential past rotation age
-- severity: 3
-- maps_to: [NHI7, CIS AWS 2.12, CIS GCP 1.7, PCI 8.6.3]
-- remediation: deactivate_credential after rotation (approval)
-- reads: [identities, credentials]
-- sla: default
-- clock: true
--
-- On a non-human identity, bound or not, an active key, secret or certificate (passwords are
-- USE-HUMAN-ON-NHI's) older than `max_credential_age`, or valid for longer than that from its
-- creation (a GCP key valid until 9999, a multi-year Entra secret). AWS access keys have no
-- expiry: only their age counts.
SELECT c.provider, c.scope_id, c.identity_id, i.principal, c.credential_id AS object, i.agents[1] AS agent_id,
       CASE WHEN c.created_at < clock_now() - i.max_credential_age
            THEN format('{} {} of {} was created on {}, more than {} ago', c.kind, c.credential_id, i.principal,
                        strftime(c.created_at, '%Y-%m-%d'), i.max_credential_age)
            ELSE format('{} {} of {} is valid until {}, more than {} after its creation', c.kind, c.credential_id,
                        i.principal, strftime(c.expires_at, '%Y-%m-%d'), i.max_credential_age) END AS detail,
       to_json({kind: c.kind, created_at: c.created_at, expires_at: c.expires_at,
                max_credential_age: i.max_credential_age::VARCHAR}) AS evidence,
       NULL::TIMESTAMPTZ AS trigger_at
FROM current_credentials c JOIN r_identities i USING (provider, scope_id, identity_id)
WHERE NOT i.is_person AND c.status = 'active' AND c.kind <> 'password'
  AND (c.created_at < clock_now() - i.max_credential_age OR c.expires_at - c.created_at > i.max_credential_age)
