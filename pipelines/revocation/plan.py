"""The revocation plan, made by every reconcile from its open findings (sql/revocation/010_plan.sql),
with each action's provider call and, for revoke_grant, the policy the agent keeps; then the
model guard; then stored as `revocation_plan`, and each finding's `remediation` pointing at it.

The model guard: a declared model that differs from the one the last plan was made from, and
would newly plan actions for more than `model_guard_share` of the agents (a bad commit that
unbinds half the estate), plans nothing new until `idrift accept-model` accepts that model's
hash. The actions it holds stay in the plan marked `held`, so the output, the report and
Dagster show them; no apply selects them. The first model ever planned never trips it.
"""

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

import duckdb
import pyarrow as pa

from connectors.base import Action, Revoker
from pipelines.reconcile.catalogue import Rule
from pipelines.revocation.kept import kept_policy
from pipelines.warehouse.db import SQL_DIR

VERBS = {
    "disable_identity": "Disable {principal}",
    "deactivate_credential": "Deactivate the credential {object} of {principal}",
    "revoke_grant": "Revoke {object} from {principal}, keeping what its agent may hold",
    "remove_trust": "Remove from the trust policy of {principal}: {removed}",
    "delete_login_profile": "Delete the console password of {principal}",
}
PLAN_COLUMNS = ("action_id", "kind", "provider", "scope_id", "identity_id", "principal", "identity_kind",
                "identity_name", "object", "agent", "findings", "rules", "cascade_from", "pre_approved",
                "trigger_at", "call", "sentence", "target", "held", "first_planned", "run_seq")


@dataclass
class Guard:
    tripped: bool = False
    model_hash: str | None = None
    agents: int = 0  # agents the change would newly put under revocation
    share: float = 0.0
    limit: float = 0.0

    @property
    def reason(self) -> str | None:
        if not self.tripped:
            return None
        return (f"model guard: the declared model {self.model_hash[:12]} would newly plan actions for {self.agents} "
                f"agents ({self.share:.0%} of them, more than {self.limit:.0%}); nothing from it is planned until "
                f"`idrift accept-model --reason ...`")


@dataclass
class Plan:
    actions: int = 0
    held: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    guard: Guard = field(default_factory=Guard)


def action(row: dict) -> Action:
    """The executor's view of a plan row (from the warehouse or from the ledger)."""
    target = row["target"]
    return Action(**{k: row[k] for k in ("action_id", "kind", "provider", "scope_id", "identity_id", "principal",
                                         "identity_kind", "identity_name", "object")},
                  target=json.loads(target) if isinstance(target, str) else (target or {}))


def plan(con: duckdb.DuckDBPyConnection, run_seq: int, now: datetime, catalogue: tuple[Rule, ...],
         revokers: dict[str, Revoker], accepted_models: set[str]) -> Plan:
    """Replace `revocation_plan` with the plan of the findings as they are now (in `con`'s
    reconcile: the model tables and the rules' prepared tables are in place)."""
    reads = [(r.id, e, r.stale_ok) for r in catalogue for e in r.reads]
    con.execute("CREATE OR REPLACE TEMP TABLE _rule_reads AS SELECT unnest(?::VARCHAR[]) AS rule, "
                "unnest(?::VARCHAR[]) AS entity, unnest(?::BOOLEAN[]) AS stale_ok",
                [[r for r, _, _ in reads], [e for _, e, _ in reads], [s for _, _, s in reads]])
    con.execute("CREATE OR REPLACE TEMP TABLE _revokers AS SELECT unnest(?::VARCHAR[]) AS provider", [sorted(revokers)])
    con.execute((SQL_DIR / "revocation" / "010_plan.sql").read_text())
    rows = _rows(con, "SELECT * FROM _plan ORDER BY action_id")
    allowances = _allowances(con)
    before = dict(con.execute("SELECT action_id, first_planned FROM revocation_plan").fetchall())
    for row in rows:
        target = json.loads(row["target"]) if row["target"] else {}
        if row["kind"] == "revoke_grant":
            target["kept"] = kept_policy(target["statements"], allowances.get(
                (row["provider"], row["scope_id"], row["identity_id"]), []))
        row["target"] = json.dumps(target)
        removed = ", ".join(sorted({r["source"] for r in target.get("remove", [])}))
        why = (f"closes {', '.join(row['rules'])}" if row["rules"] else "") + (
            f"{'; ' if row['rules'] else ''}cascade of {', '.join(row['cascade_from'])}" if row["cascade_from"] else "")
        row["sentence"] = VERBS[row["kind"]].format(removed=removed, **row) + f" ({why})."
        row["call"] = revokers[row["provider"]].describe(action(row))
        row["first_planned"] = before.get(row["action_id"], now)
        row["run_seq"] = run_seq
        row["held"] = False
    guard = _guard(con, rows, set(before), accepted_models)
    _store(con, run_seq, rows, guard)
    out = Plan(actions=sum(not r["held"] for r in rows), held=sum(r["held"] for r in rows), guard=guard)
    for r in rows:
        out.by_kind[r["kind"]] = out.by_kind.get(r["kind"], 0) + (not r["held"])
    return out


def _rows(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, values)) for values in cur.fetchall()]


def _allowances(con) -> dict[tuple, list[dict]]:
    """The declared AWS allowances of the agents bound to each identity a revoke_grant targets."""
    out: dict[tuple, list[dict]] = {}
    for provider, scope, identity, actions, resources in con.execute(
        "SELECT DISTINCT b.provider, b.scope_id, b.identity_id, m.actions, m.resources FROM r_bindings b "
        "JOIN model_allow_aws m USING (agent_id) "
        "WHERE (b.provider, b.scope_id, b.identity_id) IN (SELECT (provider, scope_id, identity_id) FROM _plan "
        "WHERE kind = 'revoke_grant')"
    ).fetchall():
        out.setdefault((provider, scope, identity), []).append({"actions": actions, "resources": resources})
    return out


def _guard(con, rows: list[dict], previous_ids: set[str], accepted: set[str]) -> Guard:
    model_hash, agents, limit = con.execute(
        "SELECT any_value(model_hash), (SELECT count(*) FROM model_agents), any_value(model_guard_share) "
        "FROM model_settings").fetchall()[0]
    last = con.execute("SELECT model_hash FROM revocation_plans ORDER BY run_seq DESC LIMIT 1").fetchall()
    guard = Guard(model_hash=model_hash, limit=limit)
    if not last or last[0][0] == model_hash or model_hash in accepted:
        return guard
    new = [r for r in rows if r["action_id"] not in previous_ids]
    guard.agents = len({r["agent"] for r in new if r["agent"]})
    guard.share = guard.agents / max(agents, 1)
    if guard.share > limit:
        guard.tripped = True
        for r in new:
            r["held"] = True
    return guard


def _store(con, run_seq: int, rows: list[dict], guard: Guard) -> None:
    con.execute("DELETE FROM revocation_plan")
    if rows:
        table = pa.Table.from_pylist([{k: r[k] for k in PLAN_COLUMNS} for r in rows])
        con.register("_plan_rows", table)
        con.execute("INSERT INTO revocation_plan BY NAME SELECT * FROM _plan_rows")
        con.unregister("_plan_rows")
    last = con.execute("SELECT model_hash FROM revocation_plans ORDER BY run_seq DESC LIMIT 1").fetchall()
    planned_model = last[0][0] if guard.tripped and last else guard.model_hash
    con.execute("INSERT INTO revocation_plans VALUES (?, ?, ?, ?, ?, ?)", [
        run_seq, planned_model, guard.model_hash if guard.tripped else None,
        json.dumps({k: v for k, v in asdict(guard).items() if k != "tripped"} | {"tripped": guard.tripped}),
        sum(not r["held"] for r in rows), sum(r["held"] for r in rows)])
    con.execute("UPDATE findings SET remediation = NULL WHERE remediation IS NOT NULL")
    con.execute(
        "UPDATE findings f SET remediation = to_json({action_id: p.action_id, kind: p.kind}) "
        "FROM (SELECT action_id, kind, unnest(findings) AS id FROM revocation_plan WHERE NOT held) p WHERE f.id = p.id"
    )
