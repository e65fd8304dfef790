"""The single writer: loads staged scopes and the HR feed into the warehouse.

Each scope is loaded in one transaction. Only entity types the connector declared complete are
merged into the interval tables; rows of an incomplete type stay in staging (as evidence) and
never become current.
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


def load_scope(
    con: duckdb.DuckDBPyConnection, store: StagingStore, staged: StagedScope, run_seq: int
) -> dict[str, tuple[int, int]]:
    """Record the scope's sync and merge its complete entity types. Returns, per merged entity
    type, the (opened, closed) version counts."""
    if "file" not in store.fs.protocol and "local" not in store.fs.protocol:
        con.register_filesystem(store.fs)
    changes: dict[str, tuple[int, int]] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        record_sync(con, staged, run_seq)
        partition = {"provider": staged.provider, "scope_id": staged.scope_id}
        for entity in ENTITY_TYPES:
            if not staged.complete(entity):
                continue
            if entity == "grants":
                _add_statements(con, staged.files["statements"])
            changes[entity] = history.merge(
                con, history.BY_ENTITY[entity], partition, f"SELECT * FROM {_parquet(staged.files[entity])}", run_seq
            )
            record_changes(con, run_seq, entity, partition, *changes[entity])
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
        [("person_id", pa.string()), ("email", pa.string()), ("status", pa.string()),
         ("terminated_at", pa.timestamp("us", tz="UTC")), ("manager", pa.string())]
    )
    con.register("_people", pa.Table.from_pylist(list(people), schema=schema))
    con.execute("BEGIN TRANSACTION")
    try:
        result = history.merge(con, history.PEOPLE, {"source": source}, "SELECT * FROM _people", run_seq)
        record_changes(con, run_seq, "people", {"provider": "hr", "scope_id": source}, *result)
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


def record_changes(con, run_seq: int, entity: str, partition: dict, opened: int, closed: int) -> None:
    if opened or closed:
        con.execute(
            "INSERT INTO observation_changes VALUES (?, ?, ?, ?, ?, ?)",
            [run_seq, entity, *partition.values(), opened, closed],
        )


def _add_statements(con: duckdb.DuckDBPyConnection, url: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP VIEW _staged_statements AS SELECT * FROM {_parquet(url)}")
    con.execute((SQL_DIR / "load" / "statements.sql").read_text())
    con.execute("DROP VIEW _staged_statements")


def _parquet(url: str) -> str:
    return "read_parquet('" + url.replace("'", "''") + "')"
