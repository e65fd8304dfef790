"""What the warehouse derives from a loaded model (sql/model/): chains, thresholds, allowance
sets, declared escalation, and each sponsor's status from the HR feed and the model."""

from datetime import datetime, timezone

import duckdb
import pytest

from pipelines.model import load_model
from pipelines.model.tables import load_model_tables, model_tables
from pipelines.warehouse import connect


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("w") / "idrift.duckdb")
    yield con
    con.close()


def load(con: duckdb.DuckDBPyConnection, folder, text: str, now: datetime) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "model.yaml").write_text(text)
    con.execute("DELETE FROM run_context")
    con.execute("INSERT INTO run_context VALUES (1, ?, [])", [now])
    load_model_tables(con, model_tables(load_model(folder)))


MODEL = """
version: 1
settings: {max_credential_age: 60d}
sponsors:
  - {id: dave@example.com, status: terminated, terminated_at: 2026-11-20T17:00:00Z}
agents:
  - id: root
    kind: ai_agent
    sponsor: dave@example.com
    expires: 2027-01-31
    max_credential_age: 30d
    allow: [aws: {actions: ["s3:Get*"], resources: ["arn:aws:s3:::data/*"]}]
  - id: child
    kind: ai_agent
    delegated_by: root
    allow: [aws: {actions: ["s3:GetObject"], resources: ["arn:aws:s3:::data/x"]}]
  - id: grandchild
    kind: ai_agent
    delegated_by: child
    expires: 2027-06-30
    allow: [aws: {actions: ["s3:*"], resources: ["arn:aws:s3:::data/*"]}]
  - id: twin
    kind: ai_agent
    sponsor: ghost@example.com
    allow: [aws: {actions: ["s3:Get*"], resources: ["arn:aws:s3:::data/*"]}]
"""


def test_chains_thresholds_sets_and_escalation(warehouse, tmp_path):
    load(warehouse, tmp_path / "m", MODEL, datetime(2026, 12, 4, tzinfo=timezone.utc))
    tree = {r[0]: r[1:] for r in warehouse.execute(
        "SELECT agent_id, root_sponsor, depth, expires::DATE::VARCHAR, allow_set FROM agent_tree").fetchall()}
    assert {a: t[:3] for a, t in tree.items()} == {
        "root": ("dave@example.com", 1, "2027-01-31"), "child": ("dave@example.com", 2, "2027-01-31"),  # inherited
        "grandchild": ("dave@example.com", 3, "2027-06-30"), "twin": ("ghost@example.com", 1, None)}
    assert tree["root"][3] == tree["twin"][3] != tree["child"][3]  # the same entries, one allowance set
    assert sorted(warehouse.execute("SELECT agent_id, ancestor, distance FROM agent_ancestors").fetchall()) == [
        ("child", "root", 1), ("grandchild", "child", 1), ("grandchild", "root", 2)]
    escalated = warehouse.execute(
        "SELECT agent_id, parent, aws_excess, later_expiry FROM agent_escalation").fetchall()
    assert escalated == [("grandchild", "child", [{"action": "s3:*", "resource": "arn:aws:s3:::data/*"}], True)]
    overrides = dict(warehouse.execute(
        "SELECT agent_id, max_credential_age FROM model_agents WHERE max_credential_age IS NOT NULL").fetchall())
    assert {a: d.days for a, d in overrides.items()} == {"root": 30}


def test_sponsor_status_follows_the_clock_and_the_hr_feed(warehouse, tmp_path):
    load(warehouse, tmp_path / "m", MODEL, datetime(2026, 11, 1, tzinfo=timezone.utc))
    before = dict(warehouse.execute("SELECT sponsor_id, status FROM sponsor_status").fetchall())
    assert before == {"dave@example.com": "active", "ghost@example.com": "missing"}  # terminated in the future
    load(warehouse, tmp_path / "m", MODEL, datetime(2026, 12, 1, tzinfo=timezone.utc))
    after = dict(warehouse.execute("SELECT sponsor_id, status FROM sponsor_status").fetchall())
    assert after == {"dave@example.com": "terminated", "ghost@example.com": "missing"}
