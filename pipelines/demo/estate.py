"""The demo estate: a synthetic company whose AWS accounts, declared model and HR feed agree,
apart from the drift planted for every rule of the catalogue.

200 employees sponsor 1 to 17 agents each (most one or two), sub-agents go three deep, every
agent has a role or a service user in one of two accounts (prod, dev) with 1 to 3 allowances and
grants inside them. `company()` draws it all from one seed, so the model and HR files committed
under examples/demo/ (scripts/gen_demo.py) always match what `seed` builds in moto.
"""

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROD, DEV = "111111111111", "222222222222"
FOREIGN = "999999999999"
ACCOUNTS = {PROD: "prod", DEV: "dev"}
READ_ROLE = "IdriftReadOnly"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "demo"
FIRST = ["ada", "ben", "cara", "dev", "eli", "fay", "gus", "hana", "ivo", "jun", "kim", "lea", "max", "nia",
         "omar", "pia", "quin", "rosa", "sam", "tia"]
LAST = ["archer", "bloom", "costa", "diaz", "ek", "fox", "garcia", "hayes", "ito", "jones"]
TEMPLATES = [  # (allowed actions, allowed resource, a grant inside it)
    (["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::{team}-data/*", ("s3:GetObject", "arn:aws:s3:::{team}-data/in/*")),
    (["sqs:Receive*", "sqs:DeleteMessage"], "arn:aws:sqs:*:{account}:{team}-*", ("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:{account}:{team}-jobs")),
    (["dynamodb:Get*", "dynamodb:Query"], "arn:aws:dynamodb:*:{account}:table/{team}", ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:{account}:table/{team}")),
    (["logs:PutLogEvents"], "arn:aws:logs:*:{account}:log-group:/{team}/*", ("logs:PutLogEvents", "arn:aws:logs:us-east-1:{account}:log-group:/{team}/app")),
]


@dataclass
class Principal:
    account: str
    kind: str  # role | user
    name: str
    created_days: int = 60
    used_days: int | None = 2  # None: never
    statements: list[dict] = field(default_factory=list)  # its inline policy "app"
    trust: list[dict] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    keys: list[tuple[int, int | None]] = field(default_factory=list)  # (created, last used) days ago
    login_profile: bool = False
    groups: list[str] = field(default_factory=list)
    managed: list[str] = field(default_factory=list)  # AWS-managed policy names
    disabled: bool = False  # carries idrift-disabled

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:{self.kind}/{self.name}"


@dataclass
class Agent:
    id: str
    kind: str
    sponsor: str | None
    delegated_by: str | None
    environment: str
    identities: list[str]
    allow: list[dict]
    expires: str | None = None
    max_credential_age: str | None = None


@dataclass
class Company:
    people: list[dict]
    agents: list[Agent]
    principals: list[Principal]
    groups: dict[str, list[dict]]
    exceptions: list[dict]
    planted: dict[str, list[str]]  # rule -> the principals planted to raise it


def _allow(action, resource) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def _trust(principal, **extra) -> dict:
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


LAMBDA = _trust({"Service": "lambda.amazonaws.com"})


def company(seed: int = 7) -> Company:
    rng = random.Random(seed)
    people = []
    for n in range(200):
        first, last = FIRST[n % len(FIRST)], LAST[(n // len(FIRST)) % len(LAST)]
        people.append({"id": f"{first}.{last}@acme.example", "email": f"{first}.{last}@acme.example",
                       "status": "active", "terminated_at": "", "manager": "" if n < 10 else people[n % 10]["id"]})
    for n, when in ((13, "2026-11-02T17:00:00Z"), (57, "2026-10-15T09:00:00Z"), (121, "2026-11-25T12:00:00Z")):
        people[n].update(status="terminated", terminated_at=when)
    for n in (88, 164):
        people[n]["status"] = "suspended"
    people[190].update(status="terminated", terminated_at="2027-03-31T17:00:00Z")  # leaving next spring

    agents: list[Agent] = []
    principals: list[Principal] = []

    def add(agent_id, sponsor, parent, team, depth) -> Agent:
        # a sub-agent works where its parent does, on a part of the same resources
        account = parent.identities[0].split(":")[4] if parent else PROD if rng.random() < 0.6 else DEV
        kind = "user" if rng.random() < 0.2 else "role"
        entries = rng.sample(TEMPLATES, rng.randint(1, 3)) if parent is None else parent_entries(parent)
        allow = [{"aws": {"actions": a, "resources": [r.format(team=team, account=account)]}} for a, r, _ in entries]
        p = Principal(account, kind, agent_id, created_days=rng.randint(20, 300), used_days=rng.randint(0, 30),
                      statements=[_allow(g[0], g[1].format(team=team, account=account)) for _, _, g in entries])
        if kind == "role":
            p.trust = [_trust({"AWS": parent_role(parent)}) if parent and parent_role(parent) else LAMBDA]
        else:
            p.keys = [(rng.randint(5, 80), rng.randint(0, 20))]
        principals.append(p)
        agent = Agent(agent_id, rng.choice(["ai_agent", "service_account", "workload"]), sponsor,
                      parent.id if parent else None, ACCOUNTS[account], [p.arn], allow)
        agents.append(agent)
        agent_entries[agent_id] = entries
        if depth < 3 and rng.random() < 0.3:
            for k in range(rng.randint(1, 2)):
                add(f"{agent_id}-sub{k}", None, agent, team, depth + 1)
        return agent

    agent_entries: dict[str, list] = {}

    def parent_entries(parent: Agent) -> list:
        mine = agent_entries[parent.id]
        return mine[: rng.randint(1, len(mine))]  # attenuated: a prefix of the parent's

    def parent_role(parent: Agent) -> str | None:
        arn = parent.identities[0]
        return arn if ":role/" in arn else None

    for n, person in enumerate(people):
        count = min(17, 1 + int(rng.paretovariate(1.3)) - 1)  # most sponsor one or two, a few many
        team = f"team{n % 40:02d}"
        for k in range(max(1, count)):
            add(f"{person['id'].split('@')[0].replace('.', '-')}-{k}", person["id"], None, team, 1)

    planted = _plant(rng, agents, principals, people)
    groups = {"ops": [_allow("ec2:*", "*")]}
    exceptions = [{"rule": "ENT-EXCESS", "agent": planted["_excepted_agent"][0], "match": {"action": "s3:*"},
                   "reason": "Bucket migration until the new pipeline lands (CHG-2041)",
                   "approved_by": "ada.archer@acme.example", "expires": "2027-03-31"}]
    del planted["_excepted_agent"]
    return Company(people, agents, principals, groups, exceptions, planted)


def _plant(rng, agents: list[Agent], principals: list[Principal], people: list[dict]) -> dict[str, list[str]]:
    """Drift for every rule of the catalogue, on agents and principals picked from the estate."""
    by_arn = {p.arn: p for p in principals}
    roots = [a for a in agents if a.delegated_by is None and ":role/" in a.identities[0]]
    users = [a for a in agents if ":user/" in a.identities[0] and a.delegated_by is None]
    pick = iter(rng.sample(roots, len(roots)))
    pick_user = iter(rng.sample(users, len(users)))
    planted: dict[str, list[str]] = {}

    def mark(rule: str, principal: str) -> None:
        planted.setdefault(rule, []).append(principal)

    for n in range(3):  # shadow roles nobody declared
        p = Principal(PROD if n else DEV, "role", f"shadow-etl-{n}", created_days=40, used_days=5, trust=[LAMBDA],
                      statements=[_allow("s3:*", "*")], tags={"owner": "dev.archer@acme.example"} if n == 0 else {})
        principals.append(p)
        mark("IDN-UNDECLARED", p.arn)
    principals.append(Principal(PROD, "user", "ada.archer", tags={"email": "ada.archer@acme.example"},
                                login_profile=True, keys=[]))  # a person's own account: never undeclared
    for _ in range(2):
        a = next(pick)
        by_arn[a.identities[0]].created_days, by_arn[a.identities[0]].used_days = 200, None
        mark("IDN-DORMANT", a.identities[0])
    a = next(pick)
    a.identities.append(f"arn:aws:iam::{PROD}:role/{a.id}-retired")
    mark("IDN-MISSING", a.identities[-1])
    for _ in range(2):
        a = next(pick_user)
        by_arn[a.identities[0]].keys = [(120, None)]
        a.max_credential_age = "365d"
        mark("CRD-UNUSED", a.identities[0])
    for _ in range(2):
        a = next(pick_user)
        by_arn[a.identities[0]].keys = [(200, 1)]
        mark("CRD-LONG-LIVED", a.identities[0])
    excepted = None
    for n in range(4):
        a = next(pick)
        p = by_arn[a.identities[0]]
        p.statements.append(_allow("s3:*", "arn:aws:s3:::shared-exports/*") if n < 3 else
                            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
        mark("ENT-EXCESS", p.arn)
        excepted = excepted or a.id
    a = next(pick_user)
    by_arn[a.identities[0]].groups = ["ops"]  # its group grants ec2:*
    mark("ENT-EXCESS", a.identities[0])
    for _ in range(2):
        a = next(pick)
        a.expires = "2026-06-30"
        mark("DLG-EXPIRED", a.identities[0])
    subs = [a for a in agents if a.delegated_by and ":role/" in a.identities[0]]
    wide = subs[0]
    wide.allow.append({"aws": {"actions": ["s3:*"], "resources": ["arn:aws:s3:::*"]}})
    mark("DLG-ESCALATION", wide.identities[0])
    parent_of = {a.id: a for a in agents}
    grown = subs[1]
    by_arn[grown.identities[0]].statements.append(_allow("kms:Decrypt", "*"))
    grown.allow.append({"aws": {"actions": ["kms:Decrypt"], "resources": ["*"]}})
    mark("DLG-ESCALATION", grown.identities[0])
    broken = subs[2]
    by_arn[parent_of[broken.delegated_by].identities[0]].disabled = True
    mark("DLG-BROKEN-CHAIN", broken.identities[0])
    depth = [a for a in agents if a.delegated_by and parent_of[a.delegated_by].delegated_by
             and parent_of[parent_of[a.delegated_by].delegated_by].delegated_by is None]
    deep_parent = depth[0]
    deep = Principal(deep_parent.identities[0].split(":")[4], "role", f"{deep_parent.id}-deep", trust=[LAMBDA])
    principals.append(deep)
    agents.append(Agent(f"{deep_parent.id}-deep", "ai_agent", None, deep_parent.id, deep_parent.environment,
                        [deep.arn], []))
    mark("DLG-BROKEN-CHAIN", deep.arn)
    source, target = next(pick), next(pick)
    by_arn[target.identities[0]].trust.append(_trust({"AWS": source.identities[0]}))
    mark("DLG-UNDECLARED", target.identities[0])
    for n, (principal, extra) in enumerate([
        ("*", {}),
        ({"Federated": f"arn:aws:iam::{PROD}:oidc-provider/token.actions.githubusercontent.com"},
         {"Action": "sts:AssumeRoleWithWebIdentity",
          "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}}}),
        ({"AWS": f"arn:aws:iam::{FOREIGN}:root"}, {}),
    ]):
        a = next(pick)
        by_arn[a.identities[0]].trust.append({**_trust(principal), **extra})
        mark("TRUST-WEAK", a.identities[0])
    a = next(pick_user)
    by_arn[a.identities[0]].login_profile = True
    mark("USE-HUMAN-ON-NHI", a.identities[0])
    shared, other = next(pick), next(pick)
    other.identities.append(shared.identities[0])
    mark("USE-REUSE-XENV", shared.identities[0])
    crossing = next(a for a in roots if a.environment == "prod" and a.identities[0].split(":")[4] == PROD
                    and a.identities[0] not in {p for v in planted.values() for p in v})
    stray = Principal(DEV, "role", f"{crossing.id}-dev", trust=[LAMBDA])
    principals.append(stray)
    crossing.identities.append(stray.arn)
    mark("USE-REUSE-XENV", stray.arn)
    planted["_excepted_agent"] = [excepted]
    return planted


# ---- the files under examples/demo ----------------------------------------------------------------

CONFIG = f"""# The demo estate's sources: two AWS accounts of the embedded moto (`make demo`, `make dev`
# set AWS_ENDPOINT_URL to it) and the HR feed. Its warehouse, staging and reports live in .demo/.
warehouse: ../../.demo/idrift.duckdb
staging: ../../.demo/staging
reports: ../../.demo/reports
model: model
sources:
  - aws:
      accounts: ["{PROD}", "{DEV}"]
      assume_role: {READ_ROLE}
      environments: {{"{PROD}": prod, "{DEV}": dev}}
  - hr:
      csv: hr/people.csv
"""


def files(c: Company) -> dict[str, str]:
    import io

    from ruamel.yaml import YAML

    def agent(a: Agent) -> dict:
        out = {"id": a.id, "kind": a.kind}
        out |= {"sponsor": a.sponsor} if a.sponsor else {"delegated_by": a.delegated_by}
        out |= {"environment": a.environment}
        out |= {k: v for k, v in (("expires", a.expires), ("max_credential_age", a.max_credential_age)) if v}
        out |= {"identities": [{"aws": i} for i in a.identities]}
        return out | ({"allow": a.allow} if a.allow else {})

    def dump(data) -> str:
        yaml, buf = YAML(), io.StringIO()  # round-trip: keys in the order written
        yaml.width = 120
        yaml.representer.ignore_aliases = lambda *args: True
        yaml.dump(data, buf)
        return buf.getvalue()

    out = {
        "idrift.yaml": CONFIG,
        "model/settings.yaml": "version: 1\n" + dump({"settings": {
            "ignore": [f"arn:aws:iam::*:role/{READ_ROLE}"], "undeclared_grace": "7d",
            "revocation": {"mode": "dry_run", "max_actions_per_run": 50}}}),
        "model/exceptions.yaml": "version: 1\n" + dump({"exceptions": c.exceptions}),
    }
    for account, env in ACCOUNTS.items():
        mine = [agent(a) for a in c.agents if a.environment == env]
        out[f"model/agents-{env}.yaml"] = "version: 1\n" + dump({"agents": mine})
    header = "id,email,status,terminated_at,manager\n"
    out["hr/people.csv"] = header + "".join(
        f"{p['id']},{p['email']},{p['status']},{p['terminated_at']},{p['manager']}\n" for p in c.people)
    return out


def write_examples(folder: Path = EXAMPLES) -> None:
    for rel, text in files(company()).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# ---- the estate in moto ---------------------------------------------------------------------------

def seed(c: Company, now: datetime | None = None) -> None:
    """Build the company's accounts in moto's backend (this process's embedded server)."""
    from moto.iam.models import AccessKeyLastUsed

    from pipelines.demo.moto import REGION, iam_backend

    now = now or datetime.now(timezone.utc)
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    doc = lambda statements: json.dumps({"Version": "2012-10-17", "Statement": statements})  # noqa: E731
    # idrift's read role trusts the prod account, with an external id (never a weak trust)
    trust_root = [_trust({"AWS": f"arn:aws:iam::{PROD}:root"},
                         Condition={"StringEquals": {"sts:ExternalId": "idrift-demo"}})]
    for account in ACCOUNTS:
        b = iam_backend(account)
        b.create_role(READ_ROLE, doc(trust_root), "/", None, "idrift's read role", [], None)
        for name, statements in c.groups.items():
            b.create_group(name).put_policy(name, doc(statements))
    for p in c.principals:
        b = iam_backend(p.account)
        tags = [{"Key": k, "Value": v} for k, v in p.tags.items()]
        if p.kind == "role":
            entity = b.create_role(p.name, doc(p.trust), "/", None, "", tags, None)
            entity.last_used = days(p.used_days) if p.used_days is not None else None
        else:
            entity = b.create_user(REGION, p.name, "/", tags)
            for created, used in p.keys:
                key = entity.create_access_key("AKIA", "Active")
                key.create_date = days(created)
                if used is not None:
                    key.last_used = AccessKeyLastUsed(days(used), "s3", REGION)
            if p.login_profile:
                entity.password = "demo-only-not-a-secret"
            for g in p.groups:
                b.get_group(g).users.append(entity)
        entity.create_date = days(p.created_days)
        if p.statements:
            entity.put_policy("app", doc(p.statements))
        if p.disabled:
            entity.put_policy("idrift-disabled", doc([{"Effect": "Deny", "Action": "*", "Resource": "*"}]))
        for name in p.managed:
            b.managed_policies[f"arn:aws:iam::aws:policy/{name}"].attach_to(entity)
