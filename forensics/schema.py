"""The published JSON Schema of the `Analysis` JSON (schema/analysis.schema.json).

Regenerate after changing forensics/model.py with `forensics schema -o schema/analysis.schema.json`
(tests/test_schema.py fails while the committed file is out of date).
"""

from __future__ import annotations

import json

from forensics.model import SCHEMA_VERSION, Analysis

SCHEMA_FILE = "schema/analysis.schema.json"


def json_schema() -> dict:
    """The schema of what `--format json` writes (serialization mode: excluded fields absent)."""
    schema = Analysis.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"flux-forensics/analysis/{SCHEMA_VERSION}",
        **schema,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
