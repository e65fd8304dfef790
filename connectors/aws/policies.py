"""IAM policy documents as normalized statements, and the PassRole test on them (pure functions)."""

import re
from dataclasses import dataclass
from functools import lru_cache

from connectors.records import stable_id, to_json

DISABLED_POLICY = "idrift-disabled"  # idrift's deny-all inline policy: the identity is disabled


@dataclass(frozen=True)
class PolicySource:
    """One policy reaching an identity, and how: the grant columns shared by its statements."""

    source: str  # policy ARN, inline:<name>, group:<group>/<policy>
    path: str  # direct | inline | group
    document: dict
    policy_arn: str | None = None  # managed policies only


def policy_name(arn: str) -> str:
    """moto's GAAD omits PolicyName; the ARN's last segment is the name (paths come before it)."""
    return arn.rsplit("/", 1)[-1]


def default_documents(policies: list[dict]) -> dict[str, dict]:
    """The default version's document of each GAAD `Policies` entry, by ARN (the other
    versions grant nothing)."""
    return {
        p["Arn"]: v["Document"] for p in policies for v in p.get("PolicyVersionList", []) if v.get("IsDefaultVersion")
    }


def as_list(value) -> list | None:
    """IAM allows a string or a list; None stays None so Action and NotAction stay distinct."""
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def statements(document: dict) -> list[dict]:
    stmts = document.get("Statement", [])
    return [stmts] if isinstance(stmts, dict) else list(stmts)


def statement_row(stmt: dict) -> dict:
    """The content-addressed statement row; lists are sorted because IAM ignores their order."""

    def norm(key):
        values = as_list(stmt.get(key))
        return None if values is None else sorted(set(values))

    row = {
        "effect": stmt.get("Effect"),
        "sid": stmt.get("Sid"),
        "actions": norm("Action"),
        "not_actions": norm("NotAction"),
        "resources": norm("Resource"),
        "not_resources": norm("NotResource"),
        "condition": to_json(stmt.get("Condition")),
    }
    return {"statement_id": stable_id(row), **row}


def grant_rows(identity_id: str, sources: list[PolicySource]) -> tuple[list[dict], list[dict]]:
    """One grant per statement of every policy reaching the identity, Allow and Deny alike."""
    grants, stmts = [], []
    for src in sources:
        for index, stmt in enumerate(statements(src.document)):
            srow = statement_row(stmt)
            stmts.append(srow)
            grants.append(
                {
                    "identity_id": identity_id,
                    "source": src.source,
                    "statement_index": index,
                    "grant_kind": "aws_statement",
                    "path": src.path,
                    "policy_arn": src.policy_arn,
                    "statement_id": srow["statement_id"],
                }
            )
    return grants, stmts


@lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern:
    # IAM action globs know only * and ?, compared case-insensitively (fnmatch would add [..]).
    return re.compile(".*".join(".".join(map(re.escape, p.split("?"))) for p in pattern.split("*")), re.I)


def allows_action(stmt: dict, action: str) -> bool:
    """Whether an Allow statement's Action (or NotAction) covers `action`."""
    if stmt.get("Effect") != "Allow":
        return False
    if "NotAction" in stmt:
        return not any(_glob(p).fullmatch(action) for p in as_list(stmt["NotAction"]))
    return any(_glob(p).fullmatch(action) for p in as_list(stmt.get("Action")) or [])


def pass_role_targets(sources: list[PolicySource]) -> list[tuple[str, int, dict]]:
    """(resource, statement index, statement) for every Allow of iam:PassRole on a named resource.

    Only resources spelled out exactly become edges (the caller keeps those that are role ARNs of
    the account); a wildcard resource is a grant for the rules to judge, not an observed edge.
    Resources are looked at first: most statements (every `Resource: *`) stop there, before
    their often long action lists are matched."""
    return [
        (resource, index, stmt)
        for src in sources
        for index, stmt in enumerate(statements(src.document))
        if (named := [r for r in as_list(stmt.get("Resource")) or [] if "*" not in r and "?" not in r])
        and allows_action(stmt, "iam:PassRole")
        for resource in named
    ]
