"""How many calls and how much time the AWS connector spends on an estate, against the floor.

    python benchmarks/bench_extract_aws.py --users 10000 [--roles 1000] [--accounts 1] [--workers 4]

moto runs in a child process, seeded there through its backend (seconds for 10k users, where
the HTTP API would take minutes); the connector reads it over HTTP into a real staging store.
A separate process, like AWS itself: in this one, moto's request handling would compete with
the connector for the interpreter lock and the figures would measure that contention.
Prints one JSON line:
- `bare_wall_s`: the bulk reads alone (GAAD pages, credential report generate + get);
- `floor_wall_s`: those plus one bare ListAccessKeys per user the report shows with keys, the
  calls the budget allows and that nothing bulk replaces (key ids are in no bulk API);
- `ratio` = wall_s / bare_wall_s, `ratio_to_floor` = wall_s / floor_wall_s.
- `warm_*`: a second sync of the unchanged estate, which lists no key the report shows unchanged.
Targets: api_calls <= call_budget (2 per 100 principals + 1 per active key); ratio <= 1.5.
"""

import argparse
import csv
import multiprocessing
import io
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.aws import AwsConnector  # noqa: E402
from connectors.records import Scope  # noqa: E402
from pipelines.staging import StagingStore, new_run_id  # noqa: E402
from tests.emulators.moto_server import MEMBER_ROLE, MotoServer, seed_estate  # noqa: E402

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def serve_moto(conn, accounts: int, users: int, roles: int) -> None:
    """The child: moto with a seeded organization; answers (endpoint, accounts, estates), then
    serves until the parent says stop."""
    os.environ.update(CREDENTIALS)
    moto = MotoServer()
    _, management = moto.new_organization()
    ids = [moto.new_account(management) for _ in range(accounts)]
    conn.send((moto.endpoint, ids, [seed_estate(a, users // accounts, roles // accounts) for a in ids]))
    conn.recv()
    moto.stop()

FILTERS = (["Group", "LocalManagedPolicy"], ["Role"], ["User"])


def bare_reads(iam, managed: bool) -> list[str]:
    """The connector's bulk reads, bare; returns the users the report shows with keys."""
    iam.generate_credential_report()
    for filters in FILTERS + ((["AWSManagedPolicy"],) if managed else ()):
        params = {"Filter": filters, "MaxItems": 1000}
        while (page := iam.get_account_authorization_details(**params)).get("IsTruncated"):
            params["Marker"] = page["Marker"]
    report = csv.DictReader(io.StringIO(iam.get_credential_report()["Content"].decode()))
    return [r["user"] for r in report if {r["access_key_1_last_rotated"], r["access_key_2_last_rotated"]} != {"N/A"}]


def timed(pool: ThreadPoolExecutor, fn, items) -> tuple[float, list]:
    t = time.perf_counter()
    out = list(pool.map(fn, items))
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, required=True)
    ap.add_argument("--roles", type=int)
    ap.add_argument("--accounts", type=int, default=1)
    ap.add_argument("--workers", type=int, default=4, help="scopes extracted at once, as the pipeline's pool")
    args = ap.parse_args()
    roles = args.users // 10 if args.roles is None else args.roles

    os.environ.update(CREDENTIALS)
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=serve_moto, args=(child, args.accounts, args.users, roles), daemon=True
    )
    server.start()
    endpoint, accounts, estate = parent.recv()
    iams = [_assumed_iam(endpoint, a) for a in accounts]

    with ThreadPoolExecutor(args.workers) as pool, tempfile.TemporaryDirectory() as tmp:
        bare, with_keys = timed(pool, lambda i: bare_reads(iams[i], managed=i == 0), range(len(accounts)))
        keys, _ = timed(
            pool, lambda i: [iams[i].list_access_keys(UserName=u) for u in with_keys[i]], range(len(accounts))
        )

        store = StagingStore(tmp)
        warm_up = store.open_scope(new_run_id(), Scope("aws", "warm-up"))
        warm_up.write("identities", [])
        warm_up.close()  # the first Parquet write of a process imports pandas: not the connector's time
        connector = AwsConnector(accounts=accounts, assume_role=MEMBER_ROLE, endpoint=endpoint)

        def sync() -> tuple[float, list]:
            run_id = new_run_id()

            def extract(scope: Scope):
                writer = store.open_scope(run_id, scope)
                connector.extract(scope, writer)
                return writer.close()

            return timed(pool, extract, connector.scopes())

        wall, staged = sync()  # the first sync: every key list is read
        warm_wall, warm = sync()  # the next one: the report shows the keys unchanged
    parent.send("stop")
    server.join()

    principals = sum(e["principals"] for e in estate)
    active_keys = sum(e["active_keys"] for e in estate)
    calls = sum(s.stats["api_calls"] for s in staged)
    result = {
        "principals": principals,
        "active_keys": active_keys,
        "api_calls": calls,
        "call_budget": 2 * principals / 100 + active_keys,
        "calls_per_100_principals": round(100 * calls / principals, 2),
        "calls_by_operation": _by_operation(staged),
        "wall_s": round(wall, 2),
        "bare_wall_s": round(bare, 2),
        "floor_wall_s": round(bare + keys, 2),
        "ratio": round(wall / bare, 2),
        "ratio_to_floor": round(wall / (bare + keys), 2),
        "warm_api_calls": sum(s.stats["api_calls"] for s in warm),
        "warm_wall_s": round(warm_wall, 2),
        "warm_ratio": round(warm_wall / bare, 2),
        "incomplete": [f"{s.scope_id}:{e}" for s in staged + warm for e, v in s.entities.items() if not v["complete"]],
    }
    print(json.dumps(result))


def _by_operation(staged: list) -> dict[str, int]:
    by_op: dict[str, int] = {}
    for s in staged:
        for op, n in s.stats["calls_by_operation"].items():
            by_op[op] = by_op.get(op, 0) + n
    return by_op


def _assumed_iam(endpoint: str, account: str):
    import boto3

    sts = boto3.client("sts", endpoint_url=endpoint)
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{MEMBER_ROLE}", RoleSessionName="bench")["Credentials"]
    session = boto3.Session(
        aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"]
    )
    return session.client("iam", endpoint_url=endpoint)


if __name__ == "__main__":
    main()
