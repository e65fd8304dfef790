"""What an agent keeps of a grant that revoke_grant removes: the policy `idrift-kept-<source>`.

The kept part is the grant intersected with the agent's declared AWS allowances, statement by
statement and entry by entry, so nothing declared is lost and nothing undeclared is written:
- action patterns: when one pattern contains the other, the narrower one; when they overlap
  without nesting (`s3:*Object` and `s3:Get*`), the concrete actions of the `policy_sentry`
  catalogue matching both; a NotAction statement keeps the allowance's actions it does not
  exclude;
- resources: the narrower of two nested patterns; resources that overlap without nesting are
  not kept (the safe side); a NotResource statement keeps its NotResource;
- the statement's Condition is kept, and every Deny statement of the grant is kept as it was,
  since removing it could widen what the identity's other policies allow.
No Allow left means no kept policy (None).
"""

import json
import re
from functools import cache

from connectors.aws.policies import as_list

VERSION = "2012-10-17"


@cache
def _catalogue() -> dict[str, tuple[str, ...]]:
    """The policy_sentry catalogue by service prefix (lowercase): a pattern naming its service
    is matched against that service's actions only."""
    from policy_sentry.querying.all import get_all_actions

    out: dict[str, list[str]] = {}
    for action in sorted(get_all_actions()):
        out.setdefault(action.split(":", 1)[0].lower(), []).append(action)
    return {k: tuple(v) for k, v in out.items()}


@cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern:
    body = ".*".join(".".join(map(re.escape, p.split("?"))) for p in pattern.split("*"))
    return re.compile(body, re.I if ignore_case else 0)


def _covers(outer: str, inner: str, ignore_case: bool) -> bool:
    """`outer` matches every string `inner` does (read as text: a `*` in `inner` is matched by
    a `*` of `outer`). The common shapes (`*`, a literal, `prefix*`) need no regular expression:
    agents' resources are mostly distinct ARNs, and compiling one per pair would dominate."""
    if ignore_case:
        outer, inner = outer.lower(), inner.lower()
    if outer == "*" or outer == inner:
        return True
    wild = outer.count("*") + outer.count("?")
    if wild == 0:
        return False
    if wild == 1 and outer.endswith("*"):
        return inner.startswith(outer[:-1])
    return bool(_glob(outer, False).fullmatch(inner))


@cache
def _expand(pattern: str) -> frozenset[str]:
    g, service = _glob(pattern, True), pattern.split(":", 1)[0].lower()
    catalogue = _catalogue()
    pool = catalogue.get(service, ()) if "*" not in service and "?" not in service else (
        a for actions in catalogue.values() for a in actions)
    return frozenset(a for a in pool if g.fullmatch(a))


def _actions(stmt: dict, allowed: list[str]) -> set[str]:
    if stmt.get("not_actions") is not None:
        excluded = [_glob(p, True) for p in stmt["not_actions"]]
        out = set()
        for a in allowed:
            concrete = _expand(a)
            left = {x for x in concrete if not any(g.fullmatch(x) for g in excluded)}
            out |= {a} if left == concrete and not any(_covers(n, a, True) for n in stmt["not_actions"]) else left
        return out
    out = set()
    for granted in stmt.get("actions") or []:
        for a in allowed:
            if _covers(a, granted, True):
                out.add(granted)
            elif _covers(granted, a, True):
                out.add(a)
            else:
                out |= _expand(granted) & _expand(a)
    return out


def _resources(stmt: dict, allowed: list[str]) -> list[str] | None:
    granted = stmt.get("resources")
    if granted is None:  # NotResource: the kept statement keeps it, for the allowances' `*` only
        return ["*"] if "*" in allowed else [r for r in allowed if "*" not in r and "?" not in r
                                              and not any(_covers(n, r, False) for n in stmt["not_resources"])]
    out = set()
    for g in granted:
        for a in allowed:
            if _covers(a, g, False):
                out.add(g)
            elif _covers(g, a, False):
                out.add(a)
    return sorted(out)


def kept_policy(statements: list[dict], allowances: list[dict]) -> dict | None:
    """`statements`: the grant's statements as the plan holds them (effect, actions, not_actions,
    resources, not_resources, condition); `allowances`: {actions, resources} per
    declared entry of the agents bound to the identity. The agents of one template hold the same
    grants and allowances: each distinct pair is worked out once."""
    kept = _kept(json.dumps(statements, sort_keys=True, default=str), json.dumps(allowances, sort_keys=True))
    return None if kept is None else json.loads(kept)


@cache
def _kept(statements_json: str, allowances_json: str) -> str | None:
    statements, allowances = json.loads(statements_json), json.loads(allowances_json)
    kept: list[dict] = []
    for s in statements:
        condition = json.loads(s["condition"]) if isinstance(s.get("condition"), str) else s.get("condition")
        if s["effect"] != "Allow":
            kept.append(_statement(s, s.get("actions"), s.get("resources"), condition, deny=True))
            continue
        for entry in allowances:
            actions = _actions(s, as_list(entry["actions"]))
            resources = _resources(s, as_list(entry["resources"]))
            if actions and resources:
                kept.append(_statement(s, sorted(actions), resources, condition))
    unique = list({json.dumps(k, sort_keys=True): k for k in kept}.values())
    if not any(k["Effect"] == "Allow" for k in unique):
        return None
    return json.dumps({"Version": VERSION, "Statement": unique})


def _statement(s: dict, actions, resources, condition, deny: bool = False) -> dict:
    out: dict = {"Effect": "Deny" if deny else "Allow"}
    if deny and s.get("not_actions") is not None:
        out["NotAction"] = s["not_actions"]
    else:
        out["Action"] = actions
    if s.get("resources") is None and s.get("not_resources") is not None and (deny or resources == ["*"]):
        out["NotResource"] = s["not_resources"]
    else:
        out["Resource"] = resources
    if condition:
        out["Condition"] = condition
    return out
