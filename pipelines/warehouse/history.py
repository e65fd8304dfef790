"""The interval (SCD-2) merge shared by every observation table.

Given the complete set of rows a sync observed for one partition (a scope, or an HR feed), it
closes the versions that are gone or changed and opens the new ones, in set-based statements.
Rows that did not change are not touched, so an unchanged sync writes nothing.

Activity columns (last authentication, last use) are the exception: an identity in use changes
them on every sync, and a new version per sync for every busy role would make an hourly sync of
an unchanged estate cost as much as the first. They are refreshed in place on the open version
instead; they only move forward, so "as of" a past run they read as "used at least until then".
"""

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class History:
    table: str
    partition: tuple[str, ...]  # columns fixed for one merge: ("provider", "scope_id")
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


def merge(
    con: duckdb.DuckDBPyConnection, h: History, partition: dict[str, str], observed_sql: str, run_seq: int
) -> tuple[int, int]:
    """Merge `observed_sql` (a query yielding at least `h.observed`, one row per key) as the
    complete observation of `partition` at `run_seq`. Returns (opened, closed) version counts.

    A digest of the observation (row count and the sums of the rows' hashes) is kept per
    partition: a sync that staged exactly what the last one did is recognised by reading its
    rows once, without joining them against the history."""
    partition_key = "/".join(partition.values())
    versioned = f"hash({', '.join(h.versioned)})"
    activity = f"hash({', '.join(h.activity)})" if h.activity else "0"
    digest_of = f"count(*), coalesce(sum({versioned}::HUGEINT), 0), coalesce(sum({activity}::HUGEINT), 0)"
    prior = con.execute(
        "SELECT rows, versioned, activity FROM observation_digests WHERE history_table = ? AND partition_key = ?",
        [h.table, partition_key],
    ).fetchall()
    where_partition = " AND ".join(f"h.{c} = ${c}" for c in h.partition)
    partition_cols = ", ".join(f"${c} AS {c}" for c in h.partition)
    params = {**partition, "run_seq": run_seq}
    if not prior:  # the partition's first observation: nothing to close or compare with
        opened = con.execute(
            f"INSERT INTO {h.table} BY NAME SELECT {partition_cols}, {', '.join(h.observed)}, {versioned} AS row_hash, "
            f"$run_seq AS valid_from, NULL AS valid_to FROM ({observed_sql})",
            params,
        ).fetchall()[0][0]
        # its digest from what was written (row_hash is the versioned hash, taken as it was staged)
        digest = con.execute(
            f"SELECT count(*), coalesce(sum(row_hash::HUGEINT), 0), coalesce(sum({activity}::HUGEINT), 0) "
            f"FROM {h.table} h WHERE {where_partition} AND h.valid_to IS NULL",
            partition,
        ).fetchall()[0]
        closed = 0
        _store_digest(con, h, partition_key, digest)
        return opened, closed
    digest = con.execute(f"SELECT {digest_of} FROM ({observed_sql})").fetchall()[0]
    if prior[0] == digest:
        return 0, 0
    if prior[0][:2] == digest[:2]:  # only activity moved
        _refresh_activity(con, h, partition, observed_sql, versioned)
        opened = closed = 0
    else:
        opened, closed = _merge_changes(con, h, partition, observed_sql, versioned, params)
    _store_digest(con, h, partition_key, digest)
    return opened, closed


def _store_digest(con, h: History, partition_key: str, digest) -> None:
    con.execute(
        "INSERT OR REPLACE INTO observation_digests VALUES (?, ?, ?, ?, ?)", [h.table, partition_key, *digest]
    )


def _same_version(h: History) -> str:
    return " AND ".join([f"o.{c} IS NOT DISTINCT FROM h.{c}" for c in h.key] + ["o.row_hash = h.row_hash"])


def _observed(con, h: History, observed_sql: str, versioned: str) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _observed AS "
        f"SELECT {', '.join(h.observed)}, {versioned} AS row_hash FROM ({observed_sql})"
    )


def _update_activity(con, h: History, partition: dict) -> None:
    """Refresh the activity columns of the open versions that `_observed` sees unchanged."""
    if not h.activity:
        return
    where_partition = " AND ".join(f"h.{c} = ${c}" for c in h.partition)
    changed = " OR ".join(f"o.{c} IS DISTINCT FROM h.{c}" for c in h.activity)
    con.execute(
        f"UPDATE {h.table} h SET {', '.join(f'{c} = o.{c}' for c in h.activity)} FROM _observed o "
        f"WHERE {where_partition} AND h.valid_to IS NULL AND {_same_version(h)} AND ({changed})",
        partition,
    )


def _refresh_activity(con, h: History, partition: dict, observed_sql: str, versioned: str) -> None:
    _observed(con, h, observed_sql, versioned)
    _update_activity(con, h, partition)
    con.execute("DROP TABLE _observed")


def _merge_changes(con, h: History, partition: dict, observed_sql: str, versioned: str, params: dict) -> tuple[int, int]:
    _observed(con, h, observed_sql, versioned)
    where_partition = " AND ".join(f"h.{c} = ${c}" for c in h.partition)
    partition_cols = ", ".join(f"${c} AS {c}" for c in h.partition)
    closed = con.execute(
        f"UPDATE {h.table} h SET valid_to = $run_seq "
        f"WHERE {where_partition} AND h.valid_to IS NULL "
        f"AND NOT EXISTS (SELECT 1 FROM _observed o WHERE {_same_version(h)})",
        params,
    ).fetchone()[0]
    _update_activity(con, h, partition)
    opened = con.execute(
        f"INSERT INTO {h.table} BY NAME "
        f"SELECT {partition_cols}, o.*, $run_seq AS valid_from, NULL AS valid_to FROM _observed o "
        f"WHERE NOT EXISTS (SELECT 1 FROM {h.table} h WHERE {where_partition} AND h.valid_to IS NULL "
        f"AND {_same_version(h)})",
        params,
    ).fetchone()[0]
    con.execute("DROP TABLE _observed")
    return opened, closed
