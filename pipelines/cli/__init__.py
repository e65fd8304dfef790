"""`idrift`: a thin front over the same core the Dagster assets run.

Exit codes (interfaces.md): 0 ok; 1 a scope or entity type incomplete (run), nothing reconciled
yet (findings, report), an action failed (revoke); 2 bad config or model; 3 refused (revoke).
Errors from user input are printed as file:line:col lines, never as tracebacks.
"""

import logging
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from connectors.records import ENTITY_TYPES
from pipelines.cli.common import ConfigOpt, cli_config, cli_model, cli_snapshot, err, out
from pipelines.cli.revoke import accept_model, revoke

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Identity drift: reconcile non-human identities against the declared model.")
app.add_typer(revoke, name="revoke")
app.command("accept-model")(accept_model)

@app.command()
def validate(
    model: Annotated[Optional[str], typer.Argument(help="Model folder or file (default: the config's `model`).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Load the declared model and print every error with file:line:col."""
    loaded = cli_model(model if model is not None else cli_config(config).model)
    out.print(
        f"model valid: {len(loaded.agents)} agents, {len(loaded.sponsors)} sponsors, "
        f"{len(loaded.exceptions)} exceptions ({loaded.content_hash[:12]})"
    )


@app.command()
def run(
    config: ConfigOpt = None,
    only: Annotated[Optional[str], typer.Option(help="Comma-separated providers or scope ids to sync.")] = None,
) -> None:
    """One full pass: extract every source (or --only some), load, reconcile, write the report."""
    from pipelines.runner import run_once

    cfg = cli_config(config)
    model = cli_model(cfg.model)
    selected = {s.strip() for s in only.split(",") if s.strip()} if only else None
    waiting = lambda msg: err.print(msg, markup=False)  # noqa: E731
    if err.is_terminal:
        with err.status("syncing..."):
            summary = run_once(cfg, model, selected, on_wait=waiting)
    else:
        summary = run_once(cfg, model, selected, on_wait=waiting)
    _print_summary(summary)
    _print_findings(summary)
    if summary.incomplete:
        for o in summary.incomplete:
            if o.held_reason:
                err.print(f"{o.staged.key} held back: {o.held_reason}", markup=False)
        err.print(f"{len(summary.incomplete)} scope(s) incomplete or held back: their last published observation "
                  "stays current")
        raise typer.Exit(1)


def _print_summary(summary) -> None:
    table = Table(title=f"run {summary.run_id}", title_justify="left")
    for col in ("provider", "scope", "status", *ENTITY_TYPES, "api calls", "why not complete"):
        table.add_column(col)
    for o in summary.outcomes:
        s = o.staged
        cells = [
            f"{s.entities[e]['rows']} {'complete' if s.complete(e) else 'INCOMPLETE'}" for e in ENTITY_TYPES
        ]
        reasons = sorted({s.entities[e]["reason"] for e in ENTITY_TYPES if not s.complete(e)} - {None})
        reasons += [f"held back: {o.held_reason}"] if o.held_reason else []
        table.add_row(s.provider, s.scope_id, o.status, *cells, str(s.stats.get("api_calls", "")), "; ".join(reasons))
    out.print(table)


def _print_findings(summary) -> None:
    r = summary.reconciled
    table = Table(title="findings", title_justify="left")
    for col in ("rule", "open", "suppressed", "resolved", "this run"):
        table.add_column(col)
    for rule in sorted(set(r.counts) | set(r.events)):
        counts, events = r.counts.get(rule, {}), r.events.get(rule, {})
        table.add_row(rule, *(str(counts.get(s, 0)) for s in ("open", "suppressed", "resolved")),
                      ", ".join(f"{n} {e}" for e, n in sorted(events.items())))
    out.print(table)
    rev = summary.revision
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(rev.plan.by_kind.items()))
    out.print(f"revocation plan: {rev.plan.actions} actions{f' ({kinds})' if kinds else ''}"
              f"{f', {rev.plan.held} held by the model guard' if rev.plan.held else ''}; "
              f"verified this run: {rev.verified['verified']}, not effective: {rev.verified['not_effective']} "
              "(`idrift revoke plan`)")
    if rev.plan.guard.tripped:
        err.print(rev.plan.guard.reason, markup=False)
    out.print(f"report: {summary.report / 'index.html'}")


Status = Enum("Status", {s: s for s in ("open", "resolved", "suppressed")}, type=str)
Format = Enum("Format", {s: s for s in ("table", "json", "csv")}, type=str)


@app.command()
def findings(
    config: ConfigOpt = None,
    status: Annotated[Optional[Status], typer.Option(help="Only findings of this status.")] = None,
    rule: Annotated[Optional[str], typer.Option(help="Only findings of this rule, e.g. ENT-EXCESS.")] = None,
    format: Annotated[Format, typer.Option("--format", help="table, json (one object per line) or csv.")] = Format.table,
) -> None:
    """The findings of the last reconcile (every status unless --status), highest severity first."""
    from pipelines.report.records import csv_lines, jsonl, records

    snapshot = cli_snapshot(cli_config(config))
    con = snapshot.connect()
    rows = records(con, status.value if status else None, rule)
    if format is Format.json:
        for line in jsonl(rows):
            sys.stdout.write(line)
    elif format is Format.csv:
        for line in csv_lines(rows):
            sys.stdout.write(line)
    else:
        table = Table(title=f"findings of run {snapshot.run['run_id']}", title_justify="left")
        for col in ("severity", "status", "rule", "principal", "object", "detail"):
            table.add_column(col, overflow="fold")
        for f in rows:
            table.add_row(f["severity_name"], f["status"], f["rule"], f["principal"], f["object"] or "", f["detail"])
        out.print(table)


@app.command()
def report(
    config: ConfigOpt = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Folder to write <run-id>/ into (default: the config's reports).")] = None,
) -> None:
    """Write the auditor report of the last run into DIR/<run-id>/."""
    from pipelines.report.writer import ReportExists, write_report

    cfg = cli_config(config)
    try:
        folder = write_report(cli_snapshot(cfg), out_dir or cfg.reports)
    except ReportExists as e:
        err.print(str(e))
        return
    out.print(f"report: {folder / 'index.html'}")


@app.command("accept-drop")
def accept_drop(
    scope: Annotated[str, typer.Argument(help="The scope the drop guard held back: its id, or provider:id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the drop is legitimate (recorded).")],
    config: ConfigOpt = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Who accepts it (default: the OS user).")] = None,
) -> None:
    """Let the next sync of SCOPE through the drop guard, after a legitimate clean-up."""
    import getpass

    from pipelines.lock import writer_lock
    from pipelines.warehouse import connect
    from pipelines.warehouse.load import accept_drop as record

    cfg = cli_config(config)
    if not reason.strip():
        err.print("--reason must say why the drop is legitimate")
        raise typer.Exit(2)
    with writer_lock(cfg.warehouse, on_wait=lambda msg: err.print(msg, markup=False)):
        con = connect(cfg.warehouse)
        try:
            key = record(con, scope, reason.strip(), by or getpass.getuser())
        except LookupError as e:
            err.print(str(e), markup=False)
            raise typer.Exit(2)
        finally:
            con.close()
    out.print(f"the next sync of {key} may publish whatever its identity count")


@app.command()
def demo(
    dev: bool = typer.Option(False, "--dev", help="Serve the estate to `dagster dev` instead (make dev)."),
    port: int = typer.Option(5123, help="The demo estate's port, with --dev."),
    ui_port: int = typer.Option(3000, help="Dagster's port, with --dev."),
) -> None:
    """Start the embedded demo estate, run the nightly job against it, print where the report is."""
    try:
        import pipelines.demo as estate
    except ImportError as e:  # moto is a development dependency
        err.print(f"the demo needs the development dependencies (make install): {e}")
        raise typer.Exit(2)
    if dev:
        raise typer.Exit(estate.dev(port, ui_port))
    result = estate.run()
    table = Table(title=f"demo run {result['run_id']}: {result['identities']} identities, {result['wall_s']} s",
                  title_justify="left")
    for col in ("rule", "open", "suppressed", "resolved"):
        table.add_column(col)
    by_rule: dict[str, dict[str, int]] = {}
    for rule, status, n in result["counts"]:
        by_rule.setdefault(rule, {})[status] = n
    for rule, c in sorted(by_rule.items()):
        table.add_row(rule, *(str(c.get(s, 0)) for s in ("open", "suppressed", "resolved")))
    out.print(table)
    rev = result["revocation"]
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(rev["by_kind"].items()))
    out.print(f"revocation ({rev['mode']}): {rev['actions']} actions it would take ({kinds}); "
              f"see them with IDRIFT_CONFIG={estate.EXAMPLES / 'idrift.yaml'} idrift revoke plan")
    out.print(f"report: {result['report']}")
    if not result["success"]:
        raise typer.Exit(1)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
