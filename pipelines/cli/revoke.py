"""`idrift revoke plan | apply | undo` and `idrift accept-model` (interfaces.md): exit 0 done (or
waiting for approval), 1 an action failed, 2 a wrong request, 3 refused (dry_run mode, the
kill switch, the circuit breaker, an action that cannot be undone)."""

import getpass
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from pipelines.cli.common import ConfigOpt, cli_config, cli_model, cli_snapshot, err, out

revoke = typer.Typer(no_args_is_help=True, help="The revocation plan: show it, apply it, undo an action.")
PlanFormat = typer.Option("--format", help="table, json (one object per line) or csv.")


@revoke.command("plan")
def show_plan(config: ConfigOpt = None, format: Annotated[str, PlanFormat] = "table") -> None:
    """The revocation plan of the last reconcile, with each action's state in the ledger."""
    from pipelines.report.records import REVOCATION_FIELDS, csv_lines, jsonl, revocation_records

    cfg = cli_config(config)
    snapshot = cli_snapshot(cfg)
    rows = _with_ledger(list(revocation_records(snapshot.connect())), cfg.ledger_url)
    if format == "json":
        sys.stdout.writelines(jsonl(rows))
        return
    if format == "csv":
        sys.stdout.writelines(csv_lines(rows, REVOCATION_FIELDS))
        return
    table = Table(title=f"revocation plan of run {snapshot.run['run_id']}", title_justify="left")
    for col in ("action", "state", "kind", "principal", "closes", "pre-approved", "call"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["action_id"], r["state"], r["kind"], r["principal"], ", ".join(r["rules"] or []) or "cascade",
                      "yes" if r["pre_approved"] else "", r["call"] or "")
    out.print(table)
    summary = snapshot.run.get("revocation") or {}
    out.print(f"{summary.get('actions', 0)} actions planned, {summary.get('held', 0)} held")
    if summary.get("model_guard"):
        err.print(summary["model_guard"], markup=False)


@revoke.command("apply")
def apply_plan(
    config: ConfigOpt = None,
    approve: Annotated[Optional[list[str]], typer.Option("--approve", help="An action id to execute (repeatable).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Approve every action of the plan.")] = False,
    approver: Annotated[Optional[str], typer.Option("--approver", help="Who approves (recorded; required to approve).")] = None,
    approvals: Annotated[Optional[Path], typer.Option("--approvals", help="A file of action ids to approve, one per line.")] = None,
) -> None:
    """Execute the approved actions of the current plan under the model's revocation mode."""
    from pipelines.revocation.apply import ApplyError, apply
    from pipelines.sources import build_revokers

    cfg = cli_config(config)
    model = cli_model(cfg.model)
    ids = set(approve or []) | (_approvals(approvals) if approvals else set())
    try:
        done = apply(cfg, model.settings.revocation, build_revokers(cfg), ids, all_, approver,
                     on_wait=lambda m: err.print(m, markup=False))
    except ApplyError as e:
        err.print(str(e), markup=False)
        raise typer.Exit(2)
    table = Table(title=f"apply {done.apply_id} ({done.mode})", title_justify="left")
    for col in ("action", "outcome", "kind", "principal", "reason"):
        table.add_column(col, overflow="fold")
    for o in done.outcomes:
        table.add_row(o.action["action_id"], o.attempt.outcome, o.action["kind"], o.action["principal"],
                      o.attempt.reason or "")
    for r in done.waiting:
        table.add_row(r["action_id"], "waiting for approval", r["kind"], r["principal"], "")
    out.print(table)
    if done.refused:
        err.print(f"refused: {done.refused}", markup=False)
    raise typer.Exit(done.exit_code)


@revoke.command("undo")
def undo_action(
    action_id: Annotated[str, typer.Argument(help="The action to reverse (its id in the plan or the ledger).")],
    config: ConfigOpt = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Who undoes it (default: the OS user).")] = None,
) -> None:
    """Reverse an executed, reversible action from the state the ledger kept before it."""
    from pipelines.revocation.apply import undo
    from pipelines.sources import build_revokers

    cfg = cli_config(config)
    result = undo(cfg, build_revokers(cfg), action_id, by or getpass.getuser(),
                  on_wait=lambda m: err.print(m, markup=False))
    (out if result.exit_code == 0 else err).print(result.message, markup=False)
    raise typer.Exit(result.exit_code)


def accept_model(
    reason: Annotated[str, typer.Option("--reason", help="Why the model change is right (recorded).")],
    config: ConfigOpt = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Who accepts it (default: the OS user).")] = None,
) -> None:
    """Let the current declared model be planned although the model guard held its change back."""
    from pipelines.revocation.ledger import Ledger

    cfg = cli_config(config)
    model = cli_model(cfg.model)
    if not reason.strip():
        err.print("--reason must say why the model change is right")
        raise typer.Exit(2)
    Ledger(cfg.ledger_url).accept_model(model.content_hash, reason.strip(), by or getpass.getuser())
    out.print(f"model {model.content_hash[:12]} accepted: the next reconcile plans from it")


def _with_ledger(rows: list[dict], url: str) -> list[dict]:
    """The snapshot's plan with what the ledger recorded since (an apply after the last run)."""
    from pipelines.report.records import iso_instant
    from pipelines.revocation.ledger import current_states

    states = current_states(url)
    if states is None:
        err.print("the ledger is busy or absent: states are as of the last run", markup=False)
        return rows
    for r in rows:
        if (latest := states.get(r["action_id"])) and iso_instant(latest["attempted_at"]) != r["state_at"]:
            r.update(state=latest["outcome"], state_at=iso_instant(latest["attempted_at"]),
                     state_reason=latest["reason"], approver=latest["approver"], lag_seconds=latest["lag_seconds"])
    return rows


def _approvals(path: Path) -> set[str]:
    try:
        lines = path.read_text().splitlines()
    except OSError as e:
        err.print(f"{path}: {e.strerror}")
        raise typer.Exit(2)
    return {line.split("#", 1)[0].strip() for line in lines} - {""}
