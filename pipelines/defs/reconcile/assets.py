import dagster as dg

from pipelines.defs.resources import IdriftResource, run_info
from pipelines.runner import reconcile


@dg.asset(
    group_name="warehouse", kinds={"duckdb", "sql"}, pool="duckdb",
    deps=["warehouse_load"], ins={"declared_model": dg.AssetIn()},
    description="Every rule of sql/rules/ over the whole estate, the findings lifecycle, the blast radius, "
                "and the snapshot the read commands and the report read.",
)
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
    return dg.MaterializeResult(metadata={
        "open": sum(c.get("open", 0) for c in r.counts.values()), **events,
        "findings by rule": dg.MetadataValue.md("\n".join(rows)),
        "rules evaluated": len(r.evaluated), "rules carried over": len(r.carried),
        "snapshot": dg.MetadataValue.path(str(done.snapshot)), "run_id": done.run_id,
    })
