"""The single writer: loads staged scopes and the HR feed into the warehouse.

A run's scopes are loaded together, in one transaction. Only entity types the connector declared
complete are merged into the interval tables; rows of an incomplete type stay in staging (as
evidence) and never become current.
"""

import json
from collections.abc import Iterable
from datetime import datetime

import duckdb
import pyarrow as pa

from connectors.records import ENTITY_TYPES
from pipelines.staging import StagedScope, StagingStore
from pipelines.warehouse import history
from pipelines.warehouse.db import SQL_DIR


def begin_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime, trigger: str) -> int:
    run_seq = con.execute("SELECT nextval('run_seq_source')").fetchone()[0]
    con.execute(
        "INSERT INTO runs (run_seq, run_id, started_at, trigger) VALUES (?, ?, ?, ?)",
        [run_seq, run_id, started_at, trigger],
    )
    return run_seq


def end_run(con: duckdb.DuckDBPyConnection, run_seq: int, ended_at: datetime) -> None:
    con.execute("UPDATE runs SET ended_at = ? WHERE run_seq = ?", [ended_at, run_seq])


def scope_status(staged: StagedScope) -> str:
    if staged.error and not any(staged.complete(e) for e in ENTITY_TYPES):
        return "failed"
    return "complete" if all(staged.complete(e) for e in ENTITY_TYPES) else "incomplete"


def load_scopes(
    con: duckdb.DuckDBPyConnection, store: StagingStore, staged: list[StagedScope], run_seq: int
) -> dict[str, dict[str, tuple[int, int]]]:
    """Record every staged scope's sync and merge each complete entity type of all of them at
    once, in one transaction: the run's load lands whole or not at all. Returns, per scope key
    and entity type, the (opened, closed) version counts of what changed."""
    if not any(p in ("file", "local") for p in (store.fs.protocol if isinstance(store.fs.protocol, tuple)
                                                else (store.fs.protocol,))):
        con.register_filesystem(store.fs)
    changes: dict[str, dict[str, tuple[int, int]]] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for s in staged:
            record_sync(con, s, run_seq)
        for entity in ENTITY_TYPES:
            done = [s for s in staged if s.complete(entity)]
            if entity == "grants" and done:
                _add_statements(con, [s.files["statements"] for s in done])
            h = history.BY_ENTITY[entity]
            files = {(s.provider, s.scope_id): s.files[entity] for s in done}
            merged = history.merge(con, h, list(files), history.parquet_source(h, files), run_seq)
            for (provider, scope_id), counts in merged.items():
                changes.setdefault(f"{provider}:{scope_id}", {})[entity] = counts
                record_changes(con, run_seq, entity, provider, scope_id, *counts)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return changes


def load_people(
    con: duckdb.DuckDBPyConnection, source: str, people: Iterable[dict], run_seq: int
) -> tuple[int, int]:
    """Merge a complete HR feed (already validated) as the people of `source` at `run_seq`."""
    schema = pa.schema(
        [("source", pa.string()), ("person_id", pa.string()), ("email", pa.string()), ("status", pa.string()),
         ("terminated_at", pa.timestamp("us", tz="UTC")), ("manager", pa.string())]
    )
    con.register("_people", pa.Table.from_pylist([{**p, "source": source} for p in people], schema=schema))
    con.execute("BEGIN TRANSACTION")
    try:
        h = history.PEOPLE
        result = history.merge(con, h, [(source,)], history.relation_source("_people", h), run_seq).get(
            (source,), (0, 0))
        record_changes(con, run_seq, "people", "hr", source, *result)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_people")
    return result


def record_sync(con: duckdb.DuckDBPyConnection, s: StagedScope, run_seq: int) -> None:
    e = s.entities
    reasons = {k: v["reason"] for k, v in e.items() if not v["complete"]}
    con.execute(
        """INSERT INTO scope_syncs VALUES (
            $run_seq, $run_id, $provider, $scope_id, $environment, $started_at, $ended_at, $status,
            $ic, $cc, $gc, $ec, $ir, $cr, $gr, $er, $reasons, $freshness, $stats, $error, true, NULL)""",
        {
            "run_seq": run_seq, "run_id": s.run_id, "provider": s.provider, "scope_id": s.scope_id,
            "environment": s.environment, "started_at": s.started_at, "ended_at": s.ended_at,
            "status": scope_status(s),
            "ic": s.complete("identities"), "cc": s.complete("credentials"),
            "gc": s.complete("grants"), "ec": s.complete("edges"),
            "ir": e["identities"]["rows"], "cr": e["credentials"]["rows"],
            "gr": e["grants"]["rows"], "er": e["edges"]["rows"],
            "reasons": json.dumps(reasons) if reasons else None,
            "freshness": json.dumps(s.freshness), "stats": json.dumps(s.stats), "error": s.error,
        },
    )


def record_changes(con, run_seq: int, entity: str, provider: str, scope_id: str, opened: int, closed: int) -> None:
    if opened or closed:
        con.execute(
            "INSERT INTO observation_changes VALUES (?, ?, ?, ?, ?, ?)", [run_seq, entity, provider, scope_id, opened, closed]
        )


def _add_statements(con: duckdb.DuckDBPyConnection, urls: list[str]) -> None:
    listed = "[" + ", ".join("'" + u.replace("'", "''") + "'" for u in urls) + "]"
    con.execute(f"CREATE OR REPLACE TEMP VIEW _staged_statements AS SELECT * FROM read_parquet({listed})")
    con.execute((SQL_DIR / "load" / "statements.sql").read_text())
    con.execute("DROP VIEW _staged_statements")
