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

_SECRET_VALUE = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----"  # PEM private keys
    r"|\bFQoGZXIvYXdzE|\bIQoJb3JpZ2luX2Vj"  # AWS session token prefixes
    r"|\bya29\.[0-9A-Za-z_-]{20,}"  # Google OAuth access token
    r"|\bxox[abpr]-[0-9A-Za-z-]{10,}"  # Slack tokens
    r"|\bgh[pousr]_[0-9A-Za-z]{30,}"  # GitHub tokens
    r"|\beyJ[0-9A-Za-z_-]{10,}\.eyJ[0-9A-Za-z_-]{10,}\.[0-9A-Za-z_-]+"  # JWTs
)


# An AWS secret access key: 40 characters of base64, mixed case. Hex digests of the same length
# (git commits, sha1) are not secrets, hence the mixed-case test below; nor are CamelCase
# identifiers of that length (IAM actions such as inspector2:BatchUpdateMemberEc2DeepInspectionStatus),
# which random base64 almost never resembles.
_AWS_SECRET_CANDIDATE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_CAMEL_CASE = re.compile(r"[A-Za-z][a-z0-9]*(?:[A-Z][a-z0-9]+)+")


def looks_secret(value: str) -> bool:
    """True when a string has the shape of a secret value (not of an identifier)."""
    if _SECRET_VALUE.search(value):
        return True
    return any(
        re.search(r"[a-z]", c) and re.search(r"[A-Z]", c) and re.search(r"[0-9]", c) and not _CAMEL_CASE.fullmatch(c)
        for c in _AWS_SECRET_CANDIDATE.findall(value)
    )


def redact(obj: Any) -> Any:
    """A copy of a JSON-like object with every secret-named field's value replaced."""
    if isinstance(obj, dict):
        return {k: (REDACTED if str(k).lower() in SECRET_FIELDS else redact(v)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [redact(v) for v in obj]
    return obj
