"""The merged declared model, as the later stages read it."""

from pathlib import Path

from pydantic import BaseModel, PrivateAttr

from pipelines.located import LocatedError
from pipelines.model.schema import AcceptedRisk, Agent, Settings, Sponsor


class DeclaredModel(BaseModel):
    """Every file of a model folder merged and checked: ids unique, delegation a forest of
    trees each rooted at a sponsored agent."""

    settings: Settings
    sponsors: list[Sponsor]
    agents: list[Agent]
    exceptions: list[AcceptedRisk]
    root: Path  # the folder (or file) the model was loaded from
    files: list[str]  # relative POSIX paths, sorted
    content_hash: str  # sha256 over the relative paths and bytes of `files`
    warnings: list[LocatedError]

    _sponsors: dict[str, Sponsor] = PrivateAttr(default_factory=dict)
    _agents: dict[str, Agent] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object) -> None:
        self._agents = {a.id: a for a in self.agents}
        # People are matched case-insensitively, by id then email.
        for s in self.sponsors:
            if s.email:
                self._sponsors.setdefault(s.email.lower(), s)
        self._sponsors.update({s.id.lower(): s for s in self.sponsors})

    def sponsor(self, person: str) -> Sponsor | None:
        """The `sponsors:` entry for a sponsor id or email, if the model lists one."""
        return self._sponsors.get(person.lower())

    def chain_scopes(self, people: set[str]) -> set[tuple[str, str]]:
        """(provider, scope) of every principal the model binds to an agent whose chain is
        sponsored by one of `people` (ids or emails, any case): where a re-check must look when
        they leave. Principals whose scope the model cannot tell (an Entra id) count for every
        scope of their provider: ("entra", "*")."""
        from pipelines.model.tables import scope_hint

        wanted = {p.lower() for p in people}
        for p in list(wanted):
            if (s := self.sponsor(p)) is not None:
                wanted |= {s.id.lower(), *([s.email.lower()] if s.email else [])}
        parent = {a.id: a.delegated_by for a in self.agents}

        def root_sponsor(agent) -> str:
            while agent.delegated_by is not None:
                agent = self._agents[parent[agent.id]]
            return agent.sponsor

        return {(i.provider, scope_hint(i) or "*") for a in self.agents if root_sponsor(a).lower() in wanted
                for i in a.identities}
