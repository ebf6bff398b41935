"""The terminal as kubectl and flux print it (issue 19, item 3): columns that give way by
priority so that the reason keeps 30 characters at 80 columns, piped output one record per
line with COLUMNS respected, a timeline readable at 80 columns, the whole multi-line fix,
colour by severity."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner
from rich.cells import cell_len
from rich.console import Console

from forensics.cli import main
from forensics.report.terminal import MIN_TEXT, print_timeline, print_triage

from .conftest import SAMPLES

SAMPLE = str(SAMPLES / "upgrade-2.1-to-2.2.tar.gz")
BROKEN = ("apps/frontend", "apps/worker", "infra/external-dns", "infra/ingress-nginx", "infra/cert-manager")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def run(analyses):
    return analyses(SAMPLES / "upgrade-2.1-to-2.2.tar.gz")


def _table(text: str) -> list[str]:
    """The triage table's lines: from its header to the first line that is not a record."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("RELEASE"))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def _triage(env: dict) -> str:
    result = CliRunner().invoke(main, ["analyze", SAMPLE, "-f", "terminal"], env=env)
    assert result.exit_code == 3, result.output
    return result.stdout


def _terminal(width: int, printer) -> str:
    out = io.StringIO()
    printer(Console(file=out, force_terminal=True, width=width, color_system="standard"))
    return out.getvalue()


def test_at_80_columns_piped_the_reason_keeps_30_characters_and_every_line_fits():
    table = _table(_triage({"COLUMNS": "80"}))
    header = table[0]
    assert header.split()[0] == "RELEASE" and header.split()[-1] == "REASON" and "VERDICT" in header
    reason_at = header.index("REASON")
    assert 80 - reason_at >= MIN_TEXT
    assert all(cell_len(line) <= 80 for line in table), [line for line in table if cell_len(line) > 80]
    for release in BROKEN:
        line = next(line for line in table if line.startswith(release))
        assert len(line[reason_at:].rstrip("…")) >= MIN_TEXT - 1, line
    assert "dependency-stale" in table[1] and "F…" not in "\n".join(table)  # labels whole, no column cut to a stub


def test_piped_output_is_one_record_per_line_and_whole_without_columns(run):
    text = _triage({"COLUMNS": None})
    table = _table(text)
    assert len(table) == 1 + len(run.analysis.verdicts)  # the header, then a line per release
    assert not set("┏┃━│└") & set(text)  # no box drawing
    header = table[0].split()
    assert header == [
        "RELEASE",
        "READY",
        "VERDICT",
        "CONF",
        "SINCE",
        "REASON",
    ]  # every column when the width is not limited
    for verdict in run.analysis.verdicts:
        line = next(line for line in table if line.startswith(verdict.release + " "))
        assert (
            verdict.ready_message if verdict.healthy else verdict.summary
        ) in line  # the reason whole, on its record's line


def test_columns_give_way_in_their_declared_order():
    wide = _table(_triage({"COLUMNS": "200"}))[0].split()
    middle = _table(_triage({"COLUMNS": "100"}))[0].split()
    narrow = _table(_triage({"COLUMNS": "80"}))[0].split()
    assert wide == ["RELEASE", "READY", "VERDICT", "CONF", "SINCE", "REASON"]
    assert set(middle) < set(wide) and "CONF" not in middle
    assert set(narrow) <= set(middle) and narrow[0] == "RELEASE" and {"VERDICT", "REASON"} <= set(narrow)


def test_on_a_terminal_the_reason_wraps_inside_its_column_at_80(run):
    text = ANSI.sub("", _terminal(80, lambda console: print_triage(run.analysis, console)))
    table = _table(text)
    reason_at = table[0].index("REASON")
    assert 80 - reason_at >= MIN_TEXT and all(cell_len(line) <= 80 for line in table)
    summary = run.analysis.verdict("infra/external-dns").summary
    start = next(i for i, line in enumerate(table) if line.startswith("infra/external-dns"))
    wrapped = [table[start][reason_at:]] + [
        line[reason_at:] for line in table[start + 1 :] if not line[:reason_at].strip()
    ][:4]
    assert " ".join(" ".join(wrapped).split()).startswith(summary)


def test_verdicts_are_coloured_by_severity_on_a_terminal(run):
    text = _terminal(160, lambda console: print_triage(run.analysis, console))
    assert re.search(r"\x1b\[1;31mmigration-skip", text)  # error: bold red
    assert re.search(r"\x1b\[33mstale-status", text)  # warning: yellow
    assert re.search(r"\x1b\[32mhealthy", text)
    assert "\x1b[" not in _triage({"COLUMNS": "160"})  # not on a pipe


def test_the_triage_prints_the_whole_multi_line_fix_in_order(run):
    text = _triage({"COLUMNS": "80"})
    plan = run.analysis.plan
    assert "fix, in this order:" in text
    for step in plan:
        assert f"{step.order}. {step.release}: [{step.phase}]" in text
        for line in step.commands.splitlines():
            assert line in text  # every line, comments included, never cut to the width
    positions = [text.index(f"{step.order}. {step.release}:") for step in plan]
    assert positions == sorted(positions)


def test_timeline_at_80_columns_on_a_terminal_keeps_every_message(run):
    text = ANSI.sub(
        "", _terminal(80, lambda console: print_timeline(run.analysis, run.timeline, "apps/frontend", 30, console))
    )
    records = text[text.index("TIME ") :]
    assert all(cell_len(line) <= 80 for line in records.splitlines() if not line.startswith("    ")), records
    assert "── 2024-01-15 ──" in records
    flat = " ".join(records.split())
    rows = run.timeline.filter(run.timeline["release"] == "apps/frontend").sort("ts", "source", "line").tail(10)
    for message in rows["message"].to_list():
        assert " ".join(message.split()) in flat  # the message is shown whole, below its record


def test_timeline_piped_is_one_record_per_line_with_columns_respected():
    result = CliRunner().invoke(
        main, ["timeline", SAMPLE, "-r", "apps/frontend", "--limit", "20"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("TIME"))
    records = lines[start + 1 : start + 21]
    assert len(records) == 20 and all(re.match(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ ", line) for line in records)
    assert all(cell_len(line) <= 80 for line in records)
    assert "MESSAGE" in lines[start] and any("running 'correct cluster drift" in line for line in records)


def test_timeline_finds_a_release_by_its_name_alone(tmp_path):
    runner = CliRunner()
    by_name = runner.invoke(main, ["timeline", SAMPLE, "-r", "frontend", "--limit", "5"], env={"COLUMNS": None})
    assert by_name.exit_code == 0 and by_name.stdout.startswith("apps/frontend: dependency-stale")
    typo = runner.invoke(main, ["timeline", SAMPLE, "-r", "fronted"])
    assert typo.exit_code == 2 and typo.stdout == ""
    assert (
        typo.stderr.strip() == "error: --release fronted: no such release in this bundle; did you mean apps/frontend?"
    )
    # two namespaces with a release of that name: the user must say which
    twins = tmp_path / "twins"
    twins.mkdir()
    table = "NAMESPACE\tNAME\tREVISION\tSUSPENDED\tREADY\tMESSAGE\n"
    table += "a\tweb\t1.0.0\tFalse\tFalse\tHelm upgrade failed: timed out waiting for the condition\n"
    table += "b\tweb\t1.0.0\tFalse\tTrue\tHelm upgrade succeeded for release b/web.v2 with chart web@1.0.0\n"
    (twins / "flux-get-hr.txt").write_text(table)
    both = runner.invoke(main, ["timeline", str(twins), "-r", "web"])
    assert both.exit_code == 2 and "2 releases have this name (a/web, b/web); give NAMESPACE/NAME" in both.stderr
    assert runner.invoke(main, ["timeline", str(twins), "-r", "b/web"]).exit_code == 0
