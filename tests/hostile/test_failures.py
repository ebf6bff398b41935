"""One thing goes wrong inside the run (a parser raises, an internal error, a bundle over its time
limit, a member stopped mid-way, a large export): it is one clear problem, the rest is kept."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from click.testing import CliRunner

from forensics.cli import main

from . import GOOD, GOOD_LOG, LINE, MIB, folder, tar


def test_hard_link_inside_is_read_once_where_it_points(tmp_path: Path):
    path = tar(tmp_path / "h.tar", [(GOOD, "file", GOOD_LOG), ("twin.log", "hardlink", GOOD)], compression="")
    result = CliRunner().invoke(main, ["inventory", str(path)])
    assert result.exit_code == 0
    assert f"twin.log\t-\trows=0\tproblems=0\thard link to {GOOD} (read there)" in result.output


def test_a_parser_that_raises_is_one_problem_and_the_rest_is_analysed(tmp_path: Path, monkeypatch):
    from parsers import objects

    def boom(*args):
        raise RuntimeError("boom")

    # every object file is read by it, alone or with other small files (`objects.parse_many`)
    monkeypatch.setattr(objects, "_rows_of", boom)
    path = folder(tmp_path / "b", {"hr.yaml": b"apiVersion: v1\nkind: HelmRelease\nmetadata: {name: x}\n"})
    result = CliRunner().invoke(main, ["analyze", str(path), "-f", "json", "-o", "-", "--fail-on", "never"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert {
        "source": "hr.yaml",
        "line": None,
        "reason": "parser kubernetes-objects failed: RuntimeError: boom",
        "excerpt": "",
    } in data["problems"]
    assert data["bundle"]["rows"]["logs"] == 3
    assert data["bundle"]["rows"]["releases"] == 1  # the file is still read, as a paste is


def test_an_internal_error_is_one_line_exit_1_and_debug_shows_it(tmp_path: Path, monkeypatch):
    from forensics import engine

    def broken(*args, **kwargs):
        raise KeyError("password=hunter2 in a broken rule")

    monkeypatch.setattr(engine, "run", broken)
    path = folder(tmp_path / "b", {})
    result = CliRunner().invoke(main, ["analyze", str(path), "-f", "json", "-o", "-"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "internal error: KeyError: 'password=[REDACTED] in a broken rule' (a bug; re-run with --debug for the traceback)"
    ]
    assert "Traceback" not in result.output
    debug = CliRunner().invoke(main, ["--debug", "analyze", str(path), "-f", "json", "-o", "-"])
    assert isinstance(debug.exception, KeyError)  # raised, so Python prints the traceback


def test_fleet_records_a_bundle_over_its_time_limit_and_writes_the_summary(tmp_path: Path, monkeypatch):
    import forensics

    slow = folder(tmp_path / "slow", {})
    good = folder(tmp_path / "good", {"x/manager.log": LINE})
    real = forensics.run

    def run(path, **options):
        if Path(path).name == "slow":
            time.sleep(30)  # stands for a bundle that takes too long
        return real(path, **options)

    monkeypatch.setattr(forensics, "run", run)
    started = time.monotonic()
    result = CliRunner().invoke(
        main,
        [
            "fleet",
            str(slow),
            str(good),
            "--out",
            str(tmp_path / "out"),
            "--workers",
            "1",
            "--no-reports",
            "--timeout",
            "1",
        ],
    )
    assert result.exit_code == 2, result.output  # a bundle failed
    assert time.monotonic() - started < 20
    assert "1 analysed" in result.output and "1 failed" in result.output
    assert "timed out after 1 s (raise the limit with --timeout)" in result.output
    summary = (tmp_path / "out" / "fleet.md").read_text()
    assert "timed out after 1 s" in summary


def test_a_member_stopped_mid_way_leaves_no_copy_on_disk(tmp_path: Path):
    """A big tar member is copied to the spool as it is read; stopped by a cap, its copy is
    removed at once (the rest of the spool goes with the analysis)."""
    from forensics.load import load

    path = tar(
        tmp_path / "bomb.tar.gz",
        [(GOOD, "file", GOOD_LOG), ("bomb.log", "zeros", 40 * MIB), ("noise.bin", "file", os.urandom(400_000))],
        level=9,
    )
    frames = load(str(path))
    assert any(
        "bomb.log" in p and "stopped reading" in r for p, r in frames["problems"].select("source", "reason").iter_rows()
    )
    spool = frames.lines.keep
    assert spool is not None and os.listdir(spool.name) == []


def test_the_parquet_export_written_in_pieces_is_the_whole(tmp_path: Path, monkeypatch):
    """Logs and timeline are written a piece at a time (their lines read again per piece, so
    that memory stays bounded); the files are those of one piece."""
    import polars as pl

    import forensics
    from forensics.report import export

    from ..conftest import SAMPLES

    run = forensics.run(str(SAMPLES / "upgrade-2.1-to-2.2"))
    export.write_parquet(run.frames, run.timeline, tmp_path / "whole")
    monkeypatch.setattr(export, "PIECE_ROWS", 7)
    export.write_parquet(run.frames, run.timeline, tmp_path / "pieces")
    for kind in ("logs", "timeline"):
        whole, pieces = (
            pl.read_parquet(tmp_path / "whole" / f"{kind}.parquet"),
            pl.read_parquet(tmp_path / "pieces" / f"{kind}.parquet"),
        )
        assert whole.height > 7 * 3 and pieces.equals(whole), kind
    logs = pl.read_parquet(tmp_path / "pieces" / "logs.parquet")
    assert logs["raw"].is_not_null().all()
    timeline = pl.read_parquet(tmp_path / "pieces" / "timeline.parquet")
    assert timeline.filter(pl.col("origin") == "log")["excerpt"].is_not_null().all()
