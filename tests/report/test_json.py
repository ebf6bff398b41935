"""The JSON report written in pieces is the JSON report (`forensics.report.json_pieces`)."""

from __future__ import annotations

import json

import pytest

from forensics.model import InventoryEntry
from forensics.report import json_pieces, render

from ..conftest import SAMPLES

SAMPLE = SAMPLES / "upgrade-2.1-to-2.2.tar.gz"


@pytest.mark.parametrize("chunk", [1, 2, 7])
def test_pieces_make_the_whole_report(analyses, chunk):
    analysis = analyses(SAMPLE).analysis
    assert len(analysis.inventory) > 2 * chunk  # several chunks, the last one short
    pieces = list(json_pieces(analysis, chunk))
    assert len(pieces) > 2
    assert "".join(pieces) == render(analysis, "json")


def test_a_big_inventory_with_awkward_names_reads_back(analyses):
    """Thousands of entries whose paths and notes hold quotes, newlines, non-ASCII and the
    key's own text: the same text as whole, and JSON that reads back to the same entries."""
    analysis = analyses(SAMPLE).analysis
    names = ['a "quoted" name', "line\nbreak", "ünïcode/日本", '\n  "inventory": []', "back\\slash"]
    entries = [
        InventoryEntry(
            path=f"{i}/{names[i % len(names)]}", size=i, parser=None, rows=0, problems=i % 3, note=names[i % 5]
        )
        for i in range(12_001)
    ]
    big = analysis.model_copy(update={"inventory": entries})
    text = "".join(json_pieces(big))
    assert text == render(big, "json")
    assert [InventoryEntry(**entry) for entry in json.loads(text)["inventory"]] == entries


def test_a_small_inventory_is_one_piece(analyses):
    analysis = analyses(SAMPLE).analysis
    assert list(json_pieces(analysis)) == [render(analysis, "json")]


def test_json_on_standard_output_is_the_report(analyses, monkeypatch):
    """`-o json` prints the report a batch of pieces at a time: the same text as whole."""
    from click.testing import CliRunner

    from forensics import report
    from forensics.cli import analysis as command
    from forensics.cli import main

    from ..conftest import FIXED_TIME

    monkeypatch.setattr(report, "JSON_CHUNK", 2)
    monkeypatch.setattr(command, "ECHO_BYTES", 100)
    stamp = FIXED_TIME.isoformat().replace("+00:00", "Z")
    result = CliRunner().invoke(main, ["analyze", str(SAMPLE), "-o", "json", "--generated-at", stamp])
    assert result.exit_code in (0, 3, 4), result.output
    assert result.stdout == render(analyses(SAMPLE).analysis, "json")
