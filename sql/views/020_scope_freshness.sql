-- Per scope and entity type: the last complete, published observation (what rules may use) and
-- whether the latest sync since then failed to refresh it. `stale_observation` is the age of the
-- observation when it is stale (findings.md, "Which observations a rule may use").
CREATE OR REPLACE VIEW scope_freshness AS
WITH last_attempt AS (
    SELECT provider, scope_id, entity, max(run_seq) AS last_attempt_seq
    FROM scope_entity_syncs GROUP BY ALL
), last_complete AS (
    SELECT provider, scope_id, entity, max(run_seq) AS observed_seq, arg_max(ended_at, run_seq) AS observed_at
    FROM scope_entity_syncs WHERE complete AND published GROUP BY ALL
)
SELECT a.provider, a.scope_id, a.entity, a.last_attempt_seq, c.observed_seq, c.observed_at,
       c.observed_seq IS NULL OR c.observed_seq < a.last_attempt_seq AS stale,
       CASE WHEN c.observed_seq < a.last_attempt_seq THEN clock_now() - c.observed_at END AS stale_observation
FROM last_attempt a LEFT JOIN last_complete c USING (provider, scope_id, entity);
