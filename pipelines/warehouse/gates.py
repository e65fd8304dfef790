"""The publication gates (write, audit, publish): before a run's staged scopes are merged, every
gate of `sql/gates/` runs once over all of them; a scope any gate fails is held back, and its
last published data stays current. `idrift run` and the Dagster load asset go through here
alike; Dagster shows each gate as an asset check."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from connectors.records import ENTITY_TYPES, STAGED_FILES
from pipelines.staging import StagedScope
from pipelines.warehouse import history
from pipelines.warehouse.db import SQL_DIR


@dataclass(frozen=True)
class Gate:
    id: str
    title: str
    description: str
    sql: str


@dataclass(frozen=True)
class Verdict:
    gate: str
    provider: str
    scope_id: str
    passed: bool
    failures: int
    reason: str | None


@cache
def gates() -> tuple[Gate, ...]:
    out = []
    for path in sorted((SQL_DIR / "gates").glob("*.sql")):
        head, prose, body = _split(path)
        out.append(Gate(head["gate"], head["title"], prose, body))
    return tuple(out)


def _split(path: Path) -> tuple[dict, str, str]:
    lines = path.read_text().splitlines()
    head, prose, i = {}, [], 0
    while i < len(lines) and lines[i].startswith("-- ") and ":" in lines[i] and not prose:
        key, value = lines[i][3:].split(":", 1)
        head[key.strip()] = value.strip()
        i += 1
    while i < len(lines) and lines[i].startswith("--"):
        prose.append(lines[i][2:].strip())
        i += 1
    return head, " ".join(p for p in prose if p), "\n".join(lines[i:])


def stage_views(con: duckdb.DuckDBPyConnection, staged: list[StagedScope]) -> None:
    """`_staged_<file>`: the rows of every complete entity type staged by the run, labelled with
    their scope; `_staged_scopes`: which entity types each scope read completely."""
    rows = [(s.provider, s.scope_id, *(s.complete(e) for e in ENTITY_TYPES)) for s in staged]
    columns = ", ".join(f"{e}_complete" for e in ENTITY_TYPES)
    values = ", ".join("(" + ", ".join(_literal(v) for v in r) + ")" for r in rows) or "(NULL, NULL, NULL, NULL, NULL, NULL)"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _staged_scopes AS SELECT * FROM (VALUES {values}) "
                f"AS t(provider, scope_id, {columns}) WHERE provider IS NOT NULL")
    for entity in ENTITY_TYPES:
        done = [s for s in staged if s.complete(entity)]
        for name in STAGED_FILES[entity]:
            h = history.BY_ENTITY[entity]  # for its partition columns (statements travel with grants)
            files = {(s.provider, s.scope_id): s.files[name] for s in done}
            con.execute(f"CREATE OR REPLACE TEMP TABLE _gate_parts AS SELECT * FROM _staged_scopes WHERE {entity}_complete")
            sql = history.parquet_source(h, files)(con, "_gate_parts") if files else None
            con.execute(f"CREATE OR REPLACE TEMP VIEW _staged_{name} AS " + (
                sql or f"SELECT NULL::VARCHAR AS provider, NULL::VARCHAR AS scope_id, * FROM ({_empty(name)})"))


def audit(con: duckdb.DuckDBPyConnection, staged: list[StagedScope], max_identity_drop: float) -> list[Verdict]:
    """Every gate's verdict on every staged scope (a scope no row of a gate names passed it)."""
    stage_views(con, staged)
    con.execute("CREATE OR REPLACE TEMP TABLE _gate_settings AS SELECT ?::DOUBLE AS max_identity_drop",
                [max_identity_drop])
    verdicts = []
    for gate in gates():
        failed = {(p, s): (n, r) for p, s, n, r in con.execute(gate.sql).fetchall()}
        for scope in staged:
            n, reason = failed.get((scope.provider, scope.scope_id), (0, None))
            verdicts.append(Verdict(gate.id, scope.provider, scope.scope_id, not n, int(n), reason))
    return verdicts


def _empty(name: str) -> str:
    from connectors.records import SCHEMAS

    cols = ", ".join(f"NULL::{_duck(t)} AS {f}" for f, t in zip(SCHEMAS[name].names, SCHEMAS[name].types))
    return f"SELECT {cols} WHERE false"


def _duck(arrow_type) -> str:
    text = str(arrow_type)
    return {"string": "VARCHAR", "bool": "BOOLEAN", "int32": "INTEGER", "list<item: string>": "VARCHAR[]"}.get(
        text, "TIMESTAMPTZ" if text.startswith("timestamp") else "VARCHAR")


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"
