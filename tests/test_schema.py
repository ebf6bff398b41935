"""The published JSON Schema (schema/analysis.schema.json) is current and the output fits it."""

from __future__ import annotations

import json

import pytest

from forensics.model import Analysis
from forensics.report import render
from forensics.schema import SCHEMA_FILE, json_schema, json_schema_text

from .conftest import ROOT, SAMPLES

SAMPLES_JSON = ["upgrade-2.1-to-2.2.tar.gz", "ticket-flux-get-hr"]


def test_committed_schema_is_current():
    committed = ROOT / SCHEMA_FILE
    assert committed.exists(), f"{SCHEMA_FILE} missing: run `forensics schema -o {SCHEMA_FILE}`"
    assert committed.read_text(encoding="utf-8") == json_schema_text(), (
        f"{SCHEMA_FILE} is out of date with forensics/model.py: run `forensics schema -o {SCHEMA_FILE}` and review the diff"
    )


@pytest.mark.parametrize("sample", SAMPLES_JSON)
def test_json_output_validates_against_the_schema(sample, analyses):
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(render(analyses(SAMPLES / sample).analysis, "json"))
    validator = jsonschema.Draft202012Validator(json.loads((ROOT / SCHEMA_FILE).read_text(encoding="utf-8")))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    assert set(data) <= set(json_schema()["properties"])  # nothing unpublished in the output


@pytest.mark.parametrize("sample", SAMPLES_JSON)
def test_json_round_trips_through_the_model(sample, analyses):
    analysis = analyses(SAMPLES / sample).analysis
    text = render(analysis, "json")
    again = Analysis.model_validate_json(text)
    assert again.model_dump_json(indent=2) + "\n" == text


def test_schema_command(tmp_path):
    from click.testing import CliRunner

    from forensics.cli import main

    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0 and json.loads(result.output)["title"] == "Analysis"
    target = tmp_path / "s.json"
    assert CliRunner().invoke(main, ["schema", "-o", str(target)]).exit_code == 0
    assert target.read_text() == json_schema_text()
