"""Terminal output with rich: the triage table, one release's timeline, and the progress of
an analysis.

Tables are laid out as kubectl and flux lay theirs out: plain columns, no box. The text
column (the reason, a record's message) gets what the others leave; when the width is short
the other columns give way first, in a declared order (`Column.gives_way`): abbreviated,
then dropped, until the text column has MIN_TEXT characters. On a terminal the text wraps
inside its column; anywhere else (a pipe, a file) each record is one line, cut at `COLUMNS`
when that is set and whole otherwise.

Colour only when the console is a terminal (rich decides; `NO_COLOR` is honoured). Text from
the bundle is never interpreted as rich markup (it goes in `Text` objects), and its control
characters are shown as escapes (`visible`), so that no escape sequence from a bundle
reaches the terminal.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    import polars as pl

    from forensics.model import Analysis, PlanStep

# What a terminal may act on: C0 controls but newline and tab (ESC starts CSI, OSC and DCS
# sequences; CR, BS and the like overwrite what was printed), DEL, the C1 controls (U+009B
# is an 8-bit CSI, U+009D an 8-bit OSC, U+0090 a DCS) and the bidirectional overrides that
# reorder what is shown.
CONTROLS = [
    chr(code)
    for span in ((0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), (0x202A, 0x202E), (0x2066, 0x2069))
    for code in range(span[0], span[1] + 1)
]
_CONTROL = re.compile("[" + "".join(CONTROLS) + "]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with its control characters (but newline and tab) written as escapes (`\\x1b`)."""
    return _CONTROL.sub(_escape, text)


def _text(value: object, style: str = "") -> Text:
    """A rich Text of a string from the bundle: no markup, control characters visible."""
    return Text(visible(str(value)), style=style)


# Colour by severity: of a verdict (its primary finding's), a finding, a timeline record.
STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan", "healthy": "green", "unexplained": "yellow"}
MIN_TEXT = 30  # characters the text column keeps: the others give way first
MIN_MESSAGE = 50  # a timeline message narrower than this goes on lines of its own, on a terminal
GAP = "  "
HEALTHY_LISTED = 30
PLAN_LISTED = 10
RELEASE_WIDTH = 72  # a name of hundreds of characters is cut, not the table


def _console() -> Console:
    return Console(highlight=False)


def output_width(console: Console) -> int | None:
    """The width to lay out for: the terminal's; `COLUMNS` for standard output that is not a
    terminal (a pipe); none (whole lines) for a file or a pipe without `COLUMNS`."""
    if console.is_terminal:
        return console.width
    columns = os.environ.get("COLUMNS", "")
    if console.file in (sys.stdout, sys.stderr) and columns.isdigit() and int(columns) > 0:
        return int(columns)
    return None


def _ts(value) -> str:
    """A time as the tables show it: ISO 8601 in UTC, to the second."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else "-"


def _short_ts(text: str) -> str:
    return text[5:16].replace("T", " ") if len(text) == 20 else text  # 2024-01-15T09:03:12Z -> 01-15 09:03


def _middle(text: str, width: int) -> str:
    """`text` in at most `width` cells, cut in the middle (a release's namespace and the end
    of its name stay)."""
    if cell_len(text) <= width:
        return text
    head = (width - 1) * 2 // 3
    return set_cell_size(text, head) + "…" + _tail(text, width - 1 - head)


def _tail(text: str, width: int) -> str:
    while cell_len(text) > width:
        text = text[1:]
    return text


def _cut(text: str, width: int) -> str:
    return text if cell_len(text) <= width else set_cell_size(text, max(width - 1, 0)) + "…"


@dataclass
class Column:
    """One column: its header, its cells, and how it gives way on a short line."""

    header: str
    cells: list[str]
    styles: list[str] = field(default_factory=list)
    short: Callable[[str], str] | None = None  # the abbreviated form, tried before the column is dropped
    dropped: bool = False

    @property
    def width(self) -> int:
        return max([cell_len(self.header), *(cell_len(cell) for cell in self.cells)])


def fit(columns: list[Column], width: int | None, gives_way: list[tuple[str, str]]) -> tuple[list[Column], int | None]:
    """The columns to show and the text column's width (None: unbounded). `gives_way` lists
    (header, "short" | "drop") in the order the columns give way until the text column, the
    last one, has MIN_TEXT cells."""
    by_header = {column.header: column for column in columns}

    def left() -> int | None:
        shown = [c for c in columns[:-1] if not c.dropped]
        return None if width is None else width - sum(c.width for c in shown) - len(GAP) * len(shown)

    for header, how in gives_way:
        if width is None or left() >= min(MIN_TEXT, columns[-1].width):
            break
        column = by_header[header]
        if how == "short" and column.short:
            column.cells = [column.short(cell) for cell in column.cells]
        else:
            column.dropped = True
    return [c for c in columns if not c.dropped], left()


def _rows(columns: list[Column], text_width: int | None, wrap: bool, header_style: str = "bold") -> list[list[Text]]:
    """The lines of the header, then of each row: one line, or more on a terminal when the
    text wraps."""
    widths = [c.width for c in columns[:-1]]
    text_width = None if text_width is None else max(text_width, 10)  # past the last column given way
    indent = sum(widths) + len(GAP) * len(widths)
    out = []
    for row in range(-1, len(columns[-1].cells)):
        line = Text()
        for column, cell_width in zip(columns[:-1], widths, strict=True):
            cell = column.header if row < 0 else column.cells[row]
            style = header_style if row < 0 else (column.styles[row] if column.styles else "")
            line.append(set_cell_size(cell, cell_width), style=style)
            line.append(GAP)
        text = columns[-1].header if row < 0 else columns[-1].cells[row]
        style = header_style if row < 0 else (columns[-1].styles[row] if columns[-1].styles else "")
        if text_width is None:
            out.append([line.append(text, style=style)])
        elif not wrap:
            out.append([line.append(_cut(text, text_width), style=style)])
        else:
            parts = textwrap.wrap(text, text_width, break_long_words=False, break_on_hyphens=False) or [""]
            out.append(
                [
                    line.append(parts[0], style=style),
                    *(Text(" " * indent).append(part, style=style) for part in parts[1:]),
                ]
            )
    return out


def _print_lines(console: Console, lines: list[Text]) -> None:
    for line in lines:
        console.print(line, soft_wrap=True, no_wrap=True, overflow="ignore", crop=False)


# ---- the triage table ----------------------------------------------------------------------


def triage_rows(analysis: Analysis) -> list[dict]:
    """One dict per release, broken first (by severity), then healthy; what every column shows."""
    order = {"error": 0, "warning": 1, "info": 2}
    rows = []
    for verdict in sorted(
        analysis.verdicts, key=lambda v: (v.healthy, order.get(v.severity.value if v.severity else "", 3), v.release)
    ):
        severity = verdict.severity.value if verdict.severity else verdict.label  # healthy, unexplained
        rows.append(
            {
                "release": visible(verdict.release),
                "ready": visible(verdict.ready or "?"),
                "verdict": verdict.label,
                "conf": verdict.confidence.value if verdict.confidence else "-",
                "since": _ts(verdict.since),
                "reason": visible(
                    " ".join((verdict.summary if not verdict.healthy else (verdict.ready_message or "")).split()) or "-"
                ),
                "style": STYLE.get(severity, ""),
                "healthy": verdict.healthy,
            }
        )
    return rows


def print_triage(analysis: Analysis, console: Console | None = None, *, verbose: bool = False) -> None:
    """The bundle in a line, one line per release (the broken first), the notes, and the plan."""
    console = console or _console()
    bundle = analysis.bundle
    broken = sum(1 for v in analysis.verdicts if not v.healthy)
    console.print(
        _text(
            f"{bundle.name} ({bundle.layout}): {len(analysis.verdicts)} HelmReleases, {broken} with a problem",
            style="bold",
        ),
        soft_wrap=True,
    )
    for upgrade in analysis.upgrades:
        console.print(
            _text(f"{upgrade.controller} {upgrade.from_version} -> {upgrade.to_version} at {_ts(upgrade.at)}"),
            soft_wrap=True,
        )
    rows = triage_rows(analysis)
    healthy = [row for row in rows if row["healthy"]]
    # Many healthy releases would bury the broken ones: beyond HEALTHY_LISTED they are counted,
    # not listed (all with --verbose); the report and the JSON list them all.
    listed = healthy if verbose or len(healthy) <= HEALTHY_LISTED else []
    shown = [row for row in rows if not row["healthy"]] + listed
    if shown:
        column = {key: [row[key] for row in shown] for key in shown[0]}
        columns = [
            Column("RELEASE", [_middle(c, RELEASE_WIDTH) for c in column["release"]], short=lambda c: _middle(c, 24)),
            Column("READY", column["ready"]),
            Column("VERDICT", column["verdict"], styles=column["style"]),
            Column("CONF", column["conf"]),
            Column("SINCE", column["since"], short=_short_ts),
            Column("REASON", column["reason"]),
        ]
        gives_way = [("CONF", "drop"), ("SINCE", "short"), ("SINCE", "drop"), ("RELEASE", "short"), ("READY", "drop")]
        shown_columns, text_width = fit(columns, output_width(console), gives_way)
        for lines in _rows(shown_columns, text_width, wrap=console.is_terminal):
            _print_lines(console, lines)
    if len(listed) < len(healthy):
        console.print(
            Text(
                f"… and {len(healthy)} healthy releases, listed in the HTML report and the JSON output"
                " (all here with -v)",
                style="dim",
            ),
            soft_wrap=True,
        )
    for result in analysis.rules:
        if result.status in ("skipped", "error"):
            console.print(
                _text(f"rule {result.rule} {result.name}: {result.status} — {result.reason}", style="dim"),
                soft_wrap=True,
            )
    if analysis.problems_total:
        console.print(
            Text(f"{analysis.problems_total} input problem(s); see the report's inventory", style="dim"), soft_wrap=True
        )
    if analysis.redactions:
        console.print(
            Text(f"{analysis.redactions} secret-looking value(s) redacted as [REDACTED]", style="dim"), soft_wrap=True
        )
    if analysis.plan:
        console.print()
        print_plan(analysis.plan[:PLAN_LISTED], console, releases=True, reasons=verbose)
        if len(analysis.plan) > PLAN_LISTED:
            console.print(
                Text(f"… and {len(analysis.plan) - PLAN_LISTED} more steps, in the report", style="dim"), soft_wrap=True
            )


def print_plan(plan: list[PlanStep], console: Console, *, releases: bool = False, reasons: bool = True) -> None:
    """The remediation steps in order, each with all its command lines (comments kept) as they
    are (never wrapped: they are to be copied), and why and what to check."""
    console.print(Text("fix, in this order:", style="bold green"))
    for step in plan:
        whose = f" {step.release}:" if releases else ""
        console.print(_text(f"  {step.order}.{whose} [{step.phase}] {step.action}"), soft_wrap=True)
        for line in step.commands.splitlines():
            console.print(_text(f"       {line}", style="green"), soft_wrap=True)
        if reasons:
            console.print(_text(f"     why: {step.why}", style="dim"), soft_wrap=True)
            console.print(_text(f"     check: {step.check}", style="dim"), soft_wrap=True)


# ---- one release's timeline ------------------------------------------------------------------


def _cite(source: str | None, line: int | None, keep: int = 2) -> str:
    """`source:line` with only the last path parts (the line number is what must stay visible)."""
    parts = (source or "").split("/")
    short = "/".join(parts[-keep:])
    if len(short) > 40:
        return f"…{short[-40:]}:{line}"
    return f"{'…/' if len(parts) > keep else ''}{short}:{line}"


def _file_only(cite: str) -> str:
    """`…/folder/file.log:12` -> `file.log:12`, at most 24 cells (the end kept)."""
    return _tail(cite.rsplit("/", 1)[-1], 24)


def release_named(analysis: Analysis, timeline: pl.DataFrame, name: str) -> tuple[str | None, list[str], list[str]]:
    """The release a user named: `namespace/name` as given, or a bare name when exactly one
    release has it. Returns (the release or None, the releases of that name when several
    have it, the closest names when none has it)."""
    import difflib

    known = sorted({v.release for v in analysis.verdicts} | {r for r in timeline["release"].unique().to_list() if r})
    if name in known:
        return name, [], []
    same = [release for release in known if "/" not in name and release.rsplit("/", 1)[-1] == name]
    if len(same) == 1:
        return same[0], [], []
    return None, same, [] if same else difflib.get_close_matches(name, known, n=3, cutoff=0.6)


def print_timeline(
    analysis: Analysis, timeline: pl.DataFrame, release: str, limit: int, console: Console | None = None
) -> bool:
    """One release's story: its verdict and findings, then its records and the controller's in
    time order (the upgrade and restarts included). False when the release is unknown."""
    import polars as pl

    console = console or _console()
    verdict = analysis.verdict(release)
    if verdict is None and timeline.filter(pl.col("release") == release).height == 0:
        return False
    if verdict:
        head = _text(f"{release}: ", style="bold")
        head.append(
            visible(verdict.label), style=STYLE.get(verdict.severity.value if verdict.severity else verdict.label, "")
        )
        head.append(
            visible(f" — Ready {verdict.ready or '?'}" + (f", since {_ts(verdict.since)}" if verdict.since else ""))
        )
        console.print(head, soft_wrap=True)
        if verdict.summary:
            console.print(_text(verdict.summary), soft_wrap=True)
    for finding in analysis.findings:
        if finding.release == release:
            line = _text(f"{finding.rule} {finding.name} (", style="bold")
            line.append(finding.severity.value, style=STYLE.get(finding.severity.value, ""))
            line.append(f", {finding.confidence.value} confidence)", style="bold")
            console.print(line, soft_wrap=True)
    if verdict and verdict.plan:
        print_plan(verdict.plan, console)
    rows = timeline.filter((pl.col("release") == release) | pl.col("release").is_null()).sort("ts", "source", "line")
    shown = rows.tail(limit)
    _print_records(list(shown.iter_rows(named=True)), console)
    if rows.height > shown.height:
        console.print(
            Text(f"{rows.height - shown.height} earlier records not shown (--limit {limit})", style="dim"),
            soft_wrap=True,
        )
    return True


def _print_records(records: list[dict], console: Console) -> None:
    """Timeline records as a table. On a terminal the time is the time of day under a line
    for each day, and when the message would get less than MIN_TEXT characters it goes on
    lines of its own below its record; elsewhere every record is one line with its full time."""
    terminal = console.is_terminal
    width = output_width(console)
    cells: dict[str, list[str]] = {"TIME": [], "LANE": [], "REASON": [], "SOURCE": [], "MESSAGE": []}
    styles: list[str] = []
    for row in records:
        ts = _ts(row["ts"])
        until = row["ts_end"].strftime("%H:%M:%S") if row["ts_end"] and row["ts_end"] > row["ts"] else ""
        cells["TIME"].append((ts[11:19] if terminal else ts) + (f"–{until}" if until else ""))
        cells["LANE"].append("controller" if row["release"] is None else row["origin"])
        cells["REASON"].append(
            visible((row["reason"] or "-") + (f" ×{row['count']}" if row["count"] and row["count"] > 1 else ""))
        )
        cells["SOURCE"].append(visible(_cite(row["source"], row["line"])))
        cells["MESSAGE"].append(visible(" ".join((row["message"] or "").split())) or "-")
        styles.append(
            "magenta" if row["release"] is None else {"error": "red", "warning": "yellow"}.get(row["level"], "")
        )
    columns = [
        Column("TIME", cells["TIME"]),
        Column("LANE", cells["LANE"]),
        Column("REASON", cells["REASON"], short=lambda c: _cut(c, 18)),
        Column("SOURCE", cells["SOURCE"], short=_file_only),
        Column("MESSAGE", cells["MESSAGE"], styles=styles),
    ]
    shown, text_width = fit(columns, width, [("SOURCE", "short"), ("REASON", "short"), ("LANE", "drop")])
    stacked = terminal and text_width is not None and text_width < MIN_MESSAGE
    if stacked:  # the message on lines of its own below its record, indented
        shown, text_width = shown[:-1], None
    lines = _rows(shown, text_width, wrap=terminal)
    _print_lines(console, lines[0])
    day = None
    for index, row in enumerate(records):
        if terminal and row["ts"].date() != day:
            day = row["ts"].date()
            console.print(Text(f"── {day.isoformat()} ──", style="dim"))
        _print_lines(console, lines[index + 1])
        if stacked:
            for part in textwrap.wrap(
                cells["MESSAGE"][index], max((width or 80) - 4, 20), break_long_words=False, break_on_hyphens=False
            ):
                console.print(Text("    " + part, style=styles[index]), soft_wrap=True)


def unusable(analysis) -> list[str]:
    """One line per file of a bundle where nothing was usable: the file and why."""
    first_problem: dict[str, str] = {}
    for problem in analysis.problems:
        first_problem.setdefault(
            problem.source, problem.reason if problem.line is None else f"line {problem.line}: {problem.reason}"
        )
    lines = []
    for item in analysis.inventory:
        if item.note.startswith("symlink to"):
            continue
        why = (
            first_problem.get(item.path)
            or item.note
            or ("no parser recognises this file" if item.parser is None else "nothing in it")
        )
        if item.size == 0:
            why = "empty file"
        lines.append(f"{item.path}: {why}")
    listed = {item.path for item in analysis.inventory}
    lines += [
        f"{source}: {reason}" for source, reason in first_problem.items() if source not in listed
    ]  # the bundle's own (caps, refusals)
    return lines or ["no file in it"]
