"""The declared model's tables in the warehouse, replaced from the model on every run."""

import duckdb

from pipelines.model import DeclaredModel


def load_sponsors(con: duckdb.DuckDBPyConnection, model: DeclaredModel) -> None:
    listed = {s.id: s for s in model.sponsors}
    named = {a.sponsor for a in model.agents if a.sponsor} - listed.keys()
    rows = [(s.id, True, s.status, s.terminated_at, s.manager) for s in listed.values()]
    rows += [(sponsor, False, None, None, None) for sponsor in sorted(named)]
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM declared_sponsors")
    if rows:
        con.executemany("INSERT INTO declared_sponsors VALUES (?, ?, ?, ?, ?)", rows)
    con.execute("COMMIT")
