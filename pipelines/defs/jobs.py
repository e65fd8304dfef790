import dagster as dg

from pipelines.defs.resources import SCHEDULE_TAG

_SYNC = dg.AssetSelection.groups("extract", "sources", "warehouse", "revocation")

# extract + load + reconcile of the scopes whose schedule is hourly (a sensor's targeted re-check
# names its scopes with the idrift/only tag instead)
hourly_sync = dg.define_asset_job("hourly_sync", selection=_SYNC, tags={SCHEDULE_TAG: "hourly"},
                                  description="Sync the hourly scopes, load, reconcile, plan revocations.")

# every scope, and the auditor report
nightly_sync = dg.define_asset_job("nightly_sync", selection=_SYNC | dg.AssetSelection.groups("reports"),
                                   description="Sync every scope, load, reconcile, plan revocations, and write the auditor report.")

# the declared model changed: reconcile the estate as last loaded against it, extracting nothing
model_recheck = dg.define_asset_job("model_recheck", selection=dg.AssetSelection.assets("declared_model", "drift_findings", "revocation_plan"),
                                    description="Reconcile the last loaded estate against a changed declared model.")
