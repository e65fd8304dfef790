"""The per-run report folder `reports/<run-id>/`, written from a published snapshot.

index.html is self-contained (inline style, no script, no fetch) and autoescaped: every value
from a provider is text, never markup. The CSV / JSONL files hold every finding; the HTML lists
the highest-ranked ones (severity, then the blast radius of their agent). manifest.json lists
every file's sha256 and what the run saw and left out. revocations.csv lists every planned
action with its state in the ledger, and the executed ones that left the plan since.
"""

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from connectors.records import ENTITY_TYPES
from pipelines.publish import Snapshot
from pipelines.reconcile.catalogue import rules
from pipelines.report.records import REVOCATION_FIELDS, STATUSES, csv_lines, jsonl, records, revocation_records

HTML_FINDINGS = 2000
SEVERITY_NAMES = {1: "info", 2: "low", 3: "medium", 4: "high", 5: "critical"}
SDKS = ("boto3", "botocore", "google-cloud-iam", "azure-identity", "duckdb", "dagster", "policy-sentry")
IDENTITY_FIELDS = (
    "provider", "scope", "principal", "identity_id", "kind", "name", "created_at", "disabled", "last_authenticated_at",
    "is_person", "ignored", "agents", "sponsor", "admin", "active_credentials", "open_findings",
)


class ReportExists(Exception):
    """A report folder is never overwritten."""


def versions() -> dict[str, str | None]:
    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {"idrift": version("idrift"), **{name: version(name) for name in SDKS}}


def write_report(snapshot: Snapshot, out: Path) -> Path:
    folder = out / snapshot.run["run_id"]
    if folder.exists():
        raise ReportExists(f"{folder} exists already; a report is never overwritten")
    folder.mkdir(parents=True)
    con = snapshot.connect()
    try:
        _write_lines(folder / "findings.jsonl", jsonl(records(con)))
        _write_lines(folder / "findings.csv", csv_lines(records(con)))
        _write_lines(folder / "identities.csv", csv_lines(_identities(con), IDENTITY_FIELDS))
        _write_lines(folder / "revocations.csv", csv_lines(revocation_records(con), REVOCATION_FIELDS))
        scopes = _scopes(con)
        (folder / "index.html").write_text(_html(con, snapshot.run, scopes), encoding="utf-8")
        _manifest(con, folder, snapshot.run, scopes)
    finally:
        con.close()
    return folder


def _write_lines(path: Path, lines) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.writelines(lines)


def _identities(con):
    cursor = con.execute(f"SELECT {', '.join(IDENTITY_FIELDS)} FROM identities")
    while batch := cursor.fetchmany(10_000):
        for row in batch:
            yield {k: (v.isoformat().replace("+00:00", "Z") if hasattr(v, "isoformat") else v)
                   for k, v in zip(IDENTITY_FIELDS, row)}


def _scopes(con) -> list[dict[str, Any]]:
    scopes: dict[tuple, dict] = {}
    for row in con.execute(
        "SELECT provider, scope_id, environment, status, entity, observed_at, stale, reasons, error, "
        "identities_rows, credentials_rows, grants_rows, edges_rows, identities_complete, credentials_complete, "
        "grants_complete, edges_complete FROM scopes ORDER BY provider, scope_id, entity"
    ).fetchall():
        provider, scope_id, env, status, entity, observed_at, stale, reasons, error, *counts = row
        s = scopes.setdefault((provider, scope_id), {
            "provider": provider, "scope_id": scope_id, "environment": env, "status": status,
            "rows": dict(zip(ENTITY_TYPES, counts[:4])), "complete": dict(zip(ENTITY_TYPES, counts[4:])),
            "stale": {}, "observed_at": {},
            "reasons": "; ".join(f"{k}: {v}" for k, v in json.loads(reasons or "{}").items() if v) or (error or ""),
        })
        s["stale"][entity] = bool(stale)
        s["observed_at"][entity] = observed_at.isoformat().replace("+00:00", "Z") if observed_at else "never"
    return list(scopes.values())


def _html(con, run: dict, scopes: list[dict]) -> str:
    summary = {}
    for rule, title, severity, status, n in con.execute(
        "SELECT rule, any_value(title), max(severity), status, count(*) FROM findings GROUP BY rule, status"
    ).fetchall():
        s = summary.setdefault(rule, {"rule": rule, "title": title, "severity": 0, "counts": {}})
        s["severity"] = max(s["severity"], severity)
        s["counts"][status] = n
    for s in summary.values():
        s["severity_name"] = SEVERITY_NAMES[s["severity"]]
    by_severity = con.execute(
        "SELECT severity, count(*) FROM findings WHERE status = 'open' GROUP BY ALL ORDER BY severity DESC"
    ).fetchall()
    blast = []
    for kind, column in (("sponsor", "sponsor"), ("agent", "agent")):
        rows = con.execute(
            f"SELECT b.*, (SELECT count(*) FROM findings f WHERE f.{column} = b.subject AND f.status = 'open') "
            "AS open_findings FROM blast_radius b WHERE subject_kind = ? "
            "ORDER BY admin_grants DESC, identities DESC, grants DESC, subject LIMIT 10",
            [kind],
        )
        names = [d[0] for d in rows.description]
        blast.append((kind, [dict(zip(names, r)) for r in rows.fetchall()]))
    total = con.execute("SELECT count(*) FROM findings").fetchall()[0][0]
    ranked = con.execute(
        "SELECT f.id FROM findings f LEFT JOIN blast_radius b ON b.subject_kind = 'agent' AND b.subject = f.agent "
        "ORDER BY f.status = 'resolved', f.severity DESC, coalesce(b.admin_grants, 0) DESC, "
        "coalesce(b.identities, 0) DESC, f.rule, f.principal LIMIT ?",
        [HTML_FINDINGS],
    ).fetchall()
    order = {fid: i for i, (fid,) in enumerate(ranked)}
    shown = sorted((r for r in records(con) if r["id"] in order), key=lambda r: order[r["id"]])
    for f in shown:
        f["evidence_text"] = json.dumps(f["evidence"], indent=1, ensure_ascii=False)
    env = Environment(
        loader=PackageLoader("pipelines.report"), autoescape=select_autoescape(default=True, default_for_string=True)
    )
    return env.get_template("index.html.j2").render(
        run=run, summary=sorted(summary.values(), key=lambda s: (-s["severity"], s["rule"])), statuses=STATUSES,
        by_severity=by_severity, severity_names=SEVERITY_NAMES, blast=blast, scopes=scopes, entities=ENTITY_TYPES,
        findings=shown, shown=len(shown), total=total, truncated=total > len(shown), rules=rules(),
        versions=versions(), revocation=_revocation(con, run),
    )


def _revocation(con, run: dict) -> dict:
    rows = list(revocation_records(con))
    states: dict[str, int] = {}
    for r in rows:
        states[r["state"]] = states.get(r["state"], 0) + 1
    mode = (run.get("revocation") or {}).get("mode")
    return {"rows": rows[:HTML_FINDINGS], "states": sorted(states.items()), "summary": run.get("revocation") or {},
            "mode": mode or "see the model"}


def _manifest(con, folder: Path, run: dict, scopes: list[dict]) -> None:
    files = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.name != "manifest.json"
    }
    ignored = [r[0] for r in con.execute("SELECT principal FROM identities WHERE ignored ORDER BY principal").fetchall()]
    manifest = {
        "run_id": run["run_id"],
        "time_window": {"started_at": run["started_at"], "ended_at": run["ended_at"]},
        "files": files,
        "model": {"hash": run["model_hash"], "git_commit": run.get("model_git_commit"), "path": run.get("model_path")},
        "versions": versions(),
        "config": run.get("config"),
        "sources": [
            {k: s[k] for k in ("provider", "scope_id", "environment", "status", "rows", "complete")} | {
                "reasons": s["reasons"] or None}
            for s in scopes
        ],
        "excluded": {
            "ignored_principals": ignored,
            "scopes_not_synced": [f"{s['provider']}:{s['scope_id']}" for s in scopes if s["status"] != "complete"],
        },
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str))
