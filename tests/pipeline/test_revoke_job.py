"""The `revoke` job and the sensor that runs it in `auto` mode, for real: the job on the loaded
definitions against moto (through the counting proxy), the sensor evaluated as the daemon
evaluates it after a sync's run."""

import json

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.defs.resources import IdriftResource
from pipelines.defs.revocation.sensors import revoke_after_sync_sensor
from tests.emulators.fault_proxy import FaultProxy

PEOPLE = "id,email,status,terminated_at,manager\nalice,,active,,\ndave,,terminated,2026-11-20T17:00:00Z,alice\n"
DENY_ALL = {"Version": "2012-10-17",
            "Statement": [{"Sid": "IdriftDisabled", "Effect": "Deny", "Action": "*", "Resource": "*"}]}


def model(account: str, mode: str, max_actions: int = 50) -> str:
    role = f"arn:aws:iam::{account}:role"
    return f"""
version: 1
settings: {{revocation: {{mode: {mode}, max_actions_per_run: {max_actions}}}}}
agents:
  - {{id: left, kind: ai_agent, sponsor: dave, identities: [aws: "{role}/left-bot"]}}
  - {{id: left-sub, kind: ai_agent, delegated_by: left, identities: [aws: "{role}/left-sub-bot"]}}
  - {{id: wide, kind: workload, sponsor: alice, identities: [aws: "{role}/wide-bot"]}}
"""


@pytest.fixture
def estate(project, moto_server, new_account, monkeypatch):
    account = new_account()
    iam = moto_server.assume(account).client("iam", endpoint_url=moto_server.endpoint)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    for name in ("left-bot", "left-sub-bot", "wide-bot"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName="wide-bot", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    proxy = FaultProxy(moto_server.endpoint)
    project.configure([account], endpoint=proxy.endpoint, model=model(account, "auto"), people=PEOPLE)
    monkeypatch.setenv("IDRIFT_CONFIG", str(project.config))
    yield project, account, iam, proxy
    proxy.stop()


def run(name: str, instance: dg.DagsterInstance, **kw) -> dg.ExecuteInProcessResult:
    return defs().resolve_job_def(name).execute_in_process(instance=instance, raise_on_error=False, **kw)


def inline(iam, role: str) -> dict:
    return {n: iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"]
            for n in iam.list_role_policies(RoleName=role)["PolicyNames"]}


def after(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult, project):
    run_record = instance.get_run_by_id(result.run_id)
    context = dg.build_run_status_sensor_context(
        sensor_name="revoke_after_sync_sensor", dagster_instance=instance, dagster_run=run_record,
        dagster_event=next(e for e in result.all_events if e.event_type_value == "PIPELINE_SUCCESS"),
        resources={"idrift": IdriftResource(config_path=str(project.config))})
    return revoke_after_sync_sensor(context)


def test_auto_mode_revokes_the_pre_approved_after_the_nightly_sync(estate):
    project, account, iam, proxy = estate
    instance = dg.DagsterInstance.ephemeral()
    nightly = run("nightly_sync", instance)
    assert nightly.success
    plan = nightly.asset_materializations_for_node("drift_findings")[1].metadata
    assert plan["actions"].value == 3 and "disable_identity: 2" in plan["by kind"].value

    request = after(instance, nightly, project)
    assert isinstance(request, dg.RunRequest) and request.run_key == nightly.run_id
    revoked = run("revoke", instance)
    assert revoked.success
    outcome = next(e for e in revoked.all_events if e.event_type_value == "STEP_OUTPUT").event_specific_data.metadata
    assert (outcome["mode"].value, outcome["done"].value, outcome["waiting for approval"].value) == ("auto", 2, 1)
    # the leaver's chain is disabled (pre-approved, the sub-agent by cascade); the excess waits for a person
    assert inline(iam, "left-bot") == inline(iam, "left-sub-bot") == {"idrift-disabled": DENY_ALL}
    assert set(inline(iam, "wide-bot")) == {"p"}


def test_the_sensor_skips_unless_auto_and_the_run_was_nightly_or_a_leaver(estate, monkeypatch):
    project, account, iam, proxy = estate
    instance = dg.DagsterInstance.ephemeral()
    hourly = run("hourly_sync", instance)
    assert "no sponsor's departure" in after(instance, hourly, project).skip_message
    nightly = run("nightly_sync", instance)
    monkeypatch.setenv("IDRIFT_REVOCATION", "off")
    assert "IDRIFT_REVOCATION=off" in after(instance, nightly, project).skip_message
    monkeypatch.delenv("IDRIFT_REVOCATION")
    project.write("model/agents.yaml", model(account, "approve"))
    assert "not auto" in after(instance, nightly, project).skip_message


def test_the_circuit_breaker_fails_the_job_without_retry_and_writes_nothing(estate):
    project, account, iam, proxy = estate
    instance = dg.DagsterInstance.ephemeral()
    assert run("nightly_sync", instance).success
    project.write("model/agents.yaml", model(account, "approve", max_actions=1))
    proxy.calls.clear()
    result = run("revoke", instance, run_config={"ops": {"apply_revocations": {"config": {
        "all": True, "approver": "ann"}}}})
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data
    assert "circuit breaker: 3 actions selected" in failure.error.message
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
    assert [c.operation for c in proxy.calls if not c.operation.startswith(("Get", "List", "AssumeRole"))] == []


def test_an_hr_triggered_recheck_is_followed_by_revoke_in_auto_mode(estate):
    project, account, iam, proxy = estate
    instance = dg.DagsterInstance.ephemeral()
    recheck = run("hourly_sync", instance, tags={"dagster/sensor_name": "hr_sponsor_sensor"})
    assert recheck.success
    request = after(instance, recheck, project)
    assert isinstance(request, dg.RunRequest) and request.tags["idrift/after"] == recheck.run_id
