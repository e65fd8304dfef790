-- Observations as intervals (SCD-2).
--
-- Each row is one version of an entity, valid from the run `valid_from` (inclusive) until the run
-- `valid_to` (exclusive; NULL = still current). Only a complete, published sync of a scope's
-- entity type opens or closes intervals, so an incomplete sync changes nothing, an unchanged sync
-- writes nothing, and "who held what at run N" is:
--     valid_from <= N AND (valid_to IS NULL OR valid_to > N)
-- Keys are immutable provider ids (AWS UserId/RoleId ...); names and ARNs are attributes.
-- `row_hash` covers every attribute: a changed attribute closes the old version and opens a new one.

CREATE TABLE IF NOT EXISTS identity_history (
    provider                   VARCHAR NOT NULL,
    scope_id                   VARCHAR NOT NULL,
    identity_id                VARCHAR NOT NULL,
    principal                  VARCHAR NOT NULL,
    name                       VARCHAR,
    kind                       VARCHAR NOT NULL,
    path                       VARCHAR,
    email                      VARCHAR,
    created_at                 TIMESTAMPTZ,
    disabled                   BOOLEAN,
    provider_managed           BOOLEAN,
    last_authenticated_at      TIMESTAMPTZ,
    last_authenticated_source  VARCHAR,
    tags                       JSON,
    attributes                 JSON,
    row_hash                   UBIGINT NOT NULL,
    valid_from                 INTEGER NOT NULL,
    valid_to                   INTEGER
);

CREATE TABLE IF NOT EXISTS credential_history (
    provider           VARCHAR NOT NULL,
    scope_id           VARCHAR NOT NULL,
    credential_id      VARCHAR NOT NULL,
    identity_id        VARCHAR NOT NULL,
    kind               VARCHAR NOT NULL,
    status             VARCHAR NOT NULL,
    created_at         TIMESTAMPTZ,
    expires_at         TIMESTAMPTZ,
    last_used_at       TIMESTAMPTZ,
    last_used_service  VARCHAR,
    last_used_region   VARCHAR,
    last_used_source   VARCHAR,
    attributes         JSON,
    row_hash           UBIGINT NOT NULL,
    valid_from         INTEGER NOT NULL,
    valid_to           INTEGER
);

-- One row per policy statement (or binding) reaching an identity, keyed by where it comes from:
-- `source` is what a finding names (policy ARN, inline:<name>, group:<group>/<policy>), `path`
-- is direct | inline | group, `policy_arn` is set for managed policies. The statement text lives
-- once in `statements`; an edited policy is a new version of the same grant.
CREATE TABLE IF NOT EXISTS grant_history (
    provider         VARCHAR NOT NULL,
    scope_id         VARCHAR NOT NULL,
    identity_id      VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    statement_index  INTEGER NOT NULL,
    grant_kind       VARCHAR NOT NULL,
    path             VARCHAR NOT NULL,
    policy_arn       VARCHAR,
    statement_id     VARCHAR NOT NULL,
    row_hash         UBIGINT NOT NULL,
    valid_from       INTEGER NOT NULL,
    valid_to         INTEGER
);

-- Content-addressed and immutable: a statement id always means the same text. The matching
-- columns are derived once, when a statement is first seen (sql/views/005_patterns.sql):
-- `action_keys` / `resource_keys` are what the statement grants (a NotAction statement: every
-- catalogue action it does not exclude; a NotResource one: `*`), `*_globs` (Deny statements
-- only) what it covers when it subtracts.
CREATE TABLE IF NOT EXISTS statements (
    statement_id        VARCHAR NOT NULL,    -- unique: only statements not yet here are inserted
    effect              VARCHAR NOT NULL,
    sid                 VARCHAR,
    actions             VARCHAR[],
    not_actions         VARCHAR[],
    resources           VARCHAR[],
    not_resources       VARCHAR[],
    condition           JSON,
    action_keys         VARCHAR[] NOT NULL,
    resource_keys       VARCHAR[] NOT NULL,
    action_globs        VARCHAR[],
    resource_globs      VARCHAR[],           -- null for NotResource: see not_resource_globs
    not_resource_globs  VARCHAR[],
    admin               BOOLEAN NOT NULL     -- an Allow of `*`, `*:*` or `iam:*` (or NotAction leaving all of iam)
);

CREATE TABLE IF NOT EXISTS edge_history (
    provider            VARCHAR NOT NULL,
    scope_id            VARCHAR NOT NULL,
    edge_id             VARCHAR NOT NULL,
    edge_type           VARCHAR NOT NULL,
    source              VARCHAR NOT NULL,
    source_kind         VARCHAR NOT NULL,
    source_scope        VARCHAR,
    target_identity_id  VARCHAR NOT NULL,
    target_principal    VARCHAR NOT NULL,
    statement_index     INTEGER,
    effect              VARCHAR,
    actions             VARCHAR[],
    condition           JSON,
    row_hash            UBIGINT NOT NULL,
    valid_from          INTEGER NOT NULL,
    valid_to            INTEGER
);

-- People from the HR feed (id, email, status, terminated_at, manager), as intervals too, so a
-- sponsor's status on any past date is a query.
CREATE TABLE IF NOT EXISTS person_history (
    source         VARCHAR NOT NULL,   -- the HR feed's name (its file)
    person_id      VARCHAR NOT NULL,
    email          VARCHAR,
    status         VARCHAR NOT NULL,
    terminated_at  TIMESTAMPTZ,
    manager        VARCHAR,
    row_hash       UBIGINT NOT NULL,
    valid_from     INTEGER NOT NULL,
    valid_to       INTEGER
);
