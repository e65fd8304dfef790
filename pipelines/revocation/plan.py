"""The revocation plan, made by every reconcile from its open findings (sql/revocation/010_plan.sql),
then the model guard; stored as `revocation_plan`, each finding's `remediation` pointing at it.
`action` turns a plan row into what an executor takes, with the policy a revoke_grant keeps.

The model guard: a declared model that differs from the one the last plan was made from, and
would newly plan actions for more than `model_guard_share` of the agents (an identity no agent
binds counts as one agent: a bad commit that unbinds half the estate makes them undeclared),
plans nothing new until `idrift accept-model` accepts that model's hash. The actions it holds stay in the plan marked `held`, so the output, the report and
Dagster show them; no apply selects them. The first model ever planned never trips it.
"""

import json
import time
from dataclasses import asdict, dataclass, field

import duckdb

from connectors.base import Action
from pipelines.reconcile.catalogue import Rule
from pipelines.revocation.kept import kept_policy
from pipelines.warehouse.db import SQL_DIR

PLAN_COLUMNS = ("action_id", "kind", "provider", "scope_id", "identity_id", "principal", "identity_kind",
                "identity_name", "object", "agent", "findings", "rules", "cascade_from", "pre_approved",
                "trigger_at", "sentence", "target", "first_planned")


@dataclass
class Guard:
    tripped: bool = False
    model_hash: str | None = None
    agents: int = 0  # agents (and unbound identities) the change would newly put under revocation
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
    timings: dict[str, float] = field(default_factory=dict)  # step -> seconds
    carried: bool = False  # the last plan, kept: nothing it derives from changed


def action(row: dict, keep: bool = True) -> Action:
    """The executor's view of a plan row (from the warehouse or from the ledger): a revoke_grant
    carries the policy the agent keeps, worked out from what the plan saw (with `keep`; showing
    a plan does not need it, executing does)."""
    target = row["target"]
    target = json.loads(target) if isinstance(target, str) else dict(target or {})
    if keep and row["kind"] == "revoke_grant" and "kept" not in target:
        target["kept"] = kept_policy(target["statements"], target.get("allowances", []))
    return Action(**{k: row[k] for k in ("action_id", "kind", "provider", "scope_id", "identity_id", "principal",
                                         "identity_kind", "identity_name", "object")}, target=target)


def plan(con: duckdb.DuckDBPyConnection, run_seq: int, catalogue: tuple[Rule, ...], providers: list[str],
         accepted_models: set[str]) -> Plan:
    """Replace `revocation_plan` with the plan of the findings as they are now, for the providers
    that have executors (in `con`'s reconcile: the model tables and the rules' prepared tables
    are in place). Set-based from end to end: the estate's size costs SQL, not Python."""
    reads = [(r.id, e, r.stale_ok) for r in catalogue for e in r.reads]
    con.execute("CREATE OR REPLACE TEMP TABLE _rule_reads AS SELECT unnest(?::VARCHAR[]) AS rule, "
                "unnest(?::VARCHAR[]) AS entity, unnest(?::BOOLEAN[]) AS stale_ok",
                [[r for r, _, _ in reads], [e for _, e, _ in reads], [s for _, _, s in reads]])
    con.execute("CREATE OR REPLACE TEMP TABLE _revokers AS SELECT unnest(?::VARCHAR[]) AS provider", [sorted(providers)])
    t0 = time.perf_counter()
    con.execute((SQL_DIR / "revocation" / "010_plan.sql").read_text())
    t1 = time.perf_counter()
    guard = _guard(con, accepted_models)
    _store(con, run_seq, guard)
    out = Plan(guard=guard, timings={"plan": round(t1 - t0, 3), "store": round(time.perf_counter() - t1, 3)})
    for kind, held, n in con.execute("SELECT kind, held, count(*) FROM revocation_plan GROUP BY ALL").fetchall():
        if held:
            out.held += n
        else:
            out.actions += n
            out.by_kind[kind] = n
    return out


def keep(con: duckdb.DuckDBPyConnection, run_seq: int, providers: list[str]) -> Plan | None:
    """The last plan, recorded again for this run, when it still holds: made for the same
    executors and holding nothing back (an accepted model must be planned again); else None."""
    last = con.execute("SELECT model_hash, held, guard FROM revocation_plans ORDER BY run_seq DESC LIMIT 1").fetchall()
    planned_for = {p for (p,) in con.execute("SELECT DISTINCT provider FROM revocation_plan").fetchall()}
    if not last or last[0][1] or not planned_for <= set(providers):
        return None
    model_hash, _, guard = last[0]
    con.execute("INSERT INTO revocation_plans SELECT ?, model_hash, held_model_hash, guard, actions, held "
                "FROM revocation_plans ORDER BY run_seq DESC LIMIT 1", [run_seq])
    out = Plan(guard=Guard(model_hash=model_hash, limit=json.loads(guard)["limit"]), carried=True)
    for kind, n in con.execute("SELECT kind, count(*) FROM revocation_plan GROUP BY ALL").fetchall():
        out.actions += n
        out.by_kind[kind] = n
    return out


def _guard(con, accepted: set[str]) -> Guard:
    model_hash, agents, limit, new_agents = con.execute(
        "SELECT any_value(model_hash), (SELECT count(*) FROM model_agents), any_value(model_guard_share), "
        # an identity no agent binds counts as one: a commit that unbinds half the estate plans
        # its disables as IDN-UNDECLARED, agentless
        "(SELECT count(DISTINCT coalesce(agent, provider || '/' || scope_id || '/' || identity_id)) FROM _plan "
        " WHERE new) FROM model_settings").fetchall()[0]
    last = con.execute("SELECT model_hash FROM revocation_plans ORDER BY run_seq DESC LIMIT 1").fetchall()
    guard = Guard(model_hash=model_hash, limit=limit)
    if not last or last[0][0] == model_hash or model_hash in accepted:
        return guard
    guard.agents, guard.share = new_agents, new_agents / max(agents, 1)
    guard.tripped = guard.share > limit
    return guard


def _store(con, run_seq: int, guard: Guard) -> None:
    """The plan replaces the last one; a tripped guard holds the actions that are new in it.
    Only what changed is written: an unchanged plan of a large estate costs two anti-joins, not
    a rewrite of every action and every finding's `remediation`."""
    last = con.execute("SELECT model_hash FROM revocation_plans ORDER BY run_seq DESC LIMIT 1").fetchall()
    columns = ", ".join(c for c in PLAN_COLUMNS if c != "first_planned")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _planned AS SELECT *, hash({columns}, held) AS row_hash FROM ("
                f"SELECT {', '.join(PLAN_COLUMNS)}, ? AS run_seq, (? AND new) AS held FROM _plan)",
                [run_seq, guard.tripped])
    con.execute("DELETE FROM revocation_plan WHERE (action_id, row_hash) NOT IN (SELECT (action_id, row_hash) FROM _planned)")
    con.execute("INSERT INTO revocation_plan BY NAME SELECT * FROM _planned "
                "WHERE (action_id, row_hash) NOT IN (SELECT (action_id, row_hash) FROM revocation_plan)")
    planned_model = last[0][0] if guard.tripped and last else guard.model_hash
    con.execute("INSERT INTO revocation_plans SELECT ?, ?, ?, ?, count(*) FILTER (WHERE NOT held), "
                "count(*) FILTER (WHERE held) FROM revocation_plan", [
                    run_seq, planned_model, guard.model_hash if guard.tripped else None,
                    json.dumps({k: v for k, v in asdict(guard).items() if k != "tripped"} | {"tripped": guard.tripped})])
    con.execute(
        "UPDATE findings f SET remediation = c.remediation FROM ("
        "  SELECT f.id, p.remediation FROM findings f LEFT JOIN ("
        "    SELECT unnest(findings) AS id, to_json({action_id: action_id, kind: kind}) AS remediation"
        "    FROM revocation_plan WHERE NOT held) p USING (id)"
        "  WHERE f.remediation::VARCHAR IS DISTINCT FROM p.remediation::VARCHAR) c "
        "WHERE f.id = c.id"
    )
