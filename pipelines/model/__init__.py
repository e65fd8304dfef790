"""The declared model: who sponsors each non-human identity, what it may hold, until when.

    model = load_model("examples/model")      # raises LoadErrors listing every error
    tables = model_tables(model)               # pipelines.model.tables: what the rules read
"""

from pipelines.located import LoadErrors, LocatedError
from pipelines.model.declared import DeclaredModel
from pipelines.model.loader import load_model
from pipelines.model.schema import (
    AcceptedRisk,
    Agent,
    Allow,
    AwsAllow,
    EntraAllow,
    GcpAllow,
    Identity,
    Match,
    ModelFile,
    Revocation,
    ScimAllow,
    ScimUser,
    Settings,
    Sla,
    Sponsor,
)

__all__ = [
    "AcceptedRisk",
    "Agent",
    "Allow",
    "AwsAllow",
    "DeclaredModel",
    "EntraAllow",
    "GcpAllow",
    "Identity",
    "LoadErrors",
    "LocatedError",
    "Match",
    "ModelFile",
    "Revocation",
    "ScimAllow",
    "ScimUser",
    "Settings",
    "Sla",
    "Sponsor",
    "load_model",
]
