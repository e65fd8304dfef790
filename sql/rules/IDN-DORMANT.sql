-- id: IDN-DORMANT
-- title: Dormant identity
-- severity: 3
-- maps_to: [NHI1, AC-2(3)(d), PCI 8.2.6]
-- remediation: disable_identity
-- reads: [identities]
-- sla: default
-- clock: true
--
-- A non-human identity, bound or not, that is not disabled and has not authenticated (role
-- last used, newest credential use, console login, sign-in activity) within `inactive_after`
-- (the strictest override of its agents, else the setting), or never authenticated and was
-- created longer ago than that. An identity whose state the provider did not report (an AWS
-- user missing from the credential report) is not judged.
SELECT provider, scope_id, identity_id, principal, NULL AS object, agents[1] AS agent_id,
       CASE WHEN last_authenticated_at IS NULL
            THEN format('{} never authenticated since it was created on {}', principal, strftime(created_at, '%Y-%m-%d'))
            ELSE format('{} last authenticated on {} ({})', principal, strftime(last_authenticated_at, '%Y-%m-%d'),
                        last_authenticated_source) END AS detail,
       to_json({last_authenticated_at: last_authenticated_at, last_authenticated_source: last_authenticated_source,
                created_at: created_at, inactive_after: inactive_after::VARCHAR}) AS evidence,
       NULL::TIMESTAMPTZ AS trigger_at
FROM r_identities
WHERE NOT is_person AND disabled = false
  AND coalesce(last_authenticated_at, created_at) < clock_now() - inactive_after
