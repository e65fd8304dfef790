"""The declared-model file format (docs: /docs/declared-model.md), as pydantic models.

These models are the source of truth: the loader validates each file with `ModelFile`, and the
JSON Schema shipped for editors (`schemas/declared-model.schema.json`) is generated from them.
Checks that need more than one agent (references, duplicates, cycles) live in the loader.
"""

import json
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, PlainValidator, StringConstraints, WithJsonSchema, model_validator

from pipelines.located import Matching, OneKey, StrictModel, describe, invalid
from pipelines.model.durations import Duration, Instant

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Kind = Literal["ai_agent", "service_account", "workload"]
SponsorStatus = Literal["active", "suspended", "terminated"]
RevocationMode = Literal["dry_run", "approve", "auto"]

AwsPrincipalArn = Matching(
    r"arn:aws[a-z-]*:iam::[0-9]{12}:(user|role)/\S+",
    "an IAM user or role ARN like arn:aws:iam::111122223333:role/name",
)
Email = Matching(r"[^@\s]+@[^@\s]+", "an email like name@project.iam.gserviceaccount.com")
Guid = Matching(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    "an appId or object id like 00000000-0000-0000-0000-000000000000",
)
RuleId = Matching(r"[A-Z]+(-[A-Z]+)+", "a rule id like ENT-EXCESS")


def _version(value: Any) -> int | None:
    if value is not None and (value != 1 or isinstance(value, bool)):
        raise invalid(f"expected 1 (the only version this idrift reads), got {describe(value)}")
    return value


Version = Annotated[int | None, PlainValidator(_version), WithJsonSchema({"const": 1})]


# -- settings ---------------------------------------------------------------------------------


class Sla(StrictModel):
    """Time from a revocation's trigger to its verified removal (GOV-REVOCATION-LAG)."""

    sponsor_inactive: Duration = timedelta(hours=24)
    expired: Duration = timedelta(hours=1)
    default: Duration = timedelta(days=7)


class Revocation(StrictModel):
    mode: RevocationMode = "dry_run"
    max_actions_per_run: int = Field(
        50, ge=0, description="Circuit breaker: more selected actions than this and nothing is executed."
    )
    model_guard_share: float = Field(
        0.2, ge=0, le=1,
        description="Model guard: a model change that newly plans actions for more than this share of the "
                    "agents plans nothing from that change until `idrift accept-model`.",
    )
    sla: Sla = Field(default_factory=Sla)


class Settings(StrictModel):
    inactive_after: Duration = Field(timedelta(days=90), description="IDN-DORMANT threshold.")
    unused_credential_after: Duration = Field(timedelta(days=90), description="CRD-UNUSED threshold.")
    max_credential_age: Duration = Field(timedelta(days=90), description="CRD-LONG-LIVED threshold (rotation).")
    max_delegation_depth: int = Field(3, ge=1, description="sponsor -> agent = depth 1.")
    undeclared_grace: Duration = Field(
        timedelta(days=7), description="How long a new undeclared identity may exist before IDN-UNDECLARED."
    )
    ignore: list[str] = Field(
        default_factory=list, description="Principals never raised as undeclared; globs on ARN, email or id."
    )
    revocation: Revocation = Field(default_factory=Revocation)




# -- sponsors ---------------------------------------------------------------------------------


class Sponsor(StrictModel):
    """A person. The HR source decides the status when it knows the sponsor; this is the fallback."""

    id: Text
    email: str | None = None
    status: SponsorStatus = "active"
    manager: str | None = None
    terminated_at: Instant | None = None

    @model_validator(mode="after")
    def _termination(self) -> "Sponsor":
        if self.terminated_at is not None and self.status != "terminated":
            raise invalid(f"terminated_at is set but status is '{self.status}'; set status: terminated", at=("status",))
        return self


# -- agents -----------------------------------------------------------------------------------


class ScimUser(StrictModel):
    app: Text
    user: Text


class Identity(OneKey):
    """A provider principal that IS the agent. Exactly one key."""

    aws: AwsPrincipalArn | None = None
    gcp: Email | None = None
    entra: Guid | None = None
    scim: ScimUser | None = None


class AwsAllow(StrictModel):
    actions: list[str] = Field(min_length=1, description="IAM action patterns, e.g. s3:Get*.")
    resources: list[str] = Field(min_length=1, description="Resource ARN patterns.")


class GcpAllow(StrictModel):
    roles: list[str] = Field(min_length=1)
    on: str | None = Field(None, description="A project, folder or organization; omitted: anywhere.")


class EntraAllow(StrictModel):
    """Either app roles on a resource application, or directory roles (or both)."""

    resource: str | None = Field(None, description="The resource application's appId or display name.")
    app_roles: list[str] = Field(default_factory=list)
    directory_roles: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shape(self) -> "EntraAllow":
        if self.app_roles and not self.resource:
            raise invalid("app_roles need the resource application they belong to: add resource", at=("resource",))
        if self.resource and not self.app_roles:
            raise invalid(f"list the app_roles allowed on '{self.resource}'", at=("app_roles",))
        if not self.app_roles and not self.directory_roles:
            raise invalid("expected resource + app_roles, or directory_roles")
        return self


class ScimAllow(StrictModel):
    app: Text
    groups: list[str] = Field(min_length=1)


class Allow(OneKey):
    """Something the agent may hold. Exactly one key."""

    aws: AwsAllow | None = None
    gcp: GcpAllow | None = None
    entra: EntraAllow | None = None
    scim: ScimAllow | None = None


class Agent(StrictModel):
    id: Text
    kind: Kind
    sponsor: Text | None = Field(None, description="Required unless delegated_by is set.")
    delegated_by: Text | None = Field(None, description="The parent agent's id: this is a sub-agent.")
    purpose: str | None = None
    environment: str | None = Field(None, description="Free label, compared by USE-REUSE-XENV.")
    expires: Instant | None = Field(None, description="DLG-EXPIRED after this instant.")
    inactive_after: Duration | None = None
    unused_credential_after: Duration | None = None
    max_credential_age: Duration | None = None
    identities: list[Identity] = Field(default_factory=list)
    allow: list[Allow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sponsorship(self) -> "Agent":
        if self.delegated_by is None and self.sponsor is None:
            raise invalid("a root agent (one without delegated_by) needs a sponsor", at=("sponsor",))
        if self.delegated_by is not None and self.sponsor is not None:
            raise invalid(
                "a sub-agent takes its sponsor from its root; remove sponsor or delegated_by", at=("sponsor",)
            )
        return self


# -- exceptions -------------------------------------------------------------------------------


class Match(StrictModel):
    """Narrows an exception to findings whose fields match these globs."""

    scope: str | None = None
    object: str | None = None
    action: str | None = None
    resource: str | None = None


class AcceptedRisk(StrictModel):
    """An exception: suppresses matching findings of `rule` until `expires`."""

    rule: RuleId
    agent: Text | None = None
    principal: Text | None = None
    match: Match = Field(default_factory=Match)
    reason: Text
    approved_by: Text
    expires: Instant

    @model_validator(mode="after")
    def _subject(self) -> "AcceptedRisk":
        if (self.agent is None) == (self.principal is None):
            both = self.agent is not None
            raise invalid(
                "name either agent or principal, not both" if both else "name the agent or the principal it applies to",
                at=("principal",) if both else (),
            )
        return self


# -- one file ---------------------------------------------------------------------------------


class ModelFile(StrictModel):
    """One YAML file of the declared model; the files of a folder are merged."""

    model_config = ConfigDict(title="idrift declared model")

    version: Version = None
    settings: Settings | None = Field(None, description="In one file only; all keys optional.")
    sponsors: list[Sponsor] = Field(default_factory=list)
    agents: list[Agent] = Field(default_factory=list)
    exceptions: list[AcceptedRisk] = Field(default_factory=list)


def json_schema_text() -> str:
    """The JSON Schema shipped for editors, exactly as written to the file."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **ModelFile.model_json_schema()}
    return json.dumps(schema, indent=2) + "\n"
