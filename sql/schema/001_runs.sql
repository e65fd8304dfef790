-- Runs and per-scope syncs.
--
-- A run is one pass of idrift (CLI `idrift run` or a Dagster job); `run_seq` orders runs and is
-- what the observation intervals below refer to. `scope_syncs` holds one row per run and scope
-- with the completeness of each entity type: a rule may only use a scope's entity type from its
-- last sync where that type was complete AND published (see findings.md, "Which observations a
-- rule may use").

CREATE SEQUENCE IF NOT EXISTS run_seq_source START 1;

CREATE TABLE IF NOT EXISTS runs (
    run_seq      INTEGER PRIMARY KEY,
    run_id       VARCHAR NOT NULL UNIQUE,   -- sortable: 20261203T213600Z-1a2b3c
    started_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ,
    trigger      VARCHAR,                    -- cli | schedule | sensor | test
    event_at     TIMESTAMPTZ                 -- what a sensor saw change, when a run answers it
);

CREATE TABLE IF NOT EXISTS scope_syncs (
    run_seq               INTEGER NOT NULL,
    run_id                VARCHAR NOT NULL,
    provider              VARCHAR NOT NULL,
    scope_id              VARCHAR NOT NULL,
    environment           VARCHAR,
    started_at            TIMESTAMPTZ,
    ended_at              TIMESTAMPTZ,
    status                VARCHAR NOT NULL,  -- complete | incomplete | failed
    identities_complete   BOOLEAN NOT NULL,
    credentials_complete  BOOLEAN NOT NULL,
    grants_complete       BOOLEAN NOT NULL,
    edges_complete        BOOLEAN NOT NULL,
    identities_rows       BIGINT NOT NULL,
    credentials_rows      BIGINT NOT NULL,
    grants_rows           BIGINT NOT NULL,
    edges_rows            BIGINT NOT NULL,
    reasons               JSON,              -- entity type -> why it is incomplete
    freshness             JSON,              -- e.g. aws_credential_report_generated_at
    stats                 JSON,              -- api calls, throttled responses, retries, raw pages
    error                 VARCHAR,           -- why the scope failed as a whole
    published             BOOLEAN NOT NULL,  -- false when a quality gate held the sync back
    held_reason           VARCHAR,
    digests               JSON,              -- staged file -> sha256: a scope staged as last time is not read again
    PRIMARY KEY (run_seq, provider, scope_id)
);

-- Every publication gate's verdict on every scope of every run (sql/gates/): a scope with one
-- failed gate is held back (scope_syncs.published = false) and its last published data stays
-- current.
CREATE TABLE IF NOT EXISTS gate_results (
    run_seq   INTEGER NOT NULL,
    provider  VARCHAR NOT NULL,
    scope_id  VARCHAR NOT NULL,
    gate      VARCHAR NOT NULL,
    passed    BOOLEAN NOT NULL,
    failures  BIGINT NOT NULL,
    reason    VARCHAR
);

-- `idrift accept-drop`: who let which scope's next sync through the drop guard, and why.
CREATE TABLE IF NOT EXISTS accepted_drops (
    provider      VARCHAR NOT NULL,
    scope_id      VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL,
    accepted_by   VARCHAR NOT NULL,
    accepted_at   TIMESTAMPTZ NOT NULL,
    used_run_seq  INTEGER          -- the sync it let through
);
