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

    def model_post_init(self, context: object) -> None:
        # People are matched case-insensitively, by id then email.
        for s in self.sponsors:
            if s.email:
                self._sponsors.setdefault(s.email.lower(), s)
        self._sponsors.update({s.id.lower(): s for s in self.sponsors})

    def sponsor(self, person: str) -> Sponsor | None:
        """The `sponsors:` entry for a sponsor id or email, if the model lists one."""
        return self._sponsors.get(person.lower())
