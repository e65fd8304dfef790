import dagster as dg

from pipelines.defs.extract.assets import PROVIDERS
from pipelines.defs.resources import IdriftResource, run_info
from pipelines.staging import StagingStore


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec("staged_data_expectations", asset=f"{p}_extract",
                             description="Great Expectations on each scope's staged files (keys present, unique)")
           for p in PROVIDERS],
    can_subset=True,
)
def staged_data_expectations(context: dg.AssetCheckExecutionContext, idrift: IdriftResource):
    from pipelines.quality import validate  # GX loads only when a check runs

    store = StagingStore(idrift.config().staging)
    staged = list(store.staged_scopes(run_info(context).run_id))
    for key in context.selected_asset_check_keys:
        provider = key.asset_key.path[-1].removesuffix("_extract")
        results = [r for s in staged if s.provider == provider for r in validate(s)]  # one scope at a time
        failed = [r for r in results if not r.success]
        yield dg.AssetCheckResult(
            asset_key=key.asset_key, check_name=key.name, passed=not failed, severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "scopes": len({r.scope for r in results}), "expectations": len(results),
                "failed": dg.MetadataValue.md("\n".join(
                    f"- `{r.scope}` {r.file}.{r.column}: {r.expectation} ({r.unexpected} unexpected)" for r in failed)
                    or "none"),
            },
        )
