"""In `auto` mode, revocation keeps the tempo of the syncs: after every successful nightly sync
and every HR-triggered re-check, the `revoke` job runs the pre-approved actions, so a leaver's
chain is revoked in the same pass."""

import dagster as dg

from pipelines.defs.jobs import hourly_sync, nightly_sync
from pipelines.defs.resources import IdriftResource
from pipelines.defs.revocation.jobs import revoke
from pipelines.revocation.apply import effective_mode

HR_SENSOR = "hr_sponsor_sensor"


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[nightly_sync, hourly_sync], request_job=revoke,
    default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=30,
    description="Mode auto: run `revoke` after each successful nightly_sync and HR-triggered re-check.",
)
def revoke_after_sync_sensor(context: dg.RunStatusSensorContext, idrift: IdriftResource):
    run = context.dagster_run
    if run.job_name == hourly_sync.name and run.tags.get("dagster/sensor_name") != HR_SENSOR:
        return dg.SkipReason("an hourly sync that no sponsor's departure triggered")
    mode, why = effective_mode(idrift.model().settings.revocation.mode)
    if mode != "auto":
        return dg.SkipReason(why or f"revocation mode is {mode}, not auto")
    return dg.RunRequest(run_key=run.run_id, tags={"idrift/after": run.run_id})
