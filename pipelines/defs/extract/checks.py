"""Checks on each provider's extraction, read from the staging store: did every scope read every
entity type, and do the staged files meet their expectations. Neither blocks the load: an
incomplete scope keeps its last complete observation current (the core decides that per entity
type), and the other scopes must still reconcile; a failed check is how the UI shows that scope's
failure, with its reason."""

import dagster as dg

from connectors.records import ENTITY_TYPES
from pipelines.defs.extract.assets import PROVIDERS
from pipelines.defs.resources import IdriftResource, run_info
from pipelines.staging import StagedScope, StagingStore

COMPLETE = "scopes_complete"
EXPECTATIONS = "staged_data_expectations"


@dg.multi_asset_check(
    specs=[spec for p in PROVIDERS for spec in (
        dg.AssetCheckSpec(COMPLETE, asset=f"{p}_extract",
                          description="Every scope read every entity type (identities, credentials, grants, edges)"),
        dg.AssetCheckSpec(EXPECTATIONS, asset=f"{p}_extract",
                          description="Great Expectations on each scope's staged files (keys present, unique)"),
    )],
    can_subset=True,
)
def extract_checks(context: dg.AssetCheckExecutionContext, idrift: IdriftResource):
    staged = list(StagingStore(idrift.config().staging).staged_scopes(run_info(context).run_id))
    for key in context.selected_asset_check_keys:
        provider = key.asset_key.path[-1].removesuffix("_extract")
        mine = [s for s in staged if s.provider == provider]
        yield (_completeness if key.name == COMPLETE else _expectations)(key, mine)


def _completeness(key: dg.AssetCheckKey, staged: list[StagedScope]) -> dg.AssetCheckResult:
    lines = [f"- `{s.scope_id}` {e}: {s.entities.get(e, {}).get('reason') or s.error or 'not read'}"
             for s in staged for e in ENTITY_TYPES if not s.complete(e)]
    incomplete = {s.scope_id for s in staged if not all(s.complete(e) for e in ENTITY_TYPES)}
    return dg.AssetCheckResult(
        asset_key=key.asset_key, check_name=key.name, passed=not lines, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"scopes": len(staged), "incomplete scopes": len(incomplete),
                  "not complete": dg.MetadataValue.md("\n".join(lines) or "none")},
    )


def _expectations(key: dg.AssetCheckKey, staged: list[StagedScope]) -> dg.AssetCheckResult:
    from pipelines.quality import validate  # GX loads only when this check runs

    results = [r for s in staged for r in validate(s)]  # one scope in memory at a time
    failed = [r for r in results if not r.success]
    return dg.AssetCheckResult(
        asset_key=key.asset_key, check_name=key.name, passed=not failed, severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "scopes": len({r.scope for r in results}), "expectations": len(results),
            "failed": dg.MetadataValue.md("\n".join(
                f"- `{r.scope}` {r.file}.{r.column}: {r.expectation} ({r.unexpected} unexpected)" for r in failed)
                or "none"),
        },
    )
