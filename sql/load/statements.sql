-- New statements of a staged scope (`_staged_statements`), with their matching columns.
-- A NotAction statement stands for every catalogue action its NotAction does not cover: a
-- service left whole as `service:*` (the same set, so containment judges it exactly as its
-- actions one by one, unless allowances cover the service only in parts), the rest action by
-- action.
INSERT INTO statements BY NAME
WITH new AS (
    SELECT DISTINCT n.* FROM _staged_statements n
    WHERE NOT EXISTS (SELECT 1 FROM statements s WHERE s.statement_id = n.statement_id)
), not_action_globs AS (
    -- what a NotAction leaves depends on its list alone: expand each distinct list once
    SELECT not_actions, list_transform(not_actions, lambda x: iam_glob(lower(x))) AS globs
    FROM (SELECT DISTINCT not_actions FROM new WHERE not_actions IS NOT NULL)
), services AS (
    SELECT split_part(key, ':', 1) AS service, count(*) AS actions FROM aws_actions GROUP BY ALL
), left_over AS (
    SELECT g.not_actions, split_part(a.key, ':', 1) AS service, list(a.key ORDER BY a.key) AS keys
    FROM not_action_globs g CROSS JOIN aws_actions a
    WHERE NOT iam_covered(a.key, g.globs)
    GROUP BY ALL
), remaining AS (
    SELECT l.not_actions,
           flatten(list(CASE WHEN len(l.keys) = s.actions THEN [l.service || ':' || chr(1)] ELSE l.keys END
                        ORDER BY l.service)) AS keys,
           bool_or(l.service = 'iam' AND len(l.keys) = s.actions) AS leaves_all_iam
    FROM left_over l JOIN services s USING (service)
    GROUP BY l.not_actions
), keyed AS (
    SELECT n.*,
           CASE WHEN n.not_actions IS NOT NULL THEN coalesce(r.keys, [])
                ELSE list_transform(coalesce(n.actions, []), lambda x: iam_key(lower(x))) END AS action_keys,
           CASE WHEN n.not_resources IS NOT NULL THEN [chr(1)]
                ELSE list_transform(coalesce(n.resources, []), lambda x: iam_key(x)) END AS resource_keys,
           coalesce(r.leaves_all_iam, false) AS leaves_all_iam
    FROM new n LEFT JOIN remaining r ON r.not_actions = n.not_actions
)
SELECT * EXCLUDE (leaves_all_iam),
       -- the covering side is only ever a Deny's (an Allow is covered, never covers)
       CASE WHEN effect = 'Deny' THEN list_transform(action_keys, lambda k: iam_glob(iam_unkey(k))) END AS action_globs,
       CASE WHEN effect = 'Deny' AND not_resources IS NULL THEN list_transform(resources, lambda x: iam_glob(x)) END
           AS resource_globs,
       CASE WHEN effect = 'Deny' THEN list_transform(not_resources, lambda x: iam_glob(x)) END AS not_resource_globs,
       effect = 'Allow' AND (list_has_any(action_keys, [chr(1), chr(1) || ':' || chr(1), 'iam:' || chr(1)])
                             OR leaves_all_iam) AS admin
FROM keyed;
