-- id: IDN-UNDECLARED
-- title: Undeclared (shadow) non-human identity
-- severity: 3
-- maps_to: [NHI1, ASI10, ISO A.5.16, AC-2]
-- remediation: notify, then disable_identity (approval)
-- reads: [identities]
-- sla: default
-- clock: true
--
-- A non-human identity exists in a synced scope and no agent of the declared model binds it.
-- Not raised for a person's own account (its login or email is a sponsor's or an HR person's),
-- a provider-managed identity, idrift's own roles, a principal matching `settings.ignore`, a
-- disabled identity, or one younger than `settings.undeclared_grace` (counted from the
-- provider's creation time, else from when idrift first saw it). An `owner` tag names a
-- candidate sponsor, shown in the evidence; it does not make the identity declared.
SELECT i.provider, i.scope_id, i.identity_id, i.principal, NULL AS object, NULL AS agent_id,
       format('{} {} is bound to no agent of the declared model', i.kind, i.principal)
           || CASE WHEN owner IS NOT NULL THEN format(' (its owner tag names {})', owner) ELSE '' END AS detail,
       to_json({kind: i.kind, created_at: i.created_at, first_seen: i.first_seen, owner_tag: owner,
                last_authenticated_at: i.last_authenticated_at}) AS evidence,
       NULL::TIMESTAMPTZ AS trigger_at
FROM (SELECT *, coalesce(tags ->> 'owner', tags ->> 'Owner', tags ->> 'OWNER') AS owner FROM r_identities) i
CROSS JOIN model_settings st
WHERE i.agents IS NULL AND NOT i.is_person AND NOT i.ignored AND i.disabled IS NOT TRUE
  AND coalesce(i.created_at, i.first_seen) <= clock_now() - st.undeclared_grace
