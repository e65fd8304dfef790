"""One extract asset per provider: its scopes discovered from the config (or AWS Organizations),
then each scope extracted in its own step into the staging store, mapped dynamically inside the
run. One run extracting every scope (rather than a run per scope, reconciled by a sensor) keeps
the run the unit the warehouse records, loads and reconciles together; a failing scope is its own
failed step's record, not the run's failure."""

import dagster as dg

from connectors.records import Scope
from pipelines.defs.resources import IdriftResource, run_info
from pipelines.runner import discover_scopes, extract_one, selector
from pipelines.staging import StagedScope

PROVIDERS = ("aws", "gcp", "entra", "scim")
# Throttling the connector's own retries did not absorb, a dropped connection: worth another go.
EXTRACT_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def _mapping_key(scope: Scope) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in scope.scope_id)


def extract_asset(provider: str) -> dg.AssetsDefinition:
    @dg.op(name=f"discover_{provider}_scopes", out={"scopes": dg.DynamicOut(), "failed": dg.Out()})
    def discover(context: dg.OpExecutionContext, idrift: IdriftResource):
        run = run_info(context)
        keep = selector(run.only)
        scopes, failed = discover_scopes(idrift.config(), provider, run.run_id,
                                         lambda s: keep(s) and (not run.hourly_only or s.schedule == "hourly"))
        context.log.info(f"{provider}: {len(scopes)} scope(s) to extract")
        for scope in scopes:
            yield dg.DynamicOutput(scope, output_name="scopes", mapping_key=_mapping_key(scope))
        yield dg.Output(failed, output_name="failed")

    @dg.op(name=f"extract_{provider}_scope", retry_policy=EXTRACT_RETRY, tags={"idrift/provider": provider})
    def extract(context: dg.OpExecutionContext, idrift: IdriftResource, scope: Scope) -> StagedScope:
        staged = extract_one(idrift.config(), scope, run_info(context).run_id)
        rows = {e: v["rows"] for e, v in staged.entities.items()}
        if staged.error:  # recorded, and the run goes on; the scopes_complete check shows it failed
            context.log.error(f"{scope.key}: {rows}, not complete: {staged.error}")
        else:
            context.log.info(f"{scope.key}: {rows}")
        return staged

    @dg.op(name=f"collect_{provider}_scopes")
    def collect(staged: list[StagedScope], failed: list[StagedScope]) -> list[StagedScope]:
        return [*failed, *staged]

    @dg.graph_asset(name=f"{provider}_extract", group_name="extract", kinds={provider, "parquet"},
                    description=f"Every {provider} scope of the config, extracted into the staging store.")
    def asset():
        scopes, failed = discover()
        return collect(scopes.map(extract).collect(), failed)

    return asset


aws_extract, gcp_extract, entra_extract, scim_extract = (extract_asset(p) for p in PROVIDERS)
