"""The event-driven re-checks, evaluated as the daemon evaluates them (from the config, the HR
feed and the model; no warehouse, no provider call)."""

import time

import dagster as dg

from pipelines.defs.resources import EVENT_TAG, ONLY_TAG, IdriftResource
from pipelines.defs.sensors import declared_model_sensor, hr_sponsor_sensor
from tests.project import Project

A, B, C = "111111111111", "222222222222", "333333333333"
MODEL = f"""
version: 1
agents:
  - {{id: billing, kind: ai_agent, sponsor: alice@example.com, identities: [aws: "arn:aws:iam::{A}:role/billing"]}}
  - {{id: billing-ocr, kind: ai_agent, delegated_by: billing, identities: [aws: "arn:aws:iam::{B}:role/ocr"]}}
  - {{id: reports, kind: ai_agent, sponsor: bob, identities: [aws: "arn:aws:iam::{C}:role/reports"]}}
"""
PEOPLE = "id,email,status,terminated_at,manager\nalice,alice@example.com,active,,\nbob,bob@example.com,active,,\n"


def evaluate(sensor, project: Project, cursor: str | None):
    context = dg.build_sensor_context(cursor=cursor, resources={"idrift": IdriftResource(config_path=str(project.config))})
    return sensor(context), context.cursor


def test_a_sponsor_leaving_requests_a_run_for_exactly_their_chains(tmp_path):
    project = Project(tmp_path / "p", "http://127.0.0.1:1")
    project.configure([A, B, C], model=MODEL, people=PEOPLE)
    first, cursor = evaluate(hr_sponsor_sensor, project, None)
    assert isinstance(first, dg.SkipReason) and "first look" in first.skip_message
    unchanged, cursor = evaluate(hr_sponsor_sensor, project, cursor)
    assert isinstance(unchanged, dg.SkipReason)

    time.sleep(0.01)  # a new modification time
    project.write("hr/people.csv", PEOPLE.replace("alice,alice@example.com,active,,",
                                                  "alice,alice@example.com,terminated,2026-11-30T09:00:00Z,"))
    request, cursor = evaluate(hr_sponsor_sensor, project, cursor)

    assert isinstance(request, dg.RunRequest)
    assert request.tags[ONLY_TAG] == f"{A},{B},hr"  # her agent and its sub-agent, not bob's
    assert request.tags[EVENT_TAG].endswith("Z") and request.tags["idrift/left"] == "alice,alice@example.com"
    again, _ = evaluate(hr_sponsor_sensor, project, cursor)
    assert isinstance(again, dg.SkipReason)  # seen once, requested once


def test_a_changed_model_requests_a_reconcile_only(tmp_path):
    project = Project(tmp_path / "p", "http://127.0.0.1:1")
    project.configure([A], model=MODEL, people=PEOPLE)
    first, cursor = evaluate(declared_model_sensor, project, None)
    assert isinstance(first, dg.SkipReason)
    project.write("model/agents.yaml", MODEL.replace("reports, kind: ai_agent", "reports, kind: workload"))
    request, cursor = evaluate(declared_model_sensor, project, cursor)
    assert isinstance(request, dg.RunRequest) and request.run_key == cursor
    assert declared_model_sensor.job_name == "model_recheck"
    project.write("model/agents.yaml", "version: 2\n")  # a broken model: nothing is reconciled against it
    broken, _ = evaluate(declared_model_sensor, project, cursor)
    assert isinstance(broken, dg.SkipReason) and "does not load" in broken.skip_message
