"""The page's example loads as written and means what the page says."""

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipelines.model import load_model

EXAMPLE = Path(__file__).parent / "cases" / "example"
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def test_example_loads_and_means_what_it_says():
    model = load_model(EXAMPLE, now=NOW)
    s = model.settings
    assert (s.inactive_after, s.unused_credential_after, s.max_credential_age) == (timedelta(days=90),) * 3
    assert s.max_delegation_depth == 3 and s.undeclared_grace == timedelta(days=7)
    assert s.ignore == ["arn:aws:iam::*:role/aws-reserved/*", "arn:aws:iam::*:role/OrganizationAccountAccessRole"]
    assert (s.revocation.mode, s.revocation.max_actions_per_run) == ("dry_run", 50)
    assert (s.revocation.sla.sponsor_inactive, s.revocation.sla.expired, s.revocation.sla.default) == (
        timedelta(hours=24),
        timedelta(hours=1),
        timedelta(days=7),
    )

    alice, dave = model.sponsors
    assert (alice.id, alice.status, alice.manager) == ("alice@example.com", "active", "bob@example.com")
    assert dave.terminated_at == datetime(2026, 11, 20, 17, tzinfo=timezone.utc)
    assert model.sponsor("DAVE@example.com") is dave

    agent, ocr = model.agents
    assert agent.expires == datetime(2027, 6, 30, tzinfo=timezone.utc)  # a bare date: 00:00 UTC
    assert agent.expires.tzinfo is timezone.utc
    assert (agent.kind, agent.environment) == ("ai_agent", "prod")
    assert [(i.provider, i.value) for i in agent.identities[:4]] == [
        ("aws", "arn:aws:iam::111122223333:role/invoice-agent"),
        ("aws", "arn:aws:iam::111122223333:user/invoice-agent-ci"),
        ("gcp", "invoice-agent@acme-prod.iam.gserviceaccount.com"),
        ("entra", "00000000-0000-0000-0000-00000000a001"),
    ]
    scim = agent.identities[4].scim
    assert (scim.app, scim.user) == ("slack", "invoice-bot")
    assert [a.provider for a in agent.allow] == ["aws", "aws", "gcp", "entra", "entra", "scim"]
    assert agent.allow[1].aws.actions == ["sqs:Receive*"]
    assert (agent.allow[2].gcp.roles, agent.allow[2].gcp.on) == (["roles/storage.objectViewer"], "projects/acme-prod")
    assert (agent.allow[3].entra.resource, agent.allow[3].entra.app_roles) == ("Microsoft Graph", ["Mail.Read"])
    assert agent.allow[4].entra.directory_roles == ["Directory Readers"]
    assert agent.allow[5].scim.groups == ["finance-bots"]

    assert (agent.max_credential_age, ocr.max_credential_age) == (timedelta(days=30), None)
    assert ocr.sponsor is None and ocr.delegated_by == "invoice-agent"

    (exc,) = model.exceptions
    assert (exc.rule, exc.agent, exc.principal) == ("ENT-EXCESS", "invoice-agent", None)
    assert exc.match.action == "sqs:DeleteMessage"
    assert exc.expires == datetime(2027, 1, 31, tzinfo=timezone.utc)
    assert model.warnings == []
    assert model.files == ["model.yaml"]


def test_a_single_file_loads_too():
    assert load_model(EXAMPLE / "model.yaml", now=NOW).files == ["model.yaml"]


def test_files_merge_and_defaults_apply(tmp_path):
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "a.yml").write_text(
        "agents:\n  - {id: a, kind: workload, sponsor: erin@example.com}\n"
        "  - {id: b, kind: workload, delegated_by: a}\n"
    )
    (tmp_path / "c.yaml").write_text("version: 1\nagents:\n  - {id: c, kind: workload, delegated_by: b}\n")
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "ci.yml").write_text("on: push\n")  # not part of the model
    model = load_model(tmp_path)
    assert model.files == ["agents/a.yml", "c.yaml", "empty.yaml"]
    assert model.settings.revocation.sla.expired == timedelta(hours=1)  # no settings anywhere: the defaults
    # erin is not under sponsors: not an error (the HR source usually knows her)
    assert [(a.id, a.sponsor, a.delegated_by) for a in model.agents] == [
        ("a", "erin@example.com", None), ("b", None, "a"), ("c", None, "b")]


def test_content_hash_follows_paths_and_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(EXAMPLE, a)
    shutil.copytree(EXAMPLE, b)
    assert load_model(a).content_hash == load_model(b).content_hash
    (b / "model.yaml").write_text((b / "model.yaml").read_text() + "# a comment changes the bytes\n")
    assert load_model(a).content_hash != load_model(b).content_hash
    (b / "model.yaml").rename(b / "renamed.yaml")
    (b / "renamed.yaml").write_text((a / "model.yaml").read_text())
    assert load_model(a).content_hash != load_model(b).content_hash


def test_an_exception_longer_than_a_year_loads_with_a_warning(tmp_path):
    (tmp_path / "m.yaml").write_text(
        "exceptions:\n  - rule: TRUST-WEAK\n    principal: arn:aws:iam::111122223333:role/x\n"
        "    reason: vendor trust\n    approved_by: carol@example.com\n    expires: 2028-01-01\n"
    )
    model = load_model(tmp_path, now=NOW)
    (warning,) = model.warnings
    assert (warning.line, warning.column, warning.key) == (6, 14, "exceptions[0].expires")
    assert "more than a year" in str(warning)
    assert model.exceptions[0].principal == "arn:aws:iam::111122223333:role/x"


def test_the_user_doc_example_loads(tmp_path):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "declared-model.md").read_text()
    (tmp_path / "model.yaml").write_text(doc.split("```yaml\n", 1)[1].split("```", 1)[0])
    model = load_model(tmp_path, now=NOW)
    assert [(a.id, a.sponsor, a.delegated_by) for a in model.agents] == [
        ("invoice-agent", "alice@example.com", None), ("invoice-ocr", None, "invoice-agent")]
