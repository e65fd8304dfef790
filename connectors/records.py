"""The normalized records every connector yields, whatever the provider.

Four entity types, each with its own completeness: a scope can have complete identities and
incomplete grants (a failed bulk read), and the warehouse publishes each type on its own.
Grants point at content-addressed policy statements so a managed policy attached to ten
thousand principals is stored once, not ten thousand times.

Secrets never appear here: credential rows carry ids, dates and status only.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

ENTITY_TYPES = ("identities", "credentials", "grants", "edges")

_TS = pa.timestamp("us", tz="UTC")
_LIST = pa.list_(pa.string())

# `attributes` and `tags` are JSON text: provider-specific facts the rules may read with
# DuckDB's JSON functions, without a schema change per provider.
SCHEMAS: dict[str, pa.Schema] = {
    "identities": pa.schema(
        [
            ("identity_id", pa.string()),  # immutable provider id: AWS UserId/RoleId, GCP uniqueId, Entra object id
            ("principal", pa.string()),  # what people read: ARN, SA email, appId, app:userName
            ("name", pa.string()),
            ("kind", pa.string()),  # aws_user | aws_role | gcp_service_account | entra_service_principal | scim_user
            ("path", pa.string()),
            ("email", pa.string()),  # login or email when the provider has one (human detection)
            ("created_at", _TS),
            ("disabled", pa.bool_()),  # null when the provider's answer does not say
            # Created and managed by the provider itself (AWS service-linked and SSO roles, Google
            # service agents, Microsoft first-party apps): never an undeclared identity.
            ("provider_managed", pa.bool_()),
            ("last_authenticated_at", _TS),
            ("last_authenticated_source", pa.string()),
            ("tags", pa.string()),
            ("attributes", pa.string()),
        ]
    ),
    "credentials": pa.schema(
        [
            ("credential_id", pa.string()),  # access key id, key id, keyId; `login_profile` for a console password
            ("identity_id", pa.string()),
            ("kind", pa.string()),  # access_key | password | certificate | secret | ssh_key
            ("status", pa.string()),  # active | inactive
            ("created_at", _TS),
            ("expires_at", _TS),
            ("last_used_at", _TS),
            ("last_used_service", pa.string()),
            ("last_used_region", pa.string()),
            ("last_used_source", pa.string()),  # which API said so: credential_report, GetAccessKeyLastUsed, ...
            ("attributes", pa.string()),
        ]
    ),
    # A grant is keyed by (identity_id, source, statement_index): what reaches the identity, and
    # where from. Its content is the statement it points at, so an edited policy is a new version
    # of the same grant. The policy and group names are in `source`; `policy_arn` says it is managed.
    "grants": pa.schema(
        [
            ("identity_id", pa.string()),
            ("source", pa.string()),  # finding object: policy ARN, inline:<name>, group:<group>/<policy>, binding:<res>/<role>
            ("statement_index", pa.int32()),
            ("grant_kind", pa.string()),  # aws_statement | gcp_binding | entra_app_role | entra_directory_role | scim_group
            ("path", pa.string()),  # direct | inline | group
            ("policy_arn", pa.string()),  # managed policies only
            ("statement_id", pa.string()),  # -> statements.statement_id
        ]
    ),
    # Content-addressed policy statements; staged with the grants and complete with them.
    "statements": pa.schema(
        [
            ("statement_id", pa.string()),
            ("effect", pa.string()),  # Allow | Deny
            ("sid", pa.string()),
            ("actions", _LIST),
            ("not_actions", _LIST),
            ("resources", _LIST),
            ("not_resources", _LIST),
            ("condition", pa.string()),  # JSON; null when unconditional
        ]
    ),
    "edges": pa.schema(
        [
            ("edge_id", pa.string()),
            ("edge_type", pa.string()),  # aws_trust | aws_pass_role | gcp_act_as | entra_owner | entra_federated_credential
            ("source", pa.string()),  # ARN, account root ARN, service, federated provider, or "*"
            ("source_kind", pa.string()),  # principal | account_root | service | federated | any
            ("source_scope", pa.string()),  # the source's account / project / tenant when it has one
            ("target_identity_id", pa.string()),
            ("target_principal", pa.string()),
            ("statement_index", pa.int32()),
            ("effect", pa.string()),
            ("actions", _LIST),
            ("condition", pa.string()),  # JSON; null when unconditional
        ]
    ),
}

# The staged files of each entity type: statements travel with grants.
STAGED_FILES: dict[str, tuple[str, ...]] = {
    "identities": ("identities",),
    "credentials": ("credentials",),
    "grants": ("grants", "statements"),
    "edges": ("edges",),
}


def stable_id(*parts: Any) -> str:
    """A short, stable content hash: the same inputs give the same id in every run."""
    text = "|".join(p if isinstance(p, str) else json.dumps(p, sort_keys=True, default=str) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def to_json(value: Any) -> str | None:
    """Canonical JSON text (sorted keys) so unchanged content hashes the same every sync."""
    if value is None or value == {} or value == []:
        return None
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


@dataclass(frozen=True)
class Scope:
    """One unit of extraction and of completeness: an AWS account, GCP project, Entra tenant, SaaS app."""

    provider: str
    scope_id: str
    environment: str | None = None
    schedule: str = "hourly"
    settings: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.scope_id}"


@dataclass
class ScopeStats:
    api_calls: int = 0
    throttled: int = 0
    retries: int = 0
    calls_by_operation: dict[str, int] = field(default_factory=dict)
    # Calls not made because the provider showed their answer unchanged since the last read.
    unchanged_by_operation: dict[str, int] = field(default_factory=dict)

    def record(self, operation: str) -> None:
        self.api_calls += 1
        self.calls_by_operation[operation] = self.calls_by_operation.get(operation, 0) + 1

    def unchanged(self, operation: str) -> None:
        self.unchanged_by_operation[operation] = self.unchanged_by_operation.get(operation, 0) + 1

    def as_dict(self) -> dict:
        return {
            "api_calls": self.api_calls,
            "throttled": self.throttled,
            "retries": self.retries,
            "calls_by_operation": dict(sorted(self.calls_by_operation.items())),
            "unchanged_by_operation": dict(sorted(self.unchanged_by_operation.items())),
        }


def utc(dt: datetime | None) -> datetime | None:
    """Provider timestamps as aware UTC datetimes (naive ones are UTC by the providers' contracts)."""
    if dt is None:
        return None
    from datetime import timezone

    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)
