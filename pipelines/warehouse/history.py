"""The interval (SCD-2) merge shared by every observation table.

Given the complete set of rows a sync observed for some partitions (scopes, an HR feed), it
closes the versions that are gone or changed and opens the new ones, in set-based statements
over all the partitions at once: a run's scopes are merged together, not one after another.
Rows that did not change are not touched, so an unchanged sync writes nothing.

A digest of each partition's observation (row count and the sums of the rows' hashes) is
kept: a partition staged exactly as last time is recognised by reading its rows once, without
joining them against the history; a partition seen for the first time is inserted without any.

Activity columns (last authentication, last use) are the exception to versioning: an identity
in use changes them on every sync, and a new version per sync for every busy role would make an
hourly sync of an unchanged estate cost as much as the first. They are refreshed in place on
the open version instead; they only move forward, so "as of" a past run they read as "used at
least until then".
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pyarrow as pa


@dataclass(frozen=True)
class History:
    table: str
    partition: tuple[str, ...]  # columns that say which observation a row belongs to: ("provider", "scope_id")
    key: tuple[str, ...]  # identifies an entity inside the partition
    attributes: tuple[str, ...]  # what makes a version (hashed into row_hash)
    activity: tuple[str, ...] = ()  # refreshed in place on the open version

    @property
    def versioned(self) -> tuple[str, ...]:
        return self.key + self.attributes

    @property
    def observed(self) -> tuple[str, ...]:
        return self.versioned + self.activity


IDENTITIES = History(
    "identity_history",
    ("provider", "scope_id"),
    ("identity_id",),
    ("principal", "name", "kind", "path", "email", "created_at", "disabled", "provider_managed", "tags", "attributes"),
    ("last_authenticated_at", "last_authenticated_source"),
)
CREDENTIALS = History(
    "credential_history",
    ("provider", "scope_id"),
    ("identity_id", "credential_id"),
    ("kind", "status", "created_at", "expires_at", "attributes"),
    ("last_used_at", "last_used_service", "last_used_region", "last_used_source"),
)
GRANTS = History(
    "grant_history",
    ("provider", "scope_id"),
    ("identity_id", "source", "statement_index"),
    ("grant_kind", "path", "policy_arn", "statement_id"),
)
EDGES = History(
    "edge_history",
    ("provider", "scope_id"),
    ("edge_id",),
    ("edge_type", "source", "source_kind", "source_scope", "target_identity_id", "target_principal",
     "statement_index", "effect", "actions", "condition"),
)
PEOPLE = History(
    "person_history",
    ("source",),
    ("person_id",),
    ("email", "status", "terminated_at", "manager"),
)
BLAST_RADIUS = History(
    "blast_radius_history",
    ("subject_kind",),
    ("subject",),
    ("agents", "identities", "credentials", "grants", "admin_grants", "accounts"),
)

BY_ENTITY = {"identities": IDENTITIES, "credentials": CREDENTIALS, "grants": GRANTS, "edges": EDGES}

# A source of observed rows: given the connection and a table of partition keys, SQL yielding
# those partitions' rows (their partition columns and `observed` columns), or None when there
# is nothing to read for them.
Source = Callable[[duckdb.DuckDBPyConnection, str], str | None]


def parquet_source(h: History, files: dict[tuple, str]) -> Source:
    """Staged Parquet files, one per partition, holding `h.observed`: only the files of the
    partitions asked for are read, each row labelled with its partition by its file name."""

    def sql(con: duckdb.DuckDBPyConnection, parts: str) -> str | None:
        wanted = {tuple(r) for r in con.execute(f"SELECT {', '.join(h.partition)} FROM {parts}").fetchall()}
        chosen = {k: f for k, f in files.items() if k in wanted}
        if not chosen:
            return None
        names = pa.table({"filename": list(chosen.values()),
                          **{c: [k[i] for k in chosen] for i, c in enumerate(h.partition)}})
        # one mapping table per file set: a view made of this SQL must outlive the next call
        mapping = "_files_" + hashlib.sha256("\0".join(chosen.values()).encode()).hexdigest()[:12]
        con.register("_file_names", names)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {mapping} AS SELECT * FROM _file_names")
        con.unregister("_file_names")
        return (f"SELECT f.* EXCLUDE (filename), r.* EXCLUDE (filename) "
                f"FROM read_parquet({_literal(list(chosen.values()))}, filename = true) r "
                f"JOIN {mapping} f USING (filename)")

    return sql


def relation_source(relation: str, h: History) -> Source:
    """A table or view that already holds the partition columns."""
    cols = ", ".join(h.partition)
    return lambda con, parts: f"SELECT * FROM {relation} WHERE ({cols}) IN (SELECT ({cols}) FROM {parts})"


def merge(con: duckdb.DuckDBPyConnection, h: History, partitions: list[tuple], source: Source, run_seq: int
          ) -> dict[tuple, tuple[int, int]]:
    """Merge the observation of each of `partitions` (every row `source` yields for it; none
    closes everything it had) at `run_seq`. Returns (opened, closed) version counts of the
    partitions that changed."""
    if not partitions:
        return {}
    cols = ", ".join(h.partition)
    versioned = f"hash({', '.join(h.versioned)})"
    activity = f"hash({', '.join(h.activity)})" if h.activity else "0"
    digest = "count(*) AS rows, sum({v}::HUGEINT) AS versioned, sum(" + activity + "::HUGEINT) AS activity"
    key = f"concat_ws('/', {cols})"
    con.register("_partitions", pa.table({c: [p[i] for p in partitions] for i, c in enumerate(h.partition)}))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _parts AS SELECT p.*, d.rows, d.versioned, d.activity "
        f"FROM _partitions p LEFT JOIN observation_digests d ON d.history_table = ? AND d.partition_key = {key}",
        [h.table],
    )
    con.unregister("_partitions")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _new AS SELECT {cols} FROM _parts WHERE rows IS NULL")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _known AS SELECT * FROM _parts WHERE rows IS NOT NULL")

    # First observations: inserted as they are, their digest taken from what was written.
    if (rows := source(con, "_new")) is not None:
        con.execute(
            f"INSERT INTO {h.table} BY NAME SELECT {cols}, {', '.join(h.observed)}, {versioned} AS row_hash, "
            f"{run_seq} AS valid_from, NULL AS valid_to FROM ({rows})"
        )
    written = (f"SELECT {cols}, {digest.format(v='row_hash')} FROM {h.table} WHERE valid_from = {run_seq} "
               f"AND valid_to IS NULL AND ({cols}) IN (SELECT ({cols}) FROM _new) GROUP BY ALL")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _digest AS {_digests('_new', written, cols)}")

    # Partitions seen before: their digest now; those that differ from the last one are merged.
    rows = source(con, "_known")
    now = f"SELECT {cols}, {digest.format(v=versioned)} FROM ({rows}) GROUP BY ALL" if rows else None
    con.execute(f"CREATE OR REPLACE TEMP TABLE _changed AS {_digests('_known', now, cols)}")
    con.execute(
        "DELETE FROM _changed c USING _known k WHERE "
        + " AND ".join(f"c.{x} = k.{x}" for x in h.partition)
        + " AND c.rows = k.rows AND c.versioned = k.versioned AND c.activity = k.activity"
    )
    if con.execute("SELECT count(*) FROM _changed").fetchall()[0][0]:
        _merge_changes(con, h, source, versioned, run_seq)
        con.execute("INSERT INTO _digest SELECT * FROM _changed")
    con.execute(
        f"INSERT OR REPLACE INTO observation_digests SELECT ?, {key}, rows, versioned, activity FROM _digest",
        [h.table],
    )
    return _changes(con, h, run_seq)


def _digests(parts: str, query: str | None, cols: str) -> str:
    """Every partition of `parts` with its digest from `query` (an empty observation: zeros)."""
    if query is None:
        return f"SELECT {cols}, 0::BIGINT AS rows, 0::HUGEINT AS versioned, 0::HUGEINT AS activity FROM {parts}"
    return (f"SELECT p.{cols.replace(', ', ', p.')}, coalesce(d.rows, 0) AS rows, coalesce(d.versioned, 0)::HUGEINT "
            f"AS versioned, coalesce(d.activity, 0)::HUGEINT AS activity FROM {parts} p LEFT JOIN ({query}) d "
            f"USING ({cols})")


def _merge_changes(con, h: History, source: Source, versioned: str, run_seq: int) -> None:
    cols = ", ".join(h.partition)
    rows = source(con, "_changed")
    observed = f"SELECT {cols}, {', '.join(h.observed)}, {versioned} AS row_hash FROM ({rows})" if rows else None
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _observed AS {observed}" if observed
        else f"CREATE OR REPLACE TEMP TABLE _observed AS SELECT {cols}, {', '.join(h.observed)}, row_hash "
             f"FROM {h.table} WHERE false"
    )
    same = " AND ".join([f"o.{c} = h.{c}" for c in h.partition] + [f"o.{c} IS NOT DISTINCT FROM h.{c}" for c in h.key]
                        + ["o.row_hash = h.row_hash"])
    changed = f"({', '.join(f'h.{c}' for c in h.partition)}) IN (SELECT ({cols}) FROM _changed)"
    con.execute(
        f"UPDATE {h.table} h SET valid_to = {run_seq} WHERE h.valid_to IS NULL AND {changed} "
        f"AND NOT EXISTS (SELECT 1 FROM _observed o WHERE {same})"
    )
    if h.activity:
        moved = " OR ".join(f"o.{c} IS DISTINCT FROM h.{c}" for c in h.activity)
        con.execute(
            f"UPDATE {h.table} h SET {', '.join(f'{c} = o.{c}' for c in h.activity)} FROM _observed o "
            f"WHERE h.valid_to IS NULL AND {same} AND ({moved})"
        )
    con.execute(
        f"INSERT INTO {h.table} BY NAME SELECT o.*, {run_seq} AS valid_from, NULL AS valid_to FROM _observed o "
        f"WHERE NOT EXISTS (SELECT 1 FROM {h.table} h WHERE h.valid_to IS NULL AND {same})"
    )
    con.execute("DROP TABLE _observed")


def _changes(con, h: History, run_seq: int) -> dict[tuple, tuple[int, int]]:
    cols = ", ".join(h.partition)
    rows = con.execute(
        f"SELECT {cols}, count(*) FILTER (WHERE valid_from = {run_seq}), count(*) FILTER (WHERE valid_to = {run_seq}) "
        f"FROM {h.table} WHERE valid_from = {run_seq} OR valid_to = {run_seq} GROUP BY ALL"
    ).fetchall()
    n = len(h.partition)
    return {tuple(r[:n]): (r[n], r[n + 1]) for r in rows}


def _literal(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(_literal, value)) + "]"
    return "'" + str(value).replace("'", "''") + "'"
