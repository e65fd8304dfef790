"""What every command shares: the consoles, and loading the config, the model and the snapshot
with located errors instead of tracebacks."""

from typing import Annotated, Optional

import typer
from rich.console import Console


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


def fail(errors, code: int = 2) -> "typer.Exit":
    for e in errors:
        err.print(str(e), markup=False)
    return typer.Exit(code)


def cli_config(path: Optional[str]):
    from pipelines.config import find_config, load_config
    from pipelines.located import LoadErrors

    try:
        return load_config(find_config(path))
    except LoadErrors as e:
        raise fail(e.errors)


def cli_model(path):
    from pipelines.located import LoadErrors
    from pipelines.model import load_model

    try:
        model = load_model(path)
    except LoadErrors as e:
        raise fail(e.errors)
    for w in model.warnings:
        err.print(f"warning: {w}", markup=False)
    return model


def cli_snapshot(cfg):
    from pipelines.publish import latest

    snapshot = latest(cfg.warehouse)
    if snapshot is None:
        err.print("nothing was reconciled yet: run `idrift run` first")
        raise typer.Exit(1)
    return snapshot


