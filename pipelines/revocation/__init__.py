"""Revocation: the plan every reconcile makes from its open findings (`plan`), its execution
under the configured mode and guards (`apply`, `undo`), the append-only ledger of every attempt
(`ledger`), and the verification of executed actions by the next sync (`verify`)."""

from dataclasses import asdict, dataclass

import duckdb
import pyarrow as pa

from connectors.base import Revoker
from pipelines.reconcile.catalogue import Rule
from pipelines.revocation.apply import effective_mode
from pipelines.revocation.ledger import Ledger
from pipelines.revocation.plan import Plan, keep, plan
from pipelines.revocation.verify import verify

# What the snapshot shows of an action that left the plan (its findings resolved), from the ledger.
LEDGER_ACTION = ("kind", "provider", "scope_id", "principal", "object", "agent", "call", "sentence", "findings", "rules")


@dataclass
class Revision:
    plan: Plan
    verified: dict[str, int]
    states: dict[str, int]  # the plan's actions by their state in the ledger
    mode: str  # as an apply now would run: the model's, or dry_run under the kill switch

    def summary(self) -> dict:
        return {"mode": self.mode, "carried_over": self.plan.carried, "actions": self.plan.actions, "held": self.plan.held, "by_kind": self.plan.by_kind,
                "model_guard": self.plan.guard.reason, "guard": asdict(self.plan.guard),
                "verified_this_run": self.verified, "states": self.states}


def revise(con: duckdb.DuckDBPyConnection, ledger_url: str, revokers: dict[str, Revoker], run_id: str,
           run_seq: int, catalogue: tuple[Rule, ...], unchanged: bool = False) -> Revision:
    """After a reconcile, in its connection: verify what the ledger shows executed, then plan
    (or, when the reconcile found nothing `unchanged` and the last plan held nothing back, keep
    the last plan); `_ledger_state` (each action's latest ledger row) is left for the snapshot."""
    ledger = Ledger(ledger_url)
    verified = verify(con, ledger, run_id)
    con.execute("BEGIN TRANSACTION")
    try:
        planned = (keep(con, run_seq, sorted(revokers)) if unchanged else None) or plan(
            con, run_seq, catalogue, sorted(revokers), ledger.accepted_models())
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    latest = ledger.latest()
    rows = [{"action_id": a, "state": r["outcome"], "state_at": r["attempted_at"], "state_reason": r["reason"],
             "approver": r["approver"], "lag_seconds": r["lag_seconds"],
             **{k: r["action"].get(k) for k in LEDGER_ACTION}} for a, r in latest.items()]
    schema = pa.schema([("action_id", pa.string()), ("state", pa.string()), ("state_at", pa.timestamp("us", tz="UTC")),
                        ("state_reason", pa.string()), ("approver", pa.string()), ("lag_seconds", pa.float64())]
                       + [(k, pa.list_(pa.string()) if k in ("findings", "rules") else pa.string()) for k in LEDGER_ACTION])
    con.register("_ledger_rows", pa.Table.from_pylist(rows, schema=schema))
    con.execute("CREATE OR REPLACE TEMP TABLE _ledger_state AS SELECT * FROM _ledger_rows")
    con.unregister("_ledger_rows")
    states = dict(con.execute(
        "SELECT coalesce(s.state, CASE WHEN p.held THEN 'held' ELSE 'planned' END) AS state, count(*) "
        "FROM revocation_plan p LEFT JOIN _ledger_state s USING (action_id) GROUP BY ALL").fetchall())
    mode = effective_mode(con.execute("SELECT any_value(revocation_mode) FROM model_settings").fetchall()[0][0])[0]
    return Revision(planned, verified, states, mode)
