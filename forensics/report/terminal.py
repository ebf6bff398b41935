"""Terminal output with rich: the triage table and one release's timeline.

Colour only when the console is a terminal (rich decides); text from the bundle is never
interpreted as rich markup.
"""

from __future__ import annotations

import polars as pl
from rich.console import Console
from rich.table import Table
from rich.text import Text

from forensics.model import Analysis

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan", None: "green"}


def _ts(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


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


def print_triage(analysis: Analysis, console: Console | None = None) -> None:
    console = console or _console()
    bundle = analysis.bundle
    broken = sum(1 for v in analysis.verdicts if not v.healthy)
    console.print(Text(f"{bundle.name} ({bundle.layout}): {len(analysis.verdicts)} HelmReleases, {broken} with a problem", style="bold"))
    for upgrade in analysis.upgrades:
        console.print(Text(f"{upgrade.controller} {upgrade.from_version} -> {upgrade.to_version} at {_ts(upgrade.at)}"))
    table = Table(show_lines=False, expand=False)
    for header in ("release", "ready", "verdict", "conf.", "since (UTC)"):
        table.add_column(header, no_wrap=True)
    table.add_column("reason", ratio=1)
    rows = triage_rows(analysis)
    healthy = [row for row in rows if row[2] == "healthy"]
    # Many healthy releases would bury the broken ones (and take rich seconds to draw):
    # beyond HEALTHY_LISTED they are counted, not listed; the report and the JSON list them all.
    shown = [row for row in rows if row[2] != "healthy"] + (healthy if len(healthy) <= HEALTHY_LISTED else [])
    for release, ready, label, confidence, since, reason, style in shown:
        table.add_row(Text(release), Text(ready), Text(label, style=style), Text(confidence), Text(since), Text(reason))
    console.print(table)
    if len(healthy) > HEALTHY_LISTED:
        console.print(Text(f"… and {len(healthy)} healthy releases, listed in the HTML report and the JSON output", style="dim"))
    skipped = [r for r in analysis.rules if r.status in ("skipped", "error")]
    for result in skipped:
        console.print(Text(f"rule {result.rule} {result.name}: {result.status} — {result.reason}", style="dim"))
    if analysis.problems_total:
        console.print(Text(f"{analysis.problems_total} input problem(s); see the report's inventory", style="dim"))
    if analysis.redactions:
        console.print(Text(f"{analysis.redactions} secret-looking value(s) redacted as [REDACTED]", style="dim"))


def print_plan(plan: list, console: Console) -> None:
    """The remediation steps in order, each with all its command lines (comments kept), why and what to check."""
    console.print(Text("fix, in this order:", style="bold green"))
    for step in plan:
        console.print(Text(f"  {step.order}. [{step.phase}] {step.action}"))
        for line in step.commands.splitlines():
            console.print(Text(f"       {line}", style="green"))
        console.print(Text(f"     why: {step.why}", style="dim"))
        console.print(Text(f"     check: {step.check}", style="dim"))


def print_timeline(analysis: Analysis, timeline: pl.DataFrame, release: str, limit: int, console: Console | None = None) -> bool:
    """One release's story: its verdict and findings, then its records and the controller's in
    time order (the upgrade and restarts included). False when the release is unknown."""
    console = console or _console()
    verdict = analysis.verdict(release)
    if verdict is None and timeline.filter(pl.col("release") == release).height == 0:
        known = ", ".join(v.release for v in analysis.verdicts[:20])
        console.print(Text(f"no release {release} in this bundle; releases: {known}", style="red"))
        return False
    if verdict:
        label = verdict.label
        severity = verdict.severity.value if verdict.severity else None
        head = Text(f"{release}: ", style="bold")
        head.append(label, style=STYLE.get(severity, ""))
        head.append(f" — Ready {verdict.ready or '?'}" + (f", since {_ts(verdict.since)}" if verdict.since else ""))
        console.print(head)
        if verdict.summary:
            console.print(Text(verdict.summary))
    for finding in analysis.findings:
        if finding.release == release:
            console.print(Text(f"{finding.rule} {finding.name} ({finding.severity.value}, {finding.confidence.value} confidence)", style="bold"))
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
            Text(_ts(row["ts"]) + until),
            Text("controller" if row["release"] is None else row["origin"]),
            Text((row["reason"] or "") + span),
            Text((row["message"] or "").replace("\n", " ")[:160], style=style),
            Text(_cite(row["source"], row["line"])),
        )
    console.print(table)
    if rows.height > shown.height:
        console.print(Text(f"{rows.height - shown.height} earlier records not shown (--limit {limit})", style="dim"))
    return True
