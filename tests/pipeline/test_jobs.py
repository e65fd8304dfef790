"""The Dagster jobs run for real (in process, on the loaded definitions) against moto: the
nightly job extracts each scope in its own step, loads, reconciles and reports; a failing
account is that scope's failure, and the rest goes on."""

import json

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import defs
from tests.emulators.fault_proxy import Fault, FaultProxy


@pytest.fixture
def in_dagster(project, monkeypatch):
    monkeypatch.setenv("IDRIFT_CONFIG", str(project.config))
    return project


def run_job(name: str, **kw) -> dg.ExecuteInProcessResult:
    return defs().resolve_job_def(name).execute_in_process(instance=dg.DagsterInstance.ephemeral(), **kw)


def test_nightly_sync_with_a_failing_account(in_dagster, moto_server, new_account):
    project = in_dagster
    good, denied = new_account(), new_account()
    iam = moto_server.assume(good).client("iam", endpoint_url=moto_server.endpoint)
    iam.create_role(RoleName="shadow", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    proxy = FaultProxy(moto_server.endpoint)
    proxy.faults.append(Fault(service="iam", account=denied, status=403, code="AccessDenied", message="no"))
    try:
        project.configure([good, denied], endpoint=proxy.endpoint,
                          model=f'version: 1\nsettings: {{undeclared_grace: 0d}}\nagents: []\n')
        result = run_job("nightly_sync")
    finally:
        proxy.stop()

    assert result.success
    steps = {e.step_key for e in result.all_events if e.is_step_success}
    assert {f"aws_extract.extract_aws_scope[{good}]", f"aws_extract.extract_aws_scope[{denied}]",
            "warehouse_load", "drift_findings", "drift_report"} <= steps  # a step per scope
    load = result.asset_materializations_for_node("warehouse_load")[0].metadata
    assert load["incomplete or held back"].value == 1
    assert f"`{denied}` | failed" in load["scopes table"].value
    checks = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    assert {k for k, e in checks.items() if not e.passed} == {("aws_extract", "scopes_complete")}
    assert {k[1] for k in checks if k[0] == "warehouse_load"} == {"keys", "references", "secrets", "drop_guard"}
    why = checks["aws_extract", "scopes_complete"].metadata["not complete"].value
    assert f"`{denied}` identities:" in why and "AccessDenied" in why and good not in why
    assert checks["aws_extract", "staged_data_expectations"].passed
    findings = result.asset_materializations_for_node("drift_findings")[0].metadata
    assert findings["open"].value >= 1 and "IDN-UNDECLARED" in findings["findings by rule"].value
    listed = [json.loads(line) for line in project.idrift("findings", "--format", "json").stdout.splitlines()]
    assert f"arn:aws:iam::{good}:role/shadow" in {f["principal"] for f in listed if f["rule"] == "IDN-UNDECLARED"}
    report = result.asset_materializations_for_node("drift_report")[0].metadata["report"].value
    assert report.endswith("index.html") and (project.root / "reports").exists()
    with duckdb.connect(str(project.warehouse), read_only=True) as con:
        assert dict(con.execute("SELECT scope_id, status FROM scope_syncs WHERE provider = 'aws'").fetchall()) == {
            good: "complete", denied: "failed"}


def test_a_targeted_recheck_and_a_model_recheck(in_dagster, moto_server, new_account):
    from pipelines.defs.resources import EVENT_TAG, ONLY_TAG

    project = in_dagster
    first, second = new_account(), new_account()
    iam = moto_server.assume(first).client("iam", endpoint_url=moto_server.endpoint)
    iam.create_role(RoleName="bot", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    bot = f"arn:aws:iam::{first}:role/bot"
    people = "id,email,status,terminated_at,manager\nalice,,active,,\n"
    model = f'version: 1\nagents:\n  - {{id: bot, kind: ai_agent, sponsor: alice, identities: [aws: "{bot}"]}}\n'
    project.configure([first, second], model=model, people=people)
    assert run_job("nightly_sync").success

    # the HR sensor's run: alice was suspended (the feed says when it saw her file change, not
    # when she was suspended); re-sync her chain's scope and the HR feed only
    project.write("hr/people.csv", people.replace("alice,,active,,", "alice,,suspended,,"))
    result = run_job("hourly_sync", tags={ONLY_TAG: f"{first},hr", EVENT_TAG: "2026-12-01T08:05:00Z"})
    assert result.success
    extracted = {e.step_key for e in result.all_events if e.is_step_success and "extract_aws_scope" in e.step_key}
    assert extracted == {f"aws_extract.extract_aws_scope[{first}]"}
    listed = {(f["rule"], f["principal"]): f for f in map(json.loads, project.idrift(
        "findings", "--format", "json").stdout.splitlines())}
    assert listed[("IDN-ORPHANED", bot)]["trigger_at"] == "2026-12-01T08:05:00Z"  # the event, not the run

    # a changed model: reconciled at once, nothing extracted
    project.write("model/agents.yaml", model.replace("sponsor: alice", "sponsor: carol@example.com"))
    recheck = run_job("model_recheck")
    assert recheck.success
    assert not [e for e in recheck.all_events if e.step_key and "extract" in e.step_key]
    orphaned = {(f["rule"], f["principal"]): f for f in map(json.loads, project.idrift(
        "findings", "--format", "json").stdout.splitlines())}[("IDN-ORPHANED", bot)]
    assert orphaned["sponsor"] == "carol@example.com" and orphaned["evidence"]["sponsor_status"] == "missing"
