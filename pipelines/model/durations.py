"""Durations (`90d`, `24h`, `30m`) and instants (ISO 8601, a bare date = 00:00 UTC).

Both are parsed here rather than by pydantic's lax parsers, which would take `90` as ninety
seconds and a naive datetime as local time.
"""

import re
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from pipelines.located import describe, invalid

_DURATION = re.compile(r"([0-9]+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INSTANT_EXPECTED = "expected a date like 2027-06-30 or an instant like 2027-06-30T17:00:00Z, got "


def parse_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    m = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if not m:
        raise invalid(f"expected a duration like 90d, 24h or 30m, got {describe(value)}")
    return timedelta(**{_UNITS[m[2]]: int(m[1])})


def format_duration(value: timedelta) -> str:
    """The shortest exact spelling: 90d, 36h, 90m."""
    minutes = int(value.total_seconds()) // 60
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def parse_instant(value: Any) -> datetime:
    """A timezone-aware UTC datetime. A time without an offset is taken as UTC: a policy file
    read on machines in several time zones must mean one instant."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = date.fromisoformat(value) if _DATE.fullmatch(value) else datetime.fromisoformat(value)
        except ValueError as e:
            # Python's reason helps for a real but impossible date ("day is out of range").
            reason = "" if str(e).startswith("Invalid isoformat") else f" ({e})"
            raise invalid(_INSTANT_EXPECTED + describe(value) + reason) from None
        return parse_instant(parsed)
    else:
        raise invalid(_INSTANT_EXPECTED + describe(value))
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def format_instant(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


Duration = Annotated[
    timedelta,
    PlainValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]+[dhm]$", "examples": ["90d", "24h", "30m"]}),
]

Instant = Annotated[
    datetime,
    PlainValidator(parse_instant),
    PlainSerializer(format_instant, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "anyOf": [{"format": "date"}, {"format": "date-time"}],
            "examples": ["2027-06-30", "2027-06-30T17:00:00Z"],
        }
    ),
]
