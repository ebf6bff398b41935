"""Command-line conventions (issue 19, items 4 and 5): output formats from the file name,
kubectl's `-o json`, user mistakes as one line on stderr with exit code 2, unknown rules
named with a suggestion, Ctrl-C as 130, progress by phase, --version, -q/-v, shell
completion, and `fleet`'s exit codes like analyze's."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics.cli import main

from .conftest import SAMPLES

SAMPLE = str(SAMPLES / "upgrade-2.1-to-2.2.tar.gz")


def _invoke(*args: str, **kwargs):
    return CliRunner().invoke(main, list(args), **kwargs)


def _one_line_error(result, *fragments: str) -> str:
    """The error of a user's mistake: exit 2, nothing on stdout, one `error:` line on stderr."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.stdout == "", result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "internal error" not in result.stderr and "Usage:" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.mark.parametrize("suffix", [".html", ".json", ".md", ".jsonl", ".csv", ".txt"])
def test_the_output_file_s_suffix_names_its_format(tmp_path, suffix):
    target = tmp_path / f"out{suffix}"
    result = _invoke("analyze", SAMPLE, "-o", str(target))
    assert result.exit_code == 3, result.output
    text = target.read_text(encoding="utf-8")
    if suffix == ".html":
        assert text.startswith("<!DOCTYPE html>") or text.lstrip().lower().startswith("<!doctype html")
    elif suffix == ".json":
        assert json.loads(text)["schema_version"] == "1.0"
    elif suffix == ".md":
        assert text.startswith("# Postmortem draft")
    elif suffix == ".jsonl":
        records = [json.loads(line) for line in text.splitlines()]
        assert len(records) > 100 and {"message", "datetime", "timestamp_desc"} <= set(records[0])
    elif suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) > 100 and rows[0]["datetime"].startswith("2024-01-15")
    else:  # the triage table, as printed on a pipe: plain, one record per line, whole
        assert "\x1b[" not in text and text.splitlines()[2].split()[:3] == ["RELEASE", "READY", "VERDICT"]
        assert "reports dependency 'apps/backend' not ready, but it is Ready" in text
    assert result.stdout == "" and f"wrote {target}" in result.stderr
    assert not (tmp_path / "reports").exists()


def test_format_terminal_with_an_output_file_writes_the_file(tmp_path):
    target = tmp_path / "triage.log"
    result = _invoke("analyze", SAMPLE, "-f", "terminal", "-o", str(target))
    assert result.exit_code == 3 and result.stdout == ""
    assert "apps/frontend" in target.read_text()


def test_o_json_is_a_format_on_standard_output_as_with_kubectl(tmp_path):
    result = _invoke("analyze", SAMPLE, "-o", "json", catch_exceptions=False)
    assert result.exit_code == 3
    assert json.loads(result.stdout)["bundle"]["name"] == "upgrade-2.1-to-2.2"
    assert not Path("json").exists()
    assert _invoke("analyze", SAMPLE, "-o", "md").stdout.startswith("# Postmortem draft")
    _one_line_error(_invoke("analyze", SAMPLE, "-o", "yaml"), "no YAML output", "-o json")
    _one_line_error(_invoke("analyze", SAMPLE, "-o", "json", "-f", "md"), "-o json", "md")


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["-o", "report"], ["report", ".html", "--format"]),  # no suffix, no --format
        (["-f", "json", "-o", "{tmp}/r.html"], ["html", "json"]),  # the name and --format disagree
        (["-f", "md", "-f", "json", "-o", "{tmp}/r.md"], ["one format"]),
        (["-o", "-"], ["--format"]),
        (["-o", "{tmp}"], ["is a folder"]),  # an existing folder as --output
        (["-o", "{tmp}/file.txt/r.html"], ["is a file, not a folder"]),  # under a file: cannot be written
        (["--out-dir", "{tmp}/file.txt"], ["a file, not a folder"]),
        (["--select", "MG01"], ["--select MG01", "did you mean MG001"]),  # a typo: not a green run with no rule
        (["--ignore", "drift-loop"], ["--ignore drift-loop", "drift-correction-loop"]),
        (["--select", "nothing-like-it"], ["`forensics rules`"]),
        (["--generated-at", "yesterday"], ["ISO 8601"]),
    ],
)
def test_user_mistakes_are_one_line_errors_with_exit_code_2(tmp_path, args, fragments):
    (tmp_path / "file.txt").write_text("x")
    _one_line_error(_invoke("analyze", SAMPLE, *(a.replace("{tmp}", str(tmp_path)) for a in args)), *fragments)


def test_a_missing_path_is_a_one_line_error_for_every_command(tmp_path):
    missing = str(tmp_path / "no-such-bundle.tar.gz")
    for args in (
        ["analyze", missing],
        ["timeline", missing, "-r", "a/b"],
        ["inventory", missing],
        ["export", missing, "--parquet", str(tmp_path / "pq")],
    ):
        _one_line_error(_invoke(*args), "no-such-bundle.tar.gz", "no such file")


def test_an_output_that_fails_while_written_is_a_user_error(tmp_path, monkeypatch):
    """A disk that fills up or a permission lost during the run: the error names the file."""

    opened = Path.open

    def refuse(self, mode="r", *args, **kwargs):
        if "w" in mode:
            raise PermissionError(13, "Permission denied")
        return opened(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    _one_line_error(
        _invoke("analyze", SAMPLE, "-o", str(tmp_path / "r.json")), "cannot write", "r.json", "Permission denied"
    )


def test_select_takes_comma_separated_rules(tmp_path):
    result = _invoke("analyze", SAMPLE, "--select", "MG001,stale-status", "-o", "json")
    assert result.exit_code == 3
    assert {f["rule"] for f in json.loads(result.stdout)["findings"]} == {"MG001", "ST001"}


def test_version_quiet_and_verbose(tmp_path):
    version = _invoke("--version")
    assert version.exit_code == 0 and version.stdout.startswith("forensics, version ")
    quiet = _invoke("analyze", SAMPLE, "-q", "--out-dir", str(tmp_path))
    assert quiet.exit_code == 3 and quiet.stdout == "" and quiet.stderr == ""
    assert (tmp_path / "upgrade-2.1-to-2.2.html").is_file()
    verbose = _invoke("analyze", SAMPLE, "-v", "-f", "terminal", env={"COLUMNS": None})
    assert verbose.exit_code == 3
    timings = verbose.stderr.strip().splitlines()[-1]
    assert [part.split()[0] for part in timings.split(" · ")] == ["read", "parse", "rules", "report"]
    assert "why: " in verbose.stdout  # the plan with why and what to check


def test_progress_names_its_phases_and_its_bar_moves_on_archives(tmp_path):
    import tarfile
    import zipfile

    from forensics.cli.progress import PhaseProgress, expected_bytes

    folder = SAMPLES / "upgrade-2.1-to-2.2"
    members = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    assert expected_bytes(str(folder)) == members
    with tarfile.open(SAMPLE) as archive:
        inside = sum(m.size for m in archive.getmembers() if m.isfile())
    assert (
        inside <= expected_bytes(SAMPLE) <= inside * 1.5
    )  # the gzip stream's own size record: the tar, headers and all
    zipped = tmp_path / "b.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.log", "x" * 5000)
        archive.writestr("b.json", "{}" * 100)
    assert expected_bytes(str(zipped)) == 5200
    assert expected_bytes(str(tmp_path / "nothing")) is None

    phases = []
    progress = PhaseProgress(SAMPLE, show=True)
    with progress:
        import forensics

        def spy(phase, member, size):
            phases.append(phase)
            progress(phase, member, size)

        forensics.run(SAMPLE, progress=spy)
        moved = progress._bar.tasks[0].completed
        progress.phase("report")
    assert moved > 0.5 * inside  # the bar moved with the bytes read, inside the archive
    assert list(dict.fromkeys(phases)) == ["read", "parse", "rules"]
    assert list(progress.timings) == ["read", "parse", "rules", "report"]


def test_shell_completion_scripts_and_completion_itself():
    for shell, marker in (
        ("bash", "complete -o nosort -F"),
        ("zsh", "#compdef forensics"),
        ("fish", "complete --no-files --command forensics"),
    ):
        script = _invoke("completion", shell)
        assert script.exit_code == 0 and "_FORENSICS_COMPLETE" in script.stdout and marker in script.stdout, (
            shell,
            script.stdout[:200],
        )
    env = {"_FORENSICS_COMPLETE": "bash_complete", "COMP_WORDS": "forensics ana", "COMP_CWORD": "1"}
    completed = CliRunner().invoke(main, [], prog_name="forensics", env=env)
    assert "analyze" in completed.stdout
    env = {"_FORENSICS_COMPLETE": "bash_complete", "COMP_WORDS": "forensics analyze x --fail-on ", "COMP_CWORD": "4"}
    assert {"plain,error", "plain,warning", "plain,info", "plain,never"} <= set(
        CliRunner().invoke(main, [], prog_name="forensics", env=env).stdout.split()
    )
    assert _invoke("completion", "tcsh").exit_code == 2


def _waits_for_a_writer(pid: int) -> bool:
    """Whether the process is blocked opening a named pipe that no one writes (Linux)."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text() == "wait_for_partner"
    except OSError:
        return False


@pytest.mark.skipif(sys.platform != "linux", reason="needs a named pipe and /proc")
def test_ctrl_c_exits_130(tmp_path):
    """Ctrl-C in a shell on `producer | forensics analyze -`: both get SIGINT, the producer
    ends its output. Here the command waits on a named pipe, gets SIGINT, then the pipe's end:
    exit code 130, one line, no traceback. (Polars restarts a read that a signal interrupts, so
    the interrupt is acted on once the read returns.)"""
    fifo = tmp_path / "bundle.pipe"
    os.mkfifo(fifo)
    command = [sys.executable, "-c", "from forensics.cli import entry; entry()", "analyze", str(fifo), "-o", "json"]
    # as a shell starts a command: SIGINT not ignored (a background job inherits it ignored)
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not _waits_for_a_writer(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    with open(fifo, "wb"):  # the producer's end, closed
        pass
    try:
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, (process.returncode, err)
    assert "Traceback" not in err and err.strip() == "interrupted" and out == ""


def test_an_interrupt_during_the_analysis_exits_130(monkeypatch):
    import forensics

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(forensics, "run", interrupted)
    result = _invoke("analyze", SAMPLE)
    assert result.exit_code == 130 and result.stderr.strip() == "interrupted" and result.stdout == ""


# ---- fleet -----------------------------------------------------------------------------------


def _fleet(*args: str):
    return CliRunner().invoke(
        main, ["fleet", *args, "--workers", "1", "--no-reports", "--generated-at", "2024-01-15T12:00:00Z"]
    )


def test_fleet_exit_codes_are_analyze_s(tmp_path):
    healthy = SAMPLES / "healthy-control"
    warning = SAMPLES / "cases" / "ST001" / "fires-adopted-short-message"
    assert _fleet(str(healthy), "--out", str(tmp_path / "a")).exit_code == 0
    assert _fleet(str(healthy), SAMPLE, "--out", str(tmp_path / "b")).exit_code == 3  # an error finding in one bundle
    assert _fleet(str(healthy), str(warning), "--out", str(tmp_path / "c")).exit_code == 4
    assert _fleet(str(healthy), str(warning), "--out", str(tmp_path / "c"), "--fail-on", "error").exit_code == 0
    rerun = _fleet(str(healthy), SAMPLE, "--out", str(tmp_path / "b"))
    assert "0 analysed, 2 skipped" in rerun.output and rerun.exit_code == 3  # skipped bundles keep their findings' code


def test_fleet_exits_2_when_a_bundle_fails_or_nothing_matches(tmp_path):
    corrupt = tmp_path / "corrupt.tar.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00 not a gzip stream" * 20)
    healthy = str(SAMPLES / "healthy-control")
    assert _fleet(healthy, str(corrupt), "--out", str(tmp_path / "a")).exit_code == 2
    assert _fleet(healthy, str(corrupt), "--out", str(tmp_path / "a")).exit_code == 2  # skipped now, failed still
    nothing = _fleet(str(tmp_path / "none-*.tar.gz"), "--out", str(tmp_path / "b"))
    assert nothing.exit_code == 2 and "no bundle matches this pattern" in nothing.output
    assert _fleet(healthy, str(tmp_path / "missing.tgz"), "--out", str(tmp_path / "c")).exit_code == 2
