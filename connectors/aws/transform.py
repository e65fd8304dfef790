"""Raw IAM API shapes -> normalized records (pure functions: no I/O, no clock)."""

import csv
import io
import re
from datetime import datetime

from connectors.aws.policies import (
    DISABLED_POLICY,
    PolicySource,
    as_list,
    policy_name,
    statements,
)
from connectors.records import stable_id, to_json, utc

# ---- credential report -------------------------------------------------------------------------

_NO_VALUE = {"", "N/A", "not_supported", "no_information"}
_DATE_SUFFIXES = ("_time", "_last_used", "_last_changed", "_next_rotation", "_last_rotated", "_last_used_date")


def _report_value(column: str, text: str):
    if text in _NO_VALUE:
        return None
    if text in ("true", "false"):
        return text == "true"
    if column.endswith(_DATE_SUFFIXES):
        return utc(datetime.fromisoformat(text))
    return text


def parse_credential_report(content: bytes) -> dict[str, dict]:
    """The report's user rows by ARN, sentinels as None; the root account is not an identity here."""
    rows = csv.DictReader(io.StringIO(content.decode("utf-8")))
    return {
        r["arn"]: {col: _report_value(col, text) for col, text in r.items()}
        for r in rows
        if r["user"] != "<root_account>"
    }


def has_keys(report_row: dict) -> bool:
    return any(report_row[f"access_key_{n}_last_rotated"] for n in (1, 2))


def key_slots(report_row: dict, keys: list[dict]) -> dict[str, int]:
    """The report slot (1 or 2) of each listed key whose slot is certain.

    The report has no key ids: a slot's `last_rotated` is its key's creation time (to the second)
    unless the key was rotated. A key fits a slot when the times and the active flag agree; a
    mapping is certain only when the key fits one slot and the slot fits one key (two keys created
    in the same second, or a rotated slot, leave the key unmapped)."""

    def fits(key: dict, n: int) -> bool:
        rotated = report_row[f"access_key_{n}_last_rotated"]
        return (
            rotated is not None
            and rotated == utc(key["CreateDate"]).replace(microsecond=0)
            and report_row[f"access_key_{n}_active"] == (key["Status"] == "Active")
        )

    pairs = [(k["AccessKeyId"], n) for k in keys for n in (1, 2) if fits(k, n)]
    return {key: n for key, n in pairs if sum(p[0] == key for p in pairs) == 1 and sum(p[1] == n for p in pairs) == 1}


def prior_access_keys(identities, credentials) -> dict[str, tuple[datetime, list[dict]]]:
    """From a previous sync's staged rows: user ARN -> (the user's creation, its access keys in
    ListAccessKeys' shape)."""
    users = {i["identity_id"]: i for i in identities if i["kind"] == "aws_user"}
    keys: dict[str, list[dict]] = {}
    for c in credentials:
        if c["kind"] == "access_key" and c["identity_id"] in users:
            keys.setdefault(c["identity_id"], []).append(
                {"AccessKeyId": c["credential_id"], "Status": c["status"].title(), "CreateDate": c["created_at"]}
            )
    return {users[uid]["principal"]: (users[uid]["created_at"], ks) for uid, ks in keys.items()}


def unchanged_keys(report_row: dict, user_created: datetime | None, keys: list[dict]) -> bool:
    """Whether the report shows exactly `keys` (a previous ListAccessKeys answer) on the same
    user: same creation (a re-created user is another user), as many key slots, and every key
    certainly in its slot, with its creation time and active flag. A key created, rotated,
    deleted or (de)activated since breaks one of these."""
    slots = [n for n in (1, 2) if report_row[f"access_key_{n}_last_rotated"]]
    return (
        bool(keys)
        and user_created is not None
        and report_row.get("user_creation_time") == utc(user_created).replace(microsecond=0)
        and len(slots) == len(keys)
        and len(key_slots(report_row, keys)) == len(keys)
    )


# ---- policies reaching an identity --------------------------------------------------------------


def is_aws_managed(arn: str) -> bool:
    return arn.split(":")[4] == "aws"


def attached_arns(entity: dict, groups: dict[str, dict]) -> set[str]:
    """Every managed policy ARN reaching a user or role, directly or through its groups."""
    arns = {p["PolicyArn"] for p in entity.get("AttachedManagedPolicies", [])}
    for name in entity.get("GroupList", []):
        arns |= {p["PolicyArn"] for p in groups.get(name, {}).get("AttachedManagedPolicies", [])}
    return arns


def policy_sources(
    entity: dict, inline_key: str, groups: dict[str, dict], documents: dict[str, dict]
) -> tuple[list[PolicySource], list[str]]:
    """The policies reaching a user or role, and what could not be resolved (missing group or
    managed policy documents), which makes the account's grants incomplete."""
    sources, missing = [], []

    def managed(attachments: list[dict], group: str | None) -> None:
        for a in attachments:
            arn = a["PolicyArn"]
            if arn not in documents:
                missing.append(arn)
                continue
            source, path = (f"group:{group}/{policy_name(arn)}", "group") if group else (arn, "direct")
            sources.append(PolicySource(source, path, documents[arn], policy_arn=arn))

    for p in entity.get(inline_key, []):
        sources.append(PolicySource(f"inline:{p['PolicyName']}", "inline", p["PolicyDocument"]))
    managed(entity.get("AttachedManagedPolicies", []), None)
    for g in entity.get("GroupList", []):
        if g not in groups:
            missing.append(f"group {g}")
            continue
        for p in groups[g].get("GroupPolicyList", []):
            sources.append(PolicySource(f"group:{g}/{p['PolicyName']}", "group", p["PolicyDocument"]))
        managed(groups[g].get("AttachedManagedPolicies", []), g)
    return sources, missing


def is_disabled_by_idrift(entity: dict, inline_key: str) -> bool:
    return any(p["PolicyName"] == DISABLED_POLICY for p in entity.get(inline_key, []))


# ---- edges ----------------------------------------------------------------------------------------

_ACCOUNT_ID = re.compile(r"\d{12}")


def _edge(edge_type, source, kind, scope, target_id, target_arn, index, stmt) -> dict:
    actions = sorted(set(as_list(stmt.get("Action")) or []))
    condition = to_json(stmt.get("Condition"))
    effect = stmt.get("Effect")
    return {
        "edge_id": stable_id(edge_type, source, target_id, index, effect, actions, condition),
        "edge_type": edge_type,
        "source": source,
        "source_kind": kind,
        "source_scope": scope,
        "target_identity_id": target_id,
        "target_principal": target_arn,
        "statement_index": index,
        "effect": effect,
        "actions": actions,
        "condition": condition,
    }


def principal_source(ptype: str, value: str, partition: str) -> tuple[str, str, str | None] | None:
    """(source, source_kind, source_scope) of one principal a trust statement names, spelled as
    edges spell it (an account id becomes its root ARN); None for kinds that are not edges."""
    arn_account = value.split(":")[4] if value.startswith("arn:") else None
    if ptype == "AWS" and value == "*":
        return "*", "any", None
    if ptype == "AWS" and _ACCOUNT_ID.fullmatch(value):
        return f"arn:{partition}:iam::{value}:root", "account_root", value
    if ptype == "AWS":  # an ARN, or a unique id left behind by a deleted principal
        return value, "account_root" if value.endswith(":root") else "principal", arn_account
    if ptype == "Service":
        return value, "service", None
    if ptype == "Federated":
        return value, "federated", arn_account
    return None


def _principals(principal, partition: str) -> list[tuple[str, str, str | None]]:
    """(source, source_kind, source_scope) for each principal a trust statement names."""
    if principal == "*":
        return [("*", "any", None)]
    found = (principal_source(ptype, v, partition) for ptype, values in sorted((principal or {}).items())
             for v in as_list(values))
    return [f for f in found if f]


def trust_edges(role: dict) -> list[dict]:
    """One edge per (trust statement, principal) of a role."""
    partition = role["Arn"].split(":")[1]
    return [
        _edge("aws_trust", source, kind, scope, role["RoleId"], role["Arn"], index, stmt)
        for index, stmt in enumerate(statements(role.get("AssumeRolePolicyDocument") or {}))
        for source, kind, scope in _principals(stmt.get("Principal"), partition)
    ]


def pass_role_edges(identity_arn: str, targets: list[tuple[str, int, dict]], role_ids: dict[str, str]) -> list[dict]:
    """Edges from an identity to each role of its account it may pass by exact ARN
    (`targets` from `policies.pass_role_targets`, `role_ids` every role ARN -> RoleId)."""
    account = identity_arn.split(":")[4]
    return [
        _edge("aws_pass_role", identity_arn, "principal", account, role_ids[resource], resource, index, stmt)
        for resource, index, stmt in targets
        if resource in role_ids
    ]


# ---- identities and credentials ---------------------------------------------------------------------


def _tags(entity: dict) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in entity.get("Tags") or []}


# Roles AWS creates and manages itself: service-linked roles and the IAM Identity Center roles.
PROVIDER_MANAGED_PATHS = ("/aws-service-role/", "/aws-reserved/")


def _identity(entity, identity_id, name, kind, email, disabled, last, tags, attributes) -> dict:
    last_at, last_source = max(((utc(t), s) for t, s in last if t), default=(None, None), key=lambda x: x[0])
    return {
        "identity_id": identity_id,
        "principal": entity["Arn"],
        "name": name,
        "kind": kind,
        "path": entity.get("Path"),
        "email": email,
        "created_at": utc(entity.get("CreateDate")),
        "disabled": disabled,
        "provider_managed": (entity.get("Path") or "/").startswith(PROVIDER_MANAGED_PATHS),
        "last_authenticated_at": last_at,
        "last_authenticated_source": last_source,
        "tags": to_json(tags),
        "attributes": to_json(attributes),
    }


def role_identity(role: dict) -> dict:
    last = role.get("RoleLastUsed") or {}
    return _identity(
        role,
        role["RoleId"],
        role["RoleName"],
        "aws_role",
        None,
        is_disabled_by_idrift(role, "RolePolicyList"),
        [(last.get("LastUsedDate"), "role_last_used")],
        _tags(role),
        {
            "trust_policy": role.get("AssumeRolePolicyDocument"),
            "permissions_boundary": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "instance_profiles": sorted(p["InstanceProfileName"] for p in role.get("InstanceProfileList", [])),
        },
    )


def _known(value: str | None) -> str | None:
    return None if value in (None, "N/A") else value  # "N/A": never used


def _key_row(user_id: str, key: dict, used: tuple, slot: int | None) -> dict:
    at, service, region, source = used
    return {
        "credential_id": key["AccessKeyId"],
        "identity_id": user_id,
        "kind": "access_key",
        "status": key["Status"].lower(),
        "created_at": utc(key["CreateDate"]),
        "expires_at": None,
        "last_used_at": utc(at),
        "last_used_service": service,
        "last_used_region": region,
        "last_used_source": source,
        "attributes": to_json({"credential_report_slot": slot}),
    }


def key_rows(user_id: str, report_row: dict, keys: list[dict], last_used: dict[str, dict]) -> list[dict]:
    """Access-key rows; last use from the report slot when the slot is certain, else from
    GetAccessKeyLastUsed (`last_used`, by key id), else unknown."""
    slots = key_slots(report_row, keys)
    rows = []
    for key in keys:
        kid, slot = key["AccessKeyId"], slots.get(key["AccessKeyId"])
        if slot:
            p = f"access_key_{slot}_last_used"
            used = (report_row[f"{p}_date"], report_row[f"{p}_service"], report_row[f"{p}_region"], "credential_report")
        elif kid in last_used:
            lu = last_used[kid]
            used = (
                lu.get("LastUsedDate"),
                _known(lu.get("ServiceName")),
                _known(lu.get("Region")),
                "GetAccessKeyLastUsed",
            )
        else:
            used = (None, None, None, None)
        rows.append(_key_row(user_id, key, used, slot))
    return rows


def password_row(user_id: str, report_row: dict) -> dict:
    return {
        "credential_id": "login_profile",
        "identity_id": user_id,
        "kind": "password",
        "status": "active",
        "created_at": report_row["password_last_changed"],
        "expires_at": report_row["password_next_rotation"],
        "last_used_at": report_row["password_last_used"],
        "last_used_service": None,
        "last_used_region": None,
        "last_used_source": "credential_report",
        "attributes": to_json({"mfa_active": report_row["mfa_active"]}),
    }


def user_rows(user: dict, report_row: dict | None, keys: list[dict] | None, last_used: dict) -> tuple[dict, list[dict]]:
    """A user's identity row and credential rows.

    `report_row` is None when the report could not be read or predates the user: its login and
    key state are then unknown (`disabled` null unless idrift disabled it). `keys` is
    ListAccessKeys' answer, or None when it was not asked (the report shows no key) or failed."""
    creds: list[dict] = []
    last: list[tuple] = []
    disabled = True if is_disabled_by_idrift(user, "UserPolicyList") else None
    if report_row is not None:
        if report_row["password_enabled"]:
            creds.append(password_row(user["UserId"], report_row))
        if keys is not None:
            creds += key_rows(user["UserId"], report_row, keys, last_used)
            active_key = any(k["Status"] == "Active" for k in keys)
        else:
            active_key = any(report_row[f"access_key_{n}_active"] for n in (1, 2))
        if disabled is None:
            disabled = not (report_row["password_enabled"] or active_key)
        last = [(report_row["password_last_used"], "password_last_used")]
        last += [(report_row[f"access_key_{n}_last_used_date"], "access_key_last_used") for n in (1, 2)]
        last += [(c["last_used_at"], "access_key_last_used") for c in creds if c["kind"] == "access_key"]
    tags = _tags(user)
    identity = _identity(
        user,
        user["UserId"],
        user["UserName"],
        "aws_user",
        next((v for k, v in tags.items() if k.lower() == "email"), None),
        disabled,
        last,
        tags,
        {
            "groups": sorted(user.get("GroupList", [])),
            "permissions_boundary": (user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "mfa_active": report_row["mfa_active"] if report_row else None,
            "in_credential_report": report_row is not None,
        },
    )
    return identity, creds
