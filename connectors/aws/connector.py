"""AWS IAM: every account of the config or of the organization, read with bulk calls only.

Per account: GenerateCredentialReport (kicked off first, collected later), then
GetAccountAuthorizationDetails by filter, streamed page by page, plus ListAccessKeys for the
users the report shows with keys, and GetAccessKeyLastUsed only where a key's report slot is
uncertain. A read that fails after botocore's retries makes the entity types it feeds
incomplete; it is never replaced by per-principal calls.
"""

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.retries.standard import RetryEventAdapter, ThrottlingErrorDetector

from connectors.aws import get
from connectors.aws.managed import ManagedPolicyCache
from connectors.aws.policies import PolicySource, default_documents, grant_rows, pass_role_targets
from connectors.aws.transform import (
    attached_arns,
    has_keys,
    is_aws_managed,
    key_slots,
    parse_credential_report,
    pass_role_edges,
    policy_sources,
    prior_access_keys,
    role_identity,
    trust_edges,
    unchanged_keys,
    user_rows,
)
from connectors.base import ScopeFailed, ScopeSink
from connectors.records import Scope, ScopeStats, utc

READ_ERRORS = (ClientError, BotoCoreError)

# The reads each entity type is built from: one failed read makes every type it feeds incomplete.
# Credentials need the User pages too (the report and ListAccessKeys carry no UserId); edges
# need every grant (PassRole edges come from any policy reaching a user or role).
FEEDS = {
    "identities": ("roles", "users", "report"),
    "credentials": ("users", "report", "keys"),
    "grants": ("groups", "roles", "users", "policies"),
    "edges": ("groups", "roles", "users", "policies"),
}


def _count_attempts(stats: ScopeStats):
    """A botocore `needs-retry` hook: it fires once per HTTP attempt, retries included."""
    throttling = ThrottlingErrorDetector(RetryEventAdapter())
    lock = threading.Lock()  # the key reads of an account run in a few threads

    def hook(attempts, operation, **kwargs):
        throttled = throttling.is_throttling_error(attempts=attempts, operation=operation, **kwargs)
        with lock:
            stats.record(operation.name)
            stats.retries += attempts > 1
            stats.throttled += throttled

    return hook


class AwsConnector:
    provider = "aws"

    def __init__(
        self,
        accounts: list[str] | None = None,
        organization: bool = False,
        assume_role: str | None = None,
        environments: dict[str, str] | None = None,
        schedule: str = "hourly",
        endpoint: str | None = None,
        region: str = "us-east-1",
        max_attempts: int = 10,
        retry_mode: str = "standard",
        managed_policies: ManagedPolicyCache | None = None,
        key_workers: int = 4,
        report_waits: tuple[float, ...] = get.REPORT_WAITS,
    ):
        self.accounts = list(accounts or [])
        self.organization = organization
        self.assume_role = assume_role
        self.environments = dict(environments or {})
        self.schedule = schedule
        self.endpoint = endpoint  # None: the SDK's own resolution (AWS_ENDPOINT_URL, config files)
        self.region = region
        # total_max_attempts counts the first attempt too (botocore's `max_attempts` does not).
        self.config = Config(region_name=region, retries={"mode": retry_mode, "total_max_attempts": max_attempts})
        self.managed_policies = managed_policies or ManagedPolicyCache()
        self.key_workers = key_workers
        self.report_waits = report_waits

    def scopes(self) -> list[Scope]:
        if self.organization:
            org = boto3.Session().client("organizations", endpoint_url=self.endpoint, config=self.config)
            ids = get.organization_accounts(org)
        else:
            ids = self.accounts
        return [Scope(self.provider, i, self.environments.get(i), self.schedule) for i in sorted(ids)]

    def extract(self, scope: Scope, sink: ScopeSink) -> None:
        # One session per call: boto3 sessions are not thread-safe, and scopes run in threads.
        iam = self._client(self._session(scope.scope_id, sink), "iam", sink)
        try:
            get.start_credential_report(iam, sink)
        except READ_ERRORS as e:
            raise ScopeFailed(f"GenerateCredentialReport: {e}") from None
        _AccountSync(iam, sink, self.managed_policies, self.key_workers, self.report_waits).run()

    def _client(self, session: boto3.Session, service: str, sink: ScopeSink):
        client = session.client(service, endpoint_url=self.endpoint, config=self.config)
        client.meta.events.register("needs-retry", _count_attempts(sink.stats))
        return client

    def _session(self, account: str, sink: ScopeSink) -> boto3.Session:
        return account_session(account, self.assume_role, self.region, self._client(boto3.Session(), "sts", sink))


def account_session(account: str, role: str | None, region: str, sts, session_name: str = "idrift") -> boto3.Session:
    """A session acting in `account`: `role` assumed there, or the ambient credentials when they
    belong to it. The STS credentials live only in the returned session."""
    try:
        if role:
            partition = boto3.Session().get_partition_for_region(region)
            arn = f"arn:{partition}:iam::{account}:role/{role}"
            creds = sts.assume_role(RoleArn=arn, RoleSessionName=session_name)["Credentials"]
            return boto3.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )
        caller = sts.get_caller_identity()["Account"]
    except READ_ERRORS as e:
        raise ScopeFailed(f"no credentials for account {account}: {e}") from None
    if caller != account:
        raise ScopeFailed(f"the ambient credentials belong to account {caller}, not {account}")
    return boto3.Session()


class _AccountSync:
    """One account's reads, in order, and which of them failed."""

    def __init__(self, iam, sink: ScopeSink, cache: ManagedPolicyCache, key_workers: int, report_waits):
        self.iam, self.sink, self.cache, self.report_waits = iam, sink, cache, report_waits
        self.key_workers = key_workers
        self.pages = _SerialPages(sink)  # raw pages come from the key-reading threads too
        self.failed: dict[str, str] = {}  # read -> reason
        self.groups: dict[str, dict] = {}
        self.documents: dict[str, dict] = {}  # managed policy ARN -> default document
        self.role_ids: dict[str, str] = {}  # role ARN -> RoleId: the PassRole targets
        self.pass_role: list[tuple[str, list]] = []  # resolved once every role is known
        self.report: dict[str, dict] | None = None
        self.keys: dict[str, Future] = {}  # user ARN -> its key reads, started from the report
        self.managed_fetched = False
        self.edge_ids: set[str] = set()

    def run(self) -> None:
        # The report generates while the groups and roles are read. Once it is in, the key reads
        # of the users it shows with keys start in a few threads and overlap the User pages:
        # they are one call per user, and a serial loop would wait on each one's latency.
        self.key_pool = ThreadPoolExecutor(self.key_workers, thread_name_prefix="aws-keys")
        try:
            self._read("groups", self._groups)
            self._read("roles", self._roles)
            self._read("report", self._report)
            self._read("users", self._users)
        finally:  # key reads still queued are of users no User page showed, or after a failure
            self.key_pool.shutdown(cancel_futures=True)
        self._write_edges([e for arn, targets in self.pass_role for e in pass_role_edges(arn, targets, self.role_ids)])
        for entity, reads in FEEDS.items():
            reasons = [f"{r}: {self.failed[r]}" for r in reads if r in self.failed]
            if reasons:
                self.sink.incomplete(entity, "; ".join(reasons))
            else:
                self.sink.complete(entity)

    def _read(self, name: str, read) -> None:
        try:
            read()
        except READ_ERRORS as e:
            self._fail(name, str(e))

    def _fail(self, read: str, reason: str) -> None:
        self.failed.setdefault(read, reason)

    # ---- the reads ----------------------------------------------------------------------------

    def _groups(self) -> None:
        for page in get.authorization_pages(self.iam, ["Group", "LocalManagedPolicy"], self.pages):
            self.groups.update((g["GroupName"], g) for g in page.get("GroupDetailList", []))
            self.documents.update(default_documents(page.get("Policies", [])))

    def _roles(self) -> None:
        for page in get.authorization_pages(self.iam, ["Role"], self.pages):
            roles = page.get("RoleDetailList", [])
            self._resolve_managed(roles)
            self.role_ids.update((r["Arn"], r["RoleId"]) for r in roles)
            self.sink.write("identities", [role_identity(r) for r in roles])
            self._write_edges([e for r in roles for e in trust_edges(r)])
            self._write_grants([(r["RoleId"], r["Arn"], self._sources(r, "RolePolicyList")) for r in roles])

    def _report(self) -> None:
        report = get.credential_report(self.iam, self.pages, self.report_waits)
        self.sink.freshness("aws_credential_report_generated_at", utc(report["GeneratedTime"]))
        self.report = parse_credential_report(report["Content"])
        known = prior_access_keys(self.sink.prior("identities"), self.sink.prior("credentials"))
        for arn, row in self.report.items():
            if not has_keys(row):
                continue
            if unchanged_keys(row, *known.get(arn, (None, []))):
                # The report shows this user's keys exactly as last read: their ids are known,
                # their last use is in the report, and ListAccessKeys would say nothing new.
                self.keys[arn] = done = Future()
                done.set_result((known[arn][1], {}))
                self.sink.stats.unchanged("ListAccessKeys")
            else:
                self.keys[arn] = self.key_pool.submit(self._keys, row)

    def _users(self) -> None:
        for page in get.authorization_pages(self.iam, ["User"], self.pages):
            users = page.get("UserDetailList", [])
            self._resolve_managed(users)
            identities, credentials = [], []
            for user in users:
                row = self.report.get(user["Arn"]) if self.report is not None else None
                future = self.keys.pop(user["Arn"], None)
                identity, creds = user_rows(user, row, *(future.result() if future else (None, {})))
                identities.append(identity)
                credentials += creds
            self.sink.write("identities", identities)
            self.sink.write("credentials", credentials)
            self._write_grants([(u["UserId"], u["Arn"], self._sources(u, "UserPolicyList")) for u in users])

    def _keys(self, row: dict) -> tuple[list[dict] | None, dict[str, dict]]:
        """ListAccessKeys for a user the report shows with keys, and GetAccessKeyLastUsed for
        the keys whose report slot is uncertain. After one failure, no more key calls: the
        credentials are incomplete already, and the account is likely throttled."""
        keys, last_used = None, {}
        if "keys" in self.failed:
            return keys, last_used
        try:
            keys = get.access_keys(self.iam, row["user"], self.pages)
            certain = key_slots(row, keys)
            for k in keys:
                if k["AccessKeyId"] not in certain:
                    last_used[k["AccessKeyId"]] = get.access_key_last_used(self.iam, k["AccessKeyId"], self.pages)
        except READ_ERRORS as e:
            self._fail("keys", str(e))
        return keys, last_used

    # ---- policies, grants, edges ----------------------------------------------------------------

    def _resolve_managed(self, entities: list[dict]) -> None:
        """Make the AWS-managed documents attached on this page available, from the shared cache."""
        wanted = {a for e in entities for a in attached_arns(e, self.groups) if is_aws_managed(a)}
        wanted -= self.documents.keys()
        if not wanted:
            return
        fetch = None if self.managed_fetched else self._fetch_managed
        try:
            self.documents.update(self.cache.documents(wanted, fetch))
        except READ_ERRORS as e:
            self._fail("policies", f"AWS-managed policies: {e}")

    def _fetch_managed(self) -> dict[str, dict]:
        self.managed_fetched = True  # once per account at most, even when it fails
        return get.aws_managed_documents(self.iam, self.pages)

    def _sources(self, entity: dict, inline_key: str) -> list[PolicySource]:
        sources, missing = policy_sources(entity, inline_key, self.groups, self.documents)
        if missing:
            self._fail("policies", f"not found: {', '.join(sorted(set(missing))[:5])}")
        return sources

    def _write_grants(self, principals: list[tuple[str, str, list[PolicySource]]]) -> None:
        grants, statements = [], []
        for identity_id, arn, sources in principals:
            g, s = grant_rows(identity_id, sources)
            grants += g
            statements += s
            if targets := pass_role_targets(sources):
                self.pass_role.append((arn, targets))
        self.sink.write("grants", grants)
        self.sink.write("statements", statements)

    def _write_edges(self, edges: list[dict]) -> None:
        # A principal named twice in a statement, or a PassRole granted twice alike, is one edge.
        fresh = []
        for e in edges:
            if e["edge_id"] not in self.edge_ids:
                self.edge_ids.add(e["edge_id"])
                fresh.append(e)
        self.sink.write("edges", fresh)


class _SerialPages:
    """`raw_page` of a sink, callable from several threads (a ScopeWriter is not thread-safe)."""

    def __init__(self, sink: ScopeSink):
        self._sink, self._lock = sink, threading.Lock()

    def raw_page(self, operation: str, params: dict, body) -> None:
        with self._lock:
            self._sink.raw_page(operation, params, body)
