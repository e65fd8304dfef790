"""The one small interface every provider implements (after Baton's connector contract).

A connector discovers its scopes, then extracts one scope at a time into a `ScopeSink`.
It reports what it could not read as data (`sink.incomplete(entity, reason)`), never by
silently returning less. An entity type is complete only when the connector says so with
`sink.complete(entity)`: a connector that dies half-way leaves everything it did not finish
incomplete, and nothing from it becomes current.

Adding a provider means one module implementing `Connector` (and `Revoker` for its revocations)
and registering it in `pipelines.sources`; the pipeline, warehouse and rules do not change.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from connectors.records import Scope, ScopeStats


class ScopeFailed(Exception):
    """A scope could not be read at all (no credentials, access denied on the first call)."""


@runtime_checkable
class ScopeSink(Protocol):
    """Where a connector writes one scope's rows; implemented by the staging store."""

    stats: ScopeStats

    def write(self, entity: str, rows: Iterable[dict[str, Any]]) -> None:
        """Append a batch of normalized rows of `entity` (see `connectors.records.SCHEMAS`)."""

    def raw_page(self, operation: str, params: dict[str, Any], body: Any) -> None:
        """Keep one raw API response as audit evidence (secret-bearing fields are redacted)."""

    def complete(self, entity: str) -> None:
        """Declare that every row of `entity` in this scope has been written."""

    def incomplete(self, entity: str, reason: str) -> None:
        """Declare that `entity` could not be read completely in this sync, and why."""

    def freshness(self, key: str, value: Any) -> None:
        """Record how fresh a source is (e.g. the credential report's generation time)."""

    def prior(self, name: str) -> Iterable[dict[str, Any]]:
        """Rows of staged file `name` ("identities", "credentials", ...) from this scope's last
        complete read of it; empty on a first sync. A connector may use them to skip calls whose
        answer the provider shows unchanged (never to fill in what it failed to read now)."""


class Connector(Protocol):
    provider: str

    def scopes(self) -> list[Scope]:
        """The scopes to sync, from the config or discovered (e.g. AWS Organizations)."""

    def extract(self, scope: Scope, sink: ScopeSink) -> None:
        """Stream one scope into `sink`. Raise `ScopeFailed` when nothing could be read."""


# ---- revocation -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    """One planned revocation (findings.md, "Revocation actions"), as its executor sees it."""

    action_id: str
    kind: str  # deactivate_credential | disable_identity | revoke_grant | remove_trust | delete_login_profile
    provider: str
    scope_id: str
    identity_id: str  # the immutable id the plan saw: a target re-created under its name is not it
    principal: str
    identity_kind: str
    identity_name: str | None
    object: str | None  # the credential id, the grant's source
    target: dict[str, Any] = field(default_factory=dict)  # what the plan saw, and what to leave (kept policy)


@dataclass
class Attempt:
    """What an executor did with one action: `outcome` done | already_done | skipped | failed;
    `request` the write calls it made (no secret), `before` the state that undo restores."""

    outcome: str
    reason: str | None = None
    request: list[dict[str, Any]] = field(default_factory=list)
    response: list[dict[str, Any]] = field(default_factory=list)
    before: dict[str, Any] | None = None


class Revoker(Protocol):
    """A provider's executors. Before any write, `execute` re-reads the target: already in the
    wanted state is `already_done` with no write; no longer what the plan saw is `skipped` with
    the reason. `undo` restores an attempt's `before` for the kinds in `reversible`."""

    provider: str
    reversible: frozenset[str]

    def describe(self, action: Action) -> str:
        """The provider calls `execute` will make, for the plan."""

    def execute(self, action: Action) -> Attempt: ...

    def undo(self, action: Action, before: dict[str, Any]) -> Attempt: ...
