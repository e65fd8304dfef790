"""A broken-looking sync (most identities gone) is held back: no finding resolves from it, until
`idrift accept-drop` lets the next sync publish."""

import json
from datetime import datetime, timedelta, timezone

from tests.emulators.moto_server import iam_backend


def open_undeclared(project) -> set[str]:
    listed = project.idrift("findings", "--rule", "IDN-UNDECLARED", "--format", "json")
    return {f["principal"] for f in map(json.loads, listed.stdout.splitlines()) if f["status"] == "open"}


def test_drop_guard_then_accept_drop(project, moto_server, new_account):
    account = new_account()
    iam = moto_server.assume(account).client("iam", endpoint_url=moto_server.endpoint)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    for n in range(10):
        iam.create_role(RoleName=f"shadow-{n}", AssumeRolePolicyDocument=trust)
        iam_backend(account).get_role(f"shadow-{n}").create_date = datetime.now(timezone.utc) - timedelta(days=30)
    project.configure([account])
    assert project.idrift("run").exit_code == 0
    assert len(open_undeclared(project)) == 10

    for n in range(6):
        iam.delete_role(RoleName=f"shadow-{n}")
    held = project.idrift("run")
    assert held.exit_code == 1
    assert f"aws:{account} held back: drop_guard: identities fell from 11 to 5" in held.stderr
    assert len(open_undeclared(project)) == 10  # nothing resolved from the held-back sync

    refused = project.idrift("accept-drop", "999999999999", "--reason", "x")
    assert refused.exit_code == 2 and "no synced scope" in refused.stderr
    accepted = project.idrift("accept-drop", account, "--reason", "removed the old lambdas (CHG-7)", "--by", "carol")
    assert accepted.exit_code == 0
    assert project.idrift("run").exit_code == 0
    assert open_undeclared(project) == {f"arn:aws:iam::{account}:role/shadow-{n}" for n in range(6, 10)}
