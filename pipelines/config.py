"""The sources config (`idrift.yaml`): where things are and what to sync.

Found from `--config`, else `IDRIFT_CONFIG`, else `./idrift.yaml`. Relative paths resolve from
the config file's folder. It never holds secrets: those come from the providers' standard
variables and credential chains, or from variables it names (`token_env`).
"""

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from pipelines.located import (
    Document,
    LoadErrors,
    LocatedError,
    Matching,
    OneKey,
    StrictModel,
    describe,
    duplicates,
    invalid,
    read_yaml,
    validation_errors,
)
from pipelines.secrets import looks_secret

ENV_VAR = "IDRIFT_CONFIG"
DEFAULT_NAME = "idrift.yaml"

Schedule = Literal["hourly", "nightly"]


def _account_id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.2 drops the leading zero of 012345678901; a 12-digit id gives it back.
        raise invalid(
            f'account ids must be quoted strings ("{value:012d}"); YAML reads bare numbers as integers'
            " (and 012345678901 as octal)"
        )
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{12}", value):
        raise invalid(f"expected a 12-digit AWS account id, got {describe(value)}")
    return value


AccountId = Annotated[str, PlainValidator(_account_id), WithJsonSchema({"type": "string", "pattern": "^[0-9]{12}$"})]
Url = Matching(r"https?://\S+", "a URL like https://api.example.com")
EnvVarName = Matching(
    r"[A-Za-z_][A-Za-z0-9_]*",
    "the name of an environment variable that holds the token (like SLACK_SCIM_TOKEN), not the token",
)


def _local_path(value: Any, info: ValidationInfo) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"expected a path, got {describe(value)}")
    path = Path(value).expanduser()
    base = (info.context or {}).get("base")
    return path if path.is_absolute() or base is None else Path(os.path.normpath(base / path))


def _location(value: Any, info: ValidationInfo) -> str:
    """A local folder (resolved like a path) or any fsspec URL, left as written."""
    if isinstance(value, str) and "://" in value:
        return value
    return str(_local_path(value, info))


def _database_url(value: Any) -> str:
    """A SQLAlchemy URL with no password in it: passwords come from the environment (PGPASSWORD)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value) if isinstance(value, str) else None
    except ArgumentError:
        url = None
    if url is None:
        raise invalid(f"expected a SQLAlchemy URL like postgresql://idrift@db/idrift, got {describe(value)}")
    if url.password:
        raise invalid("the URL holds a password: leave it out and set it in the environment (PGPASSWORD)")
    return value


LocalPath = Annotated[Path, PlainValidator(_local_path), PlainSerializer(str, return_type=str)]
DatabaseUrl = Annotated[str, PlainValidator(_database_url)]
Location = Annotated[str, PlainValidator(_location)]


class _Scoped(StrictModel):
    """What every provider source has: environment labels per scope id and a schedule."""

    environments: dict[str, str] = Field(default_factory=dict)
    schedule: Schedule = "hourly"

    def _unknown_scopes(self, scopes: list[str]) -> None:
        for scope in self.environments:
            if scope not in scopes:
                message = f"'{scope}' is not one of this source's scopes ({', '.join(scopes)})"
                raise invalid(message, at=("environments", scope), on_key=True)


class AwsSource(_Scoped):
    accounts: list[AccountId] | None = None
    organization: bool = False
    assume_role: str | None = None
    revoke_role: str | None = None  # default: assume_role
    environments: dict[AccountId, str] = Field(default_factory=dict)
    endpoint: Url | None = None
    region: str = "us-east-1"
    max_attempts: int = Field(10, ge=1)

    @model_validator(mode="after")
    def _scopes(self) -> "AwsSource":
        if self.organization and self.accounts is not None:
            raise invalid("use either accounts or organization: true, not both", at=("organization",))
        if not self.organization and not self.accounts:
            raise invalid("list the accounts, or set organization: true to sync every account of the organization")
        if self.accounts:
            self._unknown_scopes(self.accounts)
        self.revoke_role = self.revoke_role or self.assume_role
        return self


class GcpSource(_Scoped):
    projects: list[str] = Field(min_length=1)
    endpoint: Url | None = None
    credentials: LocalPath | None = None

    @model_validator(mode="after")
    def _scopes(self) -> "GcpSource":
        self._unknown_scopes(self.projects)
        return self


class EntraSource(_Scoped):
    tenant_id: str
    authority: Url | None = None
    graph_url: Url | None = None

    @model_validator(mode="after")
    def _scopes(self) -> "EntraSource":
        self._unknown_scopes([self.tenant_id])
        return self


class ScimSource(StrictModel):
    name: str = Field(min_length=1, description="The scope id of this app, used in principals (slack:userName).")
    url: Url
    token_env: EnvVarName
    environment: str | None = None
    schedule: Schedule = "hourly"


class HrSource(StrictModel):
    csv: LocalPath


class Source(OneKey):
    aws: AwsSource | None = None
    gcp: GcpSource | None = None
    entra: EntraSource | None = None
    scim: ScimSource | None = None
    hr: HrSource | None = None


class Config(StrictModel):
    warehouse: LocalPath = Field("data/idrift.duckdb", validate_default=True)
    staging: Location = Field("data/staging", validate_default=True, description="A local folder or an fsspec URL.")
    reports: LocalPath = Field("reports", validate_default=True)
    model: LocalPath
    retention_days: int = Field(400, ge=1, description="How long raw pages and staging are kept.")
    workers: int = Field(4, ge=1, description="Scopes extracted concurrently.")
    max_identity_drop: float = Field(
        0.3, ge=0, le=1, description="Drop guard: a scope losing more than this share of its identities is held back."
    )
    ledger: DatabaseUrl | None = Field(
        None, description="SQLAlchemy URL of the revocation ledger; default: a DuckDB file next to the warehouse.")
    sources: list[Source] = Field(default_factory=list)

    _path: Path | None = PrivateAttr(None)

    @property
    def path(self) -> Path | None:
        """The file this config was loaded from."""
        return self._path

    def _of(self, provider: str) -> list[Any]:
        return [s.value for s in self.sources if s.provider == provider]

    @property
    def ledger_url(self) -> str:
        return self.ledger or f"duckdb:///{Path(self.warehouse).with_suffix('.ledger.duckdb')}"

    @property
    def aws_sources(self) -> list[AwsSource]:
        return self._of("aws")

    @property
    def gcp_sources(self) -> list[GcpSource]:
        return self._of("gcp")

    @property
    def entra_sources(self) -> list[EntraSource]:
        return self._of("entra")

    @property
    def scim_sources(self) -> list[ScimSource]:
        return self._of("scim")

    @property
    def own_principals(self) -> list[str]:
        """Globs of idrift's own read and revoke roles: never raised as undeclared."""
        names = sorted({n for s in self.aws_sources for n in (s.assume_role, s.revoke_role) if n})
        return [f"arn:aws*:iam::*:role/{path}{n}" for n in names for path in ("", "*/")]

    @property
    def hr_sources(self) -> list[HrSource]:
        """At most one: one HR feed decides who is a person."""
        return self._of("hr")


def find_config(explicit: str | Path | None = None) -> Path:
    """`--config` value, else $IDRIFT_CONFIG, else ./idrift.yaml; LoadErrors when it is not there."""
    if explicit:
        path, origin = Path(explicit), "given with --config"
    elif os.environ.get(ENV_VAR):
        path, origin = Path(os.environ[ENV_VAR]), f"named by {ENV_VAR}"
    else:
        path = Path(DEFAULT_NAME)
        if not path.is_file():
            message = f"no config: pass --config PATH, set {ENV_VAR}, or create {DEFAULT_NAME} in the current folder"
            raise LoadErrors([LocatedError(str(path), None, None, "", message)])
        return path
    if not path.is_file():
        raise LoadErrors([LocatedError(str(path), None, None, "", f"config file not found ({origin})")])
    return path


def load_config(path: str | Path) -> Config:
    """Read and check a config file. Raises LoadErrors with every error found."""
    path = Path(path)
    doc = read_yaml(path)
    data = doc.plain()
    errors = _secrets(doc, (), data)
    try:
        config = Config.model_validate({} if data is None else data, context={"base": path.resolve().parent})
    except ValidationError as e:
        config = None
        secret_places = {(s.line, s.column) for s in errors}
        errors += [e for e in validation_errors(doc, e, Config) if (e.line, e.column) not in secret_places]
    if config is not None:
        errors += _duplicate_scopes(doc, config)
    if errors:
        raise LoadErrors(errors)
    config._path = path
    return config


_SECRET_WORDS = {"token", "secret", "password", "passwd", "pwd", "apikey", "key"}


def _secrets(doc: Document, loc: tuple, node: Any) -> list[LocatedError]:
    """Keys that would hold a secret, and values that look like one. Checked before the schema
    so that the error says what to do instead, not just "unknown key"."""
    if isinstance(node, dict):
        errors = []
        for key, value in node.items():
            words = set(re.split(r"[_\-.]", str(key).lower()))
            if words & _SECRET_WORDS and not str(key).endswith("_env"):
                errors.append(
                    doc.error(
                        (*loc, key),
                        f"'{key}' would put a secret in the config; keep it in an environment variable"
                        " (SCIM: name it with token_env; AWS, GCP and Entra read their standard variables)",
                        at_key=True,
                    )
                )
            else:
                errors += _secrets(doc, (*loc, key), value)
        return errors
    if isinstance(node, list):
        return [e for i, item in enumerate(node) for e in _secrets(doc, (*loc, i), item)]
    if isinstance(node, str) and looks_secret(node):
        return [doc.error(loc, "this value looks like a secret; keep it in an environment variable, not in the config")]
    return []


def _duplicate_scopes(doc: Document, config: Config) -> list[LocatedError]:
    """A scope listed twice would be extracted twice into the same staging folder."""
    scopes = []
    for i, source in enumerate(config.sources):
        s, at = source.value, ("sources", i, source.provider)
        if isinstance(s, AwsSource):
            scopes += [(f"AWS account {a}", (*at, "accounts", j)) for j, a in enumerate(s.accounts or [])]
        elif isinstance(s, GcpSource):
            scopes += [(f"GCP project {p}", (*at, "projects", j)) for j, p in enumerate(s.projects)]
        elif isinstance(s, EntraSource):
            scopes.append((f"Entra tenant {s.tenant_id}", (*at, "tenant_id")))
        elif isinstance(s, ScimSource):
            scopes.append((f"SCIM app {s.name}", (*at, "name")))
        else:  # two HR feeds could disagree on who is a person
            scopes.append(("the HR source", at))
    return duplicates(((key, doc.error(loc, "")) for key, loc in scopes), "{key} is listed twice (also at {first})")
