import dagster as dg

from connectors.records import ENTITY_TYPES
from pipelines.defs.extract.assets import PROVIDERS
from pipelines.defs.resources import IdriftResource, run_info
from pipelines.runner import HrFeed, load
from pipelines.staging import StagedScope
from pipelines.warehouse.gates import gates

GATE_CHECKS = [dg.AssetCheckSpec(g.id, asset="warehouse_load", description=g.title) for g in gates()]


@dg.asset(
    group_name="warehouse", kinds={"duckdb"}, pool="duckdb",
    ins={f"{p}_extract": dg.AssetIn() for p in PROVIDERS},
    check_specs=GATE_CHECKS,
    description="The single writer: the publication gates, then every scope they let through, as intervals.",
)
def warehouse_load(context: dg.AssetExecutionContext, idrift: IdriftResource, hr_feed: list[HrFeed],
                   aws_extract: list[StagedScope], gcp_extract: list[StagedScope],
                   entra_extract: list[StagedScope], scim_extract: list[StagedScope]):
    run = run_info(context)
    staged = [*aws_extract, *gcp_extract, *entra_extract, *scim_extract]
    run_seq, outcomes = load(idrift.config(), run.run_id, run.started_at, run.trigger, staged, hr_feed,
                             event_at=run.event_at, on_wait=context.log.info)
    held = [o for o in outcomes if o.held_reason]
    for gate in gates():  # a gate that fails holds its scopes back; the others publish, and the run goes on
        failing = [o for o in held if f"{gate.id}:" in o.held_reason]
        yield dg.AssetCheckResult(
            check_name=gate.id, passed=not failing, severity=dg.AssetCheckSeverity.ERROR,
            description=gate.description,
            metadata={"held back": dg.MetadataValue.md("\n".join(f"- `{o.staged.key}`: {o.held_reason}"
                                                                 for o in failing) or "none")},
        )
    incomplete = [o for o in outcomes if o.status != "complete"]
    yield dg.MaterializeResult(metadata={
        "run_id": run.run_id, "run_seq": run_seq, "scopes": len(outcomes), "incomplete or held back": len(incomplete),
        "scopes table": dg.MetadataValue.md(_table(outcomes)),
    })


def _table(outcomes) -> str:
    rows = ["| provider | scope | status | " + " | ".join(ENTITY_TYPES) + " | why not complete |",
            "|---|---|---|" + "---|" * len(ENTITY_TYPES) + "---|"]
    for o in outcomes:
        s = o.staged
        cells = [f"{s.entities[e]['rows']}{'' if s.complete(e) else ' (incomplete)'}" for e in ENTITY_TYPES]
        why = "; ".join(sorted({s.entities[e]["reason"] for e in ENTITY_TYPES if not s.complete(e)} - {None}))
        why = "; ".join(filter(None, [why, o.held_reason and f"held back: {o.held_reason}"]))
        rows.append(f"| {s.provider} | `{s.scope_id}` | {o.status} | " + " | ".join(cells) + f" | {why} |")
    return "\n".join(rows)
