-- One row per run, scope and entity type: was it complete, how many rows, why not, was it published.
CREATE OR REPLACE VIEW scope_entity_syncs AS
SELECT run_seq, run_id, provider, scope_id, environment, ended_at, published, 'identities' AS entity,
       identities_complete AS complete, identities_rows AS rows, reasons ->> 'identities' AS reason
FROM scope_syncs
UNION ALL
SELECT run_seq, run_id, provider, scope_id, environment, ended_at, published, 'credentials',
       credentials_complete, credentials_rows, reasons ->> 'credentials'
FROM scope_syncs
UNION ALL
SELECT run_seq, run_id, provider, scope_id, environment, ended_at, published, 'grants',
       grants_complete, grants_rows, reasons ->> 'grants'
FROM scope_syncs
UNION ALL
SELECT run_seq, run_id, provider, scope_id, environment, ended_at, published, 'edges',
       edges_complete, edges_rows, reasons ->> 'edges'
FROM scope_syncs;
