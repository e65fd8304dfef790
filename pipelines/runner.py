"""One full pass in-process, as `idrift run` does it: extract every selected scope, read the HR
feed, then (under the writer lock, already held by the caller) load everything as one run.

Reconciliation plugs in after the load; the Dagster jobs call the same pieces step by step.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from connectors import hr
from connectors.records import ENTITY_TYPES, Scope
from pipelines.config import Config
from pipelines.model import DeclaredModel
from pipelines.sources import build_connectors
from pipelines.staging import StagedScope, StagingStore, new_run_id
from pipelines.sync import ScopeOutcome, extract_all, load_all
from pipelines.warehouse import begin_run, connect, end_run, load_people
from pipelines.warehouse.load import record_sync
from pipelines.warehouse.model import load_sponsors


@dataclass
class RunSummary:
    run_id: str
    run_seq: int
    started_at: datetime
    ended_at: datetime
    outcomes: list[ScopeOutcome]

    @property
    def incomplete(self) -> list[ScopeOutcome]:
        return [o for o in self.outcomes if o.status != "complete"]


def selector(only: set[str] | None) -> Callable[[Scope], bool]:
    """`--only aws,slack`: a provider name or a scope id selects scopes."""
    if not only:
        return lambda s: True
    return lambda s: s.provider in only or s.scope_id in only


def run_once(config: Config, model: DeclaredModel, only: set[str] | None = None, trigger: str = "cli") -> RunSummary:
    started = datetime.now(timezone.utc)
    run_id = new_run_id(started)
    store = StagingStore(config.staging)
    staged = extract_all(build_connectors(config), store, run_id, config.workers, selector(only))
    feeds = [_read_hr(run_id, Path(src.csv)) for src in config.hr_sources if not only or "hr" in only]

    con = connect(config.warehouse)
    try:
        run_seq = begin_run(con, run_id, started, trigger)
        outcomes = load_all(con, store, staged, run_seq)
        for feed, people in feeds:
            record_sync(con, feed, run_seq)
            changes = {"identities": load_people(con, feed.scope_id, people, run_seq)} if people is not None else {}
            outcomes.append(ScopeOutcome(feed, changes))
        load_sponsors(con, model)
        ended = datetime.now(timezone.utc)
        end_run(con, run_seq, ended)
    finally:
        con.close()
    store.prune(config.retention_days)
    return RunSummary(run_id, run_seq, started, ended, outcomes)


def _read_hr(run_id: str, path: Path) -> tuple[StagedScope, list[dict] | None]:
    """The HR feed as a sync record (provider `hr`, scope = the file name; its people count as
    identities) and its rows, or None when the file is invalid: a bad feed is not half-used."""
    now = datetime.now(timezone.utc).isoformat()
    try:
        people, error = hr.read_people(path), None
    except hr.HrFeedError as e:
        people, error = None, str(e)
    entities = {e: {"complete": people is not None, "rows": 0, "reason": error} for e in ENTITY_TYPES}
    entities["identities"]["rows"] = len(people or [])
    feed = StagedScope(run_id=run_id, provider="hr", scope_id=path.name, environment=None, started_at=now,
                       ended_at=now, entities=entities, freshness={}, stats={}, error=error, files={})
    return feed, people
