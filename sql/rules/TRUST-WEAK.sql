-- id: TRUST-WEAK
-- title: Weak federation or cross-account trust
-- severity: 4
-- maps_to: [NHI6, NHI3]
-- remediation: remove_trust (approval)
-- reads: [identities, edges]
-- sla: default
-- clock: false
--
-- A role, bound or not, whose trust policy has a weak Allow statement (findings.md, "Edges and
-- trust"): it trusts `*` with no condition on aws:PrincipalAccount, aws:PrincipalOrgID,
-- aws:SourceAccount or aws:PrincipalArn; or an OIDC provider with no condition on its `:sub`
-- claim, or a `:sub` pattern whose organisation part is a wildcard (`*`, `repo:*`, `repo:*/*`;
-- `repo:acme/*` is not weak); or a principal or account root of an account idrift does not
-- sync, with no sts:ExternalId condition. Once per weak statement.
WITH trust AS (
    SELECT * FROM current_edges WHERE edge_type = 'aws_trust' AND effect = 'Allow'
), conditions AS (
    SELECT t.edge_id, list(DISTINCT lower(k.key)) AS keys,
           flatten(list(CASE WHEN lower(k.key) LIKE '%:sub'
                             THEN CASE json_type(k.value) WHEN 'ARRAY' THEN from_json(k.value, '["VARCHAR"]')
                                       ELSE [k.value ->> '$'] END END)) AS sub_values
    FROM trust t, json_each(t.condition) AS o, json_each(o.value) AS k
    GROUP BY t.edge_id
), synced AS (
    SELECT scope_id FROM scope_freshness WHERE provider = 'aws' AND entity = 'identities' AND observed_seq IS NOT NULL
), judged AS (
    SELECT t.*, coalesce(c.keys, []) AS keys, coalesce(c.sub_values, []) AS sub_values,
           CASE
               WHEN t.source_kind = 'any'
                    AND NOT list_has_any(coalesce(c.keys, []), ['aws:principalaccount', 'aws:principalorgid',
                                                               'aws:sourceaccount', 'aws:principalarn'])
                   THEN 'any-principal'
               WHEN t.source_kind = 'federated' AND t.source NOT LIKE '%:saml-provider/%'
                    AND NOT any_true(list_transform(coalesce(c.keys, []), lambda k: k LIKE '%:sub'))
                   THEN 'oidc-without-sub'
               WHEN t.source_kind = 'federated' AND t.source NOT LIKE '%:saml-provider/%'
                    AND any_true(list_transform(c.sub_values, lambda v: regexp_matches(v, '^([*?]|[^:]*:[*?])')))
                   THEN 'oidc-wildcard-sub'
               WHEN t.source_kind IN ('principal', 'account_root') AND t.source_scope NOT IN (SELECT scope_id FROM synced)
                    AND NOT list_contains(coalesce(c.keys, []), 'sts:externalid')
                   THEN 'foreign-without-external-id'
           END AS weakness
    FROM trust t LEFT JOIN conditions c USING (edge_id)
), statements AS (
    SELECT provider, scope_id, target_identity_id AS identity_id, target_principal AS principal, statement_index,
           list(DISTINCT weakness ORDER BY weakness) AS weaknesses,
           list({source: source, weakness: weakness, condition: condition} ORDER BY source) AS principals
    FROM judged WHERE weakness IS NOT NULL GROUP BY ALL
)
SELECT s.provider, s.scope_id, s.identity_id, s.principal,
       format('statement {}: {}', s.statement_index, array_to_string(s.weaknesses, ', ')) AS object,
       i.agents[1] AS agent_id,
       format('the trust policy of {} lets {} assume it ({})', s.principal,
              array_to_string(list_transform(s.principals, lambda p: p.source), ', '),
              array_to_string(s.weaknesses, ', ')) AS detail,
       to_json({statement_index: s.statement_index, weaknesses: s.weaknesses, principals: s.principals}) AS evidence,
       NULL::TIMESTAMPTZ AS trigger_at
FROM statements s JOIN r_identities i USING (provider, scope_id, identity_id)
