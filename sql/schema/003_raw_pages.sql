-- Where each run's raw API pages and staged files are kept (they stay in the staging store,
-- compressed, for `retention_days`, then are pruned; this table remembers what was pruned).
CREATE TABLE IF NOT EXISTS staging_runs (
    run_id      VARCHAR PRIMARY KEY,
    url         VARCHAR NOT NULL,
    raw_pages   BIGINT NOT NULL,
    pruned_at   TIMESTAMPTZ
);
