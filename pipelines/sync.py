"""One sync: extract every scope into staging (concurrently, no warehouse open), then load.

The two halves are separate on purpose: API calls never happen while the warehouse is open,
and Dagster runs the same halves as separate steps (extract per scope, one loader).
"""

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
import duckdb

from connectors.base import Connector, ScopeFailed
from connectors.records import Scope
from pipelines.staging import StagedScope, StagingStore
from pipelines.warehouse import load_scopes
from pipelines.warehouse.load import scope_status

log = logging.getLogger(__name__)


@dataclass
class ScopeOutcome:
    staged: StagedScope
    changes: dict[str, tuple[int, int]] = field(default_factory=dict)
    held_reason: str | None = None  # a publication gate held the sync back

    @property
    def status(self) -> str:
        return "held back" if self.held_reason else scope_status(self.staged)


def discover(connectors: Iterable[Connector]) -> tuple[list[tuple[Connector, Scope]], list[tuple[Connector, str]]]:
    """Every (connector, scope) to extract, and the connectors whose scope discovery failed."""
    found, failed = [], []
    for c in connectors:
        try:
            found.extend((c, s) for s in c.scopes())
        except Exception as e:  # discovery of one provider must not stop the others
            log.warning("scope discovery failed for %s: %s", c.provider, e)
            failed.append((c, f"scope discovery failed: {type(e).__name__}: {e}"))
    return found, failed


def extract_scope(connector: Connector, scope: Scope, store: StagingStore, run_id: str) -> StagedScope:
    """Extract one scope into staging. Never raises for provider trouble: a scope that fails is
    staged as failed, with its reason, and the rest of the run goes on."""
    writer = store.open_scope(run_id, scope)
    error = None
    try:
        connector.extract(scope, writer)
    except ScopeFailed as e:
        error = str(e)
    except Exception as e:
        log.exception("extraction of %s failed", scope.key)
        error = f"{type(e).__name__}: {e}"
    return writer.close(error=error)


def extract_all(
    connectors: Iterable[Connector],
    store: StagingStore,
    run_id: str,
    workers: int,
    selected: Callable[[Scope], bool] = lambda s: True,
) -> list[StagedScope]:
    pairs, failed = discover(connectors)
    staged = [
        store.open_scope(run_id, Scope(c.provider, "discovery")).close(error=reason) for c, reason in failed
    ]
    pairs = [(c, s) for c, s in pairs if selected(s)]
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="extract") as pool:
        staged += list(pool.map(lambda cs: extract_scope(cs[0], cs[1], store, run_id), pairs))
    return staged


def load_all(
    con: duckdb.DuckDBPyConnection, store: StagingStore, staged: list[StagedScope], run_seq: int,
    max_identity_drop: float,
) -> list[ScopeOutcome]:
    loaded = load_scopes(con, store, staged, run_seq, max_identity_drop)
    held = loaded.held
    return [ScopeOutcome(s, loaded.changes.get(s.key, {}), held.get(s.key)) for s in staged]
