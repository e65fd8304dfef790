"""The JSON Schema shipped for editors is the one the pydantic models generate."""

import json
from pathlib import Path

import pytest

from pipelines.located import read_yaml
from pipelines.model.schema import json_schema_text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "schemas" / "declared-model.schema.json"
EXAMPLE = Path(__file__).parent / "cases" / "example" / "model.yaml"


def test_shipped_schema_is_in_sync_with_the_models():
    assert SHIPPED.read_text() == json_schema_text(), "run: .venv/bin/python scripts/gen_schema.py"


def test_schema_accepts_the_example_and_catches_typos():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SHIPPED.read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    assert list(validator.iter_errors(read_yaml(EXAMPLE).plain())) == []
    bad = {
        "settings": {"inactve_after": "30d"},
        "agents": [{"id": "a", "kind": "ai_agent", "sponsor": "s", "identities": [{"awz": "x"}]}],
    }
    assert len(list(validator.iter_errors(bad))) == 2
