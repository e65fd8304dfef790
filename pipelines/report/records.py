"""The finding record (findings.md) as plain JSON values: what `idrift findings` prints and the
report files hold. Timestamps are ISO 8601 UTC with `Z`, durations ISO 8601 (`P1DT2H`),
`chain` a list and `evidence` an object."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import duckdb

FIELDS = (
    "id", "rule", "title", "severity", "severity_name", "status", "agent", "sponsor", "chain", "provider", "scope",
    "principal", "object", "detail", "evidence", "trigger_at", "first_seen", "last_seen", "resolved_at",
    "reopened_at", "stale_observation", "remediation",
)
STATUSES = ("open", "resolved", "suppressed")


def iso_instant(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def iso_duration(value: timedelta | None) -> str | None:
    if value is None:
        return None
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "" if days else "T0S")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_instant(value)
    if isinstance(value, timedelta):
        return iso_duration(value)
    return value


def records(con: duckdb.DuckDBPyConnection, status: str | None = None, rule: str | None = None) -> Iterator[dict]:
    """The published findings (a snapshot connection), filtered, in the documented order:
    severity (highest first), rule, principal."""
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    if rule:
        where.append("rule = ?")
        params.append(rule)
    query = f"SELECT {', '.join(FIELDS)} FROM findings {'WHERE ' + ' AND '.join(where) if where else ''} " \
            "ORDER BY severity DESC, rule, principal, id"
    cursor = con.execute(query, params)
    while batch := cursor.fetchmany(10_000):
        for row in batch:
            record = {k: _plain(v) for k, v in zip(FIELDS, row)}
            for key in ("evidence", "remediation"):
                if isinstance(record[key], str):
                    record[key] = json.loads(record[key])
            yield record


def jsonl(rows: Iterable[dict]) -> Iterator[str]:
    for r in rows:
        yield json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n"


def csv_lines(rows: Iterable[dict], fields: tuple[str, ...] = FIELDS) -> Iterator[str]:
    """CSV with lists and objects as JSON text."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(fields)
    for r in rows:
        writer.writerow([json.dumps(v) if isinstance(v, (list, dict)) else ("" if v is None else v)
                         for v in (r[f] for f in fields)])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    yield buf.getvalue()


REVOCATION_FIELDS = (
    "action_id", "kind", "state", "provider", "scope_id", "principal", "object", "agent", "findings", "rules",
    "cascade_from", "pre_approved", "held", "trigger_at", "first_planned", "call", "sentence", "state_at",
    "state_reason", "approver", "lag_seconds", "in_plan",
)


def revocation_records(con: duckdb.DuckDBPyConnection) -> Iterator[dict]:
    """The published revocations: the plan's actions with their ledger state and the provider
    call each makes, then the actions that left the plan since they were executed."""
    from pipelines.revocation.plan import action
    from pipelines.sources import describe

    fields = (*REVOCATION_FIELDS, "identity_id", "identity_kind", "identity_name", "target")
    cursor = con.execute(f"SELECT {', '.join(fields)} FROM revocations")
    while batch := cursor.fetchmany(10_000):
        for values in batch:
            row = dict(zip(fields, values))
            if row["in_plan"]:  # a left action keeps the call the ledger recorded
                row["call"] = describe(action(row, keep=False))
            yield {k: _plain(row[k]) for k in REVOCATION_FIELDS}
