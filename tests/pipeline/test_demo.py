"""The demo estate: its committed files match the company it is drawn from, and `idrift demo`
runs the nightly job against it and finds every planted drift."""

import json
import os
import subprocess
import sys
from pathlib import Path

from pipelines.demo.estate import EXAMPLES, company, files
from pipelines.reconcile.catalogue import rules

ROOT = Path(__file__).resolve().parents[2]


def test_examples_are_the_demo_company():
    expected = files(company())
    on_disk = {p.relative_to(EXAMPLES).as_posix(): p.read_text() for p in EXAMPLES.rglob("*") if p.is_file()}
    assert on_disk == expected, "run scripts/gen_demo.py after changing pipelines/demo/estate.py"


def test_demo_runs_the_nightly_job_and_finds_every_planted_drift():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IDRIFT_"))}
    done = subprocess.run([str(Path(sys.executable).with_name("idrift")), "demo"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    report = Path(done.stdout.split("report: ")[1].split()[0])
    assert report.is_file() and (report.parent / "manifest.json").is_file()
    findings = [json.loads(line) for line in (report.parent / "findings.jsonl").read_text().splitlines()]
    assert {f["rule"] for f in findings} == {r.id for r in rules()}
    planted = company().planted
    for rule, principals in planted.items():
        raised = {f["principal"] for f in findings if f["rule"] == rule}
        assert set(principals) <= raised, (rule, set(principals) - raised)
    assert "Calculating Metrics" not in done.stderr and "DEBUG" not in done.stderr  # quiet when headless
