"""From the sources config to connector instances: the only place that knows both."""

from connectors.base import Connector, Revoker, ScopeFailed
from connectors.records import Scope
from pipelines.config import Config


class Unsupported:
    """A configured provider whose connector this version does not ship: its scopes are
    recorded as failed with the reason, never silently skipped."""

    def __init__(self, provider: str, scope_ids: list[str]):
        self.provider, self.scope_ids = provider, scope_ids

    def scopes(self) -> list[Scope]:
        return [Scope(self.provider, s) for s in self.scope_ids]

    def extract(self, scope: Scope, sink) -> None:
        raise ScopeFailed(f"this version of idrift has no {self.provider} connector yet")


def build_connectors(config: Config) -> list[Connector]:
    from connectors.aws import AwsConnector, ManagedPolicyCache

    cache = ManagedPolicyCache()  # AWS-managed policies: fetched once per run, shared by accounts
    connectors: list[Connector] = []
    for src in config.aws_sources:
        connectors.append(
            AwsConnector(
                accounts=src.accounts,
                organization=src.organization,
                assume_role=src.assume_role,
                environments=src.environments,
                schedule=src.schedule,
                endpoint=src.endpoint,
                region=src.region,
                max_attempts=src.max_attempts,
                managed_policies=cache,
            )
        )
    for src in config.gcp_sources:
        connectors.append(Unsupported("gcp", src.projects))
    for src in config.entra_sources:
        connectors.append(Unsupported("entra", [src.tenant_id]))
    for src in config.scim_sources:
        connectors.append(Unsupported("scim", [src.name]))
    return connectors


def describe(action) -> str:
    """The provider calls an action makes, as its executor spells them (no credentials needed)."""
    from connectors.aws.revoke import AwsRevoker

    return {"aws": AwsRevoker}[action.provider].describe(action)


def build_revokers(config: Config) -> dict[str, Revoker]:
    """The executors of the providers that have them, acting through each source's `revoke_role`."""
    from connectors.aws.revoke import AwsRevoker, Route

    routes = [Route(frozenset(s.accounts) if s.accounts else None, s.revoke_role, s.endpoint, s.region, s.max_attempts)
              for s in config.aws_sources]
    return {"aws": AwsRevoker(routes)} if routes else {}
