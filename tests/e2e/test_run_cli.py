"""`idrift run` on a two-account organization in moto: what an operator sees and what lands in
the warehouse, with both accounts complete, with one account denied, and with a bad model."""

import json

import duckdb

from tests.emulators.fault_proxy import Fault, FaultProxy

PEOPLE = """
id,email,status,terminated_at,manager
alice,alice@example.com,active,,
dave,dave@example.com,terminated,2026-11-20T17:00:00Z,alice
"""

MODEL = """
version: 1
sponsors:
  - id: erin@example.com
    status: suspended
agents:
  - {{id: billing, kind: service_account, sponsor: alice@example.com, identities: [aws: "{a}"]}}
  - {{id: legacy, kind: workload, sponsor: dave, identities: [aws: "{b}"]}}
  - {{id: reports, kind: ai_agent, sponsor: erin@example.com, identities: [aws: "arn:aws:iam::{account}:user/svc-a"]}}
  - {{id: nobody, kind: ai_agent, sponsor: ghost@example.com}}
"""


def seed(moto_server, account: str, user: str) -> None:
    iam = moto_server.assume(account).client("iam", endpoint_url=moto_server.endpoint)
    iam.create_user(UserName=user)
    iam.create_access_key(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument='{"Version":"2012-10-17","Statement":'
                        '[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}')


def rows(warehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_two_accounts_load_complete_and_sponsors_get_their_hr_status(project, moto_server, new_account):
    a, b = new_account(), new_account()
    seed(moto_server, a, "svc-a")
    seed(moto_server, b, "svc-b")
    bots = [f"arn:aws:iam::{acct}:user/svc-{x}" for acct, x in ((a, "a"), (b, "b"))]
    project.configure([a, b], environments={a: "prod"}, model=MODEL.format(a=bots[0], b=bots[1], account=a),
                      people=PEOPLE)

    result = project.idrift("run")

    assert result.exit_code == 0, result.stdout + result.stderr
    for account in (a, b):
        line = next(row for row in result.stdout.splitlines() if account in row)
        assert line.count("complete") >= 5 and "INCOMPLETE" not in line  # scope + four entity types
    assert rows(project.warehouse, "SELECT scope_id, status, environment FROM scope_syncs WHERE provider = 'aws' "
                                   "ORDER BY scope_id") == sorted([(a, "complete", "prod"), (b, "complete", None)])
    users = rows(project.warehouse, "SELECT scope_id, name FROM current_identities WHERE kind = 'aws_user'")
    assert sorted(users) == sorted([(a, "svc-a"), (b, "svc-b")])
    assert rows(project.warehouse, "SELECT count(*) FROM current_credentials WHERE kind = 'access_key'") == [(2,)]
    listed = project.idrift("findings", "--rule", "IDN-ORPHANED", "--format", "json")
    orphaned = {f["principal"]: f["evidence"] for f in map(json.loads, listed.stdout.splitlines())}
    # dave: the HR feed says terminated (it decides); erin: HR does not know her, the model says suspended
    assert {p: (e["sponsor_status"], e["status_source"]) for p, e in orphaned.items()} == {
        bots[1]: ("terminated", "hr"), bots[0]: ("suspended", "model")}

    again = project.idrift("run")  # an unchanged estate: a second run opens no new versions
    assert again.exit_code == 0
    assert rows(project.warehouse, "SELECT count(*) FROM identity_history WHERE valid_from > 1") == [(0,)]
    assert rows(project.warehouse, "SELECT count(*) FROM runs") == [(2,)]


def test_a_denied_account_exits_1_and_the_other_still_loads(project, moto_server, new_account):
    denied, fine = new_account(), new_account()
    seed(moto_server, fine, "svc")
    proxy = FaultProxy(moto_server.endpoint)
    proxy.faults.append(Fault(service="iam", account=denied, status=403, code="AccessDenied", message="denied"))
    try:
        project.configure([denied, fine], endpoint=proxy.endpoint)
        result = project.idrift("run")
    finally:
        proxy.stop()

    assert result.exit_code == 1
    assert "1 scope(s) incomplete" in result.stderr
    assert "AccessDenied" in next(row for row in result.stdout.splitlines() if denied in row)
    assert dict(rows(project.warehouse, "SELECT scope_id, status FROM scope_syncs WHERE provider = 'aws'")) == {
        denied: "failed", fine: "complete"}
    assert rows(project.warehouse, "SELECT DISTINCT scope_id FROM current_identities") == [(fine,)]


def test_only_selects_scopes(project, moto_server, new_account):
    a, b = new_account(), new_account()
    project.configure([a, b])

    result = project.idrift("run", "--only", b)

    assert result.exit_code == 0, result.stderr
    assert rows(project.warehouse, "SELECT scope_id FROM scope_syncs WHERE provider = 'aws'") == [(b,)]


def test_a_bad_model_stops_the_run_before_any_call(project, moto_server, new_account):
    a = new_account()
    project.configure([a], model="version: 1\nagents:\n  - id: x\n    kind: robot\n    sponsor: alice\n")

    result = project.idrift("run")

    assert result.exit_code == 2
    assert "agents.yaml:4:11: agents[0].kind: expected one of ai_agent, service_account, workload" in result.stderr
    assert not project.warehouse.exists()


def test_validate_and_bad_config_exit_2_with_the_place(project, moto_server, new_account):
    project.configure([new_account()])
    assert project.idrift("validate").exit_code == 0

    project.write("idrift.yaml", "model: model\nsources:\n  - aws:\n      accounts: [111122223333]\n")
    result = project.idrift("run")
    assert result.exit_code == 2
    assert "idrift.yaml:4:18: sources[0].aws.accounts[0]: account ids must be quoted strings" in result.stderr
