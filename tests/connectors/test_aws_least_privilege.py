"""idrift's AWS policies (policies/aws/) are least privilege, checked against the real connector.

The connector runs against moto over HTTP through the counting proxy, over an estate that makes
it take every path it has (organization discovery, assumed roles, a credential report that has
to be generated again, AWS-managed policies, access keys whose report slot is uncertain). Every
recorded call is mapped to its IAM action and evaluated against the policy of the identity that
made it: the read role's calls against idrift-read.json, the ambient identity's against the
caller statement of policies/README.md. The policies are also checked against policy_sentry's
catalogue: the read policy holds no write action, resource ARNs are used where the action
supports them, and the revoke policy can neither delete an identity nor mint a credential.
"""

import ast
import fnmatch
import functools
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import botocore.session
import pytest
from policy_sentry.querying.actions import get_action_data, get_actions_for_service, get_actions_with_access_level

from connectors.aws import AwsConnector, ManagedPolicyCache
from connectors.records import ENTITY_TYPES
from pipelines.staging import StagingStore, new_run_id
from tests.connectors.test_aws_extract import extract as staged_extract
from tests.emulators.fault_proxy import Call, Fault
from tests.emulators.moto_server import backdate_key

ROOT = Path(__file__).resolve().parents[2]
READ_POLICY = ROOT / "policies" / "aws" / "idrift-read.json"
REVOKE_POLICY = ROOT / "policies" / "aws" / "idrift-revoke.json"
README = ROOT / "policies" / "README.md"
REVOKE_CODE = ROOT / "connectors" / "aws" / "revoke.py"

READ_ROLE, REVOKE_ROLE = "IdriftReadOnly", "IdriftRevoke"  # as policies/README.md names them
# SigV4 signing name (what the proxy records) -> IAM action prefix.
PREFIXES = {"iam": "iam", "sts": "sts", "organizations": "organizations"}
# AWS answers it whatever the policies say (an explicit Deny included).
NO_PERMISSION_NEEDED = {"sts:GetCallerIdentity"}
NOT_READ = ("Write", "Permissions management", "Tagging")
# findings.md, "Revocation actions", AWS column: the calls the executors make.
REVOKE_ACTIONS = {
    f"iam:{a}"
    for a in (
        "UpdateAccessKey ListAccessKeys PutUserPolicy PutRolePolicy DeleteUserPolicy DeleteRolePolicy "
        "GetUserPolicy GetRolePolicy GetUser GetRole ListAttachedUserPolicies ListAttachedRolePolicies "
        "ListUserPolicies ListRolePolicies AttachUserPolicy AttachRolePolicy DetachUserPolicy DetachRolePolicy "
        "GetPolicy GetPolicyVersion UpdateAssumeRolePolicy GetLoginProfile DeleteLoginProfile"
    ).split()
}
# Nothing deletes an identity or mints a credential.
NEVER_REVOKE = {
    f"iam:{a}"
    for a in (
        "DeleteUser DeleteRole CreateUser CreateRole CreateAccessKey CreateLoginProfile UpdateLoginProfile "
        "CreateServiceSpecificCredential ResetServiceSpecificCredential UploadSigningCertificate UploadSSHPublicKey"
    ).split()
}
SAME_SECOND = datetime(2024, 2, 2, tzinfo=timezone.utc)
AWS_MANAGED = ("arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/SecurityAudit")


# ---- the policies and a small evaluator ------------------------------------------------------------


def _list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def load_policy(text: str, name: str) -> list[dict]:
    """The statements of an identity policy document, after checking its shape."""
    doc = json.loads(text)
    assert isinstance(doc, dict) and set(doc) == {"Version", "Statement"}, f"{name}: Version and Statement only"
    assert doc["Version"] == "2012-10-17", name
    assert len(re.sub(r"\s", "", text)) <= 6144, f"{name}: over the managed-policy size limit"
    statements = doc["Statement"]
    assert isinstance(statements, list) and statements, name
    sids = [s.get("Sid") for s in statements]
    assert all(isinstance(s, str) and re.fullmatch(r"[A-Za-z0-9]+", s) for s in sids), f"{name}: Sids {sids}"
    assert len(set(sids)) == len(sids), f"{name}: Sids are not unique"
    for s in statements:
        where = f"{name} {s['Sid']}"
        assert set(s) <= {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}, where
        assert s["Effect"] in ("Allow", "Deny"), where
        assert ("Action" in s) != ("NotAction" in s) and ("Resource" in s) != ("NotResource" in s), where
        assert s["Effect"] == "Deny" or ("Action" in s and "Resource" in s), f"{where}: an Allow with Not*"
        for action in _list(s.get("Action", s.get("NotAction"))):
            assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9*?]+", action), f"{where}: action {action!r}"
            assert catalogue_matches(action), f"{where}: {action} matches no action in policy_sentry's catalogue"
        for resource in _list(s.get("Resource", s.get("NotResource"))):
            assert resource == "*" or resource.startswith("arn:aws:"), f"{where}: resource {resource!r}"
    return statements


def caller_policy() -> list[dict]:
    """The caller statement policies/README.md documents (the JSON block under "The caller")."""
    block = re.search(r"### The caller.*?```json\n(.*?)```", README.read_text(), re.S)
    assert block, f"{README}: no ```json block under '### The caller'"
    return load_policy(block.group(1), f"{README.name} (caller)")


def _action_in(statement: dict, action: str) -> bool:
    patterns = _list(statement.get("Action", statement.get("NotAction")))
    hit = any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)
    return hit if "Action" in statement else not hit


def _resource_in(statement: dict, resource: str | None) -> bool:
    """`resource` None: an account-level action, which only `"Resource": "*"` reaches."""
    patterns = _list(statement.get("Resource", statement.get("NotResource")))
    hit = any(p == "*" if resource is None else fnmatch.fnmatchcase(resource, p) for p in patterns)
    return hit if "Resource" in statement else not hit


def decide(statements: list[dict], action: str, resource: str | None) -> str:
    """"Deny" (explicit), "Allow", or "implicit deny". A Condition never grants here (an Allow
    under a condition is not counted) and always may deny (a Deny under one is)."""
    matching = [s for s in statements if _action_in(s, action) and _resource_in(s, resource)]
    if any(s["Effect"] == "Deny" for s in matching):
        return "Deny"
    if any(s["Effect"] == "Allow" and "Condition" not in s for s in matching):
        return "Allow"
    return "implicit deny"


@functools.cache
def catalogue(prefix: str) -> tuple[str, ...]:
    return tuple(get_actions_for_service(prefix))


def catalogue_matches(pattern: str) -> list[str]:
    prefix = pattern.split(":", 1)[0]
    return [a for a in catalogue(prefix) if fnmatch.fnmatchcase(a.lower(), pattern.lower())]


def granted(statements: list[dict]) -> set[str]:
    """Every catalogued action some unconditional Allow statement grants, on some resource
    (explicit Denies not subtracted: a grant should not lean on a Deny)."""
    return {
        a
        for s in statements
        if s["Effect"] == "Allow" and "Condition" not in s
        for pattern in _list(s["Action"])
        for a in catalogue_matches(pattern)
    }


@functools.cache
def access_levels(prefix: str) -> dict[str, str]:
    return {
        a.lower(): level
        for level in ("Read", "List", *NOT_READ)
        for a in get_actions_with_access_level(prefix, level)
    }


def level_of(action: str) -> str:
    return access_levels(action.split(":", 1)[0]).get(action.lower(), "unknown")


def resource_formats(action: str) -> set[str]:
    prefix, name = action.split(":", 1)
    return {d["resource_arn_format"] for d in get_action_data(prefix, name).get(prefix, [])}


def fits(pattern: str, arn_format: str) -> bool:
    """Whether a policy's resource pattern names resources of this catalogue ARN format."""
    regex = re.escape(arn_format)
    regex = re.sub(r"\\\$\\\{[^}]*\\\}", "[^:]+", regex)
    return re.fullmatch(regex, pattern.replace("*", "x").replace("?", "x")) is not None


# ---- driving the connector ----------------------------------------------------------------------------


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal: dict, action: str = "sts:AssumeRole", **extra) -> str:
    return doc({"Effect": "Allow", "Principal": principal, "Action": action, **extra})


@pytest.fixture
def staging(tmp_path):
    return StagingStore(str(tmp_path / "staging")), new_run_id()


def extract(aws: AwsConnector, account: str, staging) -> None:
    staged = staged_extract(aws, account, staging)
    error = staged.scope.error
    assert error is None, f"{account}: {error}"  # a failed scope would make fewer calls, proving less
    assert staged.complete() == dict.fromkeys(ENTITY_TYPES, True), staged.scope.entities


class Arns:
    """Resource ARNs of the seeded estates, for the calls that name a user or an access key."""

    def __init__(self) -> None:
        self.users: dict[tuple[str, str], str] = {}  # (account, user name) -> ARN
        self.keys: dict[str, str] = {}  # access key id -> its user's ARN

    def add(self, account: str, iam) -> None:
        for user in iam.list_users()["Users"]:
            self.users[(account, user["UserName"])] = user["Arn"]
            for key in iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]:
                self.keys[key["AccessKeyId"]] = user["Arn"]

    def requested(self, call: Call, account: str) -> tuple[str, str | None]:
        """The IAM action of a recorded call, and the resource it acts on (None: account-level)."""
        prefix = PREFIXES.get(call.service)
        assert prefix, f"a call to an unexpected service {call.service!r}: {call}"
        action, p = f"{prefix}:{call.operation}", call.params
        if "RoleArn" in p:
            return action, p["RoleArn"]
        if "AccessKeyId" in p:
            return action, self.keys.get(p["AccessKeyId"], "arn:aws:iam::unknown:user/unknown-key-owner")
        if "UserName" in p:
            return action, self.users.get((account, p["UserName"]), f"arn:aws:iam::{account}:user/{p['UserName']}")
        if "RoleName" in p:
            return action, f"arn:aws:iam::{account}:role/{p['RoleName']}"
        if "PolicyArn" in p:
            return action, p["PolicyArn"]
        return action, None


def seed(moto_server, account: str, arns: Arns, caller_account: str) -> None:
    """An estate with every kind of thing the connector reads, and idrift's own two roles
    (trusting the account idrift runs in)."""
    iam = moto_server.assume(account).client("iam", endpoint_url=moto_server.endpoint)
    allow = lambda action, resource="*": {"Effect": "Allow", "Action": action, "Resource": resource}  # noqa: E731
    app = iam.create_policy(PolicyName="app-read", PolicyDocument=doc(allow("s3:GetObject")))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=app, PolicyDocument=doc(allow("dynamodb:GetItem")), SetAsDefault=True)
    iam.create_group(GroupName="devs")
    iam.put_group_policy(GroupName="devs", PolicyName="devs-inline", PolicyDocument=doc(allow("ec2:Describe*")))
    iam.attach_group_policy(GroupName="devs", PolicyArn=app)

    iam.create_user(UserName="alice", Path="/people/", Tags=[{"Key": "Email", "Value": "alice@example.com"}])
    iam.create_login_profile(UserName="alice", Password="Not-a-secret-1!")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="own", PolicyDocument=doc(allow("s3:*", "arn:aws:s3:::b/*")))
    iam.attach_user_policy(UserName="alice", PolicyArn=AWS_MANAGED[0])
    iam.create_access_key(UserName="alice")
    iam.create_user(UserName="svc-deploy")  # two keys created in the same second: GetAccessKeyLastUsed
    for _ in range(2):
        iam.create_access_key(UserName="svc-deploy")
    for i in range(2):
        backdate_key(account, "svc-deploy", i, created=SAME_SECOND)
    iam.create_user(UserName="svc-old")
    old = iam.create_access_key(UserName="svc-old")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="svc-old", AccessKeyId=old, Status="Inactive")
    iam.create_user(UserName="nokeys")

    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}))
    iam.attach_role_policy(RoleName="worker", PolicyArn=app)
    iam.attach_role_policy(RoleName="worker", PolicyArn=AWS_MANAGED[1])
    iam.put_role_policy(
        RoleName="worker",
        PolicyName="pass",
        PolicyDocument=doc(allow("iam:PassRole", f"arn:aws:iam::{account}:role/ci")),
    )
    oidc = f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"
    sub = {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}}
    iam.create_role(
        RoleName="ci",
        AssumeRolePolicyDocument=trust({"Federated": oidc}, "sts:AssumeRoleWithWebIdentity", Condition=sub),
    )
    iam.create_role(
        RoleName="vendor",
        AssumeRolePolicyDocument=trust(
            {"AWS": "arn:aws:iam::111122223333:root"}, Condition={"StringEquals": {"sts:ExternalId": "x-1"}}
        ),
    )
    # idrift's own roles, carrying the shipped policies (moto validates the documents here).
    for role, path in ((READ_ROLE, READ_POLICY), (REVOKE_ROLE, REVOKE_POLICY)):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{caller_account}:root"}))
        arn = iam.create_policy(PolicyName=path.stem, PolicyDocument=path.read_text())["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    arns.add(account, iam)


def use_ambient(aws_env, session) -> None:
    creds = session.get_credentials()
    aws_env.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    aws_env.setenv("AWS_SESSION_TOKEN", creds.token)


def violations(checks: list[tuple[str, Call, str, str | None]], policies: dict[str, list[dict]]) -> list[str]:
    """(identity, call, action, resource) -> one line per distinct action/resource not allowed."""
    out: dict[tuple, list[Call]] = {}
    for identity, call, action, resource in checks:
        if action in NO_PERMISSION_NEEDED:
            continue
        decision = decide(policies[identity], action, resource)
        if decision != "Allow":
            out.setdefault((identity, action, resource or "*", decision), []).append(call)
    return [
        f"{action} on {resource} by {identity} ({decision}, {len(calls)} call(s), e.g. params {calls[0].params})"
        for (identity, action, resource, decision), calls in sorted(out.items())
    ]


def fail_message(lines: list[str]) -> str:
    return (
        "the AWS connector made calls its policies do not allow; add each action to "
        f"{READ_POLICY.relative_to(ROOT)} (a statement whose Sid says why) or to the caller statement of "
        f"{README.relative_to(ROOT)}, or drop the call:\n  - " + "\n  - ".join(lines)
    )


# ---- the connector's calls --------------------------------------------------------------------------


def test_discovery_and_assumed_read_role_stay_inside_the_policies(moto_server, aws_env, fault_proxy, staging):
    management, session = moto_server.new_organization()
    members = [moto_server.new_account(session) for _ in range(2)]
    arns = Arns()
    for acct in members:
        seed(moto_server, acct, arns, management)
    use_ambient(aws_env, session)
    fault_proxy.faults.append(  # the report has to be generated again: GenerateCredentialReport twice
        Fault(operation="GetCredentialReport", times=1, status=410, code="ReportNotPresent", message="none")
    )
    aws = AwsConnector(
        organization=True,
        assume_role=READ_ROLE,
        endpoint=fault_proxy.endpoint,
        managed_policies=ManagedPolicyCache(),
        report_waits=(0.05, 0.05, 0.05),
    )

    scopes = [s.scope_id for s in aws.scopes()]
    assert set(members) | {management} == set(scopes)
    for acct in members:
        extract(aws, acct, staging)

    read, caller = load_policy(READ_POLICY.read_text(), READ_POLICY.name), caller_policy()
    checks = []
    for call in fault_proxy.calls:
        if call.account is None:  # signed with the ambient credentials (the proxy never saw them issued)
            checks.append(("the caller", call, *arns.requested(call, management)))
        else:
            assert call.account in members, f"a call in an account that was not extracted: {call}"
            checks.append((f"{READ_ROLE} in {call.account}", call, *arns.requested(call, call.account)))
    policies = {identity: (caller if identity == "the caller" else read) for identity, *_ in checks}
    bad = violations(checks, policies)
    assert not bad, fail_message(bad)

    by_role = {a for identity, _, a, _ in checks if identity != "the caller"}
    by_caller = {a for identity, _, a, _ in checks if identity == "the caller"}
    assert by_caller == {"organizations:ListAccounts", "sts:AssumeRole"}
    assert by_role == {
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:GetAccountAuthorizationDetails",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
    }, f"the read role's calls changed (update the policy and this list): {sorted(by_role)}"
    # Only what the code calls: every action the read policy grants was used, by one identity or the other.
    unused = granted(read) - by_role - by_caller
    assert not unused, f"{READ_POLICY.name} grants actions the connector never called: {sorted(unused)}"
    assert fault_proxy.count("GenerateCredentialReport") == len(members) + 1
    assert fault_proxy.count("GetAccountAuthorizationDetails", **{"Filter.member.1": "AWSManagedPolicy"}) >= 2
    assert {c.params["RoleArn"] for c in fault_proxy.calls if c.operation == "AssumeRole"} == {
        f"arn:aws:iam::{a}:role/{READ_ROLE}" for a in members
    }


def test_ambient_read_identity_needs_only_the_read_policy(moto_server, aws_env, fault_proxy, staging):
    """No `assume_role`: idrift reads with its own credentials, which must carry the read policy."""
    management, session = moto_server.new_organization()
    arns = Arns()
    seed(moto_server, management, arns, management)
    use_ambient(aws_env, session)  # credentials acting in the management account itself
    aws = AwsConnector(organization=True, endpoint=fault_proxy.endpoint, managed_policies=ManagedPolicyCache())

    assert [s.scope_id for s in aws.scopes()] == [management]
    extract(aws, management, staging)

    read = load_policy(READ_POLICY.read_text(), READ_POLICY.name)
    assert {c.account for c in fault_proxy.calls} == {None}
    checks = [("the ambient read identity", c, *arns.requested(c, management)) for c in fault_proxy.calls]
    bad = violations(checks, {"the ambient read identity": read})
    assert not bad, fail_message(bad)
    used = {a for _, _, a, _ in checks}
    assert "sts:GetCallerIdentity" in used and "organizations:ListAccounts" in used
    unused = granted(read) - used
    assert not unused, f"{READ_POLICY.name} grants actions the connector never called: {sorted(unused)}"


# ---- the policies against the catalogue ---------------------------------------------------------------


@pytest.mark.parametrize("path", [READ_POLICY, REVOKE_POLICY], ids=lambda p: p.name)
def test_policy_files_are_valid_policy_documents(path):
    load_policy(path.read_text(), path.name)


def test_the_read_policy_grants_no_write_action():
    read = load_policy(READ_POLICY.read_text(), READ_POLICY.name)
    grants = granted(read)
    assert grants
    writes = {
        w.lower()
        for prefix in {a.split(":")[0] for a in grants}
        for level in NOT_READ
        for w in get_actions_with_access_level(prefix, level)
    }
    bad = sorted(f"{a} ({level_of(a)})" for a in grants if a.lower() in writes)
    assert not bad, f"{READ_POLICY.name} grants actions that change things: {bad}"
    unknown = sorted(a for a in grants if level_of(a) not in ("Read", "List"))
    assert not unknown, f"{READ_POLICY.name}: actions of no Read / List access level: {unknown}"
    caller = caller_policy()  # sts:AssumeRole is Write in the catalogue: that is why it is not in here
    assert {a.lower() for a in granted(caller)} == {"sts:assumerole", "organizations:listaccounts"}


@pytest.mark.parametrize("source", ["read", "revoke", "caller"])
def test_resources_are_arns_wherever_the_action_supports_them(source):
    statements = {
        "read": lambda: load_policy(READ_POLICY.read_text(), READ_POLICY.name),
        "revoke": lambda: load_policy(REVOKE_POLICY.read_text(), REVOKE_POLICY.name),
        "caller": caller_policy,
    }[source]()
    problems = []
    for s in statements:
        if s["Effect"] != "Allow":
            continue
        for pattern in _list(s["Action"]):
            for action in catalogue_matches(pattern):
                typed = resource_formats(action) - {"*"}
                for resource in _list(s["Resource"]):
                    if resource == "*" and typed:
                        problems.append(f"{s['Sid']}: {action} supports {sorted(typed)}, not '*'")
                    elif resource != "*" and not any(fits(resource, f) for f in typed):
                        problems.append(f"{s['Sid']}: {action} takes no resource like {resource} (only '*')")
    assert not problems, "\n".join(problems)


def test_the_revoke_policy_is_the_executors_calls_and_nothing_more():
    revoke = load_policy(REVOKE_POLICY.read_text(), REVOKE_POLICY.name)
    allowed = {a.lower(): a for a in granted(revoke)}
    forbidden = sorted(allowed[a.lower()] for a in NEVER_REVOKE if a.lower() in allowed)
    assert not forbidden, (
        f"{REVOKE_POLICY.name} lets the revoke role delete identities or mint credentials: {forbidden}"
    )
    for action in NEVER_REVOKE:
        assert decide(revoke, action, "arn:aws:iam::111122223333:user/x") == "Deny", action
    assert set(allowed) == {a.lower() for a in REVOKE_ACTIONS}, (
        f"not the design's AWS revocation calls: extra {sorted(set(allowed) - {a.lower() for a in REVOKE_ACTIONS})}, "
        f"missing {sorted({a.lower() for a in REVOKE_ACTIONS} - set(allowed))}"
    )
    assert not granted(revoke) & {"sts:AssumeRole"} and all(a.startswith("iam:") for a in granted(revoke))
    # Read statements and write statements are apart.
    for s in revoke:
        if s["Effect"] == "Allow":
            levels = {level_of(a) for p in _list(s["Action"]) for a in catalogue_matches(p)}
            assert levels <= {"Read", "List"} or not levels & {"Read", "List"}, f"{s['Sid']} mixes {levels}"
            assert s["Sid"].startswith("Read") == (levels <= {"Read", "List"}), s["Sid"]


def test_the_revoke_role_cannot_change_idrift_s_own_roles():
    revoke = load_policy(REVOKE_POLICY.read_text(), REVOKE_POLICY.name)
    on_roles = [
        a
        for a in granted(revoke)
        if level_of(a) in NOT_READ and any(fits("arn:aws:iam::*:role/*", f) for f in resource_formats(a))
    ]
    assert on_roles
    for action in on_roles:
        for role in (READ_ROLE, REVOKE_ROLE, f"idrift/{READ_ROLE}"):
            assert decide(revoke, action, f"arn:aws:iam::111122223333:role/{role}") == "Deny", (action, role)
        assert decide(revoke, action, "arn:aws:iam::111122223333:role/app") == "Allow", action
    for action in ("iam:GetRole", "iam:ListAttachedRolePolicies"):  # reading them is fine
        assert decide(revoke, action, f"arn:aws:iam::111122223333:role/{READ_ROLE}") == "Allow"


def revoke_code_operations(source: str) -> set[str]:
    """The IAM operations a module calls, read statically: client methods called by name, and
    every string that names an operation (`_write(iam, att, f"Put{kind}Policy")`,
    `getattr(iam, f"get_{kind.lower()}")`, paginator names, `iam:Op` in plan sentences), with
    each f-string placeholder tried as User and Role."""
    operations = botocore.session.get_session().get_service_model("iam").operation_names
    names = {op: op for op in operations} | {botocore.xform_name(op): op for op in operations}
    called, texts = set(), []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names:
            called.add(names[node.func.attr])
        elif isinstance(node, ast.JoinedStr):
            for kind in ("User", "Role"):
                texts.append("".join(
                    v.value if isinstance(v, ast.Constant) else (kind.lower() if "lower" in ast.unparse(v) else kind)
                    for v in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
    for text in texts:
        if text in names:
            called.add(names[text])
        called.update(names[m] for m in re.findall(r"\biam:([A-Za-z]+)", text) if m in names)
    return called


def test_the_revoke_executors_stay_inside_the_revoke_policy():
    """What connectors/aws/revoke.py calls, as far as a static read can tell (see above)."""
    if not REVOKE_CODE.exists():
        pytest.skip("connectors/aws/revoke.py is not written yet")
    called = revoke_code_operations(REVOKE_CODE.read_text())
    assert {"UpdateAccessKey", "PutUserPolicy", "UpdateAssumeRolePolicy"} <= called, sorted(called)  # the scan works
    revoke = load_policy(REVOKE_POLICY.read_text(), REVOKE_POLICY.name)
    targets = [f"arn:aws:iam::111122223333:{t}/app" for t in ("user", "role", "policy")]
    missing = sorted(f"iam:{op}" for op in called if all(decide(revoke, f"iam:{op}", t) != "Allow" for t in targets))
    assert not missing, (
        f"{REVOKE_CODE.relative_to(ROOT)} calls what {REVOKE_POLICY.name} does not allow: {missing}; add them to "
        "the policy (read and write statements apart, each with a Sid) or drop the calls"
    )
