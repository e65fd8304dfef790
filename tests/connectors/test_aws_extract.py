"""The AWS connector against moto over HTTP (optionally through the fault proxy), into the real
staging store: what a user would check in the staged rows and manifests."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pyarrow.parquet as pq
import pytest

from connectors.aws import AwsConnector, ManagedPolicyCache
from connectors.base import ScopeFailed
from connectors.records import ENTITY_TYPES, Scope
from pipelines.staging import StagingStore, new_run_id
from tests.emulators.fault_proxy import Fault
from tests.emulators.moto_server import MEMBER_ROLE, backdate_key, iam_backend

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
# The reads the connector may make; anything per role / per policy would be a fallback.
BULK_OPERATIONS = {
    "AssumeRole",
    "GetCallerIdentity",
    "GenerateCredentialReport",
    "GetCredentialReport",
    "GetAccountAuthorizationDetails",
    "ListAccessKeys",
    "GetAccessKeyLastUsed",
}


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture
def staging(tmp_path):
    return StagingStore(str(tmp_path / "staging")), new_run_id()


@pytest.fixture
def account(moto_server, new_account, aws_env):
    """A fresh account and an IAM client inside it."""
    acct = new_account()
    return acct, moto_server.assume(acct).client("iam", endpoint_url=moto_server.endpoint)


def extract(connector: AwsConnector, account_id: str, staging) -> "Staged":
    store, run_id = staging
    writer = store.open_scope(run_id, Scope("aws", account_id))
    try:
        connector.extract(Scope("aws", account_id), writer)
        error = None
    except ScopeFailed as e:
        error = str(e)
    return Staged(writer.close(error=error))


class Staged:
    """A staged scope and its rows."""

    def __init__(self, scope):
        self.scope = scope

    def rows(self, entity: str) -> list[dict]:
        path = self.scope.files.get(entity)
        return pq.read_table(path).to_pylist() if path else []

    def complete(self) -> dict[str, bool]:
        return {e: self.scope.complete(e) for e in ENTITY_TYPES}

    def by_name(self) -> dict[str, dict]:
        return {i["name"]: i for i in self.rows("identities")}


def kept_operations(staging, account_id: str) -> list[str]:
    """The operations of the raw pages kept for a scope, in order."""
    store, run_id = staging
    return [page["operation"] for _, page in store.raw_pages(run_id, "aws", account_id)]


def connector(endpoint: str, account_id: str, **kw) -> AwsConnector:
    return AwsConnector(accounts=[account_id], assume_role=MEMBER_ROLE, endpoint=endpoint, **kw)


# ---- discovery and sessions ---------------------------------------------------------------------


def test_organization_accounts_are_discovered_and_read_through_assume_role(moto_server, aws_env, staging):
    management, session = moto_server.new_organization()
    members = [moto_server.new_account(session) for _ in range(2)]
    for i, acct in enumerate(members):
        moto_server.assume(acct).client("iam", endpoint_url=moto_server.endpoint).create_user(UserName=f"svc-{i}")
    creds = session.get_credentials()
    aws_env.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    aws_env.setenv("AWS_SESSION_TOKEN", creds.token)
    aws_env.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)  # the SDK's own setting, no `endpoint`
    aws = AwsConnector(
        organization=True, assume_role=MEMBER_ROLE, environments={members[0]: "prod"}, schedule="nightly"
    )

    scopes = aws.scopes()
    assert [(s.scope_id, s.environment, s.schedule) for s in scopes] == sorted(
        [(management, None, "nightly"), (members[0], "prod", "nightly"), (members[1], None, "nightly")]
    )
    with ThreadPoolExecutor(2) as pool:  # as the pipeline runs scopes
        staged = list(pool.map(lambda a: extract(aws, a, staging), members))

    for i, s in enumerate(staged):
        assert s.complete() == dict.fromkeys(ENTITY_TYPES, True)
        assert {n for n, r in s.by_name().items() if r["kind"] == "aws_user"} == {f"svc-{i}"}
        assert s.by_name()[MEMBER_ROLE]["kind"] == "aws_role"
        kept = kept_operations(staging, members[i])
        assert "AssumeRole" not in kept and "GetAccountAuthorizationDetails" in kept  # STS answers hold secrets


def test_ambient_credentials_must_belong_to_the_account(moto_server, account, aws_env, staging):
    acct, _ = account
    aws_env.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    ambient = AwsConnector(accounts=[acct])

    with pytest.raises(ScopeFailed, match="belong to account 123456789012"):
        ambient.extract(Scope("aws", acct), staging[0].open_scope(staging[1], Scope("aws", acct)))

    creds = moto_server.assume(acct).get_credentials()
    aws_env.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    aws_env.setenv("AWS_SESSION_TOKEN", creds.token)
    assert extract(ambient, acct, staging).complete() == dict.fromkeys(ENTITY_TYPES, True)


# ---- grants -------------------------------------------------------------------------------------


def test_inline_managed_and_group_policies_become_grants(moto_server, account, staging):
    acct, iam = account
    app = iam.create_policy(PolicyName="app-read", PolicyDocument=doc(allow("s3:GetObject")))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=app, PolicyDocument=doc(allow("dynamodb:GetItem")), SetAsDefault=True)
    iam.create_group(GroupName="devs")
    iam.put_group_policy(GroupName="devs", PolicyName="devs-inline", PolicyDocument=doc(allow("ec2:Describe*")))
    iam.attach_group_policy(GroupName="devs", PolicyArn=app)
    iam.create_user(UserName="alice", Tags=[{"Key": "Email", "Value": "alice@example.com"}])
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    deny = {"Effect": "Deny", "NotAction": "iam:*", "NotResource": ["arn:aws:s3:::b", "arn:aws:s3:::a"]}
    cond = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    iam.put_user_policy(
        UserName="alice", PolicyName="own", PolicyDocument=doc(allow("s3:*", "arn:aws:s3:::b/*", Condition=cond), deny)
    )
    iam.attach_user_policy(UserName="alice", PolicyArn=READ_ONLY)
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=doc())
    iam.attach_role_policy(RoleName="worker", PolicyArn=app)

    s = extract(connector(moto_server.endpoint, acct), acct, staging)

    assert s.complete() == dict.fromkeys(ENTITY_TYPES, True)
    ids = s.by_name()
    assert ids["alice"]["email"] == "alice@example.com" and ids["alice"]["disabled"] is True  # no key, no password
    grants = {
        (g["identity_id"], g["source"], g["path"], g["policy_arn"], g["statement_index"])
        for g in s.rows("grants")
    }
    alice, worker = ids["alice"]["identity_id"], ids["worker"]["identity_id"]
    assert {g for g in grants if g[1] != READ_ONLY and g[0] in (alice, worker)} == {
        (alice, "inline:own", "inline", None, 0),
        (alice, "inline:own", "inline", None, 1),
        (alice, "group:devs/devs-inline", "group", None, 0),
        (alice, "group:devs/app-read", "group", app, 0),
        (worker, app, "direct", app, 0),
    }
    read_only = [g for g in s.rows("grants") if g["source"] == READ_ONLY]
    assert read_only and {(g["identity_id"], g["path"]) for g in read_only} == {(alice, "direct")}
    stmts = {st["statement_id"]: st for st in s.rows("statements")}
    by_source = {(g["source"], g["statement_index"]): stmts[g["statement_id"]] for g in s.rows("grants")}
    assert by_source[(app, 0)]["actions"] == ["dynamodb:GetItem"]  # the default version only
    assert by_source[("inline:own", 0)]["condition"] == json.dumps(cond, separators=(",", ":"))
    denied = by_source[("inline:own", 1)]
    assert (denied["effect"], denied["actions"], denied["not_actions"], denied["not_resources"]) == (
        "Deny",
        None,
        ["iam:*"],
        ["arn:aws:s3:::a", "arn:aws:s3:::b"],
    )


def test_aws_managed_policies_are_fetched_once_per_run(moto_server, new_account, aws_env, fault_proxy, staging):
    accounts = [new_account(), new_account()]
    for acct in accounts:
        iam = moto_server.assume(acct).client("iam", endpoint_url=moto_server.endpoint)
        iam.create_role(RoleName="auditor", AssumeRolePolicyDocument=doc())
        iam.attach_role_policy(RoleName="auditor", PolicyArn=READ_ONLY)
    aws = AwsConnector(
        accounts=accounts, assume_role=MEMBER_ROLE, endpoint=fault_proxy.endpoint, managed_policies=ManagedPolicyCache()
    )

    with ThreadPoolExecutor(2) as pool:
        staged = list(pool.map(lambda a: extract(aws, a, staging), accounts))

    first_pages = fault_proxy.count(
        "GetAccountAuthorizationDetails", Marker=None, **{"Filter.member.1": "AWSManagedPolicy"}
    )
    assert first_pages == 1  # one paged read (~1,600 policies) for both accounts
    for s in staged:
        assert s.complete()["grants"]
        assert {g["path"] for g in s.rows("grants") if g["source"] == READ_ONLY} == {"direct"}


# ---- edges --------------------------------------------------------------------------------------


def test_trust_policies_of_every_shape_become_edges(moto_server, account, staging):
    acct, iam = account
    oidc = f"arn:aws:iam::{acct}:oidc-provider/token.actions.githubusercontent.com"
    sub = {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}}
    external = {"StringEquals": {"sts:ExternalId": "x-1"}}
    roles = {
        "by-arn": doc(
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/ci"}, "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:user/bob"}, "Action": "sts:AssumeRole"},
        ),
        "by-root": doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "444455556666"]},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": external,
            }
        ),
        "by-service": doc(
            {"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": "sts:AssumeRole"}
        ),
        "by-oidc": doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": sub,
            },
            {"Effect": "Allow", "Principal": {"Federated": oidc}, "Action": "sts:AssumeRoleWithWebIdentity"},
        ),
        "by-anyone": doc(
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
        ),
    }
    for name, policy in roles.items():
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy)

    s = extract(connector(moto_server.endpoint, acct), acct, staging)

    names = {i["identity_id"]: i["name"] for i in s.rows("identities")}
    edges = {
        (
            names[e["target_identity_id"]],
            e["source"],
            e["source_kind"],
            e["source_scope"],
            e["statement_index"],
            e["effect"],
            tuple(e["actions"]),
            e["condition"],
        )
        for e in s.rows("edges")
        if e["edge_type"] == "aws_trust" and names[e["target_identity_id"]] in roles
    }
    j = lambda c: json.dumps(c, separators=(",", ":"), sort_keys=True)  # noqa: E731
    assume, web = ("sts:AssumeRole",), ("sts:AssumeRoleWithWebIdentity",)
    assert edges == {
        ("by-arn", "arn:aws:iam::111122223333:role/ci", "principal", "111122223333", 0, "Allow", assume, None),
        ("by-arn", "arn:aws:iam::111122223333:user/bob", "principal", "111122223333", 1, "Deny", assume, None),
        (
            "by-root",
            "arn:aws:iam::111122223333:root",
            "account_root",
            "111122223333",
            0,
            "Allow",
            ("sts:AssumeRole", "sts:TagSession"),
            j(external),
        ),
        (
            "by-root",
            "arn:aws:iam::444455556666:root",
            "account_root",
            "444455556666",
            0,
            "Allow",
            ("sts:AssumeRole", "sts:TagSession"),
            j(external),
        ),
        ("by-service", "lambda.amazonaws.com", "service", None, 0, "Allow", assume, None),
        ("by-oidc", oidc, "federated", acct, 0, "Allow", web, j(sub)),
        ("by-oidc", oidc, "federated", acct, 1, "Allow", web, None),
        ("by-anyone", "*", "any", None, 0, "Allow", assume, None),
        ("by-anyone", "*", "any", None, 1, "Allow", assume, None),
    }
    assert json.loads(s.by_name()["by-oidc"]["attributes"])["trust_policy"] == json.loads(roles["by-oidc"])


def test_pass_role_edges(moto_server, account, staging):
    acct, iam = account
    role_arn = lambda n: f"arn:aws:iam::{acct}:role/{n}"  # noqa: E731
    for name in ("app", "other", "ci"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc())
    policies = {
        "deployer": allow("iam:PassRole", role_arn("app")),
        "shouty": allow("IAM:passrole", [role_arn("other")]),  # IAM actions ignore case
        "nota": {"Effect": "Allow", "NotAction": "s3:*", "Resource": role_arn("app")},
        "denied": {"Effect": "Deny", "Action": "iam:PassRole", "Resource": role_arn("app")},
        "s3-only": allow("s3:*", role_arn("app")),
        "foreign": allow("iam:PassRole", "arn:aws:iam::999999999999:role/app"),
        "wildcard": allow("iam:PassRole", role_arn("*")),
    }
    for user, statement in policies.items():
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=doc(statement))
    iam.create_group(GroupName="ops")
    iam.put_group_policy(GroupName="ops", PolicyName="pass", PolicyDocument=doc(allow("iam:Pass*", role_arn("other"))))
    iam.create_user(UserName="op")
    iam.add_user_to_group(GroupName="ops", UserName="op")
    iam.put_role_policy(
        RoleName="ci", PolicyName="all", PolicyDocument=doc(allow("*", [role_arn("app"), role_arn("*")]))
    )

    s = extract(connector(moto_server.endpoint, acct), acct, staging)

    ids = s.by_name()
    passes = {
        (e["source"], e["target_principal"], e["source_kind"], e["source_scope"])
        for e in s.rows("edges")
        if e["edge_type"] == "aws_pass_role"
    }
    assert passes == {
        (ids[src]["principal"], role_arn(dst), "principal", acct)
        for src, dst in [("deployer", "app"), ("shouty", "other"), ("nota", "app"), ("op", "other"), ("ci", "app")]
    }
    assert {e["target_identity_id"] for e in s.rows("edges") if e["edge_type"] == "aws_pass_role"} == {
        ids["app"]["identity_id"],
        ids["other"]["identity_id"],
    }


# ---- credentials ----------------------------------------------------------------------------------


def test_keys_map_to_report_slots_and_ask_last_used_only_when_ambiguous(moto_server, account, fault_proxy, staging):
    acct, iam = account
    for user, keys in {"k-one": 1, "k-same": 2, "k-off": 1, "nokeys": 0}.items():
        iam.create_user(UserName=user)
        for _ in range(keys):
            iam.create_access_key(UserName=user)
    one = backdate_key(acct, "k-one", 0, created=at("2024-01-02T03:04:05"), last_used=at("2024-06-01T00:00:00"))
    # Two keys created in the same second: the report's slots cannot tell them apart.
    same = [backdate_key(acct, "k-same", i, created=at("2024-02-02T00:00:00")) for i in range(2)]
    backdate_key(acct, "k-same", 1, last_used=at("2024-05-05T05:05:05"), service="sts", region="us-west-2")
    off = iam.list_access_keys(UserName="k-off")["AccessKeyMetadata"][0]["AccessKeyId"]
    iam.update_access_key(UserName="k-off", AccessKeyId=off, Status="Inactive")

    s = extract(connector(fault_proxy.endpoint, acct), acct, staging)

    assert s.complete() == dict.fromkeys(ENTITY_TYPES, True)
    assert fault_proxy.count("ListAccessKeys") == 3  # not for "nokeys"
    assert fault_proxy.count("ListAccessKeys", UserName="nokeys") == 0
    assert fault_proxy.count("GetAccessKeyLastUsed") == 2
    assert {c.params["AccessKeyId"] for c in fault_proxy.calls if c.operation == "GetAccessKeyLastUsed"} == set(same)
    keys = {c["credential_id"]: c for c in s.rows("credentials")}
    assert (keys[one]["created_at"], keys[one]["last_used_at"], keys[one]["last_used_source"], keys[one]["status"]) == (
        at("2024-01-02T03:04:05"),
        at("2024-06-01T00:00:00"),
        "credential_report",
        "active",
    )
    assert [
        (
            keys[k]["last_used_at"],
            keys[k]["last_used_service"],
            keys[k]["last_used_region"],
            keys[k]["last_used_source"],
        )
        for k in same
    ] == [
        (None, None, None, "GetAccessKeyLastUsed"),
        (at("2024-05-05T05:05:05"), "sts", "us-west-2", "GetAccessKeyLastUsed"),
    ]
    assert keys[off]["status"] == "inactive"
    ids = s.by_name()
    assert (ids["k-one"]["last_authenticated_at"], ids["k-one"]["last_authenticated_source"]) == (
        at("2024-06-01T00:00:00"),
        "access_key_last_used",
    )
    assert (ids["k-one"]["disabled"], ids["k-off"]["disabled"], ids["nokeys"]["disabled"]) == (False, True, True)
    kept = kept_operations(staging, acct)  # the evidence of every answer used
    assert (kept.count("ListAccessKeys"), kept.count("GetAccessKeyLastUsed")) == (3, 2)


def test_login_profile_and_disabled_identities(moto_server, account, staging):
    acct, iam = account
    iam.create_user(UserName="console")
    iam.create_login_profile(UserName="console", Password="Not-a-secret-1!")
    iam_backend(acct).get_user("console").password_last_used = at("2025-01-01T10:00:00")
    iam.create_user(UserName="frozen")
    iam.create_access_key(UserName="frozen")
    iam.put_user_policy(
        UserName="frozen",
        PolicyName="idrift-disabled",
        PolicyDocument=doc({"Effect": "Deny", "Action": "*", "Resource": "*"}),
    )
    iam.create_role(RoleName="parked", AssumeRolePolicyDocument=doc())
    iam.put_role_policy(
        RoleName="parked",
        PolicyName="idrift-disabled",
        PolicyDocument=doc({"Effect": "Deny", "Action": "*", "Resource": "*"}),
    )
    iam.create_role(RoleName="busy", AssumeRolePolicyDocument=doc())
    iam_backend(acct).get_role("busy").last_used = at("2025-03-03T03:03:03")

    s = extract(connector(moto_server.endpoint, acct), acct, staging)

    ids = s.by_name()
    password = [c for c in s.rows("credentials") if c["identity_id"] == ids["console"]["identity_id"]]
    assert [
        (c["credential_id"], c["kind"], c["status"], c["last_used_at"], c["last_used_source"]) for c in password
    ] == [("login_profile", "password", "active", at("2025-01-01T10:00:00"), "credential_report")]
    assert (ids["console"]["disabled"], ids["console"]["last_authenticated_source"]) == (False, "password_last_used")
    assert (ids["frozen"]["disabled"], ids["parked"]["disabled"], ids["busy"]["disabled"]) == (True, True, False)
    assert (ids["busy"]["last_authenticated_at"], ids["busy"]["last_authenticated_source"]) == (
        at("2025-03-03T03:03:03"),
        "role_last_used",
    )
    assert s.scope.freshness["aws_credential_report_generated_at"]


# ---- paging and faults ----------------------------------------------------------------------------


def seed_small(iam, users=5, roles=4) -> None:
    iam.create_group(GroupName="g")
    for i in range(users):
        iam.create_user(UserName=f"u{i}")
        iam.add_user_to_group(GroupName="g", UserName=f"u{i}")
    for i in range(roles):
        iam.create_role(
            RoleName=f"r{i}",
            AssumeRolePolicyDocument=doc(
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ),
        )


def test_gaad_is_read_page_by_page(moto_server, account, fault_proxy, staging):
    acct, iam = account
    seed_small(iam)
    fault_proxy.gaad_page_size = 2

    s = extract(connector(fault_proxy.endpoint, acct), acct, staging)

    assert s.complete() == dict.fromkeys(ENTITY_TYPES, True)
    assert set(s.by_name()) == {f"u{i}" for i in range(5)} | {f"r{i}" for i in range(4)} | {MEMBER_ROLE}
    assert fault_proxy.count("GetAccountAuthorizationDetails", **{"Filter.member.1": "User"}) == 3  # 2 + 2 + 1
    assert fault_proxy.count("GetAccountAuthorizationDetails", **{"Filter.member.1": "Role"}) == 3  # 5 roles
    assert len([e for e in s.rows("edges") if e["source"] == "ec2.amazonaws.com"]) == 4


def test_throttling_that_clears_leaves_the_scope_complete(moto_server, account, fault_proxy, staging):
    acct, iam = account
    seed_small(iam)
    fault_proxy.faults += [
        Fault(operation="GetAccountAuthorizationDetails", times=2),
        Fault(operation="GetCredentialReport", times=1, status=404, code="ReportInProgress", message="generating"),
    ]

    s = extract(connector(fault_proxy.endpoint, acct, max_attempts=5, report_waits=(0.05,)), acct, staging)

    assert s.complete() == dict.fromkeys(ENTITY_TYPES, True)
    assert (s.scope.stats["throttled"], s.scope.stats["retries"]) == (2, 2)
    assert fault_proxy.count("GetCredentialReport") == 2  # polled again once ready


def test_access_denied_on_one_account_fails_that_scope_only(moto_server, new_account, aws_env, fault_proxy, staging):
    denied, fine = new_account(), new_account()
    fault_proxy.faults.append(Fault(service="iam", account=denied, status=403, code="AccessDenied", message="no"))
    aws = AwsConnector(accounts=[denied, fine], assume_role=MEMBER_ROLE, endpoint=fault_proxy.endpoint)

    bad, good = (extract(aws, a, staging) for a in (denied, fine))

    assert "AccessDenied" in bad.scope.error
    assert all(not v["complete"] and "AccessDenied" in v["reason"] for v in bad.scope.entities.values())
    assert good.complete() == dict.fromkeys(ENTITY_TYPES, True)
    assert fault_proxy.count(account=denied) == 1  # its first IAM call, not retried, and nothing after it


def test_5xx_in_the_middle_of_gaad_paging_taints_only_what_it_feeds(moto_server, account, fault_proxy, staging):
    acct, iam = account
    seed_small(iam, users=3, roles=5)
    for i in range(3):
        iam.create_access_key(UserName=f"u{i}")
    fault_proxy.gaad_page_size = 2
    second_role_page = lambda c: c.params.get("Filter.member.1") == "Role" and "Marker" in c.params  # noqa: E731
    fault_proxy.faults.append(
        Fault(operation="GetAccountAuthorizationDetails", when=second_role_page, status=503, code="ServiceUnavailable")
    )

    s = extract(connector(fault_proxy.endpoint, acct, max_attempts=3), acct, staging)

    assert s.complete() == {"identities": False, "credentials": True, "grants": False, "edges": False}
    assert "ServiceUnavailable" in s.scope.entities["edges"]["reason"]
    assert s.scope.stats["retries"] == 2
    assert (
        fault_proxy.count("GetAccountAuthorizationDetails", **{"Filter.member.1": "Role"}) == 1 + 3
    )  # page 1, then 3 attempts
    assert {c.operation for c in fault_proxy.calls} <= BULK_OPERATIONS  # no per-role fallback
    roles_staged = [i for i in s.rows("identities") if i["kind"] == "aws_role"]
    assert len(roles_staged) == 2  # the first page stays staged, unpublished
    assert len([c for c in s.rows("credentials") if c["kind"] == "access_key"]) == 3


def test_keys_unchanged_since_the_last_read_are_not_listed_again(moto_server, account, fault_proxy, staging):
    acct, iam = account
    for user in ("steady", "flipped", "grown", "reborn"):
        iam.create_user(UserName=user)
        iam.create_access_key(UserName=user)
    for i, user in enumerate(("steady", "flipped", "grown", "reborn")):  # distinct seconds: certain slots
        backdate_key(acct, user, 0, created=at(f"2025-0{i + 1}-01T00:00:00"), last_used=at("2026-01-01T00:00:00"))
    aws = connector(fault_proxy.endpoint, acct)
    store, _ = staging
    first = extract(aws, acct, (store, new_run_id()))
    assert fault_proxy.count("ListAccessKeys") == 4

    fault_proxy.calls.clear()
    again = extract(aws, acct, (store, new_run_id()))
    assert fault_proxy.count("ListAccessKeys") == 0  # the report shows every key as last read
    assert again.scope.stats["unchanged_by_operation"] == {"ListAccessKeys": 4}
    assert sorted(map(str, again.rows("credentials"))) == sorted(map(str, first.rows("credentials")))

    flipped = iam.list_access_keys(UserName="flipped")["AccessKeyMetadata"][0]["AccessKeyId"]
    iam.update_access_key(UserName="flipped", AccessKeyId=flipped, Status="Inactive")
    iam.create_access_key(UserName="grown")
    backdate_key(acct, "grown", 1, created=at("2026-02-01T00:00:00"))
    old = iam.list_access_keys(UserName="reborn")["AccessKeyMetadata"][0]["AccessKeyId"]
    iam.delete_access_key(UserName="reborn", AccessKeyId=old)
    iam.delete_user(UserName="reborn")
    iam.create_user(UserName="reborn")  # the same name, another user (and key)
    iam.create_access_key(UserName="reborn")
    fault_proxy.calls.clear()
    third = extract(aws, acct, (store, new_run_id()))

    assert {c.params["UserName"] for c in fault_proxy.calls if c.operation == "ListAccessKeys"} == {
        "flipped", "grown", "reborn"}
    keys = {c["credential_id"]: c for c in third.rows("credentials")}
    assert keys[flipped]["status"] == "inactive" and old not in keys
    assert len([k for k in keys.values() if k["identity_id"] == third.by_name()["grown"]["identity_id"]]) == 2
