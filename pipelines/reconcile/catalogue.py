"""The rule catalogue and the prepared relations, read from their SQL files' headers.

A rule is `sql/rules/<ID>.sql`: a header an auditor reads (id, title, severity, standards,
remediation, and how it runs), then one SELECT over the whole estate yielding candidate
findings. A prepared relation (`sql/prepare/*.sql`) is work several rules share, materialised
once per reconcile, and only when a rule that runs needs it.
"""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ruamel.yaml import YAML

from pipelines.warehouse.db import SQL_DIR

ENTITIES = ("identities", "credentials", "grants", "edges")
SLA_CLASSES = ("sponsor_inactive", "expired", "default", "none")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: int
    maps_to: tuple[str, ...]
    remediation: str
    reads: tuple[str, ...]  # entity types whose staleness freezes its findings, and whose changes re-run it
    sla: str  # which revocation SLA applies to its findings (GOV-REVOCATION-LAG)
    clock: bool  # its answer moves with time alone: never carried over
    stale_ok: bool  # raised from a stale observation too (model, HR and clock-driven rules)
    phase: int  # 2: reads the findings of phase 1
    description: str
    sql: str


@dataclass(frozen=True)
class Prepared:
    path: Path
    creates: tuple[str, ...]
    needs: tuple[str, ...]
    sql: str


def _header(path: Path) -> tuple[dict, str, str]:
    """The `-- key: value` lines (YAML), the prose after them, and the SQL body."""
    lines = path.read_text().splitlines()
    head, prose, i = [], [], 0
    while i < len(lines) and lines[i].startswith("-- ") and ":" in lines[i]:
        head.append(lines[i][3:])
        i += 1
    while i < len(lines) and lines[i].startswith("--"):
        prose.append(lines[i][2:].strip())
        i += 1
    return YAML(typ="safe").load("\n".join(head)) or {}, " ".join(p for p in prose if p), "\n".join(lines[i:])


def _rule(path: Path) -> Rule:
    h, prose, sql = _header(path)
    if h.get("id") != path.stem:
        raise ValueError(f"{path}: the header's id {h.get('id')!r} must be the file's name")
    reads = tuple(h.get("reads") or ())
    if set(reads) - set(ENTITIES) or h.get("sla") not in SLA_CLASSES or not 1 <= int(h["severity"]) <= 5:
        raise ValueError(f"{path}: reads must be among {ENTITIES}, sla among {SLA_CLASSES}, severity 1-5")
    return Rule(
        id=h["id"], title=h["title"], severity=int(h["severity"]), maps_to=tuple(map(str, h.get("maps_to") or ())),
        remediation=str(h["remediation"]), reads=reads, sla=h["sla"], clock=bool(h.get("clock")),
        stale_ok=bool(h.get("stale_ok")), phase=int(h.get("phase", 1)), description=prose, sql=sql.strip(),
    )


@cache
def rules() -> tuple[Rule, ...]:
    return tuple(_rule(p) for p in sorted((SQL_DIR / "rules").glob("*.sql")))


@cache
def prepared() -> tuple[Prepared, ...]:
    out = []
    for p in sorted((SQL_DIR / "prepare").glob("*.sql")):
        h, _, sql = _header(p)
        out.append(Prepared(p, tuple(h["creates"]), tuple(h.get("needs") or ()), sql))
    return tuple(out)


def needed(selected: list[Rule]) -> list[Prepared]:
    """The prepared relations the selected rules use, with what those use, in file order."""
    by_table = {t: p for p in prepared() for t in p.creates}
    wanted = {t for r in selected for t in by_table if re.search(rf"\b{t}\b", r.sql)}
    # r_rules is the runner's own; these serve every phase (severity) and the blast radius
    wanted |= {"r_identity_grants", "r_identities"}
    while True:
        more = {n for t in wanted for n in by_table[t].needs} - wanted
        if not more:
            break
        wanted |= more
    return [p for p in prepared() if set(p.creates) & wanted]
