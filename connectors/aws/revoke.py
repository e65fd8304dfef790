"""AWS IAM executors (findings.md, "Revocation actions", AWS column), in each account through
its source's `revoke_role`.

Every action first re-reads its target: gone or already as wanted is `already_done` with no
write; re-created under the same name (another immutable id) or changed since the plan is
`skipped` with the reason. Changes are reversible first: an identity is disabled by a deny-all
inline policy (never deleted), a grant is replaced by what the agent may keep before the
original is detached, a trust is rewritten, and `before` keeps what `undo` restores.
"""

import json
import re
from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from connectors.aws.connector import READ_ERRORS, account_session
from connectors.aws.policies import DISABLED_POLICY, as_list, statement_row, statements
from connectors.aws.transform import principal_source
from connectors.base import Action, Attempt, ScopeFailed

DENY_ALL = {"Version": "2012-10-17",
            "Statement": [{"Sid": "IdriftDisabled", "Effect": "Deny", "Action": "*", "Resource": "*"}]}
# What a trust left with nothing becomes: an IAM trust policy cannot be empty.
TRUSTS_NOBODY = {"Version": "2012-10-17",
                 "Statement": [{"Sid": "IdriftNoTrust", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:*"}]}
KEPT_PREFIX = "idrift-kept-"


@dataclass(frozen=True)
class Route:
    """Which credentials act in which accounts: a source's accounts (None: every account of its
    organization) and its `revoke_role`."""

    accounts: frozenset[str] | None
    role: str | None
    endpoint: str | None = None
    region: str = "us-east-1"
    max_attempts: int = 10


def kept_name(source: str) -> str:
    """`idrift-kept-<source>`: the inline policy holding what an agent may keep of `source`."""
    name = source.removeprefix("inline:").rsplit("/", 1)[-1]
    return (KEPT_PREFIX + re.sub(r"[^\w+=,.@-]", "-", name))[:128]


def _missing(e: ClientError) -> bool:
    return e.response.get("Error", {}).get("Code") == "NoSuchEntity"


class AwsRevoker:
    provider = "aws"
    reversible = frozenset({"deactivate_credential", "disable_identity", "revoke_grant", "remove_trust"})

    def __init__(self, routes: list[Route]):
        self.routes = routes
        self._clients: dict[str, object] = {}

    # ---- the plan's sentence for each action ----------------------------------------------------

    @classmethod
    def describe(cls, a: Action) -> str:
        kind, name = _noun(a), a.identity_name
        if a.kind == "disable_identity":
            keys = "; iam:UpdateAccessKey Status=Inactive on each active key" if kind == "User" else ""
            return f"iam:Put{kind}Policy {name} {DISABLED_POLICY} (deny *){keys}"
        if a.kind == "deactivate_credential":
            after = ", once a newer key of the user is active (rotated)" if a.target.get("after_rotation") else ""
            return f"iam:UpdateAccessKey {name} {a.object} Status=Inactive{after}"
        if a.kind == "delete_login_profile":
            return f"iam:DeleteLoginProfile {name}"
        if a.kind == "remove_trust":
            gone = sorted({r["source"] for r in a.target["remove"]})
            return f"iam:UpdateAssumeRolePolicy {name} without {', '.join(gone)}"
        # before execution the kept part is not worked out yet: the call says it may be empty
        keep = "" if a.target.get("kept", True) is None else (
            f"iam:Put{kind}Policy {name} {kept_name(a.object)} (the declared part"
            + ("" if "kept" in a.target else ", if any") + "); ")
        if a.target["path"] == "inline":
            return f"{keep}iam:Delete{kind}Policy {name} {a.object.removeprefix('inline:')}"
        return f"{keep}iam:Detach{kind}Policy {name} {a.target['policy_arn']}"

    # ---- execute and undo ---------------------------------------------------------------------

    def execute(self, a: Action) -> Attempt:
        return self._guarded(a, lambda iam, att: getattr(self, f"_{a.kind}")(iam, a, att))

    def undo(self, a: Action, before: dict) -> Attempt:
        return self._guarded(a, lambda iam, att: getattr(self, f"_undo_{a.kind}")(iam, a, before, att))

    def _guarded(self, a: Action, work) -> Attempt:
        att = Attempt("done")
        try:
            iam = self._iam(a.scope_id)
            if (reason := self._identity_changed(iam, a)) is not None:
                return Attempt(*reason)
            work(iam, att)
        except (ScopeFailed, *READ_ERRORS) as e:
            att.outcome, att.reason = "failed", str(e)
        return att

    def _identity_changed(self, iam, a: Action) -> tuple[str, str] | None:
        """("already_done" | "skipped", why) when the identity is gone or is not the planned one."""
        kind = _noun(a)
        try:
            found = getattr(iam, f"get_{kind.lower()}")(**{f"{kind}Name": a.identity_name})[kind]
        except ClientError as e:
            if _missing(e):
                return "already_done", f"the {kind.lower()} {a.identity_name} no longer exists"
            raise
        if found[f"{kind}Id"] != a.identity_id:
            return "skipped", (f"{a.principal} was re-created since the plan (id {found[f'{kind}Id']}, "
                               f"planned {a.identity_id})")
        return None

    def _iam(self, account: str):
        if account not in self._clients:
            route = next((r for r in self.routes if r.accounts is not None and account in r.accounts), None) or next(
                (r for r in self.routes if r.accounts is None), None)
            if route is None:
                raise ScopeFailed(f"no AWS source of the config covers account {account}")
            config = Config(region_name=route.region,
                            retries={"mode": "standard", "total_max_attempts": route.max_attempts})
            sts = boto3.Session().client("sts", endpoint_url=route.endpoint, config=config)
            session = account_session(account, route.role, route.region, sts, session_name="idrift-revoke")
            self._clients[account] = session.client("iam", endpoint_url=route.endpoint, config=config)
        return self._clients[account]

    # ---- disable_identity -----------------------------------------------------------------------

    def _disable_identity(self, iam, a: Action, att: Attempt) -> None:
        kind, name = _noun(a), a.identity_name
        policy = _inline(iam, kind, name, DISABLED_POLICY)
        keys = _active_keys(iam, name) if kind == "User" else []
        if policy == DENY_ALL and not keys:
            att.outcome, att.reason = "already_done", "already disabled"
            return
        att.before = {"disabled_policy": policy, "active_keys": keys}
        if policy != DENY_ALL:
            _write(iam, att, f"Put{kind}Policy", **{f"{kind}Name": name}, PolicyName=DISABLED_POLICY,
                   PolicyDocument=json.dumps(DENY_ALL))
        for key in keys:
            _write(iam, att, "UpdateAccessKey", UserName=name, AccessKeyId=key, Status="Inactive")

    def _undo_disable_identity(self, iam, a: Action, before: dict, att: Attempt) -> None:
        kind, name = _noun(a), a.identity_name
        if before.get("disabled_policy"):
            _write(iam, att, f"Put{kind}Policy", **{f"{kind}Name": name}, PolicyName=DISABLED_POLICY,
                   PolicyDocument=json.dumps(before["disabled_policy"]))
        elif _inline(iam, kind, name, DISABLED_POLICY) is not None:
            _write(iam, att, f"Delete{kind}Policy", **{f"{kind}Name": name}, PolicyName=DISABLED_POLICY)
        for key in before.get("active_keys", []):
            _write(iam, att, "UpdateAccessKey", UserName=name, AccessKeyId=key, Status="Active")

    # ---- deactivate_credential ------------------------------------------------------------------

    def _deactivate_credential(self, iam, a: Action, att: Attempt) -> None:
        keys = {k["AccessKeyId"]: k for k in _keys(iam, a.identity_name)}
        status = keys[a.object]["Status"] if a.object in keys else None
        if status != "Active":
            att.outcome = "already_done"
            att.reason = "the key no longer exists" if status is None else "the key is already inactive"
            return
        newer = [k for k, v in keys.items() if v["Status"] == "Active" and v["CreateDate"] > keys[a.object]["CreateDate"]]
        if a.target.get("after_rotation") and not newer:
            # CRD-LONG-LIVED asks for rotation: deactivating the key in use before a new one
            # exists would stop the workload, not rotate it
            att.outcome, att.reason = "skipped", "rotate first: no newer active key of the user exists yet"
            return
        att.before = {"status": status}
        _write(iam, att, "UpdateAccessKey", UserName=a.identity_name, AccessKeyId=a.object, Status="Inactive")

    def _undo_deactivate_credential(self, iam, a: Action, before: dict, att: Attempt) -> None:
        if _key_status(iam, a.identity_name, a.object) is None:
            att.outcome, att.reason = "failed", "the key no longer exists"
            return
        _write(iam, att, "UpdateAccessKey", UserName=a.identity_name, AccessKeyId=a.object, Status=before["status"])

    # ---- delete_login_profile -------------------------------------------------------------------

    def _delete_login_profile(self, iam, a: Action, att: Attempt) -> None:
        try:
            iam.get_login_profile(UserName=a.identity_name)
        except ClientError as e:
            if _missing(e):
                att.outcome, att.reason = "already_done", "the user has no login profile"
                return
            raise
        _write(iam, att, "DeleteLoginProfile", UserName=a.identity_name)

    # ---- revoke_grant ---------------------------------------------------------------------------

    def _revoke_grant(self, iam, a: Action, att: Attempt) -> None:
        kind, name, t = _noun(a), a.identity_name, a.target
        who = {f"{kind}Name": name}
        if t["path"] == "inline":
            policy = a.object.removeprefix("inline:")
            document = _inline(iam, kind, name, policy)
        else:
            policy = t["policy_arn"]
            document = _managed(iam, policy) if _attached(iam, kind, name, policy) else None
        if document is None:
            att.outcome, att.reason = "already_done", f"{a.object} no longer reaches {a.principal}"
            return
        if [statement_row(s)["statement_id"] for s in statements(document)] != t["statement_ids"]:
            att.outcome, att.reason = "skipped", f"{a.object} changed since the plan"
            return
        kept = t.get("kept")
        att.before = {"path": t["path"], "policy": policy, "document": document if t["path"] == "inline" else None,
                      "kept_name": kept_name(a.object) if kept else None}
        if kept:  # first: the identity is never without what it is declared to hold
            _write(iam, att, f"Put{kind}Policy", **who, PolicyName=kept_name(a.object), PolicyDocument=json.dumps(kept))
        if t["path"] == "inline":
            _write(iam, att, f"Delete{kind}Policy", **who, PolicyName=policy)
        else:
            _write(iam, att, f"Detach{kind}Policy", **who, PolicyArn=policy)

    def _undo_revoke_grant(self, iam, a: Action, before: dict, att: Attempt) -> None:
        kind, who = _noun(a), {f"{_noun(a)}Name": a.identity_name}
        if before["path"] == "inline":
            _write(iam, att, f"Put{kind}Policy", **who, PolicyName=before["policy"],
                   PolicyDocument=json.dumps(before["document"]))
        elif not _attached(iam, kind, a.identity_name, before["policy"]):
            _write(iam, att, f"Attach{kind}Policy", **who, PolicyArn=before["policy"])
        if before.get("kept_name") and _inline(iam, kind, a.identity_name, before["kept_name"]) is not None:
            _write(iam, att, f"Delete{kind}Policy", **who, PolicyName=before["kept_name"])

    # ---- remove_trust ---------------------------------------------------------------------------

    def _remove_trust(self, iam, a: Action, att: Attempt) -> None:
        current = iam.get_role(RoleName=a.identity_name)["Role"]["AssumeRolePolicyDocument"]
        partition = a.principal.split(":")[1]
        remove = a.target["remove"]
        if not any(_names(s, r["source"], partition) for s in statements(current) for r in remove):
            att.outcome, att.reason = "already_done", "the trust policy no longer names them"
            return
        if _canonical(current) != _canonical(a.target["trust_policy"]):
            att.outcome, att.reason = "skipped", "the trust policy changed since the plan"
            return
        att.before = {"trust_policy": current}
        _write(iam, att, "UpdateAssumeRolePolicy", RoleName=a.identity_name,
               PolicyDocument=json.dumps(without(current, remove, partition)))

    def _undo_remove_trust(self, iam, a: Action, before: dict, att: Attempt) -> None:
        _write(iam, att, "UpdateAssumeRolePolicy", RoleName=a.identity_name,
               PolicyDocument=json.dumps(before["trust_policy"]))


def without(trust: dict, remove: list[dict], partition: str) -> dict:
    """`trust` without the principals of `remove` ({statement_index: None for every statement,
    source}); a statement left with no principal goes, and a trust left with no statement
    trusts nobody."""
    kept = []
    for index, stmt in enumerate(statements(trust)):
        gone = {r["source"] for r in remove if r["statement_index"] in (None, index)}
        if stmt.get("Effect") != "Allow" or not gone:
            kept.append(stmt)
            continue
        principal = stmt.get("Principal")
        if principal == "*":
            principal = {} if "*" in gone else principal
        else:
            principal = {ptype: _shaped(values, left) for ptype, values in (principal or {}).items()
                         if (left := [v for v in as_list(values)
                                      if (principal_source(ptype, v, partition) or (None,))[0] not in gone])}
        if principal:
            kept.append({**stmt, "Principal": principal})
    return {**trust, "Statement": kept} if kept else TRUSTS_NOBODY


def _shaped(values, left: list):
    """`left` written as IAM had `values`: untouched as it was, one principal as a string."""
    if left == as_list(values):
        return values
    return left[0] if len(left) == 1 else left


# ---- reads and writes -------------------------------------------------------------------------


def _noun(a: Action) -> str:
    return "Role" if a.identity_kind == "aws_role" else "User"


def _write(iam, att: Attempt, operation: str, **params) -> None:
    """One write call, recorded in the attempt (requests carry no secret: none of these take one)."""
    response = getattr(iam, _snake(operation))(**params)
    att.request.append({"operation": operation, "params": params})
    meta = response.get("ResponseMetadata", {})
    att.response.append({"operation": operation, "http_status": meta.get("HTTPStatusCode"),
                         "request_id": meta.get("RequestId")})


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _inline(iam, kind: str, name: str, policy: str) -> dict | None:
    try:
        return getattr(iam, f"get_{kind.lower()}_policy")(**{f"{kind}Name": name}, PolicyName=policy)["PolicyDocument"]
    except ClientError as e:
        if _missing(e):
            return None
        raise


def _attached(iam, kind: str, name: str, arn: str) -> bool:
    pages = iam.get_paginator(f"list_attached_{kind.lower()}_policies").paginate(**{f"{kind}Name": name})
    return any(p["PolicyArn"] == arn for page in pages for p in page["AttachedPolicies"])


def _managed(iam, arn: str) -> dict:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


def _active_keys(iam, user: str) -> list[str]:
    return [k["AccessKeyId"] for k in _keys(iam, user) if k["Status"] == "Active"]


def _key_status(iam, user: str, key_id: str) -> str | None:
    return next((k["Status"] for k in _keys(iam, user) if k["AccessKeyId"] == key_id), None)


def _keys(iam, user: str) -> list[dict]:
    return [k for page in iam.get_paginator("list_access_keys").paginate(UserName=user)
            for k in page["AccessKeyMetadata"]]


def _names(stmt: dict, source: str, partition: str) -> bool:
    if stmt.get("Effect") != "Allow":
        return False
    principal = stmt.get("Principal")
    if principal == "*":
        return source == "*"
    return any((principal_source(ptype, v, partition) or (None,))[0] == source
               for ptype, values in (principal or {}).items() for v in as_list(values))


def as_list(values) -> list:
    return [values] if isinstance(values, str) else list(values)


def _canonical(doc) -> str:
    return json.dumps(doc, sort_keys=True)
