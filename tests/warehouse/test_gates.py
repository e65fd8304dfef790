"""The publication gates on planted bad loads: a held-back scope publishes nothing, the others
go through, and each verdict says why."""

from datetime import datetime, timezone

import pytest

from connectors.records import ENTITY_TYPES, Scope, stable_id
from pipelines.staging import StagingStore, new_run_id
from pipelines.warehouse import begin_run, connect, load_scopes

GOOD, BAD = Scope("aws", "111111111111"), Scope("aws", "222222222222")


def user(n: int, **extra) -> dict:
    return {"identity_id": f"AIDA{n:06d}", "principal": f"arn:aws:iam::111111111111:user/u{n}", "name": f"u{n}",
            "kind": "aws_user", "disabled": False, **extra}


STMT = {"statement_id": stable_id("s"), "effect": "Allow", "actions": ["s3:GetObject"], "resources": ["*"]}


def grant(identity_id: str) -> dict:
    return {"identity_id": identity_id, "source": "inline:p", "statement_index": 0, "grant_kind": "aws_statement",
            "path": "inline", "statement_id": STMT["statement_id"]}


@pytest.fixture
def warehouse(tmp_path):
    store = StagingStore(str(tmp_path / "staging"))
    con = connect(tmp_path / "idrift.duckdb")

    def sync(rows: dict[Scope, dict[str, list[dict]]], max_drop: float = 0.3):
        run_id = new_run_id()
        staged = []
        for scope, entities in rows.items():
            w = store.open_scope(run_id, scope)
            for entity, items in entities.items():
                w.write(entity, items)
            w.write("statements", [STMT])
            for e in ENTITY_TYPES:
                w.complete(e)
            staged.append(w.close())
        seq = begin_run(con, run_id, datetime.now(timezone.utc), "test")
        loaded = load_scopes(con, store, staged, seq, max_drop)
        return seq, loaded

    yield con, sync
    con.close()


def published(con, scope: Scope) -> int:
    return con.execute("SELECT count(*) FROM identity_history WHERE scope_id = ? AND valid_to IS NULL",
                       [scope.scope_id]).fetchall()[0][0]


@pytest.mark.parametrize("bad, gate, says", [
    ({"identities": [user(1), user(2, identity_id=None)]}, "keys", "identities: a key is missing"),
    ({"identities": [user(1), user(1)]}, "keys", "appears more than once"),
    ({"identities": [user(1)], "grants": [grant("AIDA999999")]}, "references", "grant of unknown identity AIDA999999"),
    ({"identities": [user(1, tags='{"note": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}')]}, "secrets",
     "a secret-shaped value in identity"),
])
def test_a_bad_scope_is_held_back_and_a_good_one_goes_through(warehouse, bad, gate, says):
    con, sync = warehouse
    seq, loaded = sync({GOOD: {"identities": [user(7)], "grants": [grant("AIDA000007")]}, BAD: bad})

    assert loaded.held == {BAD.key: next(f"{gate}: {v.reason}" for v in loaded.verdicts if not v.passed)}
    assert says in loaded.held[BAD.key]
    assert (published(con, GOOD), published(con, BAD)) == (1, 0)
    rows = con.execute("SELECT scope_id, published, held_reason IS NOT NULL FROM scope_syncs WHERE run_seq = ? "
                       "ORDER BY scope_id", [seq]).fetchall()
    assert rows == [(GOOD.scope_id, True, False), (BAD.scope_id, False, True)]
    verdicts = con.execute("SELECT gate, passed FROM gate_results WHERE run_seq = ? AND scope_id = ?",
                           [seq, BAD.scope_id]).fetchall()
    assert dict(verdicts)[gate] is False and sum(not p for _, p in verdicts) == 1


def test_key_ids_are_identifiers_not_secrets(warehouse):
    con, sync = warehouse
    _, loaded = sync({GOOD: {"identities": [user(1, tags='{"key": "AKIAIOSFODNN7EXAMPLE"}')]}})
    assert loaded.held == {}


def test_the_drop_guard_holds_a_halved_scope_until_accepted(warehouse):
    from pipelines.warehouse.load import accept_drop

    con, sync = warehouse
    sync({GOOD: {"identities": [user(n) for n in range(10)]}})
    _, loaded = sync({GOOD: {"identities": [user(n) for n in range(5)]}})  # half of them gone
    assert "drop_guard: identities fell from 10 to 5 (50%, more than 30%)" in loaded.held[GOOD.key]
    assert published(con, GOOD) == 10  # the last published observation stays current
    _, loaded = sync({GOOD: {"identities": [user(n) for n in range(8)]}})  # a 20 % drop passes
    assert loaded.held == {} and published(con, GOOD) == 8

    _, loaded = sync({GOOD: {"identities": [user(n) for n in range(2)]}})
    assert GOOD.key in loaded.held
    assert accept_drop(con, GOOD.scope_id, "decommissioned the old batch users", "carol") == GOOD.key
    _, loaded = sync({GOOD: {"identities": [user(n) for n in range(2)]}})
    assert loaded.held == {} and published(con, GOOD) == 2
    _, loaded = sync({GOOD: {"identities": []}})  # the acceptance let one sync through, not all
    assert GOOD.key in loaded.held


def test_a_scope_staged_as_last_published_is_neither_gated_nor_merged_again(warehouse, tmp_path):
    from connectors.records import ENTITY_TYPES
    from pipelines.warehouse.load import unchanged_entities

    con, sync = warehouse
    rows = {GOOD: {"identities": [user(n) for n in range(3)], "grants": [grant("AIDA000001")]}}
    sync(rows)
    store = StagingStore(str(tmp_path / "staging"))
    again = [s for run in sorted(p.name for p in (tmp_path / "staging").iterdir() if p.name[0].isdigit())
             for s in store.staged_scopes(run)]
    assert again and again[0].digests["grants"]
    assert unchanged_entities(con, again) == {GOOD.key: set(ENTITY_TYPES)}  # its own bytes, as published
    before = con.execute("SELECT count(*) FROM gate_results").fetchall()[0][0]
    seq, loaded = sync(rows)
    assert loaded.held == {} and loaded.changes == {}
    assert con.execute("SELECT count(*) FROM observation_changes WHERE run_seq = ?", [seq]).fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM gate_results").fetchall()[0][0] == before + 4  # recorded as passed
    _, loaded = sync({GOOD: {"identities": [user(n) for n in range(4)], "grants": [grant("AIDA000001")]}})
    assert loaded.changes[GOOD.key]["identities"] == (1, 0)  # a changed file is read again
