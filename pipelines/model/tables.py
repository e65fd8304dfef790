"""The declared model as tables: what the rules join against.

`model_tables(model)` turns a loaded model into Arrow tables with the `SCHEMAS` below, and
`load_model_tables` makes them (and what they derive) the connection's model. The benchmark
builds the same tables directly, without YAML.
"""


import duckdb
import pyarrow as pa

from pipelines.model.declared import DeclaredModel
from pipelines.warehouse.db import SQL_DIR

_TS = pa.timestamp("us", tz="UTC")
_DUR = pa.duration("us")
_LIST = pa.list_(pa.string())

SCHEMAS: dict[str, pa.Schema] = {
    "model_agents": pa.schema(
        [
            ("agent_id", pa.string()), ("kind", pa.string()), ("sponsor", pa.string()), ("delegated_by", pa.string()),
            ("purpose", pa.string()), ("environment", pa.string()), ("expires", _TS),
            ("inactive_after", _DUR), ("unused_credential_after", _DUR), ("max_credential_age", _DUR),
        ]
    ),
    # `principal` as the provider's principal column holds it (see findings.md, the record's
    # `principal`); `scope_hint` is the scope it must be in, when the principal says (AWS account,
    # GCP project, SCIM app).
    "model_identities": pa.schema(
        [("agent_id", pa.string()), ("provider", pa.string()), ("principal", pa.string()), ("scope_hint", pa.string())]
    ),
    "model_allow_aws": pa.schema(
        [("agent_id", pa.string()), ("entry_index", pa.int32()), ("actions", _LIST), ("resources", _LIST)]
    ),
    # Allowances matched by equality: GCP roles (resource = the `on:` scope, null = anywhere),
    # Entra app roles (resource = the resource application) and directory roles, SCIM groups.
    "model_allow_grants": pa.schema(
        [
            ("agent_id", pa.string()), ("entry_index", pa.int32()), ("grant_kind", pa.string()),
            ("resource", pa.string()), ("role", pa.string()),
        ]
    ),
    "model_sponsors": pa.schema(
        [
            ("sponsor_id", pa.string()), ("listed", pa.bool_()), ("email", pa.string()), ("status", pa.string()),
            ("terminated_at", _TS), ("manager", pa.string()),
        ]
    ),
    "model_exceptions": pa.schema(
        [
            ("exception_index", pa.int32()), ("rule", pa.string()), ("agent_id", pa.string()),
            ("principal", pa.string()), ("scope", pa.string()), ("object", pa.string()), ("action", pa.string()),
            ("resource", pa.string()), ("reason", pa.string()), ("approved_by", pa.string()), ("expires", _TS),
        ]
    ),
    "model_settings": pa.schema(
        [
            ("model_hash", pa.string()), ("inactive_after", _DUR), ("unused_credential_after", _DUR),
            ("max_credential_age", _DUR), ("max_delegation_depth", pa.int32()), ("undeclared_grace", _DUR),
            ("ignore", _LIST), ("revocation_mode", pa.string()), ("max_actions_per_run", pa.int32()),
            ("model_guard_share", pa.float64()),
            ("sla_sponsor_inactive", _DUR), ("sla_expired", _DUR), ("sla_default", _DUR),
        ]
    ),
}


def scope_hint(identity) -> str | None:
    """The scope a declared identity must be in, when its principal says: the AWS account of an
    ARN, the GCP project of a service account, the SCIM app; None for an Entra id."""
    value = identity.value
    if identity.provider == "aws":
        return value.split(":")[4]
    if identity.provider == "gcp":
        domain = value.split("@", 1)[1]
        return domain.split(".", 1)[0] if domain.endswith(".iam.gserviceaccount.com") else None
    return value.app if identity.provider == "scim" else None


def _principal(identity) -> tuple[str, str, str | None]:
    """(provider, principal, scope hint) of a declared identity, spelled as observed rows spell it."""
    value = identity.value
    principal = {"aws": value, "gcp": str(value).lower(), "entra": str(value).lower()}.get(
        identity.provider) or f"{value.app}:{value.user}"
    return identity.provider, principal, scope_hint(identity)


def _grant_allowances(agent_id: str, index: int, allow) -> list[dict]:
    v, rows = allow.value, []
    if allow.provider == "gcp":
        rows = [("gcp_binding", v.on, role) for role in v.roles]
    elif allow.provider == "entra":
        rows = [("entra_app_role", v.resource, r) for r in v.app_roles]
        rows += [("entra_directory_role", None, r) for r in v.directory_roles]
    elif allow.provider == "scim":
        rows = [("scim_group", v.app, g) for g in v.groups]
    return [
        {"agent_id": agent_id, "entry_index": index, "grant_kind": k, "resource": res, "role": role}
        for k, res, role in rows
    ]


def model_tables(model: DeclaredModel) -> dict[str, pa.Table]:
    agents, identities, allow_aws, allow_grants = [], [], [], []
    for a in model.agents:
        agents.append(
            {
                "agent_id": a.id, "kind": a.kind, "sponsor": a.sponsor, "delegated_by": a.delegated_by,
                "purpose": a.purpose, "environment": a.environment, "expires": a.expires,
                "inactive_after": a.inactive_after, "unused_credential_after": a.unused_credential_after,
                "max_credential_age": a.max_credential_age,
            }
        )
        for i in a.identities:
            provider, principal, hint = _principal(i)
            identities.append({"agent_id": a.id, "provider": provider, "principal": principal, "scope_hint": hint})
        for index, allow in enumerate(a.allow):
            if allow.provider == "aws":
                allow_aws.append(
                    {"agent_id": a.id, "entry_index": index, "actions": allow.value.actions,
                     "resources": allow.value.resources}
                )
            else:
                allow_grants += _grant_allowances(a.id, index, allow)
    listed = {s.id: s for s in model.sponsors}
    sponsors = [
        {"sponsor_id": s.id, "listed": True, "email": s.email, "status": s.status, "terminated_at": s.terminated_at,
         "manager": s.manager}
        for s in listed.values()
    ]
    named = sorted({a.sponsor for a in model.agents if a.sponsor and not model.sponsor(a.sponsor)})
    sponsors += [{"sponsor_id": s, "listed": False} for s in named]
    exceptions = [
        {
            "exception_index": n, "rule": x.rule, "agent_id": x.agent, "principal": x.principal,
            "scope": x.match.scope, "object": x.match.object, "action": x.match.action,
            "resource": x.match.resource, "reason": x.reason, "approved_by": x.approved_by, "expires": x.expires,
        }
        for n, x in enumerate(model.exceptions)
    ]
    st, rev = model.settings, model.settings.revocation
    settings = {
        "model_hash": model.content_hash, "inactive_after": st.inactive_after,
        "unused_credential_after": st.unused_credential_after, "max_credential_age": st.max_credential_age,
        "max_delegation_depth": st.max_delegation_depth, "undeclared_grace": st.undeclared_grace,
        "ignore": st.ignore, "revocation_mode": rev.mode, "max_actions_per_run": rev.max_actions_per_run,
        "model_guard_share": rev.model_guard_share,
        "sla_sponsor_inactive": rev.sla.sponsor_inactive, "sla_expired": rev.sla.expired, "sla_default": rev.sla.default,
    }
    rows = {
        "model_agents": agents, "model_identities": identities, "model_allow_aws": allow_aws,
        "model_allow_grants": allow_grants, "model_sponsors": sponsors, "model_exceptions": exceptions,
        "model_settings": [settings],
    }
    return {name: pa.Table.from_pylist(rows[name], schema=schema) for name, schema in SCHEMAS.items()}


# Columns derived while loading a model table.
_COMPUTED = {"model_allow_aws": ", hash(actions, resources) AS entry_hash"}


def load_model_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> None:
    """Create the model's tables in `con` (temporary: sql/model/010_tables.sql) from `tables`,
    then what they derive (020, 030)."""
    con.execute((SQL_DIR / "model" / "010_tables.sql").read_text())
    for name, table in tables.items():
        con.register("_model_rows", table)
        con.execute(f"INSERT INTO {name} BY NAME SELECT *{_COMPUTED.get(name, '')} FROM _model_rows")
        con.unregister("_model_rows")
    for step in ("020_derived.sql", "030_sponsor_status.sql"):
        con.execute((SQL_DIR / "model" / step).read_text())
