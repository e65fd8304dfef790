"""The HR feed: a CSV of people (id, email, status, terminated_at, manager).

It decides sponsors' status (declared-model.md, "Sponsor status"). The file is validated as a
whole: a feed with a bad row is not half-used, because a missing row would read as "sponsor
unknown" and orphan every agent of that person.
"""

import csv
from dataclasses import dataclass
from datetime import datetime, time, timezone
from pathlib import Path

COLUMNS = ("id", "email", "status", "terminated_at", "manager")
STATUSES = ("active", "suspended", "terminated")


@dataclass
class HrFeedError(Exception):
    path: str
    errors: list[str]

    def __str__(self) -> str:
        return "\n".join(f"{self.path}:{e}" for e in self.errors)


def parse_instant(text: str) -> datetime:
    """ISO 8601; a bare date means 00:00 UTC that day; a naive time is UTC."""
    text = text.strip()
    if len(text) == 10:
        return datetime.combine(datetime.fromisoformat(text).date(), time(), tzinfo=timezone.utc)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def read_people(path: str | Path) -> list[dict]:
    """Every person of the feed, validated; raises `HrFeedError` listing every bad line."""
    path = Path(path)
    errors: list[str] = []
    people: list[dict] = []
    seen: dict[str, int] = {}
    try:
        f = path.open(newline="", encoding="utf-8-sig")
    except OSError as e:
        raise HrFeedError(str(path), [f"1: cannot read the HR feed: {e.strerror}"]) from None
    with f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise HrFeedError(str(path), [f"1: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}"])
        for row in reader:
            line = reader.line_num
            person_id = (row["id"] or "").strip()
            status = (row["status"] or "").strip().lower()
            if not person_id:
                errors.append(f"{line}: id: empty")
                continue
            if person_id.lower() in seen:
                errors.append(f"{line}: id: duplicate person {person_id!r} (also on line {seen[person_id.lower()]})")
            seen[person_id.lower()] = line
            if status not in STATUSES:
                errors.append(f"{line}: status: {status!r} is not one of {', '.join(STATUSES)}")
            terminated_at = None
            if (row["terminated_at"] or "").strip():
                try:
                    terminated_at = parse_instant(row["terminated_at"])
                except ValueError:
                    errors.append(f"{line}: terminated_at: {row['terminated_at']!r} is not an ISO 8601 date or instant")
            people.append(
                {
                    "person_id": person_id,
                    "email": (row["email"] or "").strip() or None,
                    "status": status,
                    "terminated_at": terminated_at,
                    "manager": (row["manager"] or "").strip() or None,
                }
            )
    if errors:
        raise HrFeedError(str(path), errors)
    return people
