"""Terminal output with rich: the triage table and one release's timeline.

Colour only when the console is a terminal (rich decides). Text from the bundle is never
interpreted as rich markup (it goes in `Text` objects), and its control characters are shown
as escapes (`visible`), so that no escape sequence from a bundle reaches the terminal.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    import polars as pl

    from forensics.model import Analysis

# What a terminal may act on: C0 controls but newline and tab (ESC starts CSI, OSC and DCS
# sequences; CR, BS and the like overwrite what was printed), DEL, the C1 controls (U+009B
# is an 8-bit CSI, U+009D an 8-bit OSC, U+0090 a DCS) and the bidirectional overrides that
# reorder what is shown.
CONTROLS = [chr(code) for span in ((0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), (0x202A, 0x202E), (0x2066, 0x2069)) for code in range(span[0], span[1] + 1)]
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


STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan", None: "green"}


def _ts(value) -> str:
    return value.isoformat(sep=" ", timespec="seconds")[:19] if value else "-"


def triage_rows(analysis: Analysis) -> list[tuple]:
    """(release, ready, verdict, confidence, since, reason, style) — broken first."""
    rows = []
    order = {"error": 0, "warning": 1, "info": 2}
    for verdict in sorted(
        analysis.verdicts,
        key=lambda v: (v.healthy, order.get(v.severity.value if v.severity else "", 3), v.release),
    ):
        label = verdict.label
        severity = verdict.severity.value if verdict.severity else (None if verdict.healthy else "warning")
        rows.append(
            (
                verdict.release,
                verdict.ready or "?",
                label,
                verdict.confidence.value if verdict.confidence else "",
                _ts(verdict.since),
                verdict.summary if not verdict.healthy else (verdict.ready_message or ""),
                STYLE.get(severity, ""),
            )
        )
    return rows


def _cite(source: str | None, line: int | None, keep: int = 2) -> str:
    """`source:line` with only the last path parts (the line number is what must stay visible)."""
    parts = (source or "").split("/")
    short = "/".join(parts[-keep:])
    if len(short) > 40:
        return f"…{short[-40:]}:{line}"
    return f"{'…/' if len(parts) > keep else ''}{short}:{line}"


def _console() -> Console:
    """A console as wide as the terminal, or 160 columns when output is piped."""
    import sys

    return Console() if sys.stdout.isatty() else Console(width=160)


HEALTHY_LISTED = 30
RELEASE_WIDTH = 72


def print_triage(analysis: Analysis, console: Console | None = None) -> None:
    console = console or _console()
    bundle = analysis.bundle
    broken = sum(1 for v in analysis.verdicts if not v.healthy)
    console.print(_text(f"{bundle.name} ({bundle.layout}): {len(analysis.verdicts)} HelmReleases, {broken} with a problem", style="bold"))
    for upgrade in analysis.upgrades:
        console.print(_text(f"{upgrade.controller} {upgrade.from_version} -> {upgrade.to_version} at {_ts(upgrade.at)}"))
    table = Table(show_lines=False, expand=False)
    table.add_column("release", no_wrap=True, max_width=RELEASE_WIDTH)  # a name of hundreds of characters is cut, not the table
    for header in ("ready", "verdict", "conf.", "since (UTC)"):
        table.add_column(header, no_wrap=True)
    table.add_column("reason", ratio=1)
    rows = triage_rows(analysis)
    healthy = [row for row in rows if row[2] == "healthy"]
    # Many healthy releases would bury the broken ones (and take rich seconds to draw):
    # beyond HEALTHY_LISTED they are counted, not listed; the report and the JSON list them all.
    shown = [row for row in rows if row[2] != "healthy"] + (healthy if len(healthy) <= HEALTHY_LISTED else [])
    for release, ready, label, confidence, since, reason, style in shown:
        table.add_row(_text(release), _text(ready), _text(label, style=style), _text(confidence), _text(since), _text(reason))
    console.print(table)
    if len(healthy) > HEALTHY_LISTED:
        console.print(Text(f"… and {len(healthy)} healthy releases, listed in the HTML report and the JSON output", style="dim"))
    skipped = [r for r in analysis.rules if r.status in ("skipped", "error")]
    for result in skipped:
        console.print(_text(f"rule {result.rule} {result.name}: {result.status} — {result.reason}", style="dim"))
    if analysis.problems_total:
        console.print(Text(f"{analysis.problems_total} input problem(s); see the report's inventory", style="dim"))
    if analysis.redactions:
        console.print(Text(f"{analysis.redactions} secret-looking value(s) redacted as [REDACTED]", style="dim"))


def print_plan(plan: list, console: Console) -> None:
    """The remediation steps in order, each with all its command lines (comments kept), why and what to check."""
    console.print(Text("fix, in this order:", style="bold green"))
    for step in plan:
        console.print(_text(f"  {step.order}. [{step.phase}] {step.action}"))
        for line in step.commands.splitlines():
            console.print(_text(f"       {line}", style="green"))
        console.print(_text(f"     why: {step.why}", style="dim"))
        console.print(_text(f"     check: {step.check}", style="dim"))


def print_timeline(analysis: Analysis, timeline: pl.DataFrame, release: str, limit: int, console: Console | None = None) -> bool:
    """One release's story: its verdict and findings, then its records and the controller's in
    time order (the upgrade and restarts included). False when the release is unknown."""
    import polars as pl

    console = console or _console()
    verdict = analysis.verdict(release)
    if verdict is None and timeline.filter(pl.col("release") == release).height == 0:
        known = ", ".join(v.release for v in analysis.verdicts[:20])
        console.print(_text(f"no release {release} in this bundle; releases: {known}", style="red"))
        return False
    if verdict:
        label = verdict.label
        severity = verdict.severity.value if verdict.severity else None
        head = _text(f"{release}: ", style="bold")
        head.append(visible(label), style=STYLE.get(severity, ""))
        head.append(visible(f" — Ready {verdict.ready or '?'}" + (f", since {_ts(verdict.since)}" if verdict.since else "")))
        console.print(head)
        if verdict.summary:
            console.print(_text(verdict.summary))
    for finding in analysis.findings:
        if finding.release == release:
            console.print(_text(f"{finding.rule} {finding.name} ({finding.severity.value}, {finding.confidence.value} confidence)", style="bold"))
    if verdict and verdict.plan:
        print_plan(verdict.plan, console)
    rows = timeline.filter((pl.col("release") == release) | pl.col("release").is_null()).sort("ts", "source", "line")
    shown = rows.tail(limit)
    table = Table(box=None)
    for header in ("time (UTC)", "lane", "reason"):
        table.add_column(header, no_wrap=True)
    table.add_column("message", ratio=1)
    table.add_column("source:line", no_wrap=True)
    for row in shown.iter_rows(named=True):
        style = {"error": "red", "warning": "yellow"}.get(row["level"], "")
        if row["release"] is None:
            style = "magenta"
        span = f" ×{row['count']}" if row["count"] and row["count"] > 1 else ""
        until = f" → {row['ts_end'].strftime('%H:%M:%S')}" if row["ts_end"] and row["ts_end"] > row["ts"] else ""
        table.add_row(
            _text(_ts(row["ts"]) + until),
            _text("controller" if row["release"] is None else row["origin"]),
            _text((row["reason"] or "") + span),
            _text((row["message"] or "").replace("\n", " ")[:160], style=style),
            _text(_cite(row["source"], row["line"])),
        )
    console.print(table)
    if rows.height > shown.height:
        console.print(Text(f"{rows.height - shown.height} earlier records not shown (--limit {limit})", style="dim"))
    return True
