"""The one resource every idrift asset uses: where the sources config is."""

from dataclasses import dataclass
from datetime import datetime, timezone

import dagster as dg

from pipelines.config import Config, find_config, load_config
from pipelines.located import LoadErrors
from pipelines.model import DeclaredModel, load_model

RUN_ID_TAG = "idrift/run_id"
ONLY_TAG = "idrift/only"  # comma-separated providers or scope ids (a sensor's targeted re-check)
SCHEDULE_TAG = "idrift/schedule"  # hourly: only the scopes whose schedule is hourly
EVENT_TAG = "idrift/event_at"  # the change a sensor answers (ISO 8601)


class IdriftResource(dg.ConfigurableResource):
    """The sources config (`config_path`, else $IDRIFT_CONFIG, else ./idrift.yaml) and the model
    it names. A config or model error is a refusal, never retried."""

    config_path: str | None = None

    def config(self) -> Config:
        try:
            return load_config(find_config(self.config_path))
        except LoadErrors as e:
            raise dg.Failure(description=f"bad config:\n{e}", allow_retries=False) from None

    def model(self) -> DeclaredModel:
        try:
            return load_model(self.config().model)
        except LoadErrors as e:
            raise dg.Failure(description=f"the declared model does not load:\n{e}", allow_retries=False) from None


@dataclass(frozen=True)
class RunInfo:
    """The idrift run a Dagster run is: every step of it stages and loads under one run id."""

    run_id: str
    started_at: datetime
    trigger: str
    only: set[str] | None
    hourly_only: bool
    event_at: datetime | None


def run_info(context) -> RunInfo:
    """From any step's context (op, asset, asset check)."""
    run = context.run
    tags = run.tags
    created = context.instance.get_run_record_by_id(run.run_id).create_timestamp.astimezone(timezone.utc)
    run_id = tags.get(RUN_ID_TAG) or f"{created:%Y%m%dT%H%M%S}Z-{run.run_id[:6]}"
    only = {s.strip() for s in tags[ONLY_TAG].split(",") if s.strip()} if tags.get(ONLY_TAG) else None
    event = tags.get(EVENT_TAG)
    trigger = "schedule" if "dagster/schedule_name" in tags else "sensor" if "dagster/sensor_name" in tags else "dagster"
    # a targeted re-check names its scopes, whatever their schedule
    return RunInfo(run_id, created, trigger, only, tags.get(SCHEDULE_TAG) == "hourly" and only is None,
                   datetime.fromisoformat(event.replace("Z", "+00:00")) if event else None)


@dg.definitions
def resources() -> dg.Definitions:
    # No path here: it is found when a run needs it ($IDRIFT_CONFIG, else ./idrift.yaml).
    return dg.Definitions(resources={"idrift": IdriftResource()})
