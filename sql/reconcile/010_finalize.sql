-- The candidates of this phase (`_candidates`, from the rules evaluated and the findings carried
-- over) become final findings: stable id, the sync run they were observed in (`observed_run` in
-- the evidence), catalogue title and severity (raised one step for an
-- identity holding an admin-equivalent entitlement), chain [sponsor, root agent, ..., agent], staleness, and the exceptions that
-- suppress them. Candidates of a (rule, scope) whose observation is stale are dropped (`_frozen`):
-- their findings stay exactly as they were.
CREATE OR REPLACE TEMP TABLE _final AS
WITH kept AS (
    SELECT c.*, substr(sha256(concat_ws('|', c.rule, c.provider, c.scope_id, c.identity_id, coalesce(c.object, ''))), 1, 16)
               AS id
    FROM _candidates c
    WHERE NOT EXISTS (SELECT 1 FROM _frozen z WHERE z.rule = c.rule AND z.provider = c.provider AND z.scope_id = c.scope_id)
    QUALIFY row_number() OVER (PARTITION BY id ORDER BY c.agent_id NULLS LAST) = 1
), chains AS (
    SELECT agent_id, list(ancestor ORDER BY distance DESC) AS ancestors
    FROM agent_ancestors WHERE agent_id IN (SELECT agent_id FROM kept) GROUP BY agent_id
), enriched AS (
    SELECT k.* REPLACE (json_merge_patch(k.evidence, json_object('observed_run', o.run_id)) AS evidence),
           r.title, least(5, r.severity + CASE WHEN a.admin_grants > 0 THEN 1 ELSE 0 END) AS severity,
           t.root_sponsor AS sponsor,
           CASE WHEN t.agent_id IS NOT NULL THEN list_concat([t.root_sponsor], coalesce(c.ancestors, []), [t.agent_id])
           END AS chain,
           s.stale_observation
    FROM kept k
    JOIN r_rules r USING (rule)
    LEFT JOIN r_identity_grants a USING (provider, scope_id, identity_id)
    LEFT JOIN agent_tree t USING (agent_id)
    LEFT JOIN chains c USING (agent_id)
    LEFT JOIN (SELECT f.provider, f.scope_id, r.run_id FROM scope_freshness f JOIN runs r ON r.run_seq = f.observed_seq
               WHERE f.entity = 'identities') o USING (provider, scope_id)
    LEFT JOIN _stale s USING (rule, provider, scope_id)
), active_exceptions AS (
    SELECT * FROM model_exceptions WHERE expires > clock_now()
), applies AS (
    -- exceptions naming this finding's rule and subject, within their scope / object globs
    SELECT e.id, x.*
    FROM enriched e JOIN active_exceptions x ON x.rule = e.rule
    WHERE (x.agent_id = e.agent_id OR (x.agent_id IS NULL AND e.principal GLOB x.principal))
      AND (x.scope IS NULL OR e.scope_id GLOB x.scope)
      AND (x.object IS NULL OR coalesce(e.object, '') GLOB x.object)
), whole AS (
    SELECT id, list({reason: reason, approved_by: approved_by, expires: expires} ORDER BY exception_index) AS exceptions
    FROM applies WHERE action IS NULL AND resource IS NULL GROUP BY id
), pair_matches AS (
    -- an exception narrowed by action / resource covers the pairs inside its globs
    SELECT e.id, p.pair, list({reason: x.reason, approved_by: x.approved_by, expires: x.expires}) AS exceptions
    FROM enriched e, unnest(e.pairs) AS p(pair)
    JOIN applies x ON x.id = e.id AND (x.action IS NOT NULL OR x.resource IS NOT NULL)
    WHERE (x.action IS NULL OR iam_key(lower(p.pair.action)) GLOB iam_glob(lower(x.action)))
      AND (x.resource IS NULL OR iam_key(p.pair.resource) GLOB iam_glob(x.resource))
    GROUP BY ALL
), by_pairs AS (
    SELECT id, list(pair) AS excepted, list_distinct(flatten(list(exceptions))) AS exceptions FROM pair_matches GROUP BY id
)
SELECT e.* EXCLUDE (evidence),
       CASE WHEN w.id IS NOT NULL OR len(bp.excepted) = len(e.pairs) THEN 'suppressed' ELSE 'open' END AS status,
       CASE WHEN bp.id IS NOT NULL AND len(bp.excepted) < len(e.pairs)
            THEN json_merge_patch(e.evidence, to_json({excepted: bp.excepted,
                                                       not_excepted: list_filter(e.pairs, lambda p: NOT list_contains(bp.excepted, p))}))
            ELSE e.evidence END AS evidence,
       CASE WHEN w.id IS NOT NULL THEN to_json(w.exceptions)
            WHEN len(bp.excepted) = len(e.pairs) THEN to_json(bp.exceptions) END AS suppressed_by
FROM enriched e LEFT JOIN whole w USING (id) LEFT JOIN by_pairs bp USING (id);
