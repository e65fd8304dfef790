"""The single writer: loads staged scopes and the HR feed into the warehouse.

A run's scopes are loaded together, in one transaction, after the publication gates
(`pipelines/warehouse/gates.py`) have audited them. Only entity types the connector declared
complete, of scopes no gate held back, are merged into the interval tables; the rest stays in
staging (as evidence) and never becomes current.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pyarrow as pa

from connectors.records import ENTITY_TYPES, STAGED_FILES
from pipelines.staging import StagedScope, StagingStore
from pipelines.warehouse import history
from pipelines.warehouse.db import SQL_DIR
from pipelines.warehouse.gates import Verdict, audit, gates


def begin_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime, trigger: str,
              event_at: datetime | None = None) -> int:
    """`event_at`: when the change a sensor answers happened (a sponsor's termination seen in the
    HR feed): the run's findings date from it."""
    run_seq = con.execute("SELECT nextval('run_seq_source')").fetchall()[0][0]
    con.execute(
        "INSERT INTO runs (run_seq, run_id, started_at, trigger, event_at) VALUES (?, ?, ?, ?, ?)",
        [run_seq, run_id, started_at, trigger, event_at],
    )
    return run_seq


def end_run(con: duckdb.DuckDBPyConnection, run_seq: int, ended_at: datetime) -> None:
    con.execute("UPDATE runs SET ended_at = ? WHERE run_seq = ?", [ended_at, run_seq])


def scope_status(staged: StagedScope) -> str:
    if staged.error and not any(staged.complete(e) for e in ENTITY_TYPES):
        return "failed"
    return "complete" if all(staged.complete(e) for e in ENTITY_TYPES) else "incomplete"


@dataclass
class Loaded:
    """What a run's load did: the gates' verdicts, and per scope and entity type the (opened,
    closed) version counts of what changed."""

    verdicts: list[Verdict]
    changes: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)

    @property
    def held(self) -> dict[str, str]:
        """Scope key -> why a gate held it back."""
        out: dict[str, list[str]] = {}
        for v in self.verdicts:
            if not v.passed:
                out.setdefault(f"{v.provider}:{v.scope_id}", []).append(f"{v.gate}: {v.reason}")
        return {k: "; ".join(r) for k, r in out.items()}


def load_scopes(
    con: duckdb.DuckDBPyConnection, store: StagingStore, staged: list[StagedScope], run_seq: int,
    max_identity_drop: float = 0.3,
) -> Loaded:
    """Audit every staged scope of a run with the publication gates, record every sync, and merge
    each complete entity type of the scopes the gates let through, all at once and in one
    transaction: the run's load lands whole or not at all."""
    if not any(p in ("file", "local") for p in (store.fs.protocol if isinstance(store.fs.protocol, tuple)
                                                else (store.fs.protocol,))):
        con.register_filesystem(store.fs)
    con.execute("BEGIN TRANSACTION")
    try:
        unchanged = unchanged_entities(con, staged)
        again = [s for s in staged if s.key in unchanged and unchanged[s.key] >= _complete(s)]
        # staged exactly as last published: those passed every gate then, with the same rows
        loaded = Loaded(audit(con, [s for s in staged if s not in again], max_identity_drop)
                        + [Verdict(g.id, s.provider, s.scope_id, True, 0, None) for s in again for g in gates()])
        _insert_many(con, "INSERT INTO gate_results VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [(run_seq, v.provider, v.scope_id, v.gate, v.passed, v.failures, v.reason) for v in loaded.verdicts])
        held = loaded.held
        for s in staged:
            record_sync(con, s, run_seq, held.get(s.key))
        published = [s for s in staged if s.key not in held]
        _insert_many(  # an acceptance lets one sync through
            con, "UPDATE accepted_drops SET used_run_seq = ? WHERE provider = ? AND scope_id = ? AND used_run_seq IS NULL",
            [(run_seq, s.provider, s.scope_id) for s in published if s.complete("identities")],
        )
        for entity in ENTITY_TYPES:
            done = [s for s in published if s.complete(entity) and entity not in unchanged.get(s.key, set())]
            if entity == "grants" and done:
                _add_statements(con, [s.files["statements"] for s in done])
            h = history.BY_ENTITY[entity]
            files = {(s.provider, s.scope_id): s.files[entity] for s in done}
            merged = history.merge(con, h, list(files), history.parquet_source(h, files), run_seq)
            for (provider, scope_id), counts in merged.items():
                loaded.changes.setdefault(f"{provider}:{scope_id}", {})[entity] = counts
                record_changes(con, run_seq, entity, provider, scope_id, *counts)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return loaded


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


def record_sync(con: duckdb.DuckDBPyConnection, s: StagedScope, run_seq: int, held_reason: str | None = None) -> None:
    e = s.entities
    reasons = {k: v["reason"] for k, v in e.items() if not v["complete"]}
    con.execute(
        """INSERT INTO scope_syncs VALUES (
            $run_seq, $run_id, $provider, $scope_id, $environment, $started_at, $ended_at, $status,
            $ic, $cc, $gc, $ec, $ir, $cr, $gr, $er, $reasons, $freshness, $stats, $error, $published, $held,
            $digests)""",
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
            "published": held_reason is None, "held": held_reason, "digests": json.dumps(s.digests),
        },
    )


def _complete(s: StagedScope) -> set[str]:
    return {e for e in ENTITY_TYPES if s.complete(e)}


def unchanged_entities(con: duckdb.DuckDBPyConnection, staged: list[StagedScope]) -> dict[str, set[str]]:
    """Per scope key, the complete entity types whose staged files have the bytes of that scope's
    last published observation of them: nothing to check or merge again."""
    scopes = [s for s in staged if s.digests]
    if not scopes:
        return {}
    files = [f for e in ENTITY_TYPES for f in STAGED_FILES[e]]
    last = ", ".join(
        f"arg_max(digests ->> '{f}', run_seq) FILTER (WHERE published AND {e}_complete) AS {f}"
        for e in ENTITY_TYPES for f in STAGED_FILES[e]
    )
    keys = ", ".join(f"('{s.provider}', '{s.scope_id}')" for s in scopes)
    rows = con.execute(
        f"SELECT provider, scope_id, {last} FROM scope_syncs WHERE (provider, scope_id) IN ({keys}) GROUP BY ALL"
    ).fetchall()
    published = {(r[0], r[1]): dict(zip(files, r[2:])) for r in rows}
    out = {}
    for s in scopes:
        seen = published.get((s.provider, s.scope_id), {})
        same = {e for e in ENTITY_TYPES if s.complete(e)
                and all(seen.get(f) is not None and seen.get(f) == s.digests.get(f) for f in STAGED_FILES[e])}
        if same:
            out[s.key] = same
    return out


def _insert_many(con, sql: str, rows: list[tuple]) -> None:
    if rows:
        con.executemany(sql, rows)


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


def accept_drop(con: duckdb.DuckDBPyConnection, scope: str, reason: str, accepted_by: str) -> str:
    """Record that the next sync of `scope` (an id, or provider:id, of a synced scope) may pass
    the drop guard; returns its provider:id."""
    provider, _, scope_id = scope.rpartition(":")
    found = con.execute(
        "SELECT DISTINCT provider, scope_id FROM scope_syncs WHERE scope_id = ? AND (? = '' OR provider = ?)",
        [scope_id, provider, provider],
    ).fetchall()
    if len(found) != 1:
        raise LookupError(f"{scope}: " + ("no synced scope has this id" if not found else
                                          "several providers have a scope of this id: give provider:id"))
    (provider, scope_id), = found
    con.execute("INSERT INTO accepted_drops VALUES (?, ?, ?, ?, now(), NULL)", [provider, scope_id, reason, accepted_by])
    return f"{provider}:{scope_id}"
