"""The command line: analyze's outputs and exit codes, the commands' help, and the library
left as it was found (no process tuning outside the console script)."""

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
        assert release in result.stdout
    assert f"wrote {report}" in result.stderr and "wrote" not in result.stdout


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
    assert "nothing usable found" in result.stderr and "Traceback" not in result.output
    result = runner.invoke(main, ["analyze", str(tmp_path / "missing.tar.gz")])
    assert result.exit_code == 2
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    result = runner.invoke(main, ["analyze", str(broken)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_nothing_usable_names_every_file_and_why(runner, tmp_path):
    folder = tmp_path / "ticket"
    folder.mkdir()
    (folder / "screenshot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (folder / "notes.txt").write_text("the cluster was slow on monday\n")
    (folder / "empty.yaml").write_text("")
    result = runner.invoke(main, ["analyze", str(folder), "-f", "json", "-o", "-"])
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: nothing usable found in {folder}"
    for name in ("screenshot.png", "notes.txt", "empty.yaml"):
        assert any(line.strip().startswith(f"{name}: ") for line in lines), (name, lines)
    assert "empty.yaml: empty file" in result.stderr
    assert f"forensics inventory {folder}" in lines[-1]


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
    text = " ".join(result.output.split())
    assert "dependency-stale" in text and "DriftDetected" in text and "DR001" in text


def test_every_command_has_help_with_an_example(runner):
    for name, command in main.commands.items():
        assert command.help and "Example:" in command.help, name
        assert runner.invoke(main, [name, "--help"]).exit_code == 0


def test_importing_and_running_the_library_changes_nothing_in_the_process(tmp_path):
    """The library sets no environment variable, leaves the garbage collector as it was, and
    leaves no thread behind; `forensics --help` loads neither Polars nor pydantic."""
    import subprocess
    import sys

    check = f"""
import gc, os, sys, threading
import polars  # sets its allocator's variable itself, on import
before = dict(os.environ)
import forensics
from forensics.report import render
run = forensics.run({SAMPLE!r})
render(run.analysis, "md"); render(run.analysis, "json")
assert dict(os.environ) == before, set(os.environ.items()) ^ set(before.items())
assert gc.isenabled()
assert threading.active_count() == 1, threading.enumerate()
assert run.analysis.findings
print("unchanged")
"""
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "unchanged", out.stderr
    helped = "import sys\nfrom forensics.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\n"
    helped += "print(sorted(m for m in ('polars', 'pydantic') if m in sys.modules))"
    helped = subprocess.run([sys.executable, "-c", helped], capture_output=True, text=True, timeout=60)
    assert helped.stdout.strip().endswith("[]"), helped.stdout


def test_the_console_script_tunes_only_its_own_process(tmp_path):
    """`entry` (the console script) sets Polars' allocator to give memory back at once (a value
    already in the environment wins) and pauses the cyclic garbage collector for the command;
    `mcp` and `fleet`, which live long, turn the collector back on."""
    import os
    import subprocess
    import sys

    def probe(*args: str, env_extra: dict | None = None) -> str:
        code = "import gc, os, sys\nfrom forensics import cli\nsys.argv = ['forensics', *sys.argv[1:]]\n"
        code += "try: cli.entry()\nexcept SystemExit: pass\n"
        code += "print(os.environ.get('_RJEM_MALLOC_CONF'), gc.isenabled())"
        env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"} | (env_extra or {})
        out = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path
        )
        return out.stdout.splitlines()[-1]

    assert probe("--version") == "muzzy_decay_ms:0 False"
    assert probe("--version", env_extra={"_RJEM_MALLOC_CONF": "narenas:1"}) == "narenas:1 False"
    assert probe("fleet", str(tmp_path / "none-*"), "--out", str(tmp_path / "out")).endswith(" True")
