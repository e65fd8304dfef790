"""The Dagster code location as `workspace.yaml` loads it: every asset, check, job, schedule and
sensor, with the lineage from each provider's extraction to the report."""

import dagster as dg

from pipelines.definitions import defs


def test_jobs_schedules_and_sensors_with_their_targets():
    d = defs()
    assert {j.name for j in d.resolve_all_job_defs()} >= {"hourly_sync", "nightly_sync", "model_recheck", "revoke"}
    assert [n.name for n in d.resolve_job_def("revoke").nodes] == ["apply_revocations"]  # an op: side effects
    schedules = {s.name: s for s in d.schedules}
    assert {n: (s.job_name, s.cron_schedule, s.default_status) for n, s in schedules.items()} == {
        "hourly_sync_schedule": ("hourly_sync", "0 * * * *", dg.DefaultScheduleStatus.RUNNING),
        "nightly_sync_schedule": ("nightly_sync", "0 2 * * *", dg.DefaultScheduleStatus.RUNNING),
    }
    sensors = {s.name: s for s in d.sensors}
    assert {n: (s.job_name, s.default_status) for n, s in sensors.items()} == {
        "hr_sponsor_sensor": ("hourly_sync", dg.DefaultSensorStatus.RUNNING),
        "declared_model_sensor": ("model_recheck", dg.DefaultSensorStatus.RUNNING),
        "revoke_after_sync_sensor": ("revoke", dg.DefaultSensorStatus.RUNNING),
    }


def test_lineage_from_every_extraction_to_the_report():
    graph = defs().resolve_asset_graph()
    upstream = {k.to_user_string(): {p.to_user_string() for p in graph.get(k).parent_keys}
                for k in graph.get_all_asset_keys()}
    assert upstream["warehouse_load"] == {"aws_extract", "gcp_extract", "entra_extract", "scim_extract", "hr_feed"}
    assert upstream["drift_findings"] == {"warehouse_load", "declared_model"}
    assert upstream["revocation_plan"] == {"drift_findings"}
    assert upstream["drift_report"] == {"revocation_plan"}
    nightly = defs().resolve_job_def("nightly_sync")
    assert {"aws_extract", "warehouse_load", "drift_findings", "revocation_plan", "drift_report"} <= {
        k.to_user_string() for k in nightly.asset_layer.selected_asset_keys}
    hourly = defs().resolve_job_def("hourly_sync")
    assert "drift_report" not in {k.to_user_string() for k in hourly.asset_layer.selected_asset_keys}
    checks = {(k.asset_key.to_user_string(), k.name) for k in defs().resolve_asset_graph().asset_check_keys}
    assert checks == {("warehouse_load", g) for g in ("keys", "references", "secrets", "drop_guard")} | {
        (f"{p}_extract", c) for p in ("aws", "gcp", "entra", "scim")
        for c in ("scopes_complete", "staged_data_expectations")}
