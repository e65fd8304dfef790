-- gate: drop_guard
-- title: No sudden loss of identities
--
-- A scope whose identity count falls by more than the configured share (`max_identity_drop`,
-- 30 % by default) against its last published sync is held back: a broken extract must not
-- read as a mass deletion and turn into findings resolved or revocations planned. After a
-- legitimate clean-up, `idrift accept-drop SCOPE --reason TEXT` lets the next sync through.
WITH last_published AS (
    SELECT provider, scope_id, arg_max(identities_rows, run_seq) AS identities
    FROM scope_syncs WHERE identities_complete AND published GROUP BY ALL
), now AS (
    SELECT s.provider, s.scope_id, coalesce(n.identities, 0) AS identities
    FROM _staged_scopes s
    LEFT JOIN (SELECT provider, scope_id, count(*) AS identities FROM _staged_identities GROUP BY ALL) n
        USING (provider, scope_id)
    WHERE s.identities_complete
)
SELECT n.provider, n.scope_id, l.identities - n.identities AS failures,
       format('identities fell from {} to {} ({}%, more than {}%) since its last published sync',
              l.identities, n.identities, round(100 * (l.identities - n.identities) / l.identities)::INTEGER,
              round(100 * g.max_identity_drop)::INTEGER) AS reason
FROM now n JOIN last_published l USING (provider, scope_id) CROSS JOIN _gate_settings g
WHERE l.identities > 0 AND n.identities < l.identities * (1 - g.max_identity_drop)
  AND NOT EXISTS (SELECT 1 FROM accepted_drops a
                  WHERE a.provider = n.provider AND a.scope_id = n.scope_id AND a.used_run_seq IS NULL)
