import dagster as dg

from pipelines.defs.resources import IdriftResource, run_info
from pipelines.runner import reconcile

def _specs() -> list[dg.AssetSpec]:
    # Not module attributes: the defs loader would take each spec for an asset of its own. One
    # step makes both: a finding's `remediation` and the plan are published together or not at all.
    findings = dg.AssetSpec(
        "drift_findings", group_name="warehouse", kinds={"duckdb", "sql"}, deps=["warehouse_load", "declared_model"],
        description="Every rule of sql/rules/ over the whole estate, the findings lifecycle and the blast radius.",
    )
    plan = dg.AssetSpec(
        "revocation_plan", group_name="revocation", kinds={"duckdb", "sql"}, deps=["drift_findings"],
        description="What idrift would revoke to close the open findings (sql/revocation/), with each action's "
                    "state in the ledger; executed actions are verified against this run's syncs first. Published "
                    "in the snapshot the read commands and the report read.",
    )
    return [findings, plan]


@dg.multi_asset(specs=_specs(), pool="duckdb", ins={"declared_model": dg.AssetIn()})
def drift_findings(context: dg.AssetExecutionContext, idrift: IdriftResource, declared_model: str):
    run = run_info(context)
    model = idrift.model()
    if model.content_hash != declared_model:
        context.log.warning("the declared model changed since this run loaded it: reconciling the one now in place")
    done = reconcile(idrift.config(), model, run.run_id, run.started_at, run.trigger, run.event_at,
                     on_wait=context.log.info)
    r = done.reconciled
    rows = ["| rule | open | suppressed | resolved | this run |", "|---|---|---|---|---|"]
    for rule in sorted(set(r.counts) | set(r.events)):
        c, e = r.counts.get(rule, {}), r.events.get(rule, {})
        rows.append(f"| {rule} | {c.get('open', 0)} | {c.get('suppressed', 0)} | {c.get('resolved', 0)} | "
                    + ", ".join(f"{n} {k}" for k, n in sorted(e.items())) + " |")
    events = {k: sum(e.get(k, 0) for e in r.events.values()) for k in ("opened", "reopened", "resolved")}
    yield dg.MaterializeResult(asset_key="drift_findings", metadata={
        "open": sum(c.get("open", 0) for c in r.counts.values()), **events,
        "findings by rule": dg.MetadataValue.md("\n".join(rows)),
        "rules evaluated": len(r.evaluated), "rules carried over": len(r.carried),
        "snapshot": dg.MetadataValue.path(str(done.snapshot)), "run_id": done.run_id,
    })
    rev = done.revision
    if rev.plan.guard.tripped:
        context.log.warning(rev.plan.guard.reason)
    yield dg.MaterializeResult(asset_key="revocation_plan", metadata={
        "actions": rev.plan.actions, "held by the model guard": rev.plan.held,
        "by kind": dg.MetadataValue.md("\n".join(f"- {k}: {n}" for k, n in sorted(rev.plan.by_kind.items())) or "none"),
        "by state": dg.MetadataValue.md("\n".join(f"- {k}: {n}" for k, n in sorted(rev.states.items())) or "none"),
        "verified this run": rev.verified["verified"], "not effective this run": rev.verified["not_effective"],
        "model guard": rev.plan.guard.reason or "not tripped",
        "plan": dg.MetadataValue.path(str(done.snapshot / "revocations.parquet")),
    })
