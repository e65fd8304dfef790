"""The interval store: syncs open and close versions; unchanged syncs write nothing; an
incomplete sync changes nothing; "as of run N" answers come from the intervals."""

from datetime import datetime, timezone

import pytest

from connectors.records import ENTITY_TYPES, Scope, stable_id
from pipelines.staging import StagingStore, new_run_id
from pipelines.warehouse import begin_run, connect, end_run, load_scopes

SCOPE = Scope("aws", "111122223333", environment="prod")
USER = {"identity_id": "AIDAUSER1", "principal": "arn:aws:iam::111122223333:user/bot", "name": "bot",
        "kind": "aws_user", "disabled": False}


def statement(actions: list[str]) -> dict:
    return {"statement_id": stable_id("Allow", actions), "effect": "Allow", "actions": actions,
            "resources": ["*"]}


def grant(stmt: dict, index: int) -> dict:
    return {"identity_id": USER["identity_id"], "grant_kind": "aws_statement", "source": "inline:p",
            "path": "inline", "statement_index": index, "statement_id": stmt["statement_id"]}


@pytest.fixture
def warehouse(tmp_path):
    store = StagingStore(str(tmp_path / "staging"))
    con = connect(tmp_path / "idrift.duckdb")

    def sync(statements: list[dict], incomplete: str | None = None, user: dict = USER) -> int:
        run_id = new_run_id()
        w = store.open_scope(run_id, SCOPE)
        w.write("identities", [user])
        w.write("statements", statements)
        w.write("grants", [grant(s, i) for i, s in enumerate(statements)])
        for e in ENTITY_TYPES:
            w.incomplete(e, "GAAD page 2 failed") if e == incomplete else w.complete(e)
        staged = w.close()
        seq = begin_run(con, run_id, datetime.now(timezone.utc), "test")
        load_scopes(con, store, [staged], seq)
        end_run(con, seq, datetime.now(timezone.utc))
        return seq

    yield con, sync
    con.close()


def counts(con) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("identity_history", "grant_history", "statements", "credential_history", "edge_history")}


def held_actions(con, run_seq: int) -> list[list[str]]:
    return sorted(r[0] for r in con.execute(
        "SELECT actions FROM grants_as_of(?) WHERE identity_id = 'AIDAUSER1'", [run_seq]).fetchall())


def test_three_syncs_as_of_answers_and_no_rows_for_unchanged(warehouse):
    con, sync = warehouse
    read, write = statement(["s3:GetObject"]), statement(["s3:PutObject"])

    r1 = sync([read])
    before = counts(con)
    r2 = sync([read])  # unchanged
    assert counts(con) == before, "an unchanged sync must add no observation rows"
    r3 = sync([read, write])  # one grant added
    r4 = sync([write])  # one removed (the first statement goes; the second moves to index 0)

    assert held_actions(con, r1) == [["s3:GetObject"]]
    assert held_actions(con, r2) == [["s3:GetObject"]]
    assert held_actions(con, r3) == [["s3:GetObject"], ["s3:PutObject"]]
    assert held_actions(con, r4) == [["s3:PutObject"]]
    assert con.execute("SELECT count(*) FROM identity_history").fetchone()[0] == 1  # never changed
    current = con.execute("SELECT actions FROM current_grants").fetchall()
    assert current == [(["s3:PutObject"],)]


def test_as_of_a_date_picks_the_run_that_had_ended(warehouse):
    con, sync = warehouse
    r1 = sync([statement(["iam:*"])])
    between = datetime.now(timezone.utc)
    sync([])
    assert con.execute("SELECT run_as_of(?)", [between]).fetchone()[0] == r1
    rows = con.execute("SELECT count(*) FROM grants_as_of(run_as_of(?))", [between]).fetchone()[0]
    assert rows == 1
    assert con.execute("SELECT count(*) FROM current_grants").fetchone()[0] == 0


def test_incomplete_sync_changes_nothing_and_marks_observation_stale(warehouse):
    con, sync = warehouse
    admin = statement(["*"])
    r1 = sync([admin])
    r2 = sync([], incomplete="grants")  # the grants read failed: an empty page is not "revoked"
    assert held_actions(con, r2) == [["*"]]
    row = con.execute(
        "SELECT observed_seq, stale FROM scope_freshness WHERE entity = 'grants'").fetchone()
    assert row == (r1, True)
    ident = con.execute("SELECT observed_seq, stale FROM scope_freshness WHERE entity = 'identities'").fetchone()
    assert ident == (r2, False)
    sync_row = con.execute(
        "SELECT status, grants_complete, reasons->>'grants' FROM scope_syncs WHERE run_seq = ?", [r2]).fetchone()
    assert sync_row == ("incomplete", False, "GAAD page 2 failed")
    assert con.execute("SELECT count(*) FROM current_grants").fetchone()[0] == 1


def test_activity_is_refreshed_in_place_and_a_changed_attribute_opens_a_version(warehouse):
    con, sync = warehouse
    used = lambda day: {**USER, "last_authenticated_at": datetime(2026, 11, day, tzinfo=timezone.utc)}  # noqa: E731
    sync([], user=used(1))
    before = counts(con)
    sync([], user=used(2))  # a busy identity: its last use moves every sync
    assert counts(con) == before
    assert con.execute("SELECT last_authenticated_at FROM current_identities").fetchone()[0].day == 2
    r3 = sync([], user={**used(2), "disabled": True})
    versions = con.execute("SELECT valid_from, valid_to, disabled FROM identity_history ORDER BY valid_from").fetchall()
    assert versions == [(1, r3, False), (r3, None, True)]
