"""Write schemas/declared-model.schema.json from the pydantic models (run after changing them)."""

from pathlib import Path

from pipelines.model.schema import json_schema_text

TARGET = Path(__file__).resolve().parent.parent / "schemas" / "declared-model.schema.json"

if __name__ == "__main__":
    TARGET.write_text(json_schema_text())
    print(f"wrote {TARGET}")
