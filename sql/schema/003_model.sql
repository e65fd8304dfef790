-- The declared model, replaced as a whole when its content hash changes
-- (pipelines/model/tables.py). Column meanings are those of declared-model.md. Ids are unique
-- because the model loader rejects duplicates; no index is kept, as the tables are only ever
-- rewritten whole and read in bulk.

CREATE TABLE IF NOT EXISTS model_agents (
    agent_id                 VARCHAR NOT NULL,
    kind                     VARCHAR NOT NULL,
    sponsor                  VARCHAR,
    delegated_by             VARCHAR,
    purpose                  VARCHAR,
    environment              VARCHAR,
    expires                  TIMESTAMPTZ,     -- as written; agent_tree holds the inherited one
    inactive_after           INTERVAL,        -- per-agent overrides of the settings
    unused_credential_after  INTERVAL,
    max_credential_age       INTERVAL
);

-- The provider principals that ARE an agent. `principal` is spelled like the observed
-- identities' `principal` (AWS ARN, GCP email lowered, Entra id lowered, SCIM app:userName).
CREATE TABLE IF NOT EXISTS model_identities (
    agent_id    VARCHAR NOT NULL,
    provider    VARCHAR NOT NULL,
    principal   VARCHAR NOT NULL,
    scope_hint  VARCHAR
);

CREATE TABLE IF NOT EXISTS model_allow_aws (
    agent_id     VARCHAR NOT NULL,
    entry_index  INTEGER NOT NULL,
    actions      VARCHAR[] NOT NULL,
    resources    VARCHAR[] NOT NULL,
    entry_hash   UBIGINT NOT NULL      -- of actions and resources, computed when loaded
);

CREATE TABLE IF NOT EXISTS model_allow_grants (
    agent_id     VARCHAR NOT NULL,
    entry_index  INTEGER NOT NULL,
    grant_kind   VARCHAR NOT NULL,   -- gcp_binding | entra_app_role | entra_directory_role | scim_group
    resource     VARCHAR,            -- GCP `on:` (null: anywhere), Entra resource app, SCIM app
    role         VARCHAR NOT NULL
);

-- Sponsors listed under `sponsors:`, and those only named by an agent (listed = false): the HR
-- feed usually knows them.
CREATE TABLE IF NOT EXISTS model_sponsors (
    sponsor_id     VARCHAR NOT NULL,
    listed         BOOLEAN NOT NULL,
    email          VARCHAR,
    status         VARCHAR,            -- the model's fallback status; NULL when not listed
    terminated_at  TIMESTAMPTZ,
    manager        VARCHAR
);

CREATE TABLE IF NOT EXISTS model_exceptions (
    exception_index  INTEGER NOT NULL,
    rule             VARCHAR NOT NULL,
    agent_id         VARCHAR,
    principal        VARCHAR,
    scope            VARCHAR,           -- `match` globs; null matches anything
    object           VARCHAR,
    action           VARCHAR,
    resource         VARCHAR,
    reason           VARCHAR NOT NULL,
    approved_by      VARCHAR NOT NULL,
    expires          TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS model_settings (
    model_hash               VARCHAR NOT NULL,
    inactive_after           INTERVAL NOT NULL,
    unused_credential_after  INTERVAL NOT NULL,
    max_credential_age       INTERVAL NOT NULL,
    max_delegation_depth     INTEGER NOT NULL,
    undeclared_grace         INTERVAL NOT NULL,
    ignore                   VARCHAR[] NOT NULL,
    revocation_mode          VARCHAR NOT NULL,
    max_actions_per_run      INTEGER NOT NULL,
    sla_sponsor_inactive     INTERVAL NOT NULL,
    sla_expired              INTERVAL NOT NULL,
    sla_default              INTERVAL NOT NULL
);

-- Derived from the model when it loads (sql/views/100_agent_tree.sql): each agent's chain, and
-- its AWS allowances as a set shared with every agent that declares the same entries (a
-- template's agents share one), ready for matching.
CREATE TABLE IF NOT EXISTS agent_tree (
    agent_id       VARCHAR NOT NULL,     -- unique, as in model_agents
    root_agent     VARCHAR NOT NULL,
    root_sponsor   VARCHAR NOT NULL,
    parent         VARCHAR,
    depth          INTEGER NOT NULL,     -- sponsor -> root agent = 1
    expires        TIMESTAMPTZ,          -- its own, else inherited from the nearest ancestor
    allow_set      HUGEINT               -- -> allow_sets.set_id; null when it declares no AWS allowance
);

-- Every (agent, ancestor) pair, flat: the chain of an agent, and what a decision about the
-- ancestor reaches.
CREATE TABLE IF NOT EXISTS agent_ancestors (
    agent_id  VARCHAR NOT NULL,
    ancestor  VARCHAR NOT NULL,
    distance  INTEGER NOT NULL   -- 1: the parent
);

CREATE TABLE IF NOT EXISTS allow_sets (
    set_id   HUGEINT NOT NULL,           -- the sum of its entries' hashes: the same entries, the same set
    entries  STRUCT(action_globs VARCHAR[], resource_globs VARCHAR[])[] NOT NULL
);

-- Sub-agents whose declared model is wider than their parent's (declared-model.md,
-- "Delegation chain"), computed when the model loads (sql/views/100_agent_tree.sql).
CREATE TABLE IF NOT EXISTS agent_escalation (
    agent_id       VARCHAR NOT NULL,
    parent         VARCHAR NOT NULL,
    aws_excess     STRUCT(action VARCHAR, resource VARCHAR)[],
    other_excess   STRUCT(grant_kind VARCHAR, resource VARCHAR, role VARCHAR)[],
    later_expiry   BOOLEAN,
    own_expires    TIMESTAMPTZ,
    parent_expires TIMESTAMPTZ
);
