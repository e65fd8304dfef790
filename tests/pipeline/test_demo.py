"""The demo estate: its committed files match the company it is drawn from, `idrift demo` runs
the nightly job against it and finds every planted drift, and `idrift demo --dev` serves it to
`dagster dev`."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3

from pipelines.demo.estate import ACCOUNTS, EXAMPLES, READ_ROLE, company, files
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)["data"]


REPOSITORY = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
  schedules { name scheduleState { status } } sensors { name sensorState { status } }
  assetNodes { assetKey { path } dependencyKeys { path } } } } } }"""


def test_dev_serves_the_seeded_estate_to_dagster_until_interrupted():
    """`make dev`: the estate answers as AWS once the UI is up, the UI shows the whole lineage with
    schedules and sensors running, and Ctrl-C stops both."""
    estate, ui = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IDRIFT_"))}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("idrift")), "demo", "--dev", "--port", str(estate),
                             "--ui-port", str(ui)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, proc.stdout.read()[-3000:]
            try:
                nodes = _graphql(ui, REPOSITORY)["repositoriesOrError"]["nodes"]
                break
            except OSError:
                assert time.monotonic() < deadline, "dagster dev did not answer in 180 s"
                time.sleep(2)
        [repo] = nodes
        assert {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]} == {
            "hourly_sync_schedule": "RUNNING", "nightly_sync_schedule": "RUNNING"}
        assert {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]} == {
            "hr_sponsor_sensor": "RUNNING", "declared_model_sensor": "RUNNING", "revoke_after_sync_sensor": "RUNNING"}
        parents = {n["assetKey"]["path"][0]: {d["path"][0] for d in n["dependencyKeys"]} for n in repo["assetNodes"]}
        assert "aws_extract" in parents["warehouse_load"] and parents["drift_report"] == {"revocation_plan"}
        assert parents["revocation_plan"] == {"drift_findings"}

        sts = boto3.client("sts", endpoint_url=f"http://127.0.0.1:{estate}", region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        for account in ACCOUNTS:
            creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{READ_ROLE}", RoleSessionName="test",
                                    ExternalId="idrift-demo")["Credentials"]
            iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{estate}", region_name="us-east-1",
                               aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                               aws_session_token=creds["SessionToken"])
            seeded = {p.name for p in company().principals if p.account == account and p.kind == "role"}
            listed = {r["RoleName"] for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]}
            assert seeded <= listed
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        out = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0, out[-3000:]
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", estate)) != 0  # the estate stopped with the UI
