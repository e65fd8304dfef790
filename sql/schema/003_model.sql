-- The declared model's sponsors, replaced on every run from the model in git. Sponsors named by
-- an agent but not listed under `sponsors:` are here too (listed = false): the HR feed usually
-- knows them.
CREATE TABLE IF NOT EXISTS declared_sponsors (
    sponsor_id     VARCHAR PRIMARY KEY,
    listed         BOOLEAN NOT NULL,
    status         VARCHAR,            -- the model's fallback status; NULL when not listed
    terminated_at  TIMESTAMPTZ,
    manager        VARCHAR
);
