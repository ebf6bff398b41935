"""The self-contained HTML report: data prepared here, markup in a Jinja2 template.

One file, no network: the stylesheet and the small script are inlined, timelines and the
dependency graph are inline SVG (geometry in `svg.py` and `graph.py`). Jinja2 autoescape is on,
so every string from the bundle is escaped; nothing from the bundle is ever placed in a URL, an
event handler or a script.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import datetime, timedelta
from importlib import resources
from types import SimpleNamespace

import jinja2
from markupsafe import Markup, escape

from forensics.model import Analysis, Evidence, Finding, TimelineEntry
from forensics.report import graph, svg
from forensics.rules import RULES

SLICE = timedelta(minutes=5)
SLICE_ROWS = 40
RANK = {"error": 3, "warning": 2, "info": 1, "ok": 0}
CONFIDENCE = {"high": 3, "medium": 2, "low": 1}
FAILED = ("error", "warning")  # levels of a record that shows a failure
# A label's colour is its rule's severity (the highest when rules of several severities share it).
LABEL_SEVERITY: dict[str, str] = {"healthy": "ok", "unexplained": "warning"}
for _rule in sorted(RULES, key=lambda r: r.severity.rank):
    LABEL_SEVERITY[_rule.label] = _rule.severity.value

_fmt = svg.fmt


def _anchor(release: str) -> str:
    return "r-" + "".join(ch if ch.isalnum() else "-" for ch in release)


def label_severity(label: str | None) -> str:
    """The colour class of a label: its rule's severity, `ok` for healthy, `none` when unknown."""
    return LABEL_SEVERITY.get(label or "", "none")


def breakable(name: str) -> Markup:
    """A release name that may wrap after its namespace (`apps/<wbr>frontend`), never mid-word."""
    return Markup("/<wbr>").join(escape(part) for part in name.split("/"))


def verdict_severity(verdict) -> str:
    return verdict.severity.value if verdict.severity else ("ok" if verdict.healthy else "warning")


def _slice(evidence: Evidence, pool: list[TimelineEntry]) -> dict | None:
    """The records within ±5 minutes of a cited line (psort's --slice), nearest first when
    there are too many, shown in time order; the cited record itself is flagged."""
    if evidence.ts is None:
        return None
    near = [e for e in pool if abs(e.ts - evidence.ts) <= SLICE or (e.ts_end and e.ts <= evidence.ts <= e.ts_end)]
    total = len(near)
    near = sorted(near, key=lambda e: (abs((e.ts - evidence.ts).total_seconds()), e.source or "", e.line or 0))[
        :SLICE_ROWS
    ]
    near.sort(key=lambda e: (e.ts, e.source or "", e.line or 0))
    rows = [{"e": e, "cited": e.source == evidence.source and e.line == evidence.line} for e in near]
    return {"rows": rows, "total": total, "start": _fmt(evidence.ts - SLICE), "end": _fmt(evidence.ts + SLICE)}


def _gaps(analysis: Analysis) -> list[dict]:
    """What the bundle lacks: rules that could not run, and unread input."""
    gaps = [
        {"what": f"{r.rule} {r.name} {r.status}", "why": r.reason, "collect": r.how_to_collect}
        for r in analysis.rules
        if r.status in ("skipped", "error")
    ]
    for gap in analysis.gaps:
        where = f" ({', '.join(gap.releases)})" if gap.releases else ""
        gaps.append({"what": gap.missing + where, "why": gap.consequence, "collect": gap.how_to_collect})
    if analysis.problems_total:
        gaps.append(
            {
                "what": f"{analysis.problems_total} input problem(s)",
                "why": "lines or files that could not be parsed; see the evidence inventory",
                "collect": "",
            }
        )
    return gaps


def _interest(findings: list[Finding], entries: list[TimelineEntry]) -> tuple[list[datetime], list[TimelineEntry]]:
    """The times a release's timeline opens on, and its records that show a failure: the cited
    evidence of its findings; else their first and last times; else its failed records and the
    record after the last of them (the recovery, when it healed)."""
    failures = [e for e in entries if e.level in FAILED]
    times = [ev.ts for f in findings for ev in f.evidence if ev.ts]
    if not times:
        times = [t for f in findings for t in (f.first_ts, f.last_ts) if t]
    if not times and failures:
        times = [e.ts for e in failures]
        after = next((e for e in entries if e.ts > failures[-1].ts and e.level not in FAILED), None)
        if after:
            times.append(after.ts)
    return times, failures


def _cited(findings: list[Finding]) -> dict:
    """(source, line) of every cited record; the first record of each finding carries its label."""
    cited: dict = {}
    for finding in findings:
        for ev in finding.evidence:
            cited.setdefault((ev.source, ev.line), "")
    for finding in findings:
        first = min((ev for ev in finding.evidence if ev.ts), key=lambda ev: ev.ts, default=None)
        if first and not cited[(first.source, first.line)] and finding.label not in cited.values():
            cited[(first.source, first.line)] = finding.label
    return cited


def _incident_events(analysis: Analysis, rows: list[dict]) -> list[dict]:
    """The incident in words, in time order: controller upgrades and restarts, each failed
    release's first cited record (and the release it waits on)."""
    events = [
        {
            "ts": u.at,
            "what": f"{u.controller} upgraded {u.from_version or '?'} → {u.to_version or '?'}",
            "basis": u.basis,
            "cite": None,
            "row": None,
        }
        for u in analysis.upgrades
        if u.at
    ]
    for restart in analysis.restarts:
        reason = f", last termination {restart.reason}" if restart.reason else ""
        restarts = f" (restarts {restart.restarts}{reason})" if restart.restarts is not None else reason
        cite = f"{restart.source}:{restart.line}" if restart.source else None
        events.append(
            {
                "ts": restart.at,
                "what": f"{restart.pod or restart.controller} started{restarts}",
                "basis": "",
                "cite": cite,
                "row": None,
            }
        )
    events += [{"ts": row["first"], "what": "", "basis": "", "cite": None, "row": row} for row in rows if row["first"]]
    return sorted(events, key=lambda e: (e["ts"], e["row"]["release"] if e["row"] else ""))


def view(analysis: Analysis) -> dict:
    """Everything the template shows, prepared."""
    by_release: dict[str | None, list[TimelineEntry]] = {}
    for entry in analysis.timeline:
        by_release.setdefault(entry.release, []).append(entry)
    controller_rows = [(e, f"ctl.{i}") for i, e in enumerate(by_release.get(None, []), 1)]
    markers = svg.markers(analysis)
    findings_of: dict[str, list] = {}
    for finding in analysis.findings:
        findings_of.setdefault(finding.release, []).append(finding)
    verdicts = sorted(analysis.verdicts, key=lambda v: (v.healthy, -RANK.get(verdict_severity(v), 0), v.release))
    releases, incident_rows = [], []
    for verdict in verdicts:
        anchor = _anchor(verdict.release)
        entries = by_release.get(verdict.release, [])
        own = findings_of.get(verdict.release, [])
        # primary first: its label is the one a record shows when two findings cite it
        own = sorted(own, key=lambda f: f.label != verdict.primary)
        rows = [(e, f"{anchor}.{i}") for i, e in enumerate(entries, 1)]
        # the release's records and the controller lane, in time order (most releases need none)
        pool = sorted(rows + controller_rows, key=lambda row: row[0].ts) if entries or own else []
        entries_pool = [e for e, _ in pool]
        findings = [
            {
                "f": f,
                "sev": f.severity.value,
                "evidence": [{"e": e, "slice": _slice(e, entries_pool)} for e in f.evidence],
            }
            for f in own
        ]
        interest, failures = _interest(own, entries)
        recovered = verdict.healthy and bool(failures)
        sev = verdict_severity(verdict)
        severity = "recovered" if recovered else sev
        upstream = (
            verdict.chain[1].release if len(verdict.chain) > 1 and verdict.chain[1].relation == "depends on" else None
        )
        if interest and (recovered or not verdict.healthy):
            incident_rows.append(
                {
                    "release": verdict.release,
                    "first": min(interest),
                    "last": max(interest),
                    "label": verdict.label,
                    "cls": severity,
                    "href": anchor,
                    "upstream": upstream,
                    "recovered": recovered,
                    "failures": len(failures),
                    "cited": bool(own),
                }
            )
        # attributes, not dict keys: Jinja looks `r.x` up as an attribute first (a dict's
        # failed lookup raises), and the thousands of release rows made it a third of rendering
        releases.append(
            SimpleNamespace(
                verdict=verdict,
                anchor=anchor,
                label=verdict.label,
                severity=severity,
                sev=sev,
                rank=RANK[sev],
                confidence_rank=CONFIDENCE.get(verdict.confidence.value, 0) if verdict.confidence else 0,
                recovered=recovered,
                failures=failures,
                findings=findings,
                svg=svg.timeline(pool, markers, interest, _cited(own)) if entries else None,
                rows=rows,
            )
        )
    fired = {f.rule for f in analysis.findings}
    counts: dict[str, int] = {}
    for verdict in analysis.verdicts:
        counts[verdict.label] = counts.get(verdict.label, 0) + 1
    rows_total = sum(n for kind, n in analysis.bundle.rows.items() if kind != "problems")
    return {
        "a": analysis,
        "releases": releases,
        "broken_releases": [r for r in releases if not r.verdict.healthy],
        "healthy_releases": [r for r in releases if r.verdict.healthy],
        "counts": sorted(
            counts.items(), key=lambda kv: (kv[0] == "healthy", -RANK.get(label_severity(kv[0]), 0), kv[0])
        ),
        "broken": sum(1 for v in analysis.verdicts if not v.healthy),
        "recovered": sum(1 for r in releases if r.recovered),
        "gaps": _gaps(analysis),
        "cited": sum(len(f.evidence) for f in analysis.findings),
        "rows_total": rows_total,
        "read": sum(1 for i in analysis.inventory if i.parser),
        "inventory": (inventory := inventory_rows(analysis.inventory)),
        "inventory_grouped": len(inventory) < len(analysis.inventory),
        "graph": graph.dependency_graph(analysis, _anchor),
        "incident": svg.incident(incident_rows, markers),
        "incident_events": _incident_events(analysis, incident_rows),
        "controller_rows": controller_rows,
        "rule_docs": [(rule, rule.sections()) for rule in RULES if rule.id in fired],
    }


# Past this many files, the inventory table shows the files read without a problem a folder
# (and parser) at a time: a crust-gather bundle has a file per object, 200,000 rows that no
# reader scrolls and a browser renders for seconds. The JSON report lists every file.
INVENTORY_ROWS = 2000


def inventory_rows(inventory: list) -> list:
    """The inventory table's rows: every entry, or past INVENTORY_ROWS entries, the read ones
    without a problem summed per folder and parser (at the place of the folder's first)."""
    if len(inventory) <= INVENTORY_ROWS:
        return inventory
    rows: list = []
    groups: dict[tuple[str, str], int] = {}  # (folder, parser) -> index of its row
    for item in inventory:
        if item.problems or not item.parser:
            rows.append(item)
            continue
        key = (item.path.rpartition("/")[0], item.parser)
        if key not in groups:
            groups[key] = len(rows)
            rows.append(SimpleNamespace(folder=key[0], parser=item.parser, files=0, size=0, rows=0, problems=0))
        group = rows[groups[key]]
        group.files += 1
        group.size += item.size
        group.rows += item.rows
    for index in groups.values():
        group = rows[index]
        group.path = f"{group.folder}/ ({group.files:,} files)" if group.folder else f"({group.files:,} files)"
        group.note = f"{group.files:,} files read without a problem; each one's note in the JSON report"
    return rows


@functools.lru_cache(maxsize=1)
def _template() -> tuple[jinja2.Template, str, str]:
    """The compiled template, stylesheet and script, once per process (compiling dominates
    the rendering time of a small report, which matters to `forensics fleet`)."""
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
    env.filters["sev"] = label_severity
    env.filters["wbr"] = breakable
    style = (package / "style.css").read_text(encoding="utf-8")
    script = (package / "report.js").read_text(encoding="utf-8")
    return env.get_template("report.html.j2"), style, script


def render_html(analysis: Analysis) -> str:
    return "".join(html_pieces(analysis))


def html_pieces(analysis: Analysis) -> Iterator[str]:
    """The report's text in the pieces the template makes them."""
    template, style, script = _template()
    context = view(analysis)
    context["style"] = style
    context["script"] = script
    return template.generate(**context)
