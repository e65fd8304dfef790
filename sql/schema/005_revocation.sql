-- The revocation plan (pipelines/revocation/plan.py, sql/revocation/010_plan.sql): the actions
-- the last reconcile derived from the open findings, replaced by every reconcile. What was done
-- with them lives in the ledger (pipelines/revocation/ledger.py), append-only, in its own
-- database; each run's published snapshot keeps the plan as it was.
CREATE TABLE IF NOT EXISTS revocation_plan (
    action_id      VARCHAR NOT NULL,   -- stable: sha256 of kind|provider|scope|identity id|object
    kind           VARCHAR NOT NULL,   -- deactivate_credential | disable_identity | revoke_grant | remove_trust | delete_login_profile
    provider       VARCHAR NOT NULL,
    scope_id       VARCHAR NOT NULL,
    identity_id    VARCHAR NOT NULL,
    principal      VARCHAR NOT NULL,
    identity_kind  VARCHAR NOT NULL,
    identity_name  VARCHAR,
    object         VARCHAR,            -- the credential id, the grant's source
    agent          VARCHAR,
    findings       VARCHAR[],          -- the findings it closes
    rules          VARCHAR[],
    cascade_from   VARCHAR[],          -- the disables of ancestor agents that plan it too
    pre_approved   BOOLEAN NOT NULL,
    trigger_at     TIMESTAMPTZ,
    sentence       VARCHAR NOT NULL,
    target         JSON,               -- what the plan saw of the target, and what a revoke_grant keeps
    held           BOOLEAN NOT NULL,   -- by the model guard: shown, never executed
    first_planned  TIMESTAMPTZ NOT NULL,
    run_seq        INTEGER NOT NULL,   -- the reconcile that planned it as it is now
    row_hash       UBIGINT NOT NULL    -- of every column but first_planned: an unchanged action is not rewritten
);

-- One row per reconcile: the model the plan was made from (the model guard compares the next
-- model with it), and what the guard held back.
CREATE TABLE IF NOT EXISTS revocation_plans (
    run_seq          INTEGER NOT NULL,
    model_hash       VARCHAR NOT NULL,   -- the model planned from; unchanged while a change is held
    held_model_hash  VARCHAR,            -- the change the model guard holds, until `idrift accept-model`
    guard            JSON,               -- agents newly planned, their share, the limit
    actions          INTEGER NOT NULL,
    held             INTEGER NOT NULL
);
