"""Executing the plan: `idrift revoke apply` and the `revoke` Dagster job, and `undo`.

What runs is decided before anything is called, in this order:
1. the mode: the model's `settings.revocation.mode`, forced to `dry_run` by
   `IDRIFT_REVOCATION=off` (a kill switch that needs no commit);
2. the selection: `approve` takes the approved ids (or every action with `--all`), `auto` the
   pre-approved actions plus the approved ids; an action brings the cascades it plans along;
   actions held by the model guard are never selected; the rest waits for approval;
3. the circuit breaker: more selected actions than `max_actions_per_run` executes nothing;
4. each action through its provider's executor, which re-reads the target first.
Every decision and attempt is appended to the ledger as it happens, so an apply that dies
half-way has recorded everything it did.
"""

import os
from dataclasses import dataclass, field

from connectors.base import Attempt, Revoker
from pipelines.config import Config
from pipelines.lock import writer_lock
from pipelines.revocation.ledger import Ledger, new_apply_id
from pipelines.revocation.plan import action
from pipelines.sources import describe
from pipelines.warehouse import connect

KILL_SWITCH = "IDRIFT_REVOCATION"
# Disable before anything else: an identity that can no longer act is safe while the finer
# changes follow; deleting a password (not reversible) comes last.
ORDER = ("disable_identity", "deactivate_credential", "revoke_grant", "remove_trust", "delete_login_profile")


class ApplyError(ValueError):
    """The request itself is wrong (an unknown action id, no approver): nothing was recorded."""


@dataclass
class Outcome:
    action: dict
    attempt: Attempt


@dataclass
class Applied:
    apply_id: str
    mode: str
    refused: str | None = None  # dry_run, the kill switch or the circuit breaker
    outcomes: list[Outcome] = field(default_factory=list)
    waiting: list[dict] = field(default_factory=list)  # planned, not selected: waiting for approval
    selected: list[dict] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.refused:
            return 3
        return 1 if any(o.attempt.outcome == "failed" for o in self.outcomes) else 0


def effective_mode(mode: str) -> tuple[str, str | None]:
    if os.environ.get(KILL_SWITCH, "").strip().lower() == "off":
        return "dry_run", f"{KILL_SWITCH}=off: nothing is executed, whatever the model says"
    return mode, None


def select(plan: list[dict], mode: str, approve: set[str], all_: bool) -> tuple[list[dict], list[dict]]:
    """(selected, waiting) among the plan's actions that are not held."""
    live = [r for r in plan if not r["held"]]
    unknown = approve - {r["action_id"] for r in plan}
    if unknown:
        raise ApplyError(f"not in the current plan: {', '.join(sorted(unknown))} (see `idrift revoke plan`)")
    held = approve & {r["action_id"] for r in plan if r["held"]}
    if held:
        raise ApplyError(f"held by the model guard until `idrift accept-model`: {', '.join(sorted(held))}")
    chosen = {r["action_id"] for r in live if all_ or r["action_id"] in approve
              or (mode == "auto" and r["pre_approved"])}
    chosen |= {r["action_id"] for r in live if set(r["cascade_from"] or []) & chosen}
    order = {k: n for n, k in enumerate(ORDER)}
    selected = sorted((r for r in live if r["action_id"] in chosen), key=lambda r: (order[r["kind"]], r["action_id"]))
    return selected, [r for r in live if r["action_id"] not in chosen]


def apply(config: Config, settings, revokers: dict[str, Revoker], approve: set[str] = frozenset(),
          all_: bool = False, approver: str | None = None, on_wait=lambda m: None) -> Applied:
    """Execute the current plan's selected actions under `settings` (the model's
    `settings.revocation`), holding the writer lock so that no run reads half an apply."""
    mode, why = effective_mode(settings.mode)
    if (approve or all_) and not approver and mode != "dry_run":
        raise ApplyError("approving needs --approver NAME: the ledger records who approved")
    ledger = Ledger(config.ledger_url)
    with writer_lock(config.warehouse, on_wait=on_wait):
        plan = _plan(config)
        selected, waiting = select(plan, mode, set(approve), all_)
        out = Applied(new_apply_id(), mode, waiting=waiting, selected=selected)
        base = {"apply_id": out.apply_id, "mode": mode, "approver": approver}
        if mode == "dry_run":
            out.refused = why or "dry_run mode (settings.revocation.mode): what would be done is recorded, nothing is called"
            ledger.record({**base, "action": _record(r), "outcome": "dry_run", "reason": out.refused} for r in selected or waiting)
            return out
        if len(selected) > settings.max_actions_per_run:
            out.refused = (f"circuit breaker: {len(selected)} actions selected (cascades included), more than "
                           f"max_actions_per_run = {settings.max_actions_per_run}; nothing is executed")
            ledger.record({**base, "action": _record(r), "outcome": "refused", "reason": out.refused} for r in selected)
            return out
        for r in selected:
            row = {**base, "approver": approver or ("catalogue (pre-approved)" if r["pre_approved"] else None),
                   "action": _record(r)}
            # written ahead: a process killed during the provider call still leaves its attempt on record
            ledger.record([{**row, "outcome": "started"}])
            attempt = revokers[r["provider"]].execute(action(r))
            ledger.record([{**row, "outcome": attempt.outcome, "reason": attempt.reason, "request": attempt.request,
                            "response": attempt.response, "before": attempt.before}])
            out.outcomes.append(Outcome(r, attempt))
    return out


@dataclass
class Undone:
    exit_code: int
    message: str
    attempt: Attempt | None = None


def undo(config: Config, revokers: dict[str, Revoker], action_id: str, by: str | None, on_wait=lambda m: None) -> Undone:
    """Reverse the last execution of `action_id` from the state the ledger kept before it."""
    ledger = Ledger(config.ledger_url)
    with writer_lock(config.warehouse, on_wait=on_wait):
        last = ledger.last_effective(action_id)
        if last is None:
            return Undone(1, f"{action_id}: no execution of it that is not undone yet")
        revoker = revokers.get(last["provider"])
        if revoker is None or last["kind"] not in revoker.reversible:
            return Undone(3, f"{action_id}: {last['kind']} is not reversible")
        attempt = revoker.undo(action(last["action"]), last["before"] or {})
        outcome = "undone" if attempt.outcome == "done" else attempt.outcome
        ledger.record([{"apply_id": new_apply_id(), "mode": "undo", "approver": by, "action": last["action"],
                        "outcome": outcome, "reason": attempt.reason, "request": attempt.request,
                        "response": attempt.response, "before": last["before"]}])
    return Undone(0 if outcome == "undone" else 1, f"{action_id}: {outcome}" + (f" ({attempt.reason})" if attempt.reason else ""),
                  attempt)


def _plan(config: Config) -> list[dict]:
    con = connect(config.warehouse)
    try:
        cur = con.execute("SELECT * FROM revocation_plan ORDER BY action_id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()


def _record(row: dict) -> dict:
    """The action as the ledger keeps it: whole (with the call it makes and, for a revoke_grant,
    the policy kept), so undo and verification need no plan."""
    executed = action(row)
    return {**row, "target": executed.target, "call": describe(executed)}
