"""`idrift`: a thin front over the same core the Dagster assets run.

Exit codes (interfaces.md): 0 ok; 1 a scope or entity type incomplete; 2 bad config or model.
Errors from user input are printed as file:line:col lines, never as tracebacks.
"""

import logging
import sys
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from connectors.records import ENTITY_TYPES

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Identity drift: reconcile non-human identities against the declared model.")

def _console(stderr: bool = False) -> Console:
    # Piped into a log or a file, a table must not be cut to 80 columns.
    console = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = 240
    return console


out = _console()
err = _console(stderr=True)

ConfigOpt = Annotated[
    Optional[str],
    typer.Option("--config", "-c", help="Sources config (else $IDRIFT_CONFIG, else ./idrift.yaml)."),
]


def _fail(errors, code: int = 2) -> "typer.Exit":
    for e in errors:
        err.print(str(e), markup=False)
    return typer.Exit(code)


def _config(path: Optional[str]):
    from pipelines.config import find_config, load_config
    from pipelines.located import LoadErrors

    try:
        return load_config(find_config(path))
    except LoadErrors as e:
        raise _fail(e.errors)


def _model(path):
    from pipelines.located import LoadErrors
    from pipelines.model import load_model

    try:
        model = load_model(path)
    except LoadErrors as e:
        raise _fail(e.errors)
    for w in model.warnings:
        err.print(f"warning: {w}", markup=False)
    return model


@app.command()
def validate(
    model: Annotated[Optional[str], typer.Argument(help="Model folder or file (default: the config's `model`).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Load the declared model and print every error with file:line:col."""
    loaded = _model(model if model is not None else _config(config).model)
    out.print(
        f"model valid: {len(loaded.agents)} agents, {len(loaded.sponsors)} sponsors, "
        f"{len(loaded.exceptions)} exceptions ({loaded.content_hash[:12]})"
    )


@app.command()
def run(
    config: ConfigOpt = None,
    only: Annotated[Optional[str], typer.Option(help="Comma-separated providers or scope ids to sync.")] = None,
) -> None:
    """One full pass: extract every source (or --only some), load, and report completeness."""
    from pipelines.lock import writer_lock
    from pipelines.runner import run_once

    cfg = _config(config)
    model = _model(cfg.model)
    selected = {s.strip() for s in only.split(",") if s.strip()} if only else None
    with writer_lock(cfg.warehouse, on_wait=lambda msg: err.print(msg, markup=False)):
        if err.is_terminal:
            with err.status("syncing..."):
                summary = run_once(cfg, model, selected)
        else:
            summary = run_once(cfg, model, selected)
    _print_summary(summary)
    if summary.incomplete:
        err.print(f"{len(summary.incomplete)} scope(s) incomplete: their last complete observation stays current")
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
        table.add_row(s.provider, s.scope_id, o.status, *cells, str(s.stats.get("api_calls", "")), "; ".join(reasons))
    out.print(table)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
