"""Event-driven re-checks: a sponsor leaving re-syncs the scopes of their chains within minutes;
a changed declared model is reconciled at once, extracting nothing."""

import json
from pathlib import Path

import dagster as dg

from connectors.hr import HrFeedError
from pipelines.defs.resources import EVENT_TAG, ONLY_TAG, IdriftResource
from pipelines.events import hr_change, recheck_selection
from pipelines.located import LoadErrors
from pipelines.model import load_model


@dg.sensor(job_name="hourly_sync", minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="When the HR feed shows a sponsor suspended or terminated, re-sync their chains' scopes.")
def hr_sponsor_sensor(context: dg.SensorEvaluationContext, idrift: IdriftResource):
    config = idrift.config()
    if not config.hr_sources:
        return dg.SkipReason("no HR source in the config")
    path = Path(config.hr_sources[0].csv)
    seen = json.loads(context.cursor) if context.cursor else None
    if seen and seen.get("mtime") == path.stat().st_mtime:
        return dg.SkipReason("the HR feed has not changed")
    try:
        change = hr_change(path, seen["statuses"] if seen else None)
    except HrFeedError as e:
        return dg.SkipReason(f"the HR feed does not read: {e}")
    context.update_cursor(json.dumps({"mtime": path.stat().st_mtime, "statuses": change.statuses}))
    if not change.left:
        return dg.SkipReason("nobody left" if seen else "first look at the HR feed")
    selection = recheck_selection(idrift.model(), change.left)
    return dg.RunRequest(
        run_key=change.digest,
        tags={ONLY_TAG: ",".join(selection), EVENT_TAG: change.changed_at.isoformat().replace("+00:00", "Z"),
              "idrift/left": ",".join(sorted(change.left))},
    )


@dg.sensor(job_name="model_recheck", minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="When the declared model changes, reconcile the last loaded estate against it.")
def declared_model_sensor(context: dg.SensorEvaluationContext, idrift: IdriftResource):
    try:
        digest = load_model(idrift.config().model).content_hash
    except LoadErrors as e:
        return dg.SkipReason(f"the declared model does not load (nothing is reconciled against it):\n{e}")
    if context.cursor == digest:
        return dg.SkipReason("the declared model has not changed")
    first = context.cursor is None
    context.update_cursor(digest)
    if first:
        return dg.SkipReason("first look at the declared model")
    return dg.RunRequest(run_key=digest)
