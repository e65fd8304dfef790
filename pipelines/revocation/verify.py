"""Verification: after a sync, the ledger's executed actions that it shows took effect
(`verified`) or not (`not_effective`), appended to the ledger (sql/revocation/020_verify.sql)."""

from datetime import timedelta

import duckdb
import pyarrow as pa

from pipelines.revocation.ledger import EFFECTIVE, Ledger
from pipelines.warehouse.db import SQL_DIR

_AWAITING = pa.schema([
    ("action_id", pa.string()), ("kind", pa.string()), ("provider", pa.string()), ("scope_id", pa.string()),
    ("identity_id", pa.string()), ("object", pa.string()), ("sources", pa.list_(pa.string())),
    ("attempted_at", pa.timestamp("us", tz="UTC")), ("trigger_at", pa.timestamp("us", tz="UTC")),
])


# Credentials issued before a disable outlive it (findings.md): AWS role sessions up to 12 h,
# Entra and GCP access tokens about an hour. Verification says until when.
RESIDUAL = {"aws": timedelta(hours=12), "entra": timedelta(hours=1), "gcp": timedelta(hours=1)}


def verify(con: duckdb.DuckDBPyConnection, ledger: Ledger, run_id: str) -> dict[str, int]:
    """Verify what this run's syncs can; returns {"verified": n, "not_effective": m}."""
    waiting = [r for r in ledger.latest().values() if r["outcome"] in EFFECTIVE and r["mode"] != "verify"]
    rows = [{
        "action_id": r["action_id"], "kind": r["kind"], "provider": r["provider"], "scope_id": r["scope_id"],
        "identity_id": r["action"]["identity_id"], "object": r["action"].get("object"),
        "sources": sorted({x["source"] for x in (r["action"].get("target") or {}).get("remove", [])}),
        "attempted_at": r["attempted_at"], "trigger_at": r["trigger_at"],
    } for r in waiting]
    con.register("_awaiting", pa.Table.from_pylist(rows, schema=_AWAITING))
    try:
        con.execute((SQL_DIR / "revocation" / "020_verify.sql").read_text())
        found = con.execute("SELECT action_id, effective, lag_seconds, observed_at, observed_run FROM _verified").fetchall()
    finally:
        con.unregister("_awaiting")
    by_id = {r["action_id"]: r for r in waiting}
    ledger.record({
        "apply_id": run_id, "mode": "verify", "action": by_id[a]["action"],
        "outcome": "verified" if effective else "not_effective", "lag_seconds": lag,
        "reason": f"the sync of run {run} (ended {at:%Y-%m-%dT%H:%M:%SZ}) "
                  + ("no longer observes it" if effective else "still observes it") + _residual(by_id[a]),
    } for a, effective, lag, at, run in found)
    return {"verified": sum(1 for f in found if f[1]), "not_effective": sum(1 for f in found if not f[1])}


def _residual(row: dict) -> str:
    window = RESIDUAL.get(row["provider"])
    if window is None or row["kind"] not in ("disable_identity", "remove_trust"):
        return ""
    until = row["attempted_at"] + window
    return f"; sessions issued before the change may act until {until:%Y-%m-%dT%H:%M:%SZ}"
