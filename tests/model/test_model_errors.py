"""Every kind of error the declared-model page lists, each located exactly (file, line, column, key)."""

import pytest

from pipelines.model import load_model

AGENT = """
agents:
  - id: a1
    kind: workload
    sponsor: alice@example.com
"""

CASES = {
    "unknown top-level key": (
        {"m.yaml": "version: 1\nagnets: []\n"},
        ("m.yaml", 2, 1, "agnets"),
        "unknown key 'agnets'; did you mean 'agents'?",
    ),
    "unknown key in settings": (
        {"m.yaml": "settings:\n  inactve_after: 30d\n"},
        ("m.yaml", 2, 3, "settings.inactve_after"),
        "unknown key 'inactve_after'; did you mean 'inactive_after'?",
    ),
    "unknown key three levels down": (
        {"m.yaml": "settings:\n  revocation:\n    sla:\n      expird: 1h\n"},
        ("m.yaml", 4, 7, "settings.revocation.sla.expird"),
        "unknown key 'expird'; did you mean 'expired'?",
    ),
    "unknown key in an allow entry": (
        {
            "m.yaml": AGENT
            + "    allow:\n"
            + "      - aws: {actions: [s3:GetObject], resources: ['*'], condition: x}\n"
        },
        ("m.yaml", 6, 58, "agents[0].allow[0].aws.condition"),
        "unknown key 'condition'; expected one of actions, resources",
    ),
    "version other than 1": (
        {"m.yaml": "version: 2\n"},
        ("m.yaml", 1, 10, "version"),
        "expected 1 (the only version this idrift reads), got the number 2",
    ),
    "unknown kind": (
        {"m.yaml": AGENT.replace("kind: workload", "kind: robot")},
        ("m.yaml", 3, 11, "agents[0].kind"),
        "expected one of ai_agent, service_account, workload; got 'robot'",
    ),
    "root agent without sponsor": (
        {"m.yaml": AGENT.replace("    sponsor: alice@example.com\n", "    purpose: x\n")},
        ("m.yaml", 2, 5, "agents[0].sponsor"),
        "a root agent (one without delegated_by) needs a sponsor",
    ),
    "sub-agent with a sponsor": (
        {"m.yaml": AGENT + "  - id: a2\n    kind: workload\n    delegated_by: a1\n    sponsor: bob@example.com\n"},
        ("m.yaml", 8, 14, "agents[1].sponsor"),
        "a sub-agent takes its sponsor from its root; remove sponsor or delegated_by",
    ),
    "unknown delegated_by": (
        {"m.yaml": AGENT + "  - id: a2\n    kind: workload\n    delegated_by: a11\n"},
        ("m.yaml", 7, 19, "agents[1].delegated_by"),
        "unknown agent 'a11'; did you mean 'a1'?",
    ),
    "delegation cycle": (
        {
            "m.yaml": AGENT
            + "  - id: b1\n    kind: workload\n    delegated_by: b2\n"
            + "  - id: b2\n    kind: workload\n    delegated_by: b1\n"
        },
        ("m.yaml", 7, 19, "agents[1].delegated_by"),
        "delegation cycle: b1 delegated_by b2 delegated_by b1",
    ),
    "malformed duration": (
        {"m.yaml": AGENT + "    max_credential_age: 30 days\n"},
        ("m.yaml", 5, 25, "agents[0].max_credential_age"),
        "expected a duration like 90d, 24h or 30m, got '30 days'",
    ),
    "duration as a bare number": (
        {"m.yaml": "settings:\n  undeclared_grace: 7\n"},
        ("m.yaml", 2, 21, "settings.undeclared_grace"),
        "expected a duration like 90d, 24h or 30m, got the number 7",
    ),
    "impossible date": (
        {"m.yaml": AGENT + "    expires: 2027-02-30\n"},
        ("m.yaml", 5, 14, "agents[0].expires"),
        "expected a date like 2027-06-30 or an instant like 2027-06-30T17:00:00Z, got '2027-02-30'"
        " (day is out of range for month)",
    ),
    "date that is not a date": (
        {"m.yaml": AGENT + "    expires: next june\n"},
        ("m.yaml", 5, 14, "agents[0].expires"),
        "got 'next june'",
    ),
    "unknown provider key under identities": (
        {"m.yaml": AGENT + "    identities:\n      - awz: arn:aws:iam::111122223333:role/a1\n"},
        ("m.yaml", 6, 9, "agents[0].identities[0].awz"),
        "unknown provider key 'awz'; did you mean 'aws'?",
    ),
    "unknown provider key under allow": (
        {"m.yaml": AGENT + "    allow:\n      - gpc: {roles: [roles/viewer]}\n"},
        ("m.yaml", 6, 9, "agents[0].allow[0].gpc"),
        "unknown provider key 'gpc'; did you mean 'gcp'?",
    ),
    "two provider keys in one identity": (
        {
            "m.yaml": AGENT
            + "    identities:\n      - {gcp: a1@p.iam.gserviceaccount.com, entra: 00000000-0000-0000-0000-000000000001}\n"
        },
        ("m.yaml", 6, 9, "agents[0].identities[0]"),
        "expected exactly one provider key: aws, gcp, entra, scim; got gcp and entra",
    ),
    "identity that is not an IAM principal ARN": (
        {"m.yaml": AGENT + "    identities:\n      - aws: arn:aws:iam::11112222333:role/a1\n"},
        ("m.yaml", 6, 14, "agents[0].identities[0].aws"),
        "expected an IAM user or role ARN",
    ),
    "missing key in a nested mapping": (
        {"m.yaml": AGENT + "    identities:\n      - scim: {app: slack}\n"},
        ("m.yaml", 6, 15, "agents[0].identities[0].scim.user"),
        "required key 'user' is missing",
    ),
    "YAML that does not parse": (
        {"m.yaml": "agents:\n  - id: a1\n    kind: [workload\n"},
        ("m.yaml", 4, 1, ""),
        "invalid YAML: expected ',' or ']'",
    ),
    "duplicate key in a mapping": (
        {"m.yaml": AGENT + "    kind: ai_agent\n"},
        ("m.yaml", 5, 5, ""),
        'invalid YAML: found duplicate key "kind"',
    ),
    "settings in two files": (
        {"a.yaml": "settings: {inactive_after: 30d}\n", "b/c.yaml": "# team settings\nsettings:\n  inactive_after: 60d\n"},
        ("b/c.yaml", 2, 1, "settings"),
        "settings may appear in one file only (also defined at {root}/a.yaml:1:1)",
    ),
    "duplicate agent id across two files": (
        {"a.yaml": AGENT, "other.yaml": "# other" + AGENT.replace("sponsor: alice", "sponsor: bob")},
        ("other.yaml", 3, 9, "agents[0].id"),
        "duplicate agent id 'a1' (also defined at {root}/a.yaml:2:9)",
    ),
    "duplicate sponsor id, whatever the case": (
        {"m.yaml": "sponsors:\n  - id: alice@example.com\n  - id: Alice@Example.com\n"},
        ("m.yaml", 3, 9, "sponsors[1].id"),
        "duplicate sponsor id 'alice@example.com' (also defined at {root}/m.yaml:2:9)",
    ),
    "terminated_at without status terminated": (
        {"m.yaml": "sponsors:\n  - id: dave@example.com\n    terminated_at: 2026-11-20\n"},
        ("m.yaml", 2, 5, "sponsors[0].status"),
        "terminated_at is set but status is 'active'; set status: terminated",
    ),
    "exception naming neither agent nor principal": (
        {
            "m.yaml": "exceptions:\n  - rule: ENT-EXCESS\n    reason: r\n"
            "    approved_by: carol@example.com\n    expires: 2027-01-31\n"
        },
        ("m.yaml", 2, 5, "exceptions[0]"),
        "name the agent or the principal it applies to",
    ),
    "exception naming an unknown agent": (
        {
            "m.yaml": AGENT + "exceptions:\n  - rule: ENT-EXCESS\n    agent: a2\n    reason: r\n"
            "    approved_by: carol@example.com\n    expires: 2027-01-31\n"
        },
        ("m.yaml", 7, 12, "exceptions[0].agent"),
        "unknown agent 'a2'",
    ),
    "wrong type": (
        {"m.yaml": AGENT + "    identities: arn:aws:iam::111122223333:role/a1\n"},
        ("m.yaml", 5, 17, "agents[0].identities"),
        "expected a list, got 'arn:aws:iam::111122223333:role/a1'",
    ),
    "top level that is not a mapping": (
        {"m.yaml": "- id: a1\n"},
        ("m.yaml", 1, 1, ""),
        "expected a mapping (key: value), got a list",
    ),
}


@pytest.mark.parametrize("files, where, message", CASES.values(), ids=CASES.keys())
def test_each_error_is_located(model_dir, files, where, message):
    for name, text in files.items():
        model_dir.write(name, text)
    err = model_dir.error()
    assert model_dir.where(err) == where
    assert message.format(root=model_dir.root) in err.message
    assert str(err).startswith(f"{model_dir.root / where[0]}:{where[1]}:{where[2]}: ")


def test_every_error_across_files_is_reported_at_once(model_dir):
    model_dir.write(
        "a.yaml",
        """
        settings:
          inactve_after: 30d
        agents:
          - id: invoice-agent
            kind: ai_agnet
            sponsor: alice@example.com
        """,
    )
    model_dir.write(
        "teams/b.yaml",
        """
        version: 2
        agents:
          - id: invoice-agent
            kind: workload
            sponsor: bob@example.com
          - id: ocr
            kind: ai_agent
            delegated_by: invoice-agnet
            expires: 2027-13-01
        """,
    )
    errors = model_dir.errors()
    root = model_dir.root
    assert [model_dir.where(e) for e in errors] == [
        ("a.yaml", 2, 3, "settings.inactve_after"),
        ("a.yaml", 5, 11, "agents[0].kind"),
        ("teams/b.yaml", 1, 10, "version"),
        ("teams/b.yaml", 3, 9, "agents[0].id"),
        ("teams/b.yaml", 8, 19, "agents[1].delegated_by"),
        ("teams/b.yaml", 9, 14, "agents[1].expires"),
    ]
    assert "did you mean 'ai_agent'?" in errors[1].message
    assert errors[3].message == f"duplicate agent id 'invoice-agent' (also defined at {root}/a.yaml:4:9)"
    assert errors[4].message == "unknown agent 'invoice-agnet'; did you mean 'invoice-agent'?"


def test_an_agent_with_its_own_error_is_still_known_to_references(model_dir):
    model_dir.write(
        "m.yaml",
        """
        agents:
          - id: parent
            kind: ai_agent
            sponsor: alice@example.com
            inactive_after: soon
          - id: child
            kind: ai_agent
            delegated_by: parent
        """,
    )
    assert model_dir.where(model_dir.error()) == ("m.yaml", 5, 21, "agents[0].inactive_after")


def test_unknown_rule_when_the_rules_are_known(model_dir):
    model_dir.write(
        "m.yaml",
        AGENT + "exceptions:\n  - rule: ENT-EXCES\n    agent: a1\n    reason: r\n"
        "    approved_by: c\n    expires: 2027-01-31\n",
    )
    err = model_dir.error(known_rules=["ENT-EXCESS", "IDN-DORMANT"])
    assert model_dir.where(err) == ("m.yaml", 6, 11, "exceptions[0].rule")
    assert err.message == "unknown rule 'ENT-EXCES'; did you mean 'ENT-EXCESS'?"


def test_missing_folder_and_empty_folder(tmp_path):
    from pipelines.located import LoadErrors

    with pytest.raises(LoadErrors) as info:
        load_model(tmp_path / "nowhere")
    assert str(info.value) == f"{tmp_path / 'nowhere'}: no such file or folder"
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadErrors) as info:
        load_model(tmp_path / "empty")
    assert "no *.yaml or *.yml files" in str(info.value)


def test_a_value_merged_from_an_anchor_is_located(model_dir):
    model_dir.write(
        "m.yaml",
        """
        agents:
          - &base
            id: a0
            kind: robot
            sponsor: alice@example.com
          - <<: *base
            id: a1
        """,
    )
    errors = model_dir.errors()
    # The anchor's own value, then the mapping that merges it in.
    assert [model_dir.where(e) for e in errors] == [
        ("m.yaml", 4, 11, "agents[0].kind"),
        ("m.yaml", 6, 5, "agents[1].kind"),
    ]
