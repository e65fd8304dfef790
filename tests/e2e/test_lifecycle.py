"""The findings lifecycle over several `idrift run`s of one moto account: stable ids, resolve,
reopen, suppression by an exception and its expiry, and a failed sync that freezes what it
cannot see while the model / HR / clock-driven findings go on, flagged stale."""

import json
import time
from datetime import datetime, timedelta, timezone

from tests.emulators.fault_proxy import Fault, FaultProxy

PEOPLE = "id,email,status,terminated_at,manager\nalice,alice@example.com,active,,\ndave,,terminated,2026-11-01,\n"


def policy(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action,
                                                                "Resource": "arn:aws:s3:::data/*"}]})


def model(account: str, exception: str = "") -> str:
    return f"""
version: 1
agents:
  - id: bot
    kind: ai_agent
    sponsor: alice
    identities: [aws: "arn:aws:iam::{account}:role/bot"]
    allow: [aws: {{actions: [s3:GetObject], resources: ["arn:aws:s3:::data/*"]}}]
  - id: legacy
    kind: workload
    sponsor: dave
    identities: [aws: "arn:aws:iam::{account}:role/legacy"]
{exception}
"""


def findings(project) -> dict[str, dict]:
    listed = project.idrift("findings", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    return {(f["rule"], f["principal"]): f for f in map(json.loads, listed.stdout.splitlines())}


def test_lifecycle(project, moto_server, new_account):
    account = new_account()
    iam = moto_server.assume(account).client("iam", endpoint_url=moto_server.endpoint)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    for role in ("bot", "legacy"):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName="bot", PolicyName="p", PolicyDocument=policy("s3:*"))
    bot, legacy = f"arn:aws:iam::{account}:role/bot", f"arn:aws:iam::{account}:role/legacy"
    proxy = FaultProxy(moto_server.endpoint)
    try:
        project.configure([account], endpoint=proxy.endpoint, model=model(account), people=PEOPLE)

        assert project.idrift("run").exit_code == 0
        first = findings(project)
        excess = first[("ENT-EXCESS", bot)]
        assert excess["status"] == "open" and excess["object"] == "inline:p"
        assert first[("IDN-ORPHANED", legacy)]["trigger_at"] == "2026-11-01T00:00:00Z"

        assert project.idrift("run").exit_code == 0  # nothing changed: the same findings, seen again
        again = findings(project)
        assert {k: f["id"] for k, f in again.items()} == {k: f["id"] for k, f in first.items()}
        assert again[("ENT-EXCESS", bot)]["first_seen"] == excess["first_seen"]
        assert again[("ENT-EXCESS", bot)]["last_seen"] > excess["last_seen"]

        iam.put_role_policy(RoleName="bot", PolicyName="p", PolicyDocument=policy("s3:GetObject"))
        assert project.idrift("run").exit_code == 0  # the drift is gone: resolved
        resolved = findings(project)[("ENT-EXCESS", bot)]
        assert (resolved["id"], resolved["status"]) == (excess["id"], "resolved") and resolved["resolved_at"]

        iam.put_role_policy(RoleName="bot", PolicyName="p", PolicyDocument=policy("s3:*"))
        assert project.idrift("run").exit_code == 0  # it comes back: the same finding, reopened
        reopened = findings(project)[("ENT-EXCESS", bot)]
        assert (reopened["id"], reopened["status"], reopened["first_seen"]) == (excess["id"], "open", excess["first_seen"])
        assert reopened["reopened_at"] and reopened["resolved_at"] is None

        expires = datetime.now(timezone.utc) + timedelta(seconds=15)
        project.write("model/agents.yaml", model(account, f"""exceptions:
  - rule: ENT-EXCESS
    agent: bot
    match: {{action: "s3:*"}}
    reason: cleanup job until SEC-42
    approved_by: carol@example.com
    expires: {expires.isoformat().replace("+00:00", "Z")}
"""))
        assert project.idrift("run").exit_code == 0  # an exception covering every uncovered pair: suppressed
        suppressed = findings(project)[("ENT-EXCESS", bot)]
        assert (suppressed["id"], suppressed["status"]) == (excess["id"], "suppressed")
        assert suppressed["evidence"]["suppressed_by"][0]["reason"] == "cleanup job until SEC-42"

        time.sleep(max(0.0, (expires - datetime.now(timezone.utc)).total_seconds()) + 1)
        assert project.idrift("run").exit_code == 0  # the exception expired: open again
        assert findings(project)[("ENT-EXCESS", bot)]["status"] == "open"

        before = findings(project)
        iam.delete_role_policy(RoleName="bot", PolicyName="p")  # a change nobody can see ...
        proxy.faults.append(Fault(service="iam", account=account, status=403, code="AccessDenied", message="no"))
        failed = project.idrift("run")  # ... because this sync fails
        assert failed.exit_code == 1
        after = findings(project)
        frozen = after[("ENT-EXCESS", bot)]
        # exactly as it was: not resolved, not even seen again; but nothing is planned from missing data
        assert before[("ENT-EXCESS", bot)]["remediation"]["kind"] == "revoke_grant"
        assert frozen == {**before[("ENT-EXCESS", bot)], "remediation": None}
        stale = after[("IDN-ORPHANED", legacy)]  # driven by HR: still raised, from the last complete observation
        assert stale["status"] == "open" and stale["stale_observation"] and stale["last_seen"] > before[
            ("IDN-ORPHANED", legacy)]["last_seen"]
        assert stale["remediation"]["kind"] == "disable_identity"  # the executor re-reads the target first
    finally:
        proxy.stop()
