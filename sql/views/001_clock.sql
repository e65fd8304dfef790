-- The reconcile's instant (run_context), or the wall clock outside a reconcile.
CREATE OR REPLACE MACRO clock_now() AS (SELECT coalesce(max(now), now()) FROM run_context);

-- OCSF severity names of severity_id 1-5.
CREATE OR REPLACE MACRO severity_name(s) AS ['info', 'low', 'medium', 'high', 'critical'][s];
