"""Clean terminals and files: escape sequences, rich markup, spreadsheet formulas and Markdown
code spans planted in a bundle (a log message, an event message, a HelmRelease name, member
file names) never act on what shows them.

Terminal outputs checked: the triage table, `timeline`, `inventory`, the exit-2 error lines,
`fleet`'s failure lines, `rules` and `explain`, and a report written to standard output. None
may hold a control character but newline and tab; rich markup from the bundle shows as typed.
The Timesketch CSV quotes formula cells (OWASP); the Markdown draft, rendered by a CommonMark
parser, holds no HTML element from the bundle.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics.cli import main
from forensics.report.terminal import CONTROLS, visible

from . import GOOD, folder

# Window title, OSC 8 hyperlink, clear screen, a status report request, DCS, 8-bit CSI, BEL,
# carriage return, backspace, a bidirectional override.
ESCAPES = [
    "\x1b]0;owned\x07",
    "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\",
    "\x1b[2J\x1b[H",
    "\x1b[6n",
    "\x1bP1$r\x1b\\",
    "\x9b31m",
    "\x07",
    "\rfake line",
    "\b\b\b",
    "\u202egnp.exe",
]
ESC = "".join(ESCAPES)
IN_NAME = ESC.replace("/", "%")  # a file name holds no `/`
MARKUP = "[link=http://evil.example/]click[/link][bold red]"
HR_NAME = f"web{ESC}{MARKUP}"
FORMULAS = [
    '=HYPERLINK("http://evil.example/","x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
]
MD_NAME = "hr`<img src=x onerror=alert(1)>`.json"


def _record(ts: str, msg: str, name: str = "web", level: str = "error") -> str:
    return json.dumps(
        {
            "level": level,
            "ts": ts,
            "msg": msg,
            "controller": "helmrelease",
            "controllerKind": "HelmRelease",
            "HelmRelease": {"name": name, "namespace": "apps"},
            "namespace": "apps",
            "name": name,
        }
    )


def _release(name: str) -> dict:
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": "apps", "generation": 2},
        "spec": {
            "interval": "5m",
            "chart": {"spec": {"chart": "web", "sourceRef": {"kind": "HelmRepository", "name": "charts"}}},
        },
        "status": {
            "observedGeneration": 2,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "UpgradeFailed",
                    "message": f"Helm upgrade failed: {ESC}{MARKUP}",
                    "lastTransitionTime": "2024-01-15T09:00:00Z",
                }
            ],
        },
    }


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("clean") / "b"
    log = "\n".join(
        [
            _record("2024-01-15T09:00:00Z", f"upgrade failed {MARKUP} {ESC}"),
            _record("2024-01-15T09:00:01Z", "x", name=HR_NAME),
        ]
    )
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web.1", "namespace": "apps"},
        "involvedObject": {"kind": "HelmRelease", "namespace": "apps", "name": "web"},
        "reason": "UpgradeFailed",
        "type": "Warning",
        "source": {"component": "helm-controller"},
        "count": 1,
    }
    events = [
        {
            **event,
            "metadata": {**event["metadata"], "uid": f"u{i}", "name": f"web.{i}"},
            "message": formula,
            "firstTimestamp": f"2024-01-15T09:0{i}:00Z",
            "lastTimestamp": f"2024-01-15T09:0{i}:00Z",
        }
        for i, formula in enumerate(FORMULAS)
    ]
    return folder(
        root,
        {
            f"pods/logs/flux-system/helm-controller-1/manager{IN_NAME}.log": log.encode() + b"\n",
            "hr.json": json.dumps([_release("web"), _release(HR_NAME)], indent=2).encode(),
            MD_NAME: json.dumps([_release("md")], indent=2).encode(),
            "events.json": json.dumps({"apiVersion": "v1", "kind": "EventList", "items": events}).encode(),
        },
    )


def _controls(text: str) -> list[str]:
    return sorted({repr(ch) for ch in text if ch in CONTROLS})


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), env={"COLUMNS": "300"})


def test_visible_writes_every_control_character_as_an_escape():
    assert visible("a\x1b[31mb\x9b2J\u202ec\td\ne") == "a\\x1b[31mb\\x9b2J\\u202ec\td\ne"
    assert not _controls(visible("".join(chr(c) for c in range(0x2100))))


def test_terminal_outputs_hold_no_control_character(bundle, tmp_path):
    outputs = {
        "triage": _invoke("analyze", str(bundle), "-f", "terminal"),
        "timeline": _invoke("timeline", str(bundle), "--release", "apps/web"),
        "timeline of the hostile release": _invoke("timeline", str(bundle), "--release", f"apps/{HR_NAME}"),
        "inventory": _invoke("inventory", str(bundle)),
        "markdown on stdout": _invoke("analyze", str(bundle), "-f", "md", "-o", "-"),
        "html on stdout": _invoke("analyze", str(bundle), "-f", "html", "-o", "-"),
        "rules": _invoke("rules"),
        "explain": _invoke("explain", "HR002"),
    }
    for name, result in outputs.items():
        assert result.exception is None or isinstance(result.exception, SystemExit), (name, result.exception)
        assert not _controls(result.output), (name, _controls(result.output))
    assert "apps/web\\x1b]0;owned\\x07" in outputs["triage"].output  # shown as typed, not interpreted
    assert MARKUP in outputs["timeline"].output and "\\x1b[2J" in outputs["timeline"].output
    assert f"manager{visible(IN_NAME)}.log" in outputs["inventory"].output


def test_exit_2_and_fleet_failure_lines_hold_no_control_character(tmp_path):
    bad = tmp_path / f"bad{IN_NAME}{MARKUP.replace('/', '%')}.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    nothing = folder(tmp_path / f"empty{IN_NAME}", {})
    (nothing / GOOD).unlink()
    (nothing / f"notes{IN_NAME}.txt").write_text("hello\n")
    for result in (
        _invoke("analyze", str(bad), "-f", "json", "-o", "-"),
        _invoke("analyze", str(nothing), "-f", "json", "-o", "-"),
    ):
        assert result.exit_code == 2, result.output
        assert not _controls(result.stderr), _controls(result.stderr)
        assert "error:" in result.stderr
    fleet = _invoke("fleet", str(bad), str(nothing), "--out", str(tmp_path / "fleet"), "--workers", "1", "--no-reports")
    assert fleet.exit_code == 2, fleet.output  # its bundles failed
    assert "failed" in fleet.output and not _controls(fleet.output), _controls(fleet.output)
    assert MARKUP.replace("/", "%") in fleet.output
    summary = (tmp_path / "fleet" / "fleet.md").read_text()
    assert "\\x1b" in summary and not _controls(summary)  # the summary names the failed bundles too


def test_timesketch_csv_cells_are_no_formulas(bundle, tmp_path):
    target = tmp_path / "t.csv"
    assert _invoke("export", str(bundle), "--timesketch", str(target)).exit_code == 0
    text = target.read_text()
    assert not _controls(text.replace("\r\n", "\n"))
    rows = list(csv.DictReader(io.StringIO(text)))
    cells = [value for row in rows for value in row.values() if value]
    assert not [cell for cell in cells if cell[0] in "=+-@\t\r"], "a cell a spreadsheet would run as a formula"
    # the events are there, their messages kept (inside the message column's "[release] reason: text")
    for formula in FORMULAS:
        assert any(formula in cell for cell in cells), formula
    reasons = [row["reason"] for row in rows]
    assert "UpgradeFailed" in reasons


def test_a_csv_cell_that_starts_like_a_formula_starts_with_a_quote():
    import polars as pl

    from forensics.report.export import neutral

    cells = pl.DataFrame({"text": [*FORMULAS, "\tx", "ok", None], "count": list(range(7))})
    assert neutral(cells)["text"].to_list() == [*("'" + f for f in FORMULAS), "'\tx", "ok", None]


def test_markdown_holds_no_html_from_the_bundle(bundle):
    from markdown_it import MarkdownIt

    result = _invoke("analyze", str(bundle), "-f", "md", "-o", "-")
    html = MarkdownIt("commonmark", {"html": True}).render(result.output)
    assert "<img" not in html and "onerror" not in html.replace("onerror=alert(1)&gt;", "")
    assert "<code>" in html


@pytest.mark.parametrize("text", ["a`b", "``x``", "`", "trailing`", "x ``` y", "plain"])
def test_a_code_span_cannot_be_closed_by_its_text(text):
    from markdown_it import MarkdownIt

    from forensics.report.markdown import _code, _where

    for span, content in ((_code(text), text), (_where(text, 3), f"{text}:3")):
        html = MarkdownIt("commonmark").renderInline(span)
        assert html == f"<code>{content}</code>", (span, html)
