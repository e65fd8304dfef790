"""The `revoke` job: ops, not assets (it changes the providers, it does not make data). It runs
`pipelines.revocation.apply` exactly as `idrift revoke apply` does: in dry_run mode it only
records; the circuit breaker and a failed provider call fail the run, never retried."""

import dagster as dg

from pipelines.defs.resources import IdriftResource
from pipelines.revocation.apply import ApplyError, apply
from pipelines.sources import build_revokers


class RevokeConfig(dg.Config):
    approve: list[str] = []  # action ids (see `idrift revoke plan` or the revocation_plan asset)
    all: bool = False  # approve every action of the plan
    approver: str | None = None  # recorded in the ledger; required to approve


@dg.op(pool="duckdb", description="Execute the current plan's selected actions under the model's revocation mode.")
def apply_revocations(context: dg.OpExecutionContext, config: RevokeConfig, idrift: IdriftResource):
    cfg, model = idrift.config(), idrift.model()
    try:
        done = apply(cfg, model.settings.revocation, build_revokers(cfg), set(config.approve), config.all,
                     config.approver, on_wait=context.log.info)
    except ApplyError as e:
        raise dg.Failure(description=str(e), allow_retries=False) from None
    outcomes: dict[str, int] = {}
    for o in done.outcomes:
        outcomes[o.attempt.outcome] = outcomes.get(o.attempt.outcome, 0) + 1
    lines = [f"- `{o.action['action_id']}` {o.attempt.outcome}: {o.action['sentence']}"
             + (f" ({o.attempt.reason})" if o.attempt.reason else "") for o in done.outcomes]
    metadata = {
        "apply_id": done.apply_id, "mode": done.mode, "selected": len(done.selected),
        "waiting for approval": len(done.waiting), **{k: n for k, n in sorted(outcomes.items())},
        "actions": dg.MetadataValue.md("\n".join(lines) or "none"),
    }
    if done.refused and done.mode != "dry_run":  # the circuit breaker: a refusal, never retried
        raise dg.Failure(description=done.refused, metadata=metadata, allow_retries=False)
    if done.refused:
        context.log.info(done.refused)
    if done.exit_code:
        raise dg.Failure(description=f"{outcomes.get('failed', 0)} action(s) failed; every attempt is in the ledger",
                         metadata=metadata, allow_retries=False)
    context.add_output_metadata(metadata)


@dg.job(description="Execute the revocation plan under the configured mode (dry_run: only record).")
def revoke():
    apply_revocations()
