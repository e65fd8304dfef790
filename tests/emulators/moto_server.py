"""moto for the tests: organizations and accounts on demand (pipelines/demo/moto.py runs the
server), and estates seeded through its backend."""

import json
import random
import uuid
from datetime import datetime, timedelta, timezone

import boto3
from moto.iam.models import AccessKeyLastUsed

from pipelines.demo.moto import DUMMY_KEYS, REGION, iam_backend, start

MANAGEMENT_ACCOUNT = "123456789012"  # moto's default: unknown access keys act in it
MEMBER_ROLE = "OrganizationAccountAccessRole"  # created by Organizations in every new account
__all__ = ["DUMMY_KEYS", "REGION", "MANAGEMENT_ACCOUNT", "MEMBER_ROLE", "MotoServer", "iam_backend"]


class MotoServer:
    def __init__(self) -> None:
        self._server, self.endpoint = start()

    def stop(self) -> None:
        self._server.stop()

    def management(self) -> boto3.Session:
        """A session in moto's default account (the organization's management account)."""
        return boto3.Session(region_name=REGION, **DUMMY_KEYS)

    def assume(self, account: str, role: str = MEMBER_ROLE, base: boto3.Session | None = None) -> boto3.Session:
        """A session inside `account` through `role` (moto does not check the trust policy)."""
        sts = (base or self.management()).client("sts", endpoint_url=self.endpoint)
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="tests")["Credentials"]
        return boto3.Session(
            region_name=REGION,
            aws_access_key_id=c["AccessKeyId"],
            aws_secret_access_key=c["SecretAccessKey"],
            aws_session_token=c["SessionToken"],
        )

    def new_organization(self) -> tuple[str, boto3.Session]:
        """A fresh management account and its own organization: its ListAccounts shows only the
        accounts created under it, whatever other tests did."""
        account = f"{random.randrange(10**11, 10**12)}"
        session = self.assume(account, role="bootstrap")  # any account id works in moto
        session.client("organizations", endpoint_url=self.endpoint).create_organization(FeatureSet="ALL")
        return account, session

    def new_account(self, management: boto3.Session | None = None) -> str:
        """A new member account (with its OrganizationAccountAccessRole) of the organization."""
        org = (management or self.management()).client("organizations", endpoint_url=self.endpoint)
        tag = uuid.uuid4().hex[:10]
        status = org.create_account(AccountName=f"t-{tag}", Email=f"{tag}@example.com")["CreateAccountStatus"]
        return status["AccountId"]


def backdate_key(
    account: str,
    user: str,
    index: int,
    created: datetime | None = None,
    last_used: datetime | None = None,
    service: str = "s3",
    region: str = "eu-west-1",
) -> str:
    """Set a key's creation and last use (the API cannot); returns its id."""
    key = iam_backend(account).get_user(user).access_keys[index]
    if created is not None:
        key.create_date = created
    if last_used is not None:
        key.last_used = AccessKeyLastUsed(timestamp=last_used, service=service, region=region)
    return key.access_key_id


# ---- large estates, straight into the backend ----------------------------------------------------

_ALLOW = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}


def seed_estate(account: str, users: int, roles: int, seed: int = 7) -> dict:
    """A realistic estate: users with 0-2 keys (most active, some used long ago), group
    memberships, inline and managed (customer and AWS) policies, a few console passwords; roles
    trusting services, accounts, roles and an OIDC provider, some allowed to pass other roles.
    Returns what it built: principals and active keys."""
    rng = random.Random(seed)
    b = iam_backend(account)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    policies = [
        b.create_policy("", "/", json.dumps(_doc(f"svc{i}:Get*")), f"app-{i}", []) for i in range(max(5, users // 200))
    ]
    policies.append(b.managed_policies["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    groups = [b.create_group(f"team-{i}") for i in range(20)]
    for i, g in enumerate(groups):
        g.put_policy("team", json.dumps(_doc(f"team{i}:*")))
        rng.choice(policies).attach_to(g)
    active = 0
    for i in range(users):
        tags = [{"Key": "email", "Value": f"u{i}@example.com"}] if rng.random() < 0.2 else []
        u = b.create_user(REGION, f"u{i}", "/", tags)
        for g in rng.sample(groups, rng.choice((0, 1, 1, 2))):
            g.users.append(u)
        rng.choice(policies).attach_to(u)
        if rng.random() < 0.33:
            u.put_policy("inline", json.dumps(_doc(f"dyn{i % 50}:Query")))
        if rng.random() < 0.1:
            u.password = "not-a-secret"
            u.password_last_used = now - timedelta(days=rng.randrange(400))
        for _ in range(rng.choice((0, 0, 1, 1, 1, 2))):
            key = u.create_access_key("AKIA", "Active" if rng.random() < 0.8 else "Inactive")
            key.create_date = now - timedelta(seconds=rng.randrange(3 * 365 * 86400))
            if rng.random() < 0.6:
                key.last_used = AccessKeyLastUsed(now - timedelta(seconds=rng.randrange(90 * 86400)), "s3", REGION)
            active += key.status == "Active"
    for i in range(roles):
        principal = rng.choice(
            [
                {"Service": "lambda.amazonaws.com"},
                {"AWS": MANAGEMENT_ACCOUNT},
                {"AWS": f"arn:aws:iam::{account}:role/r{max(i - 1, 0)}"},
                {"Federated": f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"},
            ]
        )
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
        r = b.create_role(f"r{i}", json.dumps(trust), "/", None, "", [], None)
        rng.choice(policies).attach_to(r)
        if i % 10 == 0:
            passrole = {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": f"arn:aws:iam::{account}:role/r{i + 1}",
            }
            r.put_policy("pass", json.dumps({"Version": "2012-10-17", "Statement": [passrole]}))
    return {"principals": users + roles, "active_keys": active}


def _doc(action: str) -> dict:
    return {**_ALLOW, "Statement": [{**_ALLOW["Statement"][0], "Action": [action]}]}
