"""The merged declared model, as the later stages read it."""

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, PrivateAttr

from pipelines.located import LocatedError
from pipelines.model.schema import AGENT_OVERRIDES, AcceptedRisk, Agent, Settings, Sponsor


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

    _by_id: dict[str, Agent] = PrivateAttr(default_factory=dict)
    _sponsors: dict[str, Sponsor] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object) -> None:
        self._by_id = {a.id: a for a in self.agents}
        # People are matched case-insensitively, by id then email.
        for s in self.sponsors:
            if s.email:
                self._sponsors.setdefault(s.email.lower(), s)
        self._sponsors.update({s.id.lower(): s for s in self.sponsors})

    def agent(self, agent_id: str) -> Agent:
        return self._by_id[agent_id]

    def agent_chain(self, agent_id: str) -> list[str]:
        """`[sponsor, root agent, ..., agent]`; its depth is `len(chain) - 1`."""
        chain = [agent_id]
        while (parent := self._by_id[chain[0]].delegated_by) is not None:
            chain.insert(0, parent)
        return [self.root_sponsor(agent_id), *chain]

    def root_sponsor(self, agent_id: str) -> str:
        """The sponsor of the agent's root: a sub-agent's sponsor."""
        agent = self._by_id[agent_id]
        while agent.delegated_by is not None:
            agent = self._by_id[agent.delegated_by]
        assert agent.sponsor is not None  # the loader rejects a root agent without one
        return agent.sponsor

    def sponsor(self, person: str) -> Sponsor | None:
        """The `sponsors:` entry for a sponsor id or email, if the model lists one."""
        return self._sponsors.get(person.lower())

    def threshold(self, agent_id: str, name: str) -> timedelta:
        """An agent's own value of a per-agent setting (`max_credential_age`, ...), else the
        model's."""
        if name not in AGENT_OVERRIDES:
            raise KeyError(f"{name} is not a per-agent setting")
        return getattr(self._by_id[agent_id], name) or getattr(self.settings, name)
