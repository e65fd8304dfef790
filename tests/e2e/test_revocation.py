"""Revocation end to end, against moto's server over HTTP through the counting proxy: plan,
dry_run, the circuit breaker, approve by id, apply everything, the drift between plan and
apply, a failed call, idempotency, verification by the next sync, undo, and the ledger."""

import csv
import json
import re
from datetime import datetime, timedelta, timezone

import duckdb
import pytest
from botocore.exceptions import ClientError

from tests.emulators.fault_proxy import Fault, FaultProxy
from tests.emulators.moto_server import backdate_key, iam_backend

NOW = datetime.now(timezone.utc)
PEOPLE = """id,email,status,terminated_at,manager
alice,alice@example.com,active,,
dave,dave@example.com,terminated,2026-11-20T17:00:00Z,alice
"""
DENY_ALL = {"Version": "2012-10-17",
            "Statement": [{"Sid": "IdriftDisabled", "Effect": "Deny", "Action": "*", "Resource": "*"}]}
PASSWORD = "Not-a-secret-1!x"
READS = ("Get", "List", "Generate", "AssumeRole")


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*") -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def trusts(*principals) -> str:
    return doc(*({"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"} for p in principals))


def writes(proxy: FaultProxy) -> list[str]:
    return [c.operation for c in proxy.calls if c.service == "iam" and not c.operation.startswith(READS)]


class Estate:
    """One account of the estate, with the planted cases and the clean agents next to them."""

    def __init__(self, moto_server, account: str):
        self.account = account
        self.iam = moto_server.assume(account).client("iam", endpoint_url=moto_server.endpoint)

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:iam::{self.account}:{kind}/{name}"

    def role(self, name: str, trust: str | None = None, inline: dict | None = None, age_days: int = 30) -> str:
        self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust or trusts({"Service": "lambda.amazonaws.com"}))
        if inline:
            self.iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc(inline))
        role = iam_backend(self.account).get_role(name)
        role.create_date, role.last_used = NOW - timedelta(days=age_days), NOW - timedelta(days=1)
        return self.arn("role", name)

    def user(self, name: str) -> str:
        self.iam.create_user(UserName=name)
        return self.arn("user", name)

    def state(self, kind: str, name: str) -> dict:
        """What an operator would look at: inline policies and documents, attached policies,
        the trust policy, keys and login profile."""
        noun = "Role" if kind == "role" else "User"
        names = self.iam.__getattribute__(f"list_{kind}_policies")(**{f"{noun}Name": name})["PolicyNames"]
        inline = {n: self.iam.__getattribute__(f"get_{kind}_policy")(**{f"{noun}Name": name}, PolicyName=n)["PolicyDocument"]
                  for n in names}
        attached = sorted(p["PolicyArn"] for p in self.iam.__getattribute__(f"list_attached_{kind}_policies")(
            **{f"{noun}Name": name})["AttachedPolicies"])
        out = {"inline": inline, "attached": attached}
        if kind == "role":
            out["trust"] = self.iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        else:
            out["keys"] = {k["AccessKeyId"]: k["Status"] for k in self.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]}
            try:
                self.iam.get_login_profile(UserName=name)
                out["login_profile"] = True
            except ClientError:
                out["login_profile"] = False
        return out


def model(p: dict, mode: str = "approve", max_actions: int = 50, extra: str = "") -> str:
    return f"""
version: 1
settings:
  undeclared_grace: 7d
  revocation: {{mode: {mode}, max_actions_per_run: {max_actions}}}
sponsors:
  - id: alice
agents:
  - {{id: orphan, kind: ai_agent, sponsor: dave, identities: [aws: "{p['orphan']}"]}}
  - {{id: orphan-sub, kind: ai_agent, delegated_by: orphan, identities: [aws: "{p['orphan-sub']}"]}}
  - {{id: expired, kind: workload, sponsor: alice, expires: 2026-01-01, identities: [aws: "{p['expired']}"]}}
  - {{id: keys, kind: service_account, sponsor: alice, identities: [aws: "{p['keys']}"]}}
  - {{id: rotating, kind: service_account, sponsor: alice, identities: [aws: "{p['old-key']}"]}}
  - {{id: console, kind: service_account, sponsor: alice, identities: [aws: "{p['console']}"]}}
  - {{id: wide, kind: workload, sponsor: alice, identities: [aws: "{p['wide']}"],
      allow: [aws: {{actions: ["s3:Get*"], resources: ["arn:aws:s3:::data/*"]}}]}}
  - {{id: managed, kind: workload, sponsor: alice, identities: [aws: "{p['managed']}"],
      allow: [aws: {{actions: ["dynamodb:GetItem"], resources: ["*"]}}]}}
  - {{id: drifting, kind: workload, sponsor: alice, identities: [aws: "{p['drifting']}"],
      allow: [aws: {{actions: ["sqs:SendMessage"], resources: ["*"]}}]}}
  - {{id: trusting, kind: workload, sponsor: alice, identities: [aws: "{p['target']}"]}}
  - {{id: public, kind: workload, sponsor: alice, identities: [aws: "{p['public']}"]}}
  - {{id: excepted, kind: workload, sponsor: alice, identities: [aws: "{p['excepted']}"]}}
  - {{id: clean, kind: workload, sponsor: alice, identities: [aws: "{p['clean']}", aws: "{p['clean-user']}"],
      allow: [aws: {{actions: ["s3:GetObject"], resources: ["arn:aws:s3:::clean/*"]}}]}}
exceptions:
  - {{rule: ENT-EXCESS, agent: excepted, reason: "batch job until SEC-9", approved_by: carol, expires: 2099-01-01}}
{extra}"""


@pytest.fixture
def estate(project, moto_server, new_account):
    """Two accounts with one planted case per action kind and clean agents next to them."""
    prod, dev = Estate(moto_server, new_account()), Estate(moto_server, new_account())
    p = {"orphan": prod.role("orphan-bot"), "orphan-sub": dev.role("orphan-sub-bot"),
         "expired": prod.role("expired-bot"), "keys": prod.user("unused-key-bot"), "console": prod.user("console-bot"),
         "wide": prod.role("wide-bot", inline=allow("s3:*", "arn:aws:s3:::data/*")),
         "managed": prod.role("managed-bot"), "drifting": prod.role("drifting-bot", inline=allow("sqs:*")),
         "source": prod.role("source-bot", age_days=30), "shadow-user": prod.user("shadow-user"),
         "old-key": prod.user("old-key-bot"),
         "clean": prod.role("clean-bot", inline=allow("s3:GetObject", "arn:aws:s3:::clean/*")),
         "excepted": prod.role("excepted-bot", inline=allow("sqs:*")),
         "clean-user": dev.user("clean-key-bot")}
    p["target"] = prod.role("target-bot", trust=trusts({"AWS": p["source"]}, {"Service": "lambda.amazonaws.com"}))
    p["public"] = prod.role("public-bot", trust=trusts("*", {"Service": "ecs-tasks.amazonaws.com"}))
    secret = prod.iam.create_access_key(UserName="unused-key-bot")["AccessKey"]["SecretAccessKey"]
    p["key"] = backdate_key(prod.account, "unused-key-bot", 0, created=NOW - timedelta(days=120))
    iam_backend(prod.account).get_user("shadow-user").create_date = NOW - timedelta(days=30)
    prod.iam.create_access_key(UserName="shadow-user")
    p["shadow-key"] = backdate_key(prod.account, "shadow-user", 0, created=NOW - timedelta(days=20),
                                   last_used=NOW - timedelta(days=1))
    prod.iam.create_access_key(UserName="old-key-bot")  # too old, but in use: rotate, then deactivate
    p["old"] = backdate_key(prod.account, "old-key-bot", 0, created=NOW - timedelta(days=120),
                            last_used=NOW - timedelta(hours=1))
    dev.iam.create_access_key(UserName="clean-key-bot")
    p["clean-key"] = backdate_key(dev.account, "clean-key-bot", 0, created=NOW - timedelta(days=5),
                                  last_used=NOW - timedelta(hours=2))
    prod.iam.create_login_profile(UserName="console-bot", Password=PASSWORD)
    tables = prod.iam.create_policy(PolicyName="tables", PolicyDocument=doc(allow("dynamodb:*")))["Policy"]["Arn"]
    prod.iam.attach_role_policy(RoleName="managed-bot", PolicyArn=tables)
    p["tables"] = tables
    proxy = FaultProxy(moto_server.endpoint)
    project.configure([prod.account, dev.account], endpoint=proxy.endpoint, model=model(p), people=PEOPLE)
    yield prod, dev, p, proxy, secret
    proxy.stop()


def plan(project) -> dict[str, dict]:
    listed = project.idrift("revoke", "plan", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    return {(r["kind"], r["principal"]): r for r in map(json.loads, listed.stdout.splitlines())}


def findings(project) -> dict[tuple, dict]:
    listed = project.idrift("findings", "--format", "json")
    return {(f["rule"], f["principal"], f["object"]): f for f in map(json.loads, listed.stdout.splitlines())}


def ledger(project) -> list[tuple]:
    with duckdb.connect(str(project.warehouse.with_suffix(".ledger.duckdb")), read_only=True) as con:
        return con.execute("SELECT action_id, mode, outcome, reason, approver, action::VARCHAR, request::VARCHAR, "
                           "response::VARCHAR, before::VARCHAR, lag_seconds FROM revocation_attempts "
                           "ORDER BY attempted_at").fetchall()


def test_plan_apply_verify_undo(project, estate):
    prod, dev, p, proxy, secret = estate
    assert project.idrift("run").exit_code == 0

    # -- the plan: one action per kind and target, the finding it closes, the call it makes
    planned = plan(project)
    expected = {
        ("disable_identity", p["orphan"]), ("disable_identity", p["orphan-sub"]), ("disable_identity", p["expired"]),
        ("disable_identity", p["source"]), ("disable_identity", p["shadow-user"]),
        ("deactivate_credential", p["keys"]), ("deactivate_credential", p["old-key"]), ("revoke_grant", p["wide"]),
        ("revoke_grant", p["managed"]), ("revoke_grant", p["drifting"]), ("remove_trust", p["target"]),
        ("remove_trust", p["public"]), ("delete_login_profile", p["console"]),
    }
    assert set(planned) == expected  # nothing for the suppressed ENT-EXCESS of excepted-bot
    assert findings(project)[("ENT-EXCESS", p["excepted"], "inline:p")]["status"] == "suppressed"
    assert all(r["state"] == "planned" and r["in_plan"] for r in planned.values())
    orphan, sub = planned[("disable_identity", p["orphan"])], planned[("disable_identity", p["orphan-sub"])]
    assert orphan["pre_approved"] and orphan["rules"] == ["IDN-ORPHANED"]  # a terminated sponsor
    assert sub["cascade_from"] == [orphan["action_id"]] and sub["pre_approved"]  # declared delegation cascades
    assert planned[("disable_identity", p["expired"])]["pre_approved"]
    assert not planned[("disable_identity", p["source"])]["pre_approved"]
    assert planned[("disable_identity", p["source"])]["cascade_from"] == []  # undeclared: reaches nobody
    assert planned[("deactivate_credential", p["keys"])]["rules"] == ["CRD-LONG-LIVED", "CRD-UNUSED"]
    assert planned[("deactivate_credential", p["old-key"])]["call"].endswith("once a newer key of the user is active (rotated)")
    assert not planned[("delete_login_profile", p["console"])]["pre_approved"]
    assert planned[("revoke_grant", p["wide"])]["call"] == (
        "iam:PutRolePolicy wide-bot idrift-kept-p (the declared part, if any); iam:DeleteRolePolicy wide-bot p")
    closes = findings(project)
    for r in planned.values():
        for f in r["findings"]:
            assert next(x for x in closes.values() if x["id"] == f)["remediation"] == {
                "action_id": r["action_id"], "kind": r["kind"]}
    [late] = [f for k, f in closes.items() if k[:2] == ("GOV-REVOCATION-LAG", p["orphan"])]
    assert late["status"] == "open"  # terminated on 2026-11-20: past the 24 h SLA
    before_managed = prod.state("role", "managed-bot")
    before = {name: prod.state(kind, name) for kind, name in (
        ("role", "clean-bot"), ("role", "wide-bot"), ("role", "target-bot"), ("role", "public-bot"))}
    clean_user = dev.state("user", "clean-key-bot")

    # -- dry_run: recorded, nothing written, refused (3)
    project.write("model/agents.yaml", model(p, mode="dry_run"))
    proxy.calls.clear()
    dry = project.idrift("revoke", "apply", "--all")
    assert dry.exit_code == 3 and "dry_run" in dry.stderr
    assert writes(proxy) == []
    assert {row[2] for row in ledger(project)} == {"dry_run"} and len(ledger(project)) == len(expected)

    # -- the kill switch forces dry_run whatever the model says
    project.write("model/agents.yaml", model(p))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IDRIFT_REVOCATION", "off")
        killed = project.idrift("revoke", "apply", "--all", "--approver", "ann")
    assert killed.exit_code == 3 and "IDRIFT_REVOCATION=off" in killed.stderr and writes(proxy) == []

    # -- the circuit breaker: 13 selected, 12 allowed: nothing executes
    project.write("model/agents.yaml", model(p, max_actions=12))
    broken = project.idrift("revoke", "apply", "--all", "--approver", "ann")
    assert broken.exit_code == 3 and "circuit breaker: 13 actions selected" in broken.stderr
    assert writes(proxy) == []

    # -- approve by id: only that action runs; an unknown id is a wrong request
    project.write("model/agents.yaml", model(p))
    assert project.idrift("revoke", "apply", "--approve", "nope", "--approver", "ann").exit_code == 2
    assert project.idrift("revoke", "apply", "--all").exit_code == 2  # no approver
    key_action = planned[("deactivate_credential", p["keys"])]["action_id"]
    approvals = project.write("approvals.txt", f"# reviewed by ann in SEC-11\n{key_action}\n")
    one = project.idrift("revoke", "apply", "--approvals", str(approvals), "--approver", "ann")
    assert one.exit_code == 0, one.stdout + one.stderr
    assert writes(proxy) == ["UpdateAccessKey"]
    assert prod.state("user", "unused-key-bot")["keys"] == {p["key"]: "Inactive"}
    assert prod.state("role", "wide-bot") == before["wide-bot"]
    assert "waiting for approval" in one.stdout
    assert plan(project)[("deactivate_credential", p["keys"])]["state"] == "done"  # the ledger, before any run

    # -- drift between plan and apply, and a call that fails
    prod.iam.put_role_policy(RoleName="drifting-bot", PolicyName="p", PolicyDocument=doc(allow("sqs:Send*")))
    proxy.faults.append(Fault(operation="PutRolePolicy", when=lambda c: c.params.get("RoleName") == "expired-bot",
                              status=500, code="ServiceFailure", message="try later", times=None))
    proxy.calls.clear()
    full = project.idrift("revoke", "apply", "--all", "--approver", "ann")
    assert full.exit_code == 1, full.stdout  # one failed
    outcomes = {row[0]: row for row in ledger(project)}
    drift_id = planned[("revoke_grant", p["drifting"])]["action_id"]
    assert outcomes[drift_id][2:4] == ("skipped", "inline:p changed since the plan")
    failed_id = planned[("disable_identity", p["expired"])]["action_id"]
    assert outcomes[failed_id][2] == "failed" and "ServiceFailure" in outcomes[failed_id][3]
    assert outcomes[key_action][2] == "already_done"
    rotate_id = planned[("deactivate_credential", p["old-key"])]["action_id"]
    assert outcomes[rotate_id][2:4] == ("skipped", "rotate first: no newer active key of the user exists yet")
    proxy.faults.clear()

    # each action changed exactly its target
    assert prod.state("role", "orphan-bot")["inline"] == {"idrift-disabled": DENY_ALL}
    assert dev.state("role", "orphan-sub-bot")["inline"] == {"idrift-disabled": DENY_ALL}
    assert prod.state("role", "source-bot")["inline"] == {"idrift-disabled": DENY_ALL}
    wide = prod.state("role", "wide-bot")
    assert wide["inline"] == {"idrift-kept-p": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:Get*"], "Resource": ["arn:aws:s3:::data/*"]}]}}
    managed = prod.state("role", "managed-bot")
    assert managed["attached"] == [] and managed["inline"]["idrift-kept-tables"]["Statement"] == [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": ["*"]}]
    target = prod.state("role", "target-bot")
    assert target["trust"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    assert target["inline"] == {}  # disabling the undeclared source did not reach the role that trusts it
    assert prod.state("role", "public-bot")["trust"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    assert prod.state("user", "console-bot")["login_profile"] is False
    shadow = prod.state("user", "shadow-user")  # a user: the deny-all policy and its keys inactive
    assert shadow["inline"] == {"idrift-disabled": DENY_ALL} and shadow["keys"] == {p["shadow-key"]: "Inactive"}
    assert prod.state("user", "old-key-bot")["keys"] == {p["old"]: "Active"}
    assert prod.state("role", "clean-bot") == before["clean-bot"]
    assert dev.state("user", "clean-key-bot") == clean_user

    # -- once more, after the rotation: the failed one and the rotated key go through; everything
    # else is already done, with no write
    new_key = prod.iam.create_access_key(UserName="old-key-bot")["AccessKey"]["AccessKeyId"]
    proxy.calls.clear()
    again = project.idrift("revoke", "apply", "--all", "--approver", "ann")
    assert again.exit_code == 0
    assert sorted(writes(proxy)) == ["PutRolePolicy", "UpdateAccessKey"]  # expired-bot's, which failed before
    assert prod.state("user", "old-key-bot")["keys"] == {p["old"]: "Inactive", new_key: "Active"}
    proxy.calls.clear()
    noop = project.idrift("revoke", "apply", "--all", "--approver", "ann")
    assert noop.exit_code == 0 and writes(proxy) == []
    assert "already_done" in noop.stdout and "done " not in noop.stdout.replace("already_done", "")

    # -- the next sync verifies every executed action and resolves what they closed
    assert project.idrift("run").exit_code == 0
    after = plan(project)
    verified = {k: r for k, r in after.items() if r["state"] == "verified"}
    assert set(verified) == expected - {("revoke_grant", p["drifting"])}
    assert all(not r["in_plan"] for r in verified.values())  # their findings resolved: out of the plan
    assert after[("revoke_grant", p["drifting"])]["state"] == "skipped"  # still planned, its reason kept
    now = findings(project)
    for r in verified.values():
        for f in r["findings"]:
            assert next(x for x in now.values() if x["id"] == f)["status"] == "resolved"
    assert now[("GOV-REVOCATION-LAG", p["orphan"], late["object"])]["status"] == "resolved"
    orphaned = verified[("disable_identity", p["orphan"])]
    lag = datetime.fromisoformat(orphaned["state_at"]) - datetime(2026, 11, 20, 17, tzinfo=timezone.utc)
    assert orphaned["lag_seconds"] > lag.total_seconds() - 600  # from the termination to the verifying sync

    # the auditor report of that run lists the verified actions, and the html shows them
    folder = max((project.root / "reports").iterdir())
    with (folder / "revocations.csv").open() as f:
        reported = {(r["kind"], r["principal"]): r for r in csv.DictReader(f)}
    assert {k for k, r in reported.items() if r["state"] == "verified"} == set(verified)
    html = (folder / "index.html").read_text()
    assert "<h2>Revocations</h2>" in html and f"verified {len(verified)}" in html
    assert "revocations.csv" in json.loads((folder / "manifest.json").read_text())["files"]

    # -- undo: each reversible action restores the state before; a deleted password cannot come back
    by_kind = {k: r["action_id"] for k, r in verified.items()}
    for kind, principal in (("revoke_grant", p["wide"]), ("remove_trust", p["target"]),
                            ("remove_trust", p["public"])):
        assert project.idrift("revoke", "undo", by_kind[(kind, principal)]).exit_code == 0
    assert project.idrift("revoke", "undo", by_kind[("deactivate_credential", p["keys"])]).exit_code == 0
    assert project.idrift("revoke", "undo", by_kind[("disable_identity", p["orphan"])]).exit_code == 0
    assert project.idrift("revoke", "undo", by_kind[("disable_identity", p["shadow-user"])]).exit_code == 0
    assert project.idrift("revoke", "undo", by_kind[("revoke_grant", p["managed"])]).exit_code == 0
    assert prod.state("role", "wide-bot") == before["wide-bot"]
    assert prod.state("role", "target-bot")["trust"] == before["target-bot"]["trust"]
    assert prod.state("role", "public-bot") == before["public-bot"]
    assert prod.state("user", "unused-key-bot")["keys"] == {p["key"]: "Active"}
    assert prod.state("role", "orphan-bot")["inline"] == {}
    assert prod.state("user", "shadow-user")["inline"] == {}
    assert prod.state("user", "shadow-user")["keys"] == {p["shadow-key"]: "Active"}
    assert prod.state("role", "managed-bot") == {**before_managed, "trust": prod.state("role", "managed-bot")["trust"]}
    refused = project.idrift("revoke", "undo", by_kind[("delete_login_profile", p["console"])])
    assert refused.exit_code == 3 and "not reversible" in refused.stderr
    assert project.idrift("revoke", "undo", by_kind[("revoke_grant", p["wide"])]).exit_code == 1  # undone already

    # -- the ledger: every attempt, failures included, and no secret anywhere in it
    rows = ledger(project)
    assert {r[2] for r in rows} >= {"dry_run", "refused", "started", "done", "already_done", "skipped", "failed",
                                    "verified", "undone"}
    for n, r in enumerate(rows):  # every executed attempt was written ahead of its provider call
        if r[1] == "approve" and r[2] not in ("started", "refused"):
            assert rows[n - 1][:3] == (r[0], "approve", "started")
    text = json.dumps(rows, default=str)
    assert secret not in text and PASSWORD not in text
    assert all(r[4] == "ann" for r in rows if r[1] == "approve")


def test_the_revoke_role_is_enough_for_every_call_the_executors_make(project, estate):
    from tests.connectors.test_aws_least_privilege import REVOKE_POLICY, decide, load_policy

    prod, dev, p, proxy, secret = estate
    assert project.idrift("run").exit_code == 0
    project.write("model/agents.yaml", model(p))
    proxy.calls.clear()
    assert project.idrift("revoke", "apply", "--all", "--approver", "ann").exit_code == 0
    for action_id in {r["action_id"] for r in plan(project).values()}:
        project.idrift("revoke", "undo", action_id)
    policy = load_policy(REVOKE_POLICY.read_text(), REVOKE_POLICY.name)
    denied = set()
    for c in proxy.calls:
        if c.service != "iam":
            continue
        account = c.account or "?"
        resource = (f"arn:aws:iam::{account}:role/{c.params['RoleName']}" if "RoleName" in c.params else
                    f"arn:aws:iam::{account}:user/{c.params['UserName']}" if "UserName" in c.params else
                    c.params.get("PolicyArn"))
        if decide(policy, f"iam:{c.operation}", resource) != "Allow":
            denied.add((c.operation, resource))
    assert {c.operation for c in proxy.calls if c.service == "iam"} >= {
        "PutRolePolicy", "UpdateAccessKey", "DetachRolePolicy", "UpdateAssumeRolePolicy", "DeleteLoginProfile",
        "AttachRolePolicy", "DeleteRolePolicy"}
    assert denied == set(), f"add these to {REVOKE_POLICY.name} or drop the calls: {sorted(denied)}"


def test_the_model_guard_holds_a_change_that_would_revoke_many_agents(project, estate):
    prod, dev, p, proxy, secret = estate
    assert project.idrift("run").exit_code == 0
    first = plan(project)
    # a bad commit: every agent of alice now names a sponsor nobody knows
    project.write("model/agents.yaml", model(p).replace("sponsor: alice", "sponsor: alice-typo"))
    held = project.idrift("run")
    assert held.exit_code == 0  # the guard does not change run's exit code
    assert "model guard" in held.stderr
    guarded = plan(project)
    new = {k: r for k, r in guarded.items() if k not in first}
    assert new and all(r["state"] == "held" and r["held"] for r in new.values())
    assert all(not r["held"] for k, r in guarded.items() if k in first)
    proxy.calls.clear()
    applied = project.idrift("revoke", "apply", "--all", "--approver", "ann")
    assert applied.exit_code == 0
    held_ids = {r["action_id"] for r in new.values()}
    assert not held_ids & {line.split()[0] for line in applied.stdout.splitlines() if line.strip()}
    assert project.idrift("revoke", "apply", "--approve", next(iter(held_ids)), "--approver", "ann").exit_code == 2

    assert project.idrift("accept-model", "--reason", "sponsor renamed in HR, reviewed in SEC-7").exit_code == 0
    accepted = project.idrift("run")
    assert "model guard" not in accepted.stderr
    assert not any(r["held"] for r in plan(project).values())


def test_nothing_is_planned_from_an_incomplete_sync(project, estate):
    prod, dev, p, proxy, secret = estate
    assert project.idrift("run").exit_code == 0
    before = plan(project)
    proxy.faults.append(Fault(service="iam", account=prod.account, operation="GetAccountAuthorizationDetails",
                              status=403, code="AccessDenied", message="no"))
    assert project.idrift("run").exit_code == 1
    after = plan(project)
    # only what HR, the model and the clock drive stays planned for the incomplete account (the
    # executor re-reads the target); nothing from its missing grants, trusts or credentials
    prod_kinds = {k for k in after if f":{prod.account}:" in k[1]}
    assert prod_kinds == {k for k in before if f":{prod.account}:" in k[1]
                          and set(before[k]["rules"]) & {"IDN-ORPHANED", "DLG-EXPIRED", "DLG-BROKEN-CHAIN"}}
    assert ("disable_identity", p["orphan-sub"]) in after  # the complete account is planned as before


def test_auto_mode_executes_only_the_pre_approved(project, estate):
    prod, dev, p, proxy, secret = estate
    project.write("model/agents.yaml", model(p, mode="auto"))
    assert project.idrift("run").exit_code == 0
    planned = plan(project)
    proxy.calls.clear()
    result = project.idrift("revoke", "apply")
    assert result.exit_code == 0
    rows = {row[0]: row for row in ledger(project)}
    executed = {k for k, r in planned.items() if r["action_id"] in rows}
    assert executed == {k for k, r in planned.items() if r["pre_approved"]} == {
        ("disable_identity", p["orphan"]), ("disable_identity", p["orphan-sub"]), ("disable_identity", p["expired"])}
    assert all(rows[planned[k]["action_id"]][4] == "catalogue (pre-approved)" for k in executed)
    assert result.stdout.count("waiting for approval") == len(planned) - 3


def test_an_unchanged_estate_keeps_its_plan_and_a_change_replans(project, estate):
    prod, dev, p, proxy, secret = estate
    assert project.idrift("run").exit_code == 0
    first = plan(project)
    assert project.idrift("run").exit_code == 0
    snapshot = project.warehouse.with_suffix(".published")
    run = json.loads((snapshot / (snapshot / "LATEST").read_text() / "run.json").read_text())
    assert run["revocation"]["carried_over"] and plan(project) == first
    prod.role("new-shadow-bot", age_days=30)  # one more undeclared identity
    assert project.idrift("run").exit_code == 0
    run = json.loads((snapshot / (snapshot / "LATEST").read_text() / "run.json").read_text())
    again = plan(project)
    assert not run["revocation"]["carried_over"]
    assert set(again) - set(first) == {("disable_identity", prod.arn("role", "new-shadow-bot"))}
    assert all(again[k]["first_planned"] == first[k]["first_planned"] for k in first)


def test_the_model_guard_holds_a_commit_that_unbinds_the_estate(project, estate):
    prod, dev, p, proxy, secret = estate
    assert project.idrift("run").exit_code == 0
    first = plan(project)
    # a bad commit: most agents lose their identities, which become undeclared (no agent binds them)
    project.write("model/agents.yaml", re.sub(r', identities: \[[^\]]*\]', "", model(p)))
    held = project.idrift("run")
    assert held.exit_code == 0 and "model guard" in held.stderr
    new = {k: r for k, r in plan(project).items() if k not in first}
    assert len(new) >= 5 and all(r["held"] and r["agent"] is None for r in new.values())
