"""Exports: Timesketch JSONL/CSV with one row per timeline record, and Parquet for every frame."""

from __future__ import annotations

import csv
import json

import polars as pl
import pytest
from click.testing import CliRunner

from forensics.cli import main
from forensics.report.export import TIMESKETCH_COLUMNS

from ..conftest import SAMPLES

SAMPLE = SAMPLES / "upgrade-2.1-to-2.2.tar.gz"


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_timesketch_has_one_row_per_timeline_record(tmp_path, analyses, suffix):
    timeline = analyses(SAMPLE).timeline
    target = tmp_path / f"timeline{suffix}"
    result = CliRunner().invoke(main, ["export", str(SAMPLE), "--timesketch", str(target)])
    assert result.exit_code == 0, result.output
    if suffix == ".jsonl":
        rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    else:
        with target.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    assert len(rows) == timeline.height  # the full timeline, not the capped one in the Analysis
    assert list(rows[0]) == list(TIMESKETCH_COLUMNS)
    for row in rows:
        assert row["message"] and row["timestamp_desc"]
        assert row["datetime"].endswith("Z") and row["datetime"][10] == "T"
    first = timeline.row(0, named=True)
    assert int(rows[0]["timestamp"]) == int(first["ts"].timestamp() * 1_000_000)
    assert {r["release"] or "" for r in rows} >= {"apps/frontend", ""}


def test_parquet_writes_every_frame_and_the_timeline(tmp_path, analyses):
    run = analyses(SAMPLE)
    result = CliRunner().invoke(main, ["export", str(SAMPLE), "--parquet", str(tmp_path / "pq")])
    assert result.exit_code == 0, result.output
    names = {p.stem for p in (tmp_path / "pq").glob("*.parquet")}
    assert names == set(run.frames.data) | {"timeline"}
    assert pl.read_parquet(tmp_path / "pq" / "timeline.parquet").height == run.timeline.height
    releases = pl.read_parquet(tmp_path / "pq" / "releases.parquet")
    assert releases.height == run.frames["releases"].height and releases.schema["depends_on"] == pl.List(pl.String)
    # log lines are not held in memory; the export reads them again: every row has its line
    logs = pl.read_parquet(tmp_path / "pq" / "logs.parquet")
    assert logs.height == run.frames["logs"].height and logs["raw"].null_count() == 0
    lines = (SAMPLES / "upgrade-2.1-to-2.2" / logs["source"][0]).read_text().split("\n")  # the archive's folder twin
    assert all(
        row["raw"] == lines[row["line"] - 1]
        for row in logs.filter(pl.col("source") == logs["source"][0]).iter_rows(named=True)
    )
    timeline = pl.read_parquet(tmp_path / "pq" / "timeline.parquet")
    assert timeline.filter(pl.col("origin") == "log")["excerpt"].null_count() == 0


def test_export_needs_a_target_and_a_known_suffix(tmp_path):
    assert CliRunner().invoke(main, ["export", str(SAMPLE)]).exit_code == 2
    assert CliRunner().invoke(main, ["export", str(SAMPLE), "--timesketch", str(tmp_path / "t.xlsx")]).exit_code == 2
