"""Keeping secret values out of everything idrift writes.

Two layers: provider responses are redacted by field name before they are kept as raw pages,
and `looks_secret` recognises secret-shaped values wherever they hide (tags, descriptions),
for the publication gate. Access-key *ids* (AKIA..., ASIA...) are identifiers, not secrets.
"""

import re
from typing import Any

REDACTED = "[REDACTED]"

# Field names whose values are secrets in the provider APIs we call (compared lowercase).
SECRET_FIELDS = frozenset(
    {
        "secretaccesskey",
        "sessiontoken",
        "password",
        "privatekey",
        "privatekeydata",
        "secrettext",
        "client_secret",
        "clientsecret",
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "bearer",
        "authorization",
    }
)

# The patterns, in the syntax both Python's `re` and DuckDB's RE2 read: the publication gate
# (SQL, over whole loads) and `looks_secret` (Python) judge alike.
SECRET_VALUE = (
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----"  # PEM private keys
    r"|\bFQoGZXIvYXdzE|\bIQoJb3JpZ2luX2Vj"  # AWS session token prefixes
    r"|\bya29\.[0-9A-Za-z_-]{20,}"  # Google OAuth access token
    r"|\bxox[abpr]-[0-9A-Za-z-]{10,}"  # Slack tokens
    r"|\bgh[pousr]_[0-9A-Za-z]{30,}"  # GitHub tokens
    r"|\beyJ[0-9A-Za-z_-]{10,}\.eyJ[0-9A-Za-z_-]{10,}\.[0-9A-Za-z_-]+"  # JWTs
)
# An AWS secret access key: 40 characters of base64 standing alone, mixed case with a digit.
# Hex digests of the same length (git commits, sha1) are not secrets, nor are CamelCase
# identifiers (IAM actions such as inspector2:BatchUpdateMemberEc2DeepInspectionStatus), which
# random base64 almost never resembles.
AWS_SECRET_CANDIDATE = r"(?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"
CAMEL_CASE = r"^[A-Za-z][a-z0-9]*(?:[A-Z][a-z0-9]+)+$"

_SECRET_VALUE = re.compile(SECRET_VALUE)
_CANDIDATE = re.compile(AWS_SECRET_CANDIDATE)
_CAMEL = re.compile(CAMEL_CASE)


def _secret_shaped(c: str) -> bool:
    return bool(re.search(r"[a-z]", c) and re.search(r"[A-Z]", c) and re.search(r"[0-9]", c)
                and not _CAMEL.match(c))


def looks_secret(value: str) -> bool:
    """True when a string has the shape of a secret value (not of an identifier)."""
    if _SECRET_VALUE.search(value):
        return True
    return any(_secret_shaped(m.group(1)) for m in _CANDIDATE.finditer(value))


def sql_macro() -> str:
    """`looks_secret(text)` as a DuckDB macro, from the same patterns."""

    def q(pattern: str) -> str:
        return "'" + pattern.replace("'", "''") + "'"

    return (
        f"CREATE OR REPLACE MACRO looks_secret(v) AS coalesce(regexp_matches(v, {q(SECRET_VALUE)}) OR "
        f"len(list_filter(regexp_extract_all(v, {q(AWS_SECRET_CANDIDATE)}, 1), lambda c_: "
        f"regexp_matches(c_, '[a-z]') AND regexp_matches(c_, '[A-Z]') AND regexp_matches(c_, '[0-9]') "
        f"AND NOT regexp_matches(c_, {q(CAMEL_CASE)}))) > 0, false)"
    )


def redact(obj: Any) -> Any:
    """A copy of a JSON-like object with every secret-named field's value replaced."""
    if isinstance(obj, dict):
        return {k: (REDACTED if str(k).lower() in SECRET_FIELDS else redact(v)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [redact(v) for v in obj]
    return obj
