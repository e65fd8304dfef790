"""A project folder (idrift.yaml, model/, hr/people.csv) and the `idrift` commands run in it,
in process (typer's runner), against moto over HTTP."""

from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

from typer.testing import CliRunner

from pipelines.cli import app
from tests.emulators.moto_server import MEMBER_ROLE


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


class Project:
    """A folder holding idrift.yaml, model/ and hr/people.csv, and the commands run in it."""

    def __init__(self, root: Path, endpoint: str):
        self.root, self.endpoint = root, endpoint
        self.model_dir = root / "model"
        self.people = root / "hr" / "people.csv"
        self.config = root / "idrift.yaml"

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text).lstrip("\n"))
        return path

    def configure(self, accounts: list[str], environments: dict[str, str] | None = None, endpoint: str | None = None,
                  model: str | None = None, people: str | None = None) -> None:
        envs = ", ".join(f'"{a}": {e}' for a, e in (environments or {}).items())
        self.write(
            "idrift.yaml",
            f"""
            warehouse: data/idrift.duckdb
            staging: data/staging
            reports: reports
            model: model
            sources:
              - aws:
                  accounts: [{", ".join(f'"{a}"' for a in accounts)}]
                  assume_role: {MEMBER_ROLE}
                  endpoint: {endpoint or self.endpoint}
                  max_attempts: 2
                  environments: {{{envs}}}
              - hr:
                  csv: hr/people.csv
            """,
        )
        self.write("model/agents.yaml", model or "version: 1\nagents: []\n")
        self.write("hr/people.csv", people or "id,email,status,terminated_at,manager\n")

    def idrift(self, *args: str) -> Result:
        result = CliRunner().invoke(app, [*args, "--config", str(self.config)], catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    @property
    def warehouse(self) -> Path:
        return self.root / "data" / "idrift.duckdb"
