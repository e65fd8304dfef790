-- Each sponsor's status as the declared-model page says: the HR feed decides (matched by id, then
-- by email, case-insensitively); the model's own status is used only for sponsors HR does not
-- know; a sponsor neither knows is `missing`. A future `terminated_at` means active until then.
-- `status_since` is when the current status began: the termination instant when there is one,
-- else when the HR feed first showed it (the change a sensor saw, else the run that read it).
CREATE OR REPLACE TEMP VIEW sponsor_status AS
WITH matched AS (
    SELECT s.*, coalesce(by_id.person_id, by_email.person_id) AS hr_person_id,
           coalesce(by_id.status, by_email.status) AS hr_status,
           coalesce(by_id.terminated_at, by_email.terminated_at) AS hr_terminated_at,
           coalesce(by_id.valid_from, by_email.valid_from) AS hr_valid_from
    FROM model_sponsors s
    LEFT JOIN current_people by_id ON lower(by_id.person_id) = lower(s.sponsor_id)
    LEFT JOIN current_people by_email ON by_id.person_id IS NULL AND lower(by_email.email) = lower(s.sponsor_id)
), decided AS (
    SELECT *,
           CASE WHEN hr_person_id IS NOT NULL THEN 'hr' WHEN listed THEN 'model' ELSE 'none' END AS status_source,
           CASE WHEN hr_person_id IS NOT NULL THEN hr_status WHEN listed THEN status ELSE 'missing' END AS raw_status,
           CASE WHEN hr_person_id IS NOT NULL THEN hr_terminated_at ELSE terminated_at END AS effective_terminated_at
    FROM matched
)
SELECT sponsor_id, listed, email, status_source, hr_person_id,
       CASE WHEN raw_status = 'terminated' AND effective_terminated_at > clock_now() THEN 'active' ELSE raw_status END
           AS status,
       effective_terminated_at AS terminated_at,
       CASE WHEN raw_status = 'terminated' AND effective_terminated_at <= clock_now() THEN effective_terminated_at
            WHEN status_source = 'hr' THEN (SELECT coalesce(r.event_at, r.started_at) FROM runs r WHERE r.run_seq = hr_valid_from)
       END AS status_since,
       manager
FROM decided;
