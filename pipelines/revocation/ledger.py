"""The revocation ledger: every attempt and verification, and the accepted model changes.

Append-only SQLAlchemy tables (declared here, never reflected: reflection fails on
duckdb-engine with SQLAlchemy 2.1), in their own database so that a team can point them at
Postgres with a URL (`ledger:` in the config); by default a DuckDB file next to the warehouse.
Nothing is ever updated in place: a verification, an undo or a refusal is one more row, and
an action's state is its latest row.
"""

import json
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from pipelines.secrets import redact

metadata = sa.MetaData()

attempts = sa.Table(
    "revocation_attempts", metadata,
    sa.Column("attempt_id", sa.String, primary_key=True),
    sa.Column("apply_id", sa.String, nullable=False),     # one `revoke apply`, `undo` or verifying run
    sa.Column("action_id", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("provider", sa.String, nullable=False),
    sa.Column("scope_id", sa.String, nullable=False),
    sa.Column("principal", sa.String, nullable=False),
    sa.Column("mode", sa.String, nullable=False),          # dry_run | approve | auto | undo | verify
    sa.Column("approver", sa.String),
    sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
    # started (written before the provider call) | done | already_done | skipped | failed | dry_run |
    # refused | undone | verified | not_effective
    sa.Column("outcome", sa.String, nullable=False),
    sa.Column("reason", sa.String),
    sa.Column("action", sa.JSON, nullable=False),          # the planned action as executed (undo needs no plan)
    sa.Column("request", sa.JSON),                         # the write calls made, no secret in them
    sa.Column("response", sa.JSON),
    sa.Column("before", sa.JSON),                          # the state `undo` restores
    sa.Column("trigger_at", sa.DateTime(timezone=True)),
    sa.Column("lag_seconds", sa.Float),                    # verification: trigger -> the sync that saw it gone
)

model_acceptances = sa.Table(
    "model_acceptances", metadata,
    sa.Column("model_hash", sa.String, nullable=False),
    sa.Column("reason", sa.String, nullable=False),
    sa.Column("accepted_by", sa.String, nullable=False),
    sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
)

# An action is waiting for its verification after these; a later one of the others ends that.
EFFECTIVE = ("done", "already_done")


class Ledger:
    def __init__(self, url: str, read_only: bool = False):
        # NullPool: no file stays open between calls, so another process may write next
        args = {"read_only": True} if read_only and url.startswith("duckdb:") else {}
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=args)
        sa.event.listen(self.engine, "do_connect", _wait_for_the_file)
        if not read_only:
            metadata.create_all(self.engine)

    def record(self, rows: Iterable[dict[str, Any]]) -> None:
        now = datetime.now(timezone.utc)
        rows = [_row(r, now) for r in rows]
        if rows:
            with self.engine.begin() as c:
                c.execute(attempts.insert(), rows)

    def latest(self) -> dict[str, dict]:
        """Each action's latest row, by action id (undo and verification read these)."""
        ranked = sa.select(
            attempts, sa.func.row_number().over(
                partition_by=attempts.c.action_id,
                order_by=(attempts.c.attempted_at.desc(), attempts.c.attempt_id.desc())).label("n")
        ).subquery()
        with self.engine.connect() as c:
            return {r["action_id"]: dict(r) for r in c.execute(sa.select(ranked).where(ranked.c.n == 1)).mappings()}

    def last_effective(self, action_id: str) -> dict | None:
        """The action's last `done` attempt, if nothing undid it since (what `undo` reverses)."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(attempts).where(attempts.c.action_id == action_id)
                             .order_by(attempts.c.attempted_at, attempts.c.attempt_id)).mappings().all()
        last = None
        for r in rows:
            if r["outcome"] == "done":
                last = dict(r)
            elif r["outcome"] == "undone":
                last = None
        return last

    def attempts(self) -> list[dict]:
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(sa.select(attempts).order_by(attempts.c.attempted_at)).mappings()]

    def accept_model(self, model_hash: str, reason: str, by: str) -> None:
        with self.engine.begin() as c:
            c.execute(model_acceptances.insert().values(
                model_hash=model_hash, reason=reason, accepted_by=by, accepted_at=datetime.now(timezone.utc)))

    def accepted_models(self) -> set[str]:
        with self.engine.connect() as c:
            return {r[0] for r in c.execute(sa.select(model_acceptances.c.model_hash))}


def _wait_for_the_file(dialect, record, cargs, cparams, tries: int = 40, pause: float = 0.25):
    """A DuckDB ledger is one process's at a time: while a reader (`revoke plan`) holds it, a
    writer waits (up to 10 s) instead of failing after the provider call it must record."""
    for attempt in range(tries):
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as e:  # duckdb.IOException: "Could not set lock on file"
            if "lock" not in str(e).lower() or attempt == tries - 1:
                raise
            time.sleep(pause)


def new_apply_id() -> str:
    return uuid.uuid4().hex[:12]


def _row(r: dict, now: datetime) -> dict:
    action = r["action"]
    row = {
        "attempt_id": uuid.uuid4().hex, "attempted_at": r.get("attempted_at", now),
        "action_id": action["action_id"], "kind": action["kind"], "provider": action["provider"],
        "scope_id": action["scope_id"], "principal": action["principal"], "trigger_at": action.get("trigger_at"),
        **{k: r.get(k) for k in ("apply_id", "mode", "approver", "outcome", "reason", "lag_seconds")},
    }
    # Requests and responses pass through the secret redaction the staging store uses: a provider
    # answer that carried a secret would not reach the ledger with it.
    for k in ("action", "request", "response", "before"):
        row[k] = None if r.get(k) is None else redact(json.loads(json.dumps(r[k], default=str)))
    return row


def current_states(url: str) -> dict[str, dict] | None:
    """Each action's latest row, read-only, for the read commands; None when the ledger cannot
    be read now (not created yet, or a writer holds its DuckDB file)."""
    try:
        return Ledger(url, read_only=True).latest()
    except sa.exc.SQLAlchemyError:
        return None
