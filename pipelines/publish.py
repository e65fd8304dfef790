"""The read-only snapshot each run publishes, and what the read commands read.

DuckDB lets one process open the warehouse for writing and nobody else open it at all, so the
read commands (`idrift findings`, `idrift report`, `idrift revoke plan`) and the auditors never
touch it: at the end of its reconcile a run writes its findings, revocations, identity register,
blast radius and sync records as Parquet under `<warehouse>.published/<run-id>/`, then points
`LATEST` at that folder with an atomic rename. A reader sees the last complete publication,
never a half-written one, and never waits on a running sync.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipelines.warehouse.db import SQL_DIR

TABLES = {
    "findings": "SELECT * FROM published_findings",
    "identities": "SELECT * FROM published_identities",
    "revocations": "SELECT * FROM published_revocations",
    "blast_radius": "SELECT * EXCLUDE (row_hash, valid_from, valid_to) FROM blast_radius_history WHERE valid_to IS NULL "
    "ORDER BY admin_grants DESC, identities DESC, subject",
    "scopes": "SELECT s.*, f.entity, f.observed_at, f.stale, f.stale_observation FROM scope_syncs s "
    "JOIN scope_freshness f USING (provider, scope_id) WHERE s.run_seq = {run_seq} ORDER BY provider, scope_id, entity",
}


def published_dir(warehouse: str | Path) -> Path:
    return Path(f"{warehouse}").with_suffix(".published")


def publish(con: duckdb.DuckDBPyConnection, warehouse: str | Path, run: dict[str, Any]) -> Path:
    """Write run `run["run_id"]`'s snapshot and make it the latest. `run` is its metadata."""
    root = published_dir(warehouse)
    folder = root / run["run_id"]
    folder.mkdir(parents=True, exist_ok=False)
    con.execute((SQL_DIR / "reconcile" / "040_published.sql").read_text())
    for name, sql in TABLES.items():
        query = sql.format(run_seq=int(run["run_seq"]))
        con.execute(f"COPY ({query}) TO '{folder / name}.parquet' (FORMAT parquet, COMPRESSION zstd)")
    (folder / "run.json").write_text(json.dumps(run, indent=1, default=str))
    pointer = root / "LATEST.tmp"
    pointer.write_text(run["run_id"])
    os.replace(pointer, root / "LATEST")
    return folder


@dataclass
class Snapshot:
    """The last published run, opened read-only in memory."""

    folder: Path
    run: dict[str, Any]

    def connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        for name in TABLES:
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{self.folder / name}.parquet')")
        return con


def latest(warehouse: str | Path) -> Snapshot | None:
    root = published_dir(warehouse)
    try:
        run_id = (root / "LATEST").read_text().strip()
    except FileNotFoundError:
        return None
    folder = root / run_id
    return Snapshot(folder, json.loads((folder / "run.json").read_text()))
