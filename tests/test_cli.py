import json

import pytest
from click.testing import CliRunner

from forensics.cli import main
from forensics.rules import RULES

from .conftest import SAMPLES

SAMPLE = str(SAMPLES / "upgrade-2.1-to-2.2.tar.gz")


@pytest.fixture
def runner():
    return CliRunner()


def test_analyze_writes_html_and_prints_the_triage_table(runner, tmp_path):
    result = runner.invoke(main, ["analyze", SAMPLE, "--out-dir", str(tmp_path)])
    assert result.exit_code == 3, result.output  # error findings
    report = tmp_path / "upgrade-2.1-to-2.2.html"
    assert report.exists() and "<html" in report.read_text()
    for release in ("apps/frontend", "infra/ingress-nginx", "infra/cert-manager", "monitoring/loki"):
        assert release in result.output


def test_json_to_stdout(runner):
    result = runner.invoke(main, ["analyze", SAMPLE, "--format", "json", "--output", "-"])
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["schema_version"] == "1.0"
    assert {f["label"] for f in data["findings"]} == {"migration-skip", "stale-status", "dependency-stale", "drift"}
    finding = data["findings"][0]
    assert {"release", "label", "rule", "severity", "summary", "evidence", "remediation"} <= set(finding)
    assert {"source", "line", "ts", "excerpt"} <= set(finding["evidence"][0])
    assert {"release", "primary", "chain"} <= set(data["verdicts"][0])


@pytest.mark.parametrize("fail_on, code", [("never", 0), ("error", 3), ("warning", 3)])
def test_fail_on_threshold(runner, tmp_path, fail_on, code):
    result = runner.invoke(main, ["analyze", SAMPLE, "-f", "md", "-o", str(tmp_path / "r.md"), "--fail-on", fail_on])
    assert result.exit_code == code
    assert (tmp_path / "r.md").read_text().startswith("# Postmortem draft")


def test_warnings_only_exit_4(runner):
    case = SAMPLES / "cases" / "ST001" / "fires-adopted-short-message"
    result = runner.invoke(main, ["analyze", str(case), "-f", "json", "-o", "-"])
    assert result.exit_code == 4


def test_unusable_input_exits_2_with_a_clear_message(runner, tmp_path):
    garbage = tmp_path / "notes.txt"
    garbage.write_text("this is not a bundle\n")
    result = runner.invoke(main, ["analyze", str(garbage)])
    assert result.exit_code == 2
    assert "nothing usable found" in result.output and "Traceback" not in result.output
    result = runner.invoke(main, ["analyze", str(tmp_path / "missing.tar.gz")])
    assert result.exit_code == 2
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    result = runner.invoke(main, ["analyze", str(broken)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_rules_and_explain(runner):
    listing = runner.invoke(main, ["rules"])
    assert listing.exit_code == 0
    for rule in RULES:
        assert rule.id in listing.output and rule.label in listing.output
    explained = runner.invoke(main, ["explain", "dependency-stale"])
    assert explained.exit_code == 0
    assert "What it detects" in explained.output and "Remediation" in explained.output
    assert runner.invoke(main, ["explain", "no-such-rule"]).exit_code == 2


def test_timeline_of_one_release(runner):
    result = runner.invoke(main, ["timeline", SAMPLE, "--release", "apps/frontend"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())  # table cells wrap at the terminal width
    assert "dependency-stale" in text and "DriftDetected" in text and "DR001" in text


def test_every_command_has_help_with_an_example(runner):
    for name, command in main.commands.items():
        assert command.help and "Example:" in command.help, name
        assert runner.invoke(main, [name, "--help"]).exit_code == 0


def test_a_fresh_process_reads_while_it_imports_the_analysis_modules(tmp_path):
    """`forensics analyze` in a new interpreter: the analysis modules are imported on a thread
    while the bundle is read; the findings are those of the in-process run."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", "from forensics.cli import main; main()", "analyze", SAMPLE, "--format", "json", "--output", "-"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert out.returncode == 3, out.stderr
    assert {f["label"] for f in json.loads(out.stdout)["findings"]} == {"migration-skip", "stale-status", "dependency-stale", "drift"}


def test_an_import_failure_on_the_background_thread_is_raised_to_the_caller():
    from parsers._base import Background

    def broken():
        raise ImportError("no module named pydantic")

    with pytest.raises(ImportError, match="pydantic"):
        Background(broken, name="test-imports").result()


def _command(tmp_path, *args: str, spool_bytes: int | None = None):
    """`forensics` as the console script runs it (`entry`), in a new interpreter whose
    temporary folder is `tmp_path / "tmp"`."""
    import os
    import subprocess
    import sys

    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    # marks: whether the exit handlers ran, and whether the interpreter was torn down (a
    # module-level object whose finaliser runs when the modules are cleared)
    setup = f"import atexit, pathlib; atexit.register(pathlib.Path({str(temp / 'exit-handlers-ran')!r}).touch)\n"
    setup += (
        "import os\n"
        "class Mark:\n"
        f"    def __del__(self, _open=os.open, _close=os.close, _flags=os.O_CREAT | os.O_WRONLY, _path={str(temp / 'torn-down')!r}):\n"
        "        _close(_open(_path, _flags))\n"
        "mark = Mark()\n"
    )
    setup += f"import forensics.bundle.archives as b; b.SPOOL_BYTES = {spool_bytes}\n" if spool_bytes is not None else ""
    out = subprocess.run(
        [sys.executable, "-c", setup + "from forensics.cli import entry; entry()", *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, env={**os.environ, "TMPDIR": str(temp)},
    )
    return out, temp


def test_the_command_ends_an_analysis_without_teardown_and_loses_nothing(tmp_path):
    """After an analysis the command ends the process at once (no interpreter teardown): the
    exit code is the analysis's, the report and the streams are complete, and the exit handlers
    ran: the spool folder of the tar's big members is gone."""
    out, temp = _command(tmp_path, "analyze", SAMPLE, "--out-dir", str(tmp_path / "reports"), spool_bytes=1000)
    assert out.returncode == 3, out.stderr
    assert (tmp_path / "reports" / "upgrade-2.1-to-2.2.html").read_text().rstrip().endswith("</html>")
    assert "apps/frontend" in out.stdout and "wrote" in out.stderr
    assert (temp / "exit-handlers-ran").exists()
    assert not (temp / "torn-down").exists()
    assert not list(temp.glob("forensics-spool-*"))  # the spool of the tar's members is removed
    out, _ = _command(tmp_path, "analyze", SAMPLE, "--format", "json", "--output", "-", "--fail-on", "never")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["schema_version"] == "1.0"  # all of it, flushed


def test_the_command_exits_as_usual_after_other_commands_and_errors(tmp_path):
    out, temp = _command(tmp_path, "rules")
    assert out.returncode == 0 and "DR001" in out.stdout
    assert (temp / "exit-handlers-ran").exists() and (temp / "torn-down").exists()
    out, _ = _command(tmp_path, "analyze", str(tmp_path / "missing.tar.gz"))
    assert out.returncode == 2 and "missing.tar.gz" in out.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    out, _ = _command(tmp_path, "analyze", str(empty))
    assert out.returncode == 2 and "nothing usable" in out.stderr
