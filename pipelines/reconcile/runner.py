"""One reconcile: every rule over the whole estate, then the findings lifecycle and the blast
radius, in the warehouse's one writer connection.

A rule whose inputs did not change since its last evaluation (same model, same HR feed, no
interval opened or closed in what it reads, same staleness) and that does not read the clock
is not evaluated again: its open findings are carried over, so an unchanged estate costs the
clock-driven rules and the bookkeeping, not the whole catalogue.
"""

import hashlib
import json
import time
from contextlib import contextmanager
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from pipelines.reconcile.catalogue import ENTITIES, Rule, needed, rules
from pipelines.warehouse import history
from pipelines.warehouse.db import SQL_DIR

BLAST_RADIUS = "blast-radius"  # its inputs are fingerprinted like a rule's
_CANDIDATES = """CREATE OR REPLACE TEMP TABLE _candidates (
    rule VARCHAR, provider VARCHAR, scope_id VARCHAR, identity_id VARCHAR, principal VARCHAR, object VARCHAR,
    agent_id VARCHAR, detail VARCHAR, evidence JSON, trigger_at TIMESTAMPTZ,
    pairs STRUCT(action VARCHAR, resource VARCHAR)[])"""


@dataclass
class Reconciled:
    run_seq: int
    evaluated: list[str]
    carried: list[str]
    timings: dict[str, float] = field(default_factory=dict)  # step -> seconds
    events: dict[str, dict[str, int]] = field(default_factory=dict)  # rule -> event -> count
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # rule -> status -> count
    # nothing the estate's decisions read changed (model, HR, observations, staleness) and no
    # finding moved: what was derived from them last time (the revocation plan) still holds
    unchanged: bool = False


def reconcile(con: duckdb.DuckDBPyConnection, run_seq: int, now: datetime, ignore: Sequence[str] = ()) -> Reconciled:
    """Reconcile the warehouse as of `now`, in one transaction: the findings move all at once."""
    con.execute("BEGIN TRANSACTION")
    try:
        result = _reconcile(con, run_seq, now, ignore)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return result


class _Timings(dict):
    """Seconds per step, for the run's record and the benchmark."""

    @contextmanager
    def __call__(self, step: str):
        start = time.perf_counter()
        yield
        self[step] = round(time.perf_counter() - start, 3)


def _reconcile(con, run_seq: int, now: datetime, ignore: Sequence[str]) -> Reconciled:
    _timed = _Timings()
    con.execute("DELETE FROM run_context")
    con.execute("INSERT INTO run_context VALUES (?, ?, ?)", [run_seq, now, list(ignore)])
    catalogue = rules()
    _rules_table(con, catalogue)
    fingerprints = _fingerprints(con, catalogue)
    stored = dict(con.execute("SELECT rule, fingerprint FROM rule_evaluations").fetchall())
    evaluate = [r for r in catalogue if r.clock or stored.get(r.id) != fingerprints[r.id]]
    for prep in needed(evaluate):
        with _timed(prep.path.stem):
            con.execute(prep.sql)
    for phase in sorted({r.phase for r in catalogue}):
        _phase(con, [r for r in catalogue if r.phase == phase], {r.id for r in evaluate}, _timed)
    if stored.get(BLAST_RADIUS) != fingerprints[BLAST_RADIUS]:  # else it holds as it was
        with _timed(BLAST_RADIUS):
            con.execute((SQL_DIR / "reconcile" / "030_blast_radius.sql").read_text())
            h = history.BLAST_RADIUS
            history.merge(con, h, [("agent",), ("sponsor",)], history.relation_source("_blast_radius", h), run_seq)
    con.execute("DELETE FROM rule_evaluations")
    con.executemany("INSERT INTO rule_evaluations VALUES (?, ?, ?)", [(k, v, run_seq) for k, v in fingerprints.items()])
    out = _summary(con, run_seq, [r.id for r in evaluate], [r.id for r in catalogue if r not in evaluate], _timed)
    out.unchanged = stored.get(BLAST_RADIUS) == fingerprints[BLAST_RADIUS] and not out.events
    return out


def _phase(con, phase_rules: list[Rule], evaluate: set[str], _timed: _Timings) -> None:
    con.execute(_CANDIDATES)
    for r in phase_rules:
        if r.id in evaluate:
            with _timed(r.id):
                con.execute(f"INSERT INTO _candidates BY NAME SELECT '{r.id}' AS rule, * FROM ({r.sql})")
        else:  # carried over: the open findings, as candidates again (exceptions may have expired)
            con.execute(
                "INSERT INTO _candidates SELECT rule, provider, scope, identity_id, principal, object, agent, detail, "
                "json_merge_patch(evidence, '{\"excepted\": null, \"not_excepted\": null}'), trigger_at, pairs "
                "FROM findings WHERE rule = ? AND status IN ('open', 'suppressed')",
                [r.id],
            )
    con.execute("CREATE OR REPLACE TEMP TABLE _phase_rules AS SELECT unnest(?::VARCHAR[]) AS rule", [[r.id for r in phase_rules]])
    _staleness(con, phase_rules)
    for step in ("010_finalize.sql", "020_merge.sql"):
        with _timed(f"phase {phase_rules[0].phase}: {step}"):
            con.execute((SQL_DIR / "reconcile" / step).read_text())


def _staleness(con, phase_rules: list[Rule]) -> None:
    """`_frozen`: the (rule, scope) pairs whose findings stay as they were, because the scope's
    latest sync of what the rule reads was incomplete or held back; `_stale`: the age of that
    observation for the rules raised from it anyway (findings.md, "Which observations a rule
    may use")."""
    reads = [(r.id, e, r.stale_ok) for r in phase_rules for e in r.reads]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _reads AS SELECT * FROM (SELECT unnest(?::VARCHAR[]) AS rule, "
        "unnest(?::VARCHAR[]) AS entity, unnest(?::BOOLEAN[]) AS stale_ok)",
        [[r for r, _, _ in reads], [e for _, e, _ in reads], [s for _, _, s in reads]],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _frozen AS SELECT DISTINCT r.rule, f.provider, f.scope_id "
        "FROM _reads r JOIN scope_freshness f USING (entity) WHERE f.stale AND NOT r.stale_ok"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _stale AS SELECT r.rule, f.provider, f.scope_id, "
        "max(f.stale_observation) AS stale_observation "
        "FROM _reads r JOIN scope_freshness f USING (entity) WHERE f.stale AND r.stale_ok GROUP BY ALL"
    )


def _rules_table(con, catalogue: tuple[Rule, ...]) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE r_rules AS SELECT * FROM (SELECT unnest(?::VARCHAR[]) AS rule, "
        "unnest(?::VARCHAR[]) AS title, unnest(?::INTEGER[]) AS severity, unnest(?::VARCHAR[]) AS sla)",
        [[r.id for r in catalogue], [r.title for r in catalogue], [r.severity for r in catalogue],
         [r.sla for r in catalogue]],
    )


def _fingerprints(con, catalogue: tuple[Rule, ...]) -> dict[str, str]:
    """What each rule (and the blast radius) reads, summarised: the model's hash, the config's
    ignores and environment labels, the last run that changed the HR feed, and per entity type
    the last run that opened or closed an interval and which scopes are observed or stale."""
    common = con.execute(
        """SELECT (SELECT any_value(model_hash) FROM model_settings),
                  (SELECT max(run_seq) FROM observation_changes WHERE entity = 'people'),
                  (SELECT any_value(ignore)::VARCHAR FROM run_context),
                  (SELECT string_agg(label, ',' ORDER BY label) FROM (
                       SELECT provider || ':' || scope_id || '=' || coalesce(arg_max(environment, run_seq), '') AS label
                       FROM scope_syncs GROUP BY provider, scope_id))"""
    ).fetchall()[0]
    entities = {
        e: (changed, signature)
        for e, changed, signature in con.execute(
            """SELECT e.entity, (SELECT max(run_seq) FROM observation_changes c WHERE c.entity = e.entity),
                      (SELECT string_agg(s, ',' ORDER BY s) FROM (
                           SELECT provider || ':' || scope_id || ':' || (observed_seq IS NOT NULL) || ':' || stale AS s
                           FROM scope_freshness f WHERE f.entity = e.entity))
               FROM (SELECT unnest(?::VARCHAR[]) AS entity) e""",
            [list(ENTITIES)],
        ).fetchall()
    }

    def digest(reads) -> str:
        text = json.dumps([list(map(str, common)), [entities.get(e) for e in reads]], default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    prints = {r.id: digest(r.reads) for r in catalogue}
    prints[BLAST_RADIUS] = digest(ENTITIES)
    return prints


def _summary(con, run_seq: int, evaluated: list[str], carried: list[str], timings: dict) -> Reconciled:
    out = Reconciled(run_seq, evaluated, carried, dict(timings))
    for rule, event, n in con.execute(
        "SELECT f.rule, e.event, count(*) FROM finding_events e JOIN findings f USING (id) WHERE e.run_seq = ? "
        "GROUP BY ALL ORDER BY ALL",
        [run_seq],
    ).fetchall():
        out.events.setdefault(rule, {})[event] = n
    for rule, status, n in con.execute("SELECT rule, status, count(*) FROM findings GROUP BY ALL ORDER BY ALL").fetchall():
        out.counts.setdefault(rule, {})[status] = n
    return out
