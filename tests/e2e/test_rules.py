"""Every rule of the catalogue, end to end: an organization in moto with each case planted
next to clean agents, synced and reconciled by `idrift run`, judged by `idrift findings
--format json` — the rule fires on exactly the planted principals, with the documented object,
and nothing fires on the clean agents."""

import json
from datetime import datetime, timedelta, timezone
from textwrap import dedent

import pytest

from tests.project import Project
from tests.emulators.moto_server import MEMBER_ROLE, iam_backend

NOW = datetime.now(timezone.utc)
OIDC = "token.actions.githubusercontent.com"
PEOPLE = """\
id,email,status,terminated_at,manager
alice,alice@example.com,active,,
bob,bob@example.com,active,,alice
dave,dave@example.com,terminated,2026-11-20T17:00:00Z,alice
erin,erin@example.com,suspended,,alice
"""


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trusts(principal, **extra) -> str:
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


class Estate:
    def __init__(self, moto_server, account: str):
        self.account = account
        self.iam = moto_server.assume(account).client("iam", endpoint_url=moto_server.endpoint)
        self.backend = iam_backend(account)

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:iam::{self.account}:{kind}/{name}"

    def role(self, name: str, trust: str | None = None, policy: dict | None = None, **backdate) -> str:
        self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust or trusts({"Service": "lambda.amazonaws.com"}))
        if policy:
            self.iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc(*policy) if isinstance(policy, list) else doc(policy))
        role = self.backend.get_role(name)
        role.last_used = backdate.get("last_used", NOW - timedelta(days=1))
        role.create_date = backdate.get("created", NOW - timedelta(days=30))
        return self.arn("role", name)

    def user(self, name: str) -> str:
        self.iam.create_user(UserName=name)
        return self.arn("user", name)


@pytest.fixture(scope="module")
def planted(moto_server, tmp_path_factory):
    """One run over a planted organization; returns (findings, principals by case)."""
    mp = pytest.MonkeyPatch()
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                 "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}.items():
        mp.setenv(k, v)
    mp.delenv("AWS_ENDPOINT_URL", raising=False)
    management, org = moto_server.new_organization()
    prod, dev = Estate(moto_server, moto_server.new_account(org)), Estate(moto_server, moto_server.new_account(org))
    p = {}  # case -> principal

    # clean agents: nothing may fire on them
    p["clean"] = prod.role("clean-agent", policy=allow("s3:GetObject", "arn:aws:s3:::clean/*"))
    p["clean-narrower"] = prod.role("clean-narrower", policy=allow("s3:Get*", "arn:aws:s3:::data/*"))
    p["clean-case"] = prod.role("clean-case", policy=allow("s3:getobject", "arn:aws:s3:::Bucket/x"))
    p["clean-qmark"] = prod.role("clean-qmark", policy=allow("s3:GetObject", "arn:aws:s3:::q/x"))
    p["clean-denied"] = prod.role("clean-denied", policy=[allow("s3:*", "arn:aws:s3:::d/*"),
                                                          {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}])

    # ENT-EXCESS, one sub-case each
    p["wider"] = prod.role("ex-wider", policy=allow("s3:*", "arn:aws:s3:::data/*"))
    p["qmark"] = prod.role("ex-qmark", policy=allow(["s3:GetObject", "s3:Get*"], "arn:aws:s3:::q/x"))
    p["case"] = prod.role("ex-case", policy=allow("s3:GetObject", "arn:aws:s3:::bucket/x"))
    p["notaction"] = prod.role("ex-notaction", policy={"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    p["conditional-deny"] = prod.role("ex-conditional-deny", policy=[
        allow("s3:*", "arn:aws:s3:::d/*"),
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])
    p["conditional"] = prod.role("ex-conditional", policy=allow(
        "sqs:*", "*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}))
    p["group"] = prod.user("ex-group-user")
    prod.iam.create_group(GroupName="ops")
    prod.iam.put_group_policy(GroupName="ops", PolicyName="ec2", PolicyDocument=doc(allow("ec2:*")))
    prod.iam.add_user_to_group(GroupName="ops", UserName="ex-group-user")
    p["managed"] = prod.role("ex-managed")
    managed = prod.iam.create_policy(PolicyName="tables", PolicyDocument=doc(allow("dynamodb:*")))["Policy"]["Arn"]
    prod.iam.attach_role_policy(RoleName="ex-managed", PolicyArn=managed)
    p["admin"] = prod.role("ex-admin")
    prod.iam.attach_role_policy(RoleName="ex-admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")

    # identities: undeclared, orphaned, dormant, missing
    p["shadow"] = prod.role("shadow-bot")
    prod.iam.tag_role(RoleName="shadow-bot", Tags=[{"Key": "owner", "Value": "bob@example.com"}])
    p["young-shadow"] = prod.role("young-shadow", created=NOW - timedelta(days=1))
    p["person"] = prod.user("bob")
    p["service-linked"] = prod.arn("role", "aws-service-role/ops.amazonaws.com/AWSServiceRoleForOps")
    prod.iam.create_role(RoleName="AWSServiceRoleForOps", Path="/aws-service-role/ops.amazonaws.com/",
                         AssumeRolePolicyDocument=trusts({"Service": "ops.amazonaws.com"}))
    p["terminated"] = prod.role("legacy-bot")
    p["suspended"] = prod.role("erin-bot")
    p["missing-sponsor"] = prod.role("ghost-bot")
    p["dormant"] = prod.role("dormant-bot", created=NOW - timedelta(days=200), last_used=None)
    p["missing"] = prod.arn("role", "does-not-exist")

    # credentials
    p["unused-key"] = prod.user("unused-key-bot")
    prod.iam.create_access_key(UserName="unused-key-bot")
    key = prod.backend.get_user("unused-key-bot").access_keys[0]
    key.create_date = NOW - timedelta(days=120)
    p["unused-key-id"] = key.access_key_id
    p["old-key"] = prod.user("old-key-bot")
    prod.iam.create_access_key(UserName="old-key-bot")
    key = prod.backend.get_user("old-key-bot").access_keys[0]
    key.create_date = NOW - timedelta(days=120)
    from moto.iam.models import AccessKeyLastUsed
    key.last_used = AccessKeyLastUsed(NOW - timedelta(days=1), "s3", "us-east-1")
    p["old-key-id"] = key.access_key_id
    p["console"] = prod.user("console-bot")
    prod.iam.create_login_profile(UserName="console-bot", Password="Not-a-secret-1!")

    # delegation
    p["expired"] = prod.role("expired-bot")
    p["esc-parent"] = prod.role("esc-parent-bot", policy=allow("s3:GetObject", "arn:aws:s3:::data/*"))
    p["esc-declared"] = prod.role("esc-declared-bot", trust=trusts({"AWS": p["esc-parent"]}))
    p["esc-observed"] = prod.role("esc-observed-bot", policy=allow("s3:PutObject", "arn:aws:s3:::data/*"))
    p["esc-later"] = prod.role("esc-later-bot")
    p["bc-parent"] = prod.role("bc-parent-bot", policy={"Effect": "Deny", "Action": "*", "Resource": "*"})
    prod.iam.put_role_policy(RoleName="bc-parent-bot", PolicyName="idrift-disabled",
                             PolicyDocument=doc({"Effect": "Deny", "Action": "*", "Resource": "*"}))
    p["bc-child"] = prod.role("bc-child-bot")
    p["deep"] = prod.role("deep-bot")
    p["undeclared-source"] = prod.role("source-bot")
    p["undeclared-target"] = prod.role("target-bot", trust=trusts({"AWS": p["undeclared-source"]}))
    p["pass-source"] = prod.user("deployer-bot")
    p["pass-target"] = prod.role("passed-bot")
    prod.iam.put_user_policy(UserName="deployer-bot", PolicyName="p",
                             PolicyDocument=doc(allow("iam:PassRole", p["pass-target"])))

    # trust
    oidc = f"arn:aws:iam::{prod.account}:oidc-provider/{OIDC}"
    web = "sts:AssumeRoleWithWebIdentity"
    p["tw-any"] = prod.role("tw-any", trust=trusts("*"))
    p["tw-any-conditioned"] = prod.role("tw-any-conditioned", trust=trusts(
        {"AWS": "*"}, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}))
    p["tw-oidc-nosub"] = prod.role("tw-oidc-nosub", trust=doc(
        {"Effect": "Allow", "Principal": {"Federated": oidc}, "Action": web,
         "Condition": {"StringEquals": {f"{OIDC}:aud": "sts.amazonaws.com"}}}))
    p["tw-oidc-wild"] = prod.role("tw-oidc-wild", trust=doc(
        {"Effect": "Allow", "Principal": {"Federated": oidc}, "Action": web,
         "Condition": {"StringLike": {f"{OIDC}:sub": ["repo:*/*"]}}}))
    p["tw-oidc-ok"] = prod.role("tw-oidc-ok", trust=doc(
        {"Effect": "Allow", "Principal": {"Federated": oidc}, "Action": web,
         "Condition": {"StringLike": {f"{OIDC}:sub": "repo:acme/*"}}}))
    p["tw-foreign"] = prod.role("tw-foreign", trust=trusts({"AWS": "arn:aws:iam::999999999999:root"}))
    p["tw-foreign-ext"] = prod.role("tw-foreign-ext", trust=trusts(
        {"AWS": "999999999999"}, Condition={"StringEquals": {"sts:ExternalId": "x"}}))
    p["tw-synced"] = prod.role("tw-synced", trust=trusts({"AWS": dev.account}))

    # reuse and environments
    p["shared"] = prod.role("shared-bot")
    p["xenv"] = dev.role("xenv-bot")

    model = dedent(f"""
        version: 1
        settings:
          undeclared_grace: 7d
        sponsors:
          - id: alice
        agents:
          - {{id: clean-agent, kind: ai_agent, sponsor: alice, environment: prod,
              identities: [aws: "{p['clean']}"],
              allow: [aws: {{actions: [s3:GetObject], resources: ["arn:aws:s3:::clean/*"]}}]}}
          - {{id: clean-narrower, kind: workload, sponsor: alice, identities: [aws: "{p['clean-narrower']}"],
              allow: [aws: {{actions: ["s3:*"], resources: ["arn:aws:s3:::data/*"]}}]}}
          - {{id: clean-case, kind: workload, sponsor: alice, identities: [aws: "{p['clean-case']}"],
              allow: [aws: {{actions: [S3:GETOBJECT], resources: ["arn:aws:s3:::Bucket/*"]}}]}}
          - {{id: clean-qmark, kind: workload, sponsor: alice, identities: [aws: "{p['clean-qmark']}"],
              allow: [aws: {{actions: ["s3:Get?bject"], resources: ["arn:aws:s3:::q/?"]}}]}}
          - {{id: clean-denied, kind: workload, sponsor: alice, identities: [aws: "{p['clean-denied']}"]}}
          - {{id: ex-wider, kind: workload, sponsor: alice, identities: [aws: "{p['wider']}"],
              allow: [aws: {{actions: ["s3:Get*"], resources: ["arn:aws:s3:::data/*"]}}]}}
          - {{id: ex-qmark, kind: workload, sponsor: alice, identities: [aws: "{p['qmark']}"],
              allow: [aws: {{actions: ["s3:Get?bject"], resources: ["arn:aws:s3:::q/*"]}}]}}
          - {{id: ex-case, kind: workload, sponsor: alice, identities: [aws: "{p['case']}"],
              allow: [aws: {{actions: [s3:GetObject], resources: ["arn:aws:s3:::Bucket/*"]}}]}}
          - {{id: ex-notaction, kind: workload, sponsor: alice, identities: [aws: "{p['notaction']}"],
              allow: [aws: {{actions: ["s3:*", "ec2:*"], resources: ["*"]}}]}}
          - {{id: ex-conditional-deny, kind: workload, sponsor: alice, identities: [aws: "{p['conditional-deny']}"]}}
          - {{id: ex-conditional, kind: workload, sponsor: alice, identities: [aws: "{p['conditional']}"]}}
          - {{id: ex-group, kind: workload, sponsor: alice, identities: [aws: "{p['group']}"]}}
          - {{id: ex-managed, kind: workload, sponsor: alice, identities: [aws: "{p['managed']}"]}}
          - {{id: ex-admin, kind: workload, sponsor: alice, identities: [aws: "{p['admin']}"],
              allow: [aws: {{actions: ["s3:*"], resources: ["*"]}}]}}
          - {{id: legacy, kind: workload, sponsor: dave, identities: [aws: "{p['terminated']}"]}}
          - {{id: erin-agent, kind: workload, sponsor: erin@example.com, identities: [aws: "{p['suspended']}"]}}
          - {{id: ghost-agent, kind: workload, sponsor: ghost@example.com, identities: [aws: "{p['missing-sponsor']}"]}}
          - {{id: dormant-agent, kind: workload, sponsor: alice, identities: [aws: "{p['dormant']}"]}}
          - {{id: missing-agent, kind: workload, sponsor: alice,
              identities: [aws: "{p['missing']}", aws: "arn:aws:iam::999999999999:role/elsewhere"]}}
          - {{id: unused-key-agent, kind: service_account, sponsor: alice, max_credential_age: 365d,
              identities: [aws: "{p['unused-key']}"]}}
          - {{id: old-key-agent, kind: service_account, sponsor: alice, identities: [aws: "{p['old-key']}"]}}
          - {{id: console-agent, kind: service_account, sponsor: alice, identities: [aws: "{p['console']}"]}}
          - {{id: expired-agent, kind: ai_agent, sponsor: alice, expires: 2026-01-01, identities: [aws: "{p['expired']}"]}}
          - {{id: esc-parent, kind: ai_agent, sponsor: alice, expires: 2027-06-30, identities: [aws: "{p['esc-parent']}"],
              allow: [aws: {{actions: [s3:GetObject], resources: ["arn:aws:s3:::data/*"]}}]}}
          - {{id: esc-declared, kind: ai_agent, delegated_by: esc-parent, identities: [aws: "{p['esc-declared']}"],
              allow: [aws: {{actions: ["s3:*"], resources: ["arn:aws:s3:::data/*"]}}]}}
          - {{id: esc-observed, kind: ai_agent, delegated_by: esc-parent, identities: [aws: "{p['esc-observed']}"],
              allow: [aws: {{actions: [s3:GetObject], resources: ["arn:aws:s3:::data/*"]}}]}}
          - {{id: esc-later, kind: ai_agent, delegated_by: esc-parent, expires: 2027-12-31,
              identities: [aws: "{p['esc-later']}"]}}
          - {{id: bc-parent, kind: ai_agent, sponsor: alice, identities: [aws: "{p['bc-parent']}"]}}
          - {{id: bc-child, kind: ai_agent, delegated_by: bc-parent, identities: [aws: "{p['bc-child']}"]}}
          - {{id: d1, kind: ai_agent, sponsor: alice}}
          - {{id: d2, kind: ai_agent, delegated_by: d1}}
          - {{id: d3, kind: ai_agent, delegated_by: d2}}
          - {{id: d4, kind: ai_agent, delegated_by: d3, identities: [aws: "{p['deep']}"]}}
          - {{id: source-agent, kind: workload, sponsor: alice, identities: [aws: "{p['undeclared-source']}"]}}
          - {{id: target-agent, kind: workload, sponsor: alice, identities: [aws: "{p['undeclared-target']}"]}}
          - {{id: deployer, kind: workload, sponsor: alice, identities: [aws: "{p['pass-source']}"],
              allow: [aws: {{actions: [iam:PassRole], resources: ["{p['pass-target']}"]}}]}}
          - {{id: passed, kind: workload, sponsor: alice, identities: [aws: "{p['pass-target']}"]}}
          - id: trusts
            kind: workload
            sponsor: alice
            identities: [{", ".join(f'aws: "{p[k]}"' for k in p if k.startswith("tw-"))}]
          - {{id: reuse-1, kind: workload, sponsor: alice, identities: [aws: "{p['shared']}"]}}
          - {{id: reuse-2, kind: workload, sponsor: alice, identities: [aws: "{p['shared']}"]}}
          - {{id: xenv-agent, kind: workload, sponsor: alice, environment: prod, identities: [aws: "{p['xenv']}"]}}
    """)
    project = Project(tmp_path_factory.mktemp("planted"), moto_server.endpoint)
    project.configure([management, prod.account, dev.account], environments={prod.account: "prod", dev.account: "dev"},
                      model=model, people=PEOPLE)
    result = project.idrift("run")
    assert result.exit_code == 0, result.stdout + result.stderr
    listed = project.idrift("findings", "--format", "json")
    assert listed.exit_code == 0
    findings = [json.loads(line) for line in listed.stdout.splitlines()]
    yield {"findings": findings, "p": p, "project": project, "prod": prod, "dev": dev, "management": management,
           "run_stdout": result.stdout}
    mp.undo()


def fired(planted, rule: str) -> set[tuple[str, str | None]]:
    return {(f["principal"], f["object"]) for f in planted["findings"] if f["rule"] == rule and f["status"] == "open"}


def test_clean_agents_raise_nothing(planted):
    p = planted["p"]
    clean = {p[k] for k in p if k.startswith("clean")} | {p["tw-any-conditioned"], p["tw-oidc-ok"],
                                                         p["tw-foreign-ext"], p["tw-synced"]}
    assert [(f["rule"], f["principal"]) for f in planted["findings"]
            if f["principal"] in clean and f["rule"] != "TRUST-WEAK"] == []
    assert not {f["principal"] for f in planted["findings"] if f["rule"] == "TRUST-WEAK"} & clean


@pytest.mark.parametrize("case, source", [
    ("wider", "inline:p"), ("qmark", "inline:p"), ("case", "inline:p"), ("notaction", "inline:p"),
    ("conditional-deny", "inline:p"), ("conditional", "inline:p"), ("group", "group:ops/ec2"),
])
def test_ent_excess_sub_cases(planted, case, source):
    assert (planted["p"][case], source) in fired(planted, "ENT-EXCESS")


def test_ent_excess_exactly(planted):
    p = planted["p"]
    managed = f"arn:aws:iam::{planted['prod'].account}:policy/tables"
    assert fired(planted, "ENT-EXCESS") == {
        (p["wider"], "inline:p"), (p["qmark"], "inline:p"), (p["case"], "inline:p"), (p["notaction"], "inline:p"),
        (p["conditional-deny"], "inline:p"), (p["conditional"], "inline:p"), (p["group"], "group:ops/ec2"),
        (p["managed"], managed), (p["admin"], "arn:aws:iam::aws:policy/AdministratorAccess"),
        (p["esc-observed"], "inline:p"),
    }
    by_principal = {f["principal"]: f for f in planted["findings"] if f["rule"] == "ENT-EXCESS"}
    assert by_principal[p["qmark"]]["evidence"]["uncovered"] == [{"action": "s3:Get*", "resource": "arn:aws:s3:::q/x"}]
    assert by_principal[p["wider"]]["evidence"]["uncovered"] == [{"action": "s3:*", "resource": "arn:aws:s3:::data/*"}]
    notaction = by_principal[p["notaction"]]["evidence"]
    # every service but iam (excluded), s3 and ec2 (allowed), each whole: `service:*`
    assert notaction["not_action"] and notaction["uncovered_count"] > 300
    assert all(pair["action"].endswith(":*") and pair["resource"] == "*" for pair in notaction["uncovered"])
    assert not any(pair["action"].startswith(("s3:", "ec2:", "iam:")) for pair in notaction["uncovered"])
    assert by_principal[p["conditional"]]["evidence"]["conditions"]
    assert by_principal[p["admin"]]["severity"] == 5  # raised one step: AdministratorAccess
    runs = {f["evidence"]["observed_run"] for f in planted["findings"] if f["provider"] == "aws"}
    assert len(runs) == 1 and runs <= {line.split()[1] for line in planted["run_stdout"].splitlines()
                                      if line.startswith("run ")}  # the sync run they came from
    assert by_principal[p["wider"]]["severity"] == 4


def test_idn_undeclared(planted):
    p = planted["p"]
    assert fired(planted, "IDN-UNDECLARED") == {(p["shadow"], None)}
    shadow = next(f for f in planted["findings"] if f["rule"] == "IDN-UNDECLARED")
    assert shadow["evidence"]["owner_tag"] == "bob@example.com" and shadow["agent"] is None and shadow["chain"] is None


def test_idn_orphaned(planted):
    p = planted["p"]
    assert fired(planted, "IDN-ORPHANED") == {(p["terminated"], None), (p["suspended"], None), (p["missing-sponsor"], None)}
    legacy = next(f for f in planted["findings"] if f["rule"] == "IDN-ORPHANED" and f["principal"] == p["terminated"])
    assert legacy["trigger_at"] == "2026-11-20T17:00:00Z" and legacy["chain"] == ["dave", "legacy"]
    assert legacy["sponsor"] == "dave"


def test_idn_dormant(planted):
    assert fired(planted, "IDN-DORMANT") == {(planted["p"]["dormant"], None)}


def test_idn_missing(planted):
    assert fired(planted, "IDN-MISSING") == {(planted["p"]["missing"], None)}  # the unsynced account's is unknown


def test_crd_unused(planted):
    p = planted["p"]
    assert fired(planted, "CRD-UNUSED") == {(p["unused-key"], p["unused-key-id"])}


def test_crd_long_lived(planted):
    p = planted["p"]
    assert fired(planted, "CRD-LONG-LIVED") == {(p["old-key"], p["old-key-id"])}


def test_use_human_on_nhi(planted):
    assert fired(planted, "USE-HUMAN-ON-NHI") == {(planted["p"]["console"], "login_profile")}


def test_dlg_expired(planted):
    assert fired(planted, "DLG-EXPIRED") == {(planted["p"]["expired"], None)}
    expired = next(f for f in planted["findings"] if f["rule"] == "DLG-EXPIRED")
    assert expired["trigger_at"] == "2026-01-01T00:00:00Z"


def test_dlg_escalation(planted):
    p = planted["p"]
    assert fired(planted, "DLG-ESCALATION") == {
        (p["esc-declared"], "esc-parent"), (p["esc-observed"], "esc-parent"), (p["esc-later"], "esc-parent")}
    by = {f["principal"]: f["evidence"] for f in planted["findings"] if f["rule"] == "DLG-ESCALATION"}
    assert by[p["esc-declared"]]["declared_excess"] == [{"action": "s3:*", "resource": "arn:aws:s3:::data/*"}]
    assert by[p["esc-observed"]]["observed_excess"] == [{"action": "s3:PutObject", "resource": "arn:aws:s3:::data/*"}]
    assert by[p["esc-later"]]["expires"].startswith("2027-12-31")


def test_dlg_broken_chain(planted):
    p = planted["p"]
    assert fired(planted, "DLG-BROKEN-CHAIN") == {(p["bc-child"], None), (p["deep"], None)}


def test_dlg_undeclared(planted):
    p = planted["p"]
    assert fired(planted, "DLG-UNDECLARED") == {
        (p["undeclared-target"], p["undeclared-source"]), (p["pass-target"], p["pass-source"])}


@pytest.mark.parametrize("case, weakness", [
    ("tw-any", "any-principal"), ("tw-oidc-nosub", "oidc-without-sub"), ("tw-oidc-wild", "oidc-wildcard-sub"),
    ("tw-foreign", "foreign-without-external-id"),
])
def test_trust_weak_sub_cases(planted, case, weakness):
    assert (planted["p"][case], f"statement 0: {weakness}") in fired(planted, "TRUST-WEAK")


def test_trust_weak_exactly(planted):
    p = planted["p"]
    assert {principal for principal, _ in fired(planted, "TRUST-WEAK")} == {
        p["tw-any"], p["tw-oidc-nosub"], p["tw-oidc-wild"], p["tw-foreign"]}


def test_use_reuse_xenv(planted):
    p = planted["p"]
    assert fired(planted, "USE-REUSE-XENV") == {(p["shared"], "reuse-1,reuse-2"), (p["xenv"], "xenv-agent")}


def test_gov_revocation_lag(planted):
    p = planted["p"]
    late = {f["object"]: f for f in planted["findings"] if f["rule"] == "GOV-REVOCATION-LAG"}
    by_id = {f["id"]: f for f in planted["findings"]}
    assert {(by_id[i]["rule"], by_id[i]["principal"]) for i in late} == {
        ("IDN-ORPHANED", p["terminated"]), ("DLG-EXPIRED", p["expired"])}
    assert {f["principal"] for f in late.values()} == {p["terminated"], p["expired"]}


def test_every_rule_is_exercised(planted):
    from pipelines.reconcile.catalogue import rules

    assert {f["rule"] for f in planted["findings"]} == {r.id for r in rules()}


def test_findings_json_validates_against_the_shipped_schema(planted):
    from pathlib import Path

    import jsonschema

    schema = json.loads((Path(__file__).parents[2] / "schemas" / "finding.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = [(f["rule"], e.message) for f in planted["findings"] for e in validator.iter_errors(f)]
    assert errors == []
    order = [(-f["severity"], f["rule"], f["principal"]) for f in planted["findings"]]
    assert order == sorted(order)  # highest severity first, then rule, then principal


def test_findings_filters_and_formats(planted):
    project = planted["project"]
    only = project.idrift("findings", "--rule", "TRUST-WEAK", "--status", "open", "--format", "json")
    rows = [json.loads(line) for line in only.stdout.splitlines()]
    assert rows and {(r["rule"], r["status"]) for r in rows} == {("TRUST-WEAK", "open")}
    csv_out = project.idrift("findings", "--rule", "ENT-EXCESS", "--format", "csv")
    import csv as csv_module
    import io

    records = list(csv_module.DictReader(io.StringIO(csv_out.stdout)))
    assert len(records) == len([f for f in planted["findings"] if f["rule"] == "ENT-EXCESS"])
    assert json.loads(records[0]["evidence"])["uncovered"]  # objects as JSON text
    table = project.idrift("findings", "--status", "suppressed")
    assert table.exit_code == 0


def test_report_files_and_manifest(planted):
    import hashlib

    project = planted["project"]
    [folder] = (project.root / "reports").iterdir()
    names = {p.name for p in folder.iterdir()}
    assert names == {"index.html", "findings.csv", "findings.jsonl", "identities.csv", "revocations.csv",
                     "manifest.json"}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["files"] == {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in names - {"manifest.json"}}
    assert len((folder / "findings.jsonl").read_text().splitlines()) == len(planted["findings"])
    assert {s["scope_id"] for s in manifest["sources"] if s["provider"] == "aws"} == {
        planted["management"], planted["prod"].account, planted["dev"].account}
    assert planted["p"]["service-linked"] in manifest["excluded"]["ignored_principals"]
    html = (folder / "index.html").read_text()
    assert "IDN-ORPHANED" in html and "dave → legacy" in html and "<script" not in html
    written = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = project.idrift("report")  # a report folder is never overwritten
    assert "never overwritten" in again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == written


def test_findings_before_any_run_exit_1(tmp_path, moto_server):
    project = Project(tmp_path / "empty", moto_server.endpoint)
    project.configure(["111122223333"])
    result = project.idrift("findings")
    assert result.exit_code == 1 and "nothing was reconciled yet" in result.stderr


def test_read_commands_do_not_wait_on_a_running_sync(planted):
    import subprocess
    import sys

    project = planted["project"]
    hold = ("import duckdb, sys, time\nfrom pipelines.lock import writer_lock\n"
            "with writer_lock(sys.argv[1]):\n    con = duckdb.connect(sys.argv[1])\n    print('held', flush=True)\n"
            "    time.sleep(60)\n")
    writer = subprocess.Popen([sys.executable, "-c", hold, str(project.warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "held"  # a run holds the lock and the warehouse
        result = project.idrift("findings", "--format", "json")
        assert result.exit_code == 0 and len(result.stdout.splitlines()) == len(planted["findings"])
    finally:
        writer.kill()
        writer.wait()


def test_a_second_run_gives_the_same_findings(planted):
    project = planted["project"]
    assert project.idrift("run").exit_code == 0
    again = [json.loads(line) for line in project.idrift("findings", "--format", "json").stdout.splitlines()]
    assert {(f["id"], f["status"]) for f in again} == {(f["id"], f["status"]) for f in planted["findings"]}
