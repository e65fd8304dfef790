"""The AWS transforms on raw API shapes (no emulator): report parsing, slot mapping, statements,
trust principals, PassRole matching."""

from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.aws.policies import PolicySource, allows_action, pass_role_targets, statement_row
from connectors.aws.transform import key_rows, key_slots, parse_credential_report, trust_edges, user_rows

REPORT = parse_credential_report((Path(__file__).parents[1] / "fixtures/aws/credential_report.csv").read_bytes())
ACCT = "arn:aws:iam::111122223333"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def key(key_id: str, status: str, created: str) -> dict:
    return {"AccessKeyId": key_id, "Status": status, "CreateDate": at(created)}


def test_credential_report_sentinels_and_root():
    assert set(REPORT) == {f"{ACCT}:user/bots/ci-bot", f"{ACCT}:user/console-user", f"{ACCT}:user/rotated"}
    bot, human = REPORT[f"{ACCT}:user/bots/ci-bot"], REPORT[f"{ACCT}:user/console-user"]
    assert (bot["password_enabled"], bot["password_last_used"], bot["access_key_2_last_used_region"]) == (
        False,
        None,
        None,
    )
    assert (bot["access_key_1_last_used_date"], bot["access_key_1_last_used_service"]) == (
        at("2024-06-01T12:00:00"),
        "s3",
    )
    assert (human["password_enabled"], human["password_last_used"], human["mfa_active"]) == (True, None, True)


@pytest.mark.parametrize(
    "user, keys, slots",
    [
        # Creation second and status agree: certain (sub-second parts do not count).
        (
            "bots/ci-bot",
            [key("K1", "Active", "2023-03-04T05:06:07.250"), key("K2", "Inactive", "2022-01-01T00:00:00")],
            {"K1": 1, "K2": 2},
        ),
        # Deactivated since the report: the slot no longer fits.
        (
            "bots/ci-bot",
            [key("K1", "Inactive", "2023-03-04T05:06:07"), key("K2", "Inactive", "2022-01-01T00:00:00")],
            {"K2": 2},
        ),
        # A rotated slot: its time is not the key's creation.
        ("rotated", [key("K1", "Active", "2020-01-01T00:00:00")], {}),
        # Two keys of the same second fit the same slot: neither is certain.
        ("bots/ci-bot", [key("K1", "Active", "2023-03-04T05:06:07"), key("K3", "Active", "2023-03-04T05:06:07")], {}),
    ],
)
def test_key_slots(user, keys, slots):
    assert key_slots(REPORT[f"{ACCT}:user/{user}"], keys) == slots


def test_key_rows_take_last_use_from_the_slot_or_from_get_access_key_last_used():
    row = REPORT[f"{ACCT}:user/rotated"]
    keys = [key("K1", "Active", "2020-01-01T00:00:00")]
    assert key_rows("U", row, keys, {})[0]["last_used_source"] is None  # unmapped and not asked: unknown
    asked = {"K1": {"LastUsedDate": at("2024-07-07T07:07:07"), "ServiceName": "sts", "Region": "eu-west-1"}}
    [k] = key_rows("U", row, keys, asked)
    assert (k["last_used_at"], k["last_used_service"], k["last_used_source"]) == (
        at("2024-07-07T07:07:07"),
        "sts",
        "GetAccessKeyLastUsed",
    )


def test_user_missing_from_the_report_is_of_unknown_state():
    user = {"UserId": "U", "UserName": "new", "Arn": f"{ACCT}:user/new", "UserPolicyList": []}
    identity, creds = user_rows(user, None, None, {})
    assert (identity["disabled"], identity["last_authenticated_at"], creds) == (None, None, [])
    user["UserPolicyList"] = [{"PolicyName": "idrift-disabled", "PolicyDocument": {}}]
    assert user_rows(user, None, None, {})[0]["disabled"] is True


def test_password_credential_from_the_report():
    user = {"UserId": "U", "UserName": "console-user", "Arn": f"{ACCT}:user/console-user"}
    identity, [password] = user_rows(user, REPORT[f"{ACCT}:user/console-user"], None, {})
    assert (password["kind"], password["credential_id"], password["created_at"], password["expires_at"]) == (
        "password",
        "login_profile",
        at("2024-01-01T09:30:00"),
        at("2024-04-01T09:30:00"),
    )
    assert identity["disabled"] is False


def test_statement_ids_ignore_order_and_string_or_list():
    a = statement_row({"Effect": "Allow", "Action": ["s3:B", "s3:A"], "Resource": "*"})
    b = statement_row({"Effect": "Allow", "Action": ["s3:A", "s3:B"], "Resource": ["*"]})
    c = statement_row({"Effect": "Allow", "NotAction": ["s3:A", "s3:B"], "Resource": ["*"]})
    assert a == b and a["statement_id"] != c["statement_id"]


@pytest.mark.parametrize(
    "statement, covers",
    [
        ({"Effect": "Allow", "Action": "iam:PassRole"}, True),
        ({"Effect": "Allow", "Action": "IAM:PASSROLE"}, True),
        ({"Effect": "Allow", "Action": ["s3:*", "iam:Pass*"]}, True),
        ({"Effect": "Allow", "Action": "iam:*"}, True),
        ({"Effect": "Allow", "Action": "*"}, True),
        ({"Effect": "Allow", "Action": "iam:P?ssRole"}, True),
        ({"Effect": "Allow", "Action": "iam:PassRoles"}, False),
        ({"Effect": "Allow", "Action": "iam:Get*"}, False),
        ({"Effect": "Deny", "Action": "iam:PassRole"}, False),
        ({"Effect": "Allow", "NotAction": "iam:*"}, False),
        ({"Effect": "Allow", "NotAction": "s3:*"}, True),
    ],
)
def test_pass_role_action_globs(statement, covers):
    assert allows_action(statement, "iam:PassRole") is covers


def test_pass_role_targets_are_exact_resources_only():
    doc = {
        "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": [f"{ACCT}:role/a", f"{ACCT}:role/b-*"]}]
    }
    [(resource, index, _)] = pass_role_targets([PolicySource("inline:p", "inline", doc)])
    assert (resource, index) == (f"{ACCT}:role/a", 0)


def test_trust_principals_outside_the_common_shapes():
    role = {
        "RoleId": "R",
        "Arn": "arn:aws-cn:iam::111122223333:role/r",
        "AssumeRolePolicyDocument": {
            "Statement": {  # a single statement, not a list
                "Effect": "Allow",
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {
                    "AWS": ["444455556666", "AROAEXAMPLEUNIQUEID"],
                    "Federated": "cognito-identity.amazonaws.com",
                },
            }
        },
    }
    assert {(e["source"], e["source_kind"], e["source_scope"]) for e in trust_edges(role)} == {
        ("arn:aws-cn:iam::444455556666:root", "account_root", "444455556666"),
        ("AROAEXAMPLEUNIQUEID", "principal", None),  # what IAM shows once the trusted principal is deleted
        ("cognito-identity.amazonaws.com", "federated", None),
    }
