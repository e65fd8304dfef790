"""What an event-driven re-check looks at, without Dagster and without the warehouse (sensors
run next to a writing run and must not open it): a changed HR feed, read against the statuses
seen last time, and the scopes the declared model says a leaving sponsor's chains hold."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from connectors import hr
from pipelines.model import DeclaredModel

LEFT = ("suspended", "terminated")


@dataclass(frozen=True)
class HrChange:
    digest: str  # of the file's bytes
    statuses: dict[str, str]  # person -> status now
    left: set[str]  # people (ids and emails) who became suspended or terminated since last time
    changed_at: datetime  # the file's modification time


def hr_change(path: Path, previous: dict[str, str] | None, now: datetime | None = None) -> HrChange:
    """Read the HR feed and compare it with `previous` (person -> status). A termination still
    in the future is not a departure yet. Raises hr.HrFeedError for a bad feed."""
    now = now or datetime.now(timezone.utc)
    people = hr.read_people(path)
    statuses = {
        p["person_id"]: ("active" if p["status"] == "terminated" and p["terminated_at"] and p["terminated_at"] > now
                         else p["status"])
        for p in people
    }
    before = previous or {}
    left = set()
    for p in people:
        if statuses[p["person_id"]] in LEFT and before.get(p["person_id"], "active") not in LEFT:
            left |= {p["person_id"], *([p["email"]] if p["email"] else [])}
    changed = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    return HrChange(hashlib.sha256(path.read_bytes()).hexdigest(), statuses, left if previous is not None else set(),
                    changed)


def recheck_selection(model: DeclaredModel, people: set[str]) -> list[str]:
    """`--only` values re-syncing what `people`'s chains hold: their scopes (a provider whose
    principals do not name their scope: the whole provider), and the HR feed."""
    return sorted({provider if scope == "*" else scope for provider, scope in model.chain_scopes(people)} | {"hr"})
