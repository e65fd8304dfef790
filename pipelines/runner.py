"""The stages of a run, as `idrift run` chains them and the Dagster assets run them one by one:

1. `extract`: every selected scope into the staging store (no warehouse open), and the HR feed;
2. `load`: under the writer lock, the publication gates, then every scope they let through;
3. `reconcile`: under the writer lock, the declared model against the warehouse, the findings
   lifecycle, the verification of executed revocations and the revocation plan, and the
   published snapshot the read commands and the report read;
4. `report`: the run's report folder, from that snapshot.
"""

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from connectors import hr
from connectors.records import ENTITY_TYPES, Scope
from pipelines.config import Config
from pipelines.lock import writer_lock
from pipelines.model import DeclaredModel
from pipelines.model.tables import load_model_tables, model_tables
from pipelines.publish import latest, publish
from pipelines.reconcile.catalogue import rules
from pipelines.reconcile.runner import Reconciled, reconcile as reconcile_warehouse
from pipelines.revocation import Revision, revise
from pipelines.report.records import iso_instant
from pipelines.report.writer import write_report
from pipelines.sources import build_connectors, build_revokers
from pipelines.staging import StagedScope, StagingStore, new_run_id
from pipelines.sync import ScopeOutcome, discover, extract_all, extract_scope, load_all
from pipelines.warehouse import begin_run, checkpoint, connect, end_run, load_people
from pipelines.warehouse.load import record_sync

Waiting = Callable[[str], None]
HrFeed = tuple[StagedScope, list[dict] | None]


@dataclass
class Reconciliation:
    run_id: str
    run_seq: int
    ended_at: datetime
    reconciled: Reconciled
    revision: Revision
    snapshot: Path


@dataclass
class RunSummary:
    run_id: str
    run_seq: int
    started_at: datetime
    ended_at: datetime
    outcomes: list[ScopeOutcome]
    reconciled: Reconciled
    revision: Revision
    snapshot: Path
    report: Path

    @property
    def incomplete(self) -> list[ScopeOutcome]:
        """Scopes not synced completely, or held back by a gate."""
        return [o for o in self.outcomes if o.status != "complete"]


def selector(only: set[str] | None) -> Callable[[Scope], bool]:
    """`--only aws,slack`: a provider name or a scope id selects scopes."""
    if not only:
        return lambda s: True
    return lambda s: s.provider in only or s.scope_id in only


def extract(config: Config, run_id: str, only: set[str] | None = None) -> list[StagedScope]:
    return extract_all(build_connectors(config), StagingStore(config.staging), run_id, config.workers, selector(only))


def discover_scopes(config: Config, provider: str, run_id: str, keep: Callable[[Scope], bool]
                    ) -> tuple[list[Scope], list[StagedScope]]:
    """The scopes of one provider to extract (its sources' discovery, filtered by `keep`), and
    a failed sync record for each of its sources whose discovery failed."""
    connectors = [c for c in build_connectors(config) if c.provider == provider]
    found, failed = discover(connectors)
    store = StagingStore(config.staging)
    return ([s for _, s in found if keep(s)],
            [store.open_scope(run_id, Scope(c.provider, "discovery")).close(error=reason) for c, reason in failed])


def extract_one(config: Config, scope: Scope, run_id: str) -> StagedScope:
    """One scope into the staging store (a Dagster step per scope)."""
    connector = next(c for c in build_connectors(config) if c.provider == scope.provider)
    return extract_scope(connector, scope, StagingStore(config.staging), run_id)


def read_hr_feeds(config: Config, run_id: str, only: set[str] | None = None) -> list[HrFeed]:
    return [read_hr(run_id, Path(src.csv)) for src in config.hr_sources if not only or "hr" in only]


def load(config: Config, run_id: str, started: datetime, trigger: str, staged: list[StagedScope],
         feeds: list[HrFeed], event_at: datetime | None = None, on_wait: Waiting = lambda m: None
         ) -> tuple[int, list[ScopeOutcome]]:
    """Begin the run in the warehouse and load what it staged; returns its sequence number and
    what became of each scope."""
    store = StagingStore(config.staging)
    with writer_lock(config.warehouse, on_wait=on_wait):
        con = connect(config.warehouse)
        try:
            run_seq = begin_run(con, run_id, started, trigger, event_at)
            outcomes = load_all(con, store, staged, run_seq, config.max_identity_drop)
            for feed, people in feeds:
                record_sync(con, feed, run_seq)
                changes = {"identities": load_people(con, feed.scope_id, people, run_seq)} if people is not None else {}
                outcomes.append(ScopeOutcome(feed, changes))
        finally:
            con.close()
    return run_seq, outcomes


def reconcile(config: Config, model: DeclaredModel, run_id: str, started: datetime | None = None,
              trigger: str = "cli", event_at: datetime | None = None, on_wait: Waiting = lambda m: None
              ) -> Reconciliation:
    """Reconcile run `run_id` (begun by `load`, or begun here for a re-check that extracts
    nothing), end it, and publish its snapshot."""
    with writer_lock(config.warehouse, on_wait=on_wait):
        con = connect(config.warehouse)
        try:
            found = con.execute("SELECT run_seq, started_at FROM runs WHERE run_id = ?", [run_id]).fetchall()
            if found:
                run_seq, started = found[0]
            else:
                started = started or datetime.now(timezone.utc)
                run_seq = begin_run(con, run_id, started, trigger, event_at)
            load_model_tables(con, model_tables(model))
            reconciled = reconcile_warehouse(con, run_seq, datetime.now(timezone.utc), config.own_principals)
            revision = revise(con, config.ledger_url, build_revokers(config), run_id, run_seq, rules(),
                              reconciled.unchanged)
            ended = datetime.now(timezone.utc)
            end_run(con, run_seq, ended)
            checkpoint(con)
            record = _run_record(config, model, run_id, run_seq, started, ended, reconciled, revision)
            snapshot = publish(con, config.warehouse, record)
        finally:
            con.close()
    return Reconciliation(run_id, run_seq, ended, reconciled, revision, snapshot)


def report(config: Config) -> Path:
    """The last published run's report folder."""
    return write_report(latest(config.warehouse), config.reports)


def run_once(config: Config, model: DeclaredModel, only: set[str] | None = None, trigger: str = "cli",
             on_wait: Waiting = lambda m: None) -> RunSummary:
    """Every stage, in this process."""
    started = datetime.now(timezone.utc)
    run_id = new_run_id(started)
    staged = extract(config, run_id, only)
    feeds = read_hr_feeds(config, run_id, only)
    run_seq, outcomes = load(config, run_id, started, trigger, staged, feeds, on_wait=on_wait)
    done = reconcile(config, model, run_id, on_wait=on_wait)
    folder = report(config)
    StagingStore(config.staging).prune(config.retention_days)
    return RunSummary(run_id, run_seq, started, done.ended_at, outcomes, done.reconciled, done.revision, done.snapshot,
                      folder)


def _run_record(config: Config, model: DeclaredModel, run_id: str, run_seq: int, started: datetime, ended: datetime,
                reconciled: Reconciled, revision: Revision) -> dict:
    """What a published run says about itself (run.json, and the report's manifest)."""
    return {
        "run_id": run_id, "run_seq": run_seq, "started_at": iso_instant(started), "ended_at": iso_instant(ended),
        "model_hash": model.content_hash, "model_path": str(model.root), "model_git_commit": git_commit(model.root),
        "config": config.model_dump(mode="json"),
        "rules_evaluated": reconciled.evaluated, "rules_carried_over": reconciled.carried,
        "events": reconciled.events, "revocation": revision.summary(),
    }


def git_commit(path: Path) -> str | None:
    """The commit of the git work tree holding `path`, if any."""
    folder = path if path.is_dir() else path.parent
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def read_hr(run_id: str, path: Path) -> HrFeed:
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
