-- The declared model, as the rules read it: temporary tables of the writer's connection, filled
-- from the model loaded for the run (pipelines/model/tables.py). The model is YAML in git and
-- read at every run anyway, so keeping a copy in the warehouse would only cost its writing; its
-- hash and commit are in every run's record. Column meanings are those of declared-model.md;
-- ids are unique because the model loader rejects duplicates.

CREATE OR REPLACE TEMP TABLE model_agents (
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
CREATE OR REPLACE TEMP TABLE model_identities (
    agent_id    VARCHAR NOT NULL,
    provider    VARCHAR NOT NULL,
    principal   VARCHAR NOT NULL,
    scope_hint  VARCHAR
);

CREATE OR REPLACE TEMP TABLE model_allow_aws (
    agent_id     VARCHAR NOT NULL,
    entry_index  INTEGER NOT NULL,
    actions      VARCHAR[] NOT NULL,
    resources    VARCHAR[] NOT NULL,
    entry_hash   UBIGINT NOT NULL      -- of actions and resources, computed when loaded
);

CREATE OR REPLACE TEMP TABLE model_allow_grants (
    agent_id     VARCHAR NOT NULL,
    entry_index  INTEGER NOT NULL,
    grant_kind   VARCHAR NOT NULL,   -- gcp_binding | entra_app_role | entra_directory_role | scim_group
    resource     VARCHAR,            -- GCP `on:` (null: anywhere), Entra resource app, SCIM app
    role         VARCHAR NOT NULL
);

-- Sponsors listed under `sponsors:`, and those only named by an agent (listed = false): the HR
-- feed usually knows them.
CREATE OR REPLACE TEMP TABLE model_sponsors (
    sponsor_id     VARCHAR NOT NULL,
    listed         BOOLEAN NOT NULL,
    email          VARCHAR,
    status         VARCHAR,            -- the model's fallback status; NULL when not listed
    terminated_at  TIMESTAMPTZ,
    manager        VARCHAR
);

CREATE OR REPLACE TEMP TABLE model_exceptions (
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

CREATE OR REPLACE TEMP TABLE model_settings (
    model_hash               VARCHAR NOT NULL,
    inactive_after           INTERVAL NOT NULL,
    unused_credential_after  INTERVAL NOT NULL,
    max_credential_age       INTERVAL NOT NULL,
    max_delegation_depth     INTEGER NOT NULL,
    undeclared_grace         INTERVAL NOT NULL,
    ignore                   VARCHAR[] NOT NULL,
    revocation_mode          VARCHAR NOT NULL,
    max_actions_per_run      INTEGER NOT NULL,
    model_guard_share        DOUBLE NOT NULL,
    sla_sponsor_inactive     INTERVAL NOT NULL,
    sla_expired              INTERVAL NOT NULL,
    sla_default              INTERVAL NOT NULL
);
