"""The revocation ledger: append-only, and a writer that waits for a reader holding its DuckDB
file instead of losing the record of a change it already made."""

import subprocess
import sys
import time

from pipelines.revocation.ledger import Ledger

ACTION = {"action_id": "a1", "kind": "disable_identity", "provider": "aws", "scope_id": "111111111111",
          "principal": "arn:aws:iam::111111111111:role/bot", "identity_id": "AROA1", "trigger_at": None}


def row(outcome: str, **extra) -> dict:
    return {"apply_id": "x", "mode": "approve", "approver": "ann", "action": ACTION, "outcome": outcome, **extra}


def test_rows_are_appended_and_the_latest_wins(tmp_path):
    ledger = Ledger(f"duckdb:///{tmp_path / 'ledger.duckdb'}")
    ledger.record([row("done", before={"disabled_policy": None})])
    ledger.record([row("undone")])
    assert [r["outcome"] for r in ledger.attempts()] == ["done", "undone"]
    assert ledger.latest()["a1"]["outcome"] == "undone"
    assert ledger.last_effective("a1") is None  # undone: nothing left to undo
    ledger.record([row("done", before={"disabled_policy": None})])
    assert ledger.last_effective("a1")["before"] == {"disabled_policy": None}


def test_secret_named_fields_never_reach_the_ledger(tmp_path):
    ledger = Ledger(f"duckdb:///{tmp_path / 'ledger.duckdb'}")
    ledger.record([row("done", response=[{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}])])
    assert ledger.attempts()[0]["response"] == [{"SecretAccessKey": "[REDACTED]"}]


def test_a_writer_waits_for_a_reader_holding_the_file(tmp_path):
    path = tmp_path / "ledger.duckdb"
    ledger = Ledger(f"duckdb:///{path}")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); print('held', flush=True); "
        "time.sleep(1.5)"), str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    start = time.monotonic()
    ledger.record([row("done")])  # would raise "Could not set lock on file" without waiting
    assert time.monotonic() - start > 0.5
    holder.wait(timeout=10)
    assert [r["outcome"] for r in ledger.attempts()] == ["done"]
