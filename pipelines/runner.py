"""One full pass in-process, as `idrift run` does it: extract every selected scope and read the
HR feed (no warehouse open), then, under the writer lock the caller holds, load everything as
one run, reconcile it against the declared model, publish the run's snapshot and write its
report. The Dagster jobs call the same pieces step by step.
"""

import subprocess
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
from pipelines.model.tables import load_model_tables, model_tables
from pipelines.publish import latest, publish
from pipelines.reconcile.runner import Reconciled, reconcile
from pipelines.report.records import iso_instant
from pipelines.report.writer import write_report
from pipelines.warehouse import begin_run, checkpoint, connect, end_run, load_people
from pipelines.warehouse.load import record_sync


@dataclass
class RunSummary:
    run_id: str
    run_seq: int
    started_at: datetime
    ended_at: datetime
    outcomes: list[ScopeOutcome]
    reconciled: Reconciled
    snapshot: Path
    report: Path

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
        load_model_tables(con, model_tables(model))
        reconciled = reconcile(con, run_seq, datetime.now(timezone.utc), config.own_principals)
        ended = datetime.now(timezone.utc)
        end_run(con, run_seq, ended)
        checkpoint(con)
        snapshot = publish(con, config.warehouse, _run_record(config, model, run_id, run_seq, started, ended, reconciled))
    finally:
        con.close()
    report = write_report(latest(config.warehouse), config.reports)
    store.prune(config.retention_days)
    return RunSummary(run_id, run_seq, started, ended, outcomes, reconciled, snapshot, report)


def _run_record(config: Config, model: DeclaredModel, run_id: str, run_seq: int, started: datetime, ended: datetime,
                reconciled: Reconciled) -> dict:
    """What a published run says about itself (run.json, and the report's manifest)."""
    return {
        "run_id": run_id, "run_seq": run_seq, "started_at": iso_instant(started), "ended_at": iso_instant(ended),
        "model_hash": model.content_hash, "model_path": str(model.root), "model_git_commit": git_commit(model.root),
        "config": config.model_dump(mode="json"),
        "rules_evaluated": reconciled.evaluated, "rules_carried_over": reconciled.carried,
        "events": reconciled.events,
    }


def git_commit(path: Path) -> str | None:
    """The commit of the git work tree holding `path`, if any."""
    folder = path if path.is_dir() else path.parent
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


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
