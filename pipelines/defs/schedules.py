import dagster as dg

hourly_sync_schedule = dg.ScheduleDefinition(
    name="hourly_sync_schedule", job_name="hourly_sync", cron_schedule="0 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
nightly_sync_schedule = dg.ScheduleDefinition(
    name="nightly_sync_schedule", job_name="nightly_sync", cron_schedule="0 2 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
