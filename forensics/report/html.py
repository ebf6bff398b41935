"""The self-contained HTML report: data prepared here, markup in a Jinja2 template.

One file, no network: the stylesheet and the small script are inlined, timelines are inline
SVG. Jinja2 autoescape is on, so every string from the bundle is escaped; nothing from the
bundle is ever placed in a URL, an event handler or a script.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import resources

import jinja2

from forensics.model import Analysis, TimelineEntry
from forensics.rules import RULES

LANES = ("log", "event", "condition", "history", "managed-field")
WIDTH, LANE_HEIGHT, LEFT, RIGHT, TOP = 960, 26, 110, 20, 22
ENTRIES_SHOWN = 80


def _fmt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else ""


def _anchor(release: str) -> str:
    return "r-" + "".join(ch if ch.isalnum() else "-" for ch in release)


def _svg(entries: list[TimelineEntry], markers: list[tuple[datetime, str]]) -> dict | None:
    """Positions of a swimlane timeline (lanes by origin; events as spans)."""
    times = [e.ts for e in entries] + [e.ts_end for e in entries if e.ts_end] + [m for m, _ in markers]
    if not times:
        return None
    # Zoom on what was recorded (logs, events, the upgrade); older status times (history,
    # managedFields reach back to the release's creation) are pinned to the left edge.
    recorded = [e.ts for e in entries if e.origin in ("log", "event")] + [m for m, _ in markers]
    start, end = (min(recorded) if recorded else min(times)), max(times)
    start = min(start, end - timedelta(minutes=1))
    span = (end - start).total_seconds()

    def x(ts: datetime) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * max((ts - start).total_seconds(), 0) / span, 1)

    lanes = [{"name": name, "y": TOP + i * LANE_HEIGHT} for i, name in enumerate(LANES)]
    lane_y = {lane["name"]: lane["y"] for lane in lanes}
    marks = []
    for entry in entries:
        y = lane_y.get(entry.origin)
        if y is None:
            continue
        x0 = x(entry.ts)
        x1 = x(entry.ts_end) if entry.ts_end and entry.ts_end > entry.ts else x0
        count = f" ×{entry.count}" if entry.count and entry.count > 1 else ""
        older = "(before the plotted range) " if entry.ts < start else ""
        title = f"{older}{_fmt(entry.ts)} {entry.reason or ''}{count} {entry.message[:200]} ({entry.source}:{entry.line})"
        marks.append({"x": x0, "w": max(x1 - x0, 0), "y": y, "cls": entry.level or "info", "title": title})
    ticks = []
    for i in range(5):
        ts = start + (end - start) * i / 4
        ticks.append({"x": x(ts), "label": ts.strftime("%m-%d %H:%M")})
    return {
        "width": WIDTH,
        "height": TOP + len(LANES) * LANE_HEIGHT + 16,
        "lanes": lanes,
        "marks": marks,
        "markers": [{"x": x(ts), "label": label} for ts, label in markers],
        "ticks": ticks,
        "left": LEFT,
        "right": WIDTH - RIGHT,
    }


def view(analysis: Analysis) -> dict:
    """Everything the template shows, prepared."""
    by_release: dict[str | None, list[TimelineEntry]] = {}
    for entry in analysis.timeline:
        by_release.setdefault(entry.release, []).append(entry)
    markers = [(u.at, f"{u.controller} {u.to_version}") for u in analysis.upgrades if u.at]
    findings_of: dict[str, list] = {}
    for finding in analysis.findings:
        findings_of.setdefault(finding.release, []).append(finding)
    order = {"error": 0, "warning": 1, "info": 2}
    verdicts = sorted(analysis.verdicts, key=lambda v: (v.healthy, order.get(v.severity.value if v.severity else "", 3), v.release))
    releases = []
    for verdict in verdicts:
        entries = by_release.get(verdict.release, [])
        releases.append(
            {
                "verdict": verdict,
                "anchor": _anchor(verdict.release),
                "label": verdict.primary or ("healthy" if verdict.healthy else "unexplained"),
                "severity": verdict.severity.value if verdict.severity else ("ok" if verdict.healthy else "warning"),
                "findings": findings_of.get(verdict.release, []),
                "svg": _svg(entries, markers),
                "entries": entries[-ENTRIES_SHOWN:],
                "entries_total": len(entries),
            }
        )
    fired = {f.rule for f in analysis.findings}
    counts: dict[str, int] = {}
    for verdict in analysis.verdicts:
        key = verdict.primary or ("healthy" if verdict.healthy else "unexplained")
        counts[key] = counts.get(key, 0) + 1
    return {
        "a": analysis,
        "releases": releases,
        "counts": sorted(counts.items(), key=lambda kv: (kv[0] == "healthy", kv[0])),
        "broken": sum(1 for v in analysis.verdicts if not v.healthy),
        "rule_docs": [(rule, rule.sections()) for rule in RULES if rule.id in fired],
        "fmt": _fmt,
    }


def render_html(analysis: Analysis) -> str:
    package = resources.files("forensics.report") / "templates"
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"report.html.j2": (package / "report.html.j2").read_text(encoding="utf-8")}),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["ts"] = _fmt
    env.filters["anchor"] = _anchor
    context = view(analysis)
    context["style"] = (package / "style.css").read_text(encoding="utf-8")
    context["script"] = (package / "report.js").read_text(encoding="utf-8")
    return env.get_template("report.html.j2").render(**context)
