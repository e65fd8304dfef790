"""The sources config: discovery, relative paths, and errors that name file, line and key."""

from pathlib import Path
from textwrap import dedent

import pytest

from pipelines.config import find_config, load_config
from pipelines.located import LoadErrors

INTERFACES_EXAMPLE = """
warehouse: data/idrift.duckdb        # the DuckDB file
staging: data/staging                # local folder or any fsspec URL (s3://bucket/prefix)
reports: reports                     # where per-run reports are written
model: examples/model                # folder of declared-model YAML
sources:
  - aws:
      accounts: ["111122223333"]     # strings (12 digits); or: organization: true (list via Organizations)
      assume_role: IdriftReadOnly    # role name assumed in each account; omit to use the ambient credentials
      environments: {"111122223333": prod}   # optional environment label per scope (USE-REUSE-XENV)
      schedule: hourly               # hourly (and nightly) or nightly only; default hourly
      # endpoint: http://127.0.0.1:5000   (AWS_ENDPOINT_URL works too)
  - gcp:
      projects: [acme-prod]          # project ids
      environments: {acme-prod: prod}
      # credentials: the ADC chain or GOOGLE_APPLICATION_CREDENTIALS; endpoint: for private / test endpoints
  - entra:
      tenant_id: 00000000-0000-0000-0000-000000000000
      environments: {"00000000-0000-0000-0000-000000000000": prod}
      # credentials: AZURE_CLIENT_ID / AZURE_CLIENT_SECRET / AZURE_TENANT_ID, or DefaultAzureCredential
      # authority / graph_url: for sovereign clouds and test endpoints
  - scim:
      name: slack                    # the scope id of this app; used in principals (slack:userName)
      url: https://api.slack.com/scim/v2
      token_env: SLACK_SCIM_TOKEN
  - hr:
      csv: examples/hr/people.csv    # columns: id, email, status, terminated_at, manager
"""

MINIMAL = "model: model\nsources:\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text).lstrip("\n"))
    return path


def only_error(path: Path):
    with pytest.raises(LoadErrors) as info:
        load_config(path)
    assert len(info.value.errors) == 1, str(info.value)
    return info.value.errors[0]


def test_interfaces_example_loads_with_paths_from_the_config_folder(tmp_path):
    config = load_config(write(tmp_path / "conf" / "idrift.yaml", INTERFACES_EXAMPLE))
    base = (tmp_path / "conf").resolve()
    assert config.path == tmp_path / "conf" / "idrift.yaml"
    assert config.warehouse == base / "data" / "idrift.duckdb"
    assert config.staging == str(base / "data" / "staging")
    assert (config.reports, config.model) == (base / "reports", base / "examples" / "model")
    assert config.hr_sources[0].csv == base / "examples" / "hr" / "people.csv"
    assert (config.retention_days, config.workers) == (400, 4)
    (aws,) = config.aws_sources
    assert aws.accounts == ["111122223333"] and aws.environments == {"111122223333": "prod"}
    assert (aws.assume_role, aws.revoke_role) == ("IdriftReadOnly", "IdriftReadOnly")
    assert (aws.schedule, aws.region, aws.max_attempts, aws.organization) == ("hourly", "us-east-1", 10, False)
    assert config.gcp_sources[0].projects == ["acme-prod"]
    assert config.entra_sources[0].tenant_id == "00000000-0000-0000-0000-000000000000"
    assert (config.scim_sources[0].name, config.scim_sources[0].token_env) == ("slack", "SLACK_SCIM_TOKEN")


def test_urls_and_absolute_paths_are_left_as_written(tmp_path):
    config = load_config(
        write(
            tmp_path / "idrift.yaml",
            f"""
            staging: s3://bucket/prefix
            model: {tmp_path / "elsewhere"}
            sources:
              - aws: {{organization: true, assume_role: Read, revoke_role: Revoke, schedule: nightly}}
              - gcp: {{projects: [p1], credentials: ../keys/sa.json}}
            """,
        )
    )
    assert config.staging == "s3://bucket/prefix"
    assert config.model == tmp_path / "elsewhere"
    assert config.gcp_sources[0].credentials == tmp_path.resolve().parent / "keys" / "sa.json"
    aws = config.aws_sources[0]
    assert (aws.organization, aws.accounts, aws.revoke_role, aws.schedule) == (True, None, "Revoke", "nightly")


CASES = {
    "bare number account": (
        'model: m\nsources:\n  - aws:\n      accounts: ["111122223333", 012345678901]\n',
        (4, 34, "sources[0].aws.accounts[1]"),
        'account ids must be quoted strings ("012345678901"); YAML reads bare numbers as integers'
        " (and 012345678901 as octal)",
    ),
    "bare number environments key": (
        'model: m\nsources:\n  - aws:\n      accounts: ["111122223333"]\n      environments: {111122223333: prod}\n',
        (5, 22, "sources[0].aws.environments[111122223333]"),
        'account ids must be quoted strings ("111122223333")',
    ),
    "account id that is not 12 digits": (
        'model: m\nsources:\n  - aws: {accounts: ["11112222333"]}\n',
        (3, 22, "sources[0].aws.accounts[0]"),
        "expected a 12-digit AWS account id, got '11112222333'",
    ),
    "unknown top-level key": (
        "model: m\nretention_dayz: 30\n",
        (2, 1, "retention_dayz"),
        "unknown key 'retention_dayz'; did you mean 'retention_days'?",
    ),
    "unknown key in a source": (
        'model: m\nsources:\n  - aws:\n      accounts: ["111122223333"]\n      asume_role: Read\n',
        (5, 7, "sources[0].aws.asume_role"),
        "unknown key 'asume_role'; did you mean 'assume_role'?",
    ),
    "unknown source": (
        "model: m\nsources:\n  - gpc: {projects: [p]}\n",
        (3, 5, "sources[0].gpc"),
        "unknown provider key 'gpc'; did you mean 'gcp'?",
    ),
    "secret-looking key": (
        "model: m\nsources:\n  - scim:\n      name: slack\n      url: https://x.test/scim\n      token: abc\n"
        "      token_env: SLACK_TOKEN\n",
        (6, 7, "sources[0].scim.token"),
        "'token' would put a secret in the config; keep it in an environment variable (SCIM: name it with token_env",
    ),
    "secret in token_env": (
        "model: m\nsources:\n  - scim:\n      name: slack\n      url: https://x.test/scim\n"
        "      token_env: xoxb-123456789012-fakeabcdefgh\n",
        (6, 18, "sources[0].scim.token_env"),
        "this value looks like a secret",
    ),
    "organization and accounts together": (
        'model: m\nsources:\n  - aws:\n      accounts: ["111122223333"]\n      organization: true\n',
        (5, 21, "sources[0].aws.organization"),
        "use either accounts or organization: true, not both",
    ),
    "neither organization nor accounts": (
        "model: m\nsources:\n  - aws:\n      assume_role: Read\n",
        (4, 7, "sources[0].aws"),
        "list the accounts, or set organization: true",
    ),
    "bad schedule": (
        'model: m\nsources:\n  - aws:\n      accounts: ["111122223333"]\n      schedule: daily\n',
        (5, 17, "sources[0].aws.schedule"),
        "expected one of hourly, nightly; got 'daily'",
    ),
    "environment label for a scope the source does not sync": (
        "model: m\nsources:\n  - gcp:\n      projects: [acme-prod]\n      environments: {acme-prd: prod}\n",
        (5, 22, "sources[0].gcp.environments.acme-prd"),
        "'acme-prd' is not one of this source's scopes (acme-prod)",
    ),
    "scope listed twice": (
        'model: m\nsources:\n  - aws: {accounts: ["111122223333"]}\n  - aws: {accounts: ["111122223333"]}\n',
        (4, 22, "sources[1].aws.accounts[0]"),
        "AWS account 111122223333 is listed twice (also at {file}:3:22)",
    ),
    "two HR sources": (
        "model: m\nsources:\n  - hr: {csv: a.csv}\n  - hr: {csv: b.csv}\n",
        (4, 9, "sources[1].hr"),
        "the HR source is listed twice (also at {file}:3:9)",
    ),
    "missing model": (
        "warehouse: w.duckdb\n",
        (1, 1, "model"),
        "required key 'model' is missing",
    ),
    "not a number": (
        "model: m\nworkers: four\n",
        (2, 10, "workers"),
        "expected a whole number, got 'four'",
    ),
    "YAML that does not parse": (
        "model: m\nsources: [\n",
        (3, 1, ""),
        "invalid YAML",
    ),
}


@pytest.mark.parametrize("text, where, message", CASES.values(), ids=CASES.keys())
def test_each_config_error_names_file_line_and_key(tmp_path, text, where, message):
    path = write(tmp_path / "idrift.yaml", text)
    err = only_error(path)
    assert (err.file, err.line, err.column, err.key) == (str(path), *where)
    assert message.format(file=path) in err.message


def test_all_config_errors_at_once(tmp_path):
    path = write(
        tmp_path / "idrift.yaml",
        """
        model: m
        workerz: 2
        sources:
          - aws: {accounts: [111122223333]}
          - hr: {csv: people.csv, password: hunter2}
        """,
    )
    with pytest.raises(LoadErrors) as info:
        load_config(path)
    assert [(e.line, e.key) for e in info.value.errors] == [
        (2, "workerz"),
        (4, "sources[0].aws.accounts[0]"),
        (5, "sources[1].hr.password"),
    ]
    assert str(info.value).splitlines()[0] == f"{path}:2:1: workerz: unknown key 'workerz'; did you mean 'workers'?"


def test_discovery_order(tmp_path, monkeypatch):
    explicit = write(tmp_path / "explicit.yaml", MINIMAL)
    from_env = write(tmp_path / "env.yaml", MINIMAL)
    write(tmp_path / "idrift.yaml", MINIMAL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IDRIFT_CONFIG", str(from_env))
    assert find_config(str(explicit)) == explicit
    assert find_config(None) == from_env
    monkeypatch.delenv("IDRIFT_CONFIG")
    assert find_config(None) == Path("idrift.yaml")


def test_missing_config_says_how_it_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IDRIFT_CONFIG", raising=False)
    with pytest.raises(LoadErrors) as info:
        find_config(None)
    assert str(info.value) == (
        "idrift.yaml: no config: pass --config PATH, set IDRIFT_CONFIG, or create idrift.yaml in the current folder"
    )
    with pytest.raises(LoadErrors) as info:
        find_config("nope.yaml")
    assert str(info.value) == "nope.yaml: config file not found (given with --config)"
    monkeypatch.setenv("IDRIFT_CONFIG", "gone.yaml")
    with pytest.raises(LoadErrors) as info:
        find_config(None)
    assert str(info.value) == "gone.yaml: config file not found (named by IDRIFT_CONFIG)"
