"""The self-contained HTML report: data prepared here, markup in a Jinja2 template.

One file, no network: the stylesheet and the small script are inlined, timelines and the
dependency graph are inline SVG (geometry in `svg.py`). Jinja2 autoescape is on, so every
string from the bundle is escaped; nothing from the bundle is ever placed in a URL, an event
handler or a script.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from importlib import resources
from types import SimpleNamespace

import jinja2

from forensics.model import Analysis, Evidence, TimelineEntry
from forensics.report import svg
from forensics.rules import RULES

ENTRIES_SHOWN = 80
SLICE = timedelta(minutes=5)
SLICE_ROWS = 40
ORDER = {"error": 0, "warning": 1, "info": 2}

_fmt = svg.fmt


def _anchor(release: str) -> str:
    return "r-" + "".join(ch if ch.isalnum() else "-" for ch in release)


def _slice(evidence: Evidence, pool: list[TimelineEntry]) -> dict | None:
    """The records within ±5 minutes of a cited line (psort's --slice), nearest first when
    there are too many, shown in time order; the cited record itself is flagged."""
    if evidence.ts is None:
        return None
    near = [e for e in pool if abs(e.ts - evidence.ts) <= SLICE or (e.ts_end and e.ts <= evidence.ts <= e.ts_end)]
    total = len(near)
    near = sorted(near, key=lambda e: (abs((e.ts - evidence.ts).total_seconds()), e.source or "", e.line or 0))[:SLICE_ROWS]
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
        gaps.append({"what": f"{analysis.problems_total} input problem(s)", "why": "lines or files that could not be parsed; see the evidence inventory", "collect": ""})
    return gaps


def view(analysis: Analysis) -> dict:
    """Everything the template shows, prepared."""
    by_release: dict[str | None, list[TimelineEntry]] = {}
    for entry in analysis.timeline:
        by_release.setdefault(entry.release, []).append(entry)
    global_entries = by_release.get(None, [])
    markers = svg.markers(analysis)
    findings_of: dict[str, list] = {}
    for finding in analysis.findings:
        findings_of.setdefault(finding.release, []).append(finding)
    verdicts = sorted(analysis.verdicts, key=lambda v: (v.healthy, ORDER.get(v.severity.value if v.severity else "", 3), v.release))
    releases = []
    for verdict in verdicts:
        entries = by_release.get(verdict.release, [])
        own = findings_of.get(verdict.release, [])
        # the release's records and the controller lane, in time order (most releases need none)
        pool = sorted(entries + global_entries, key=lambda e: e.ts) if entries or own else []
        findings = [{"f": f, "evidence": [{"e": e, "slice": _slice(e, pool)} for e in f.evidence]} for f in own]
        # attributes, not dict keys: Jinja looks `r.x` up as an attribute first (a dict's
        # failed lookup raises), and the thousands of release rows made it a third of rendering
        releases.append(
            SimpleNamespace(
                verdict=verdict,
                anchor=_anchor(verdict.release),
                label=verdict.label,
                severity=verdict.severity.value if verdict.severity else ("ok" if verdict.healthy else "warning"),
                findings=findings,
                svg=svg.timeline(pool, markers) if entries else None,
                entries=entries[-ENTRIES_SHOWN:],
                entries_total=len(entries),
            )
        )
    fired = {f.rule for f in analysis.findings}
    counts: dict[str, int] = {}
    for verdict in analysis.verdicts:
        counts[verdict.label] = counts.get(verdict.label, 0) + 1
    rows = sum(n for kind, n in analysis.bundle.rows.items() if kind != "problems")
    return {
        "a": analysis,
        "releases": releases,
        "broken_releases": [r for r in releases if not r.verdict.healthy],
        "healthy_releases": [r for r in releases if r.verdict.healthy],
        "counts": sorted(counts.items(), key=lambda kv: (kv[0] == "healthy", kv[0])),
        "broken": sum(1 for v in analysis.verdicts if not v.healthy),
        "gaps": _gaps(analysis),
        "cited": sum(len(f.evidence) for f in analysis.findings),
        "rows_total": rows,
        "read": sum(1 for i in analysis.inventory if i.parser),
        "graph": svg.dependency_graph(analysis, _anchor),
        "rule_docs": [(rule, rule.sections()) for rule in RULES if rule.id in fired],
    }


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
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["ts"] = _fmt
    env.filters["anchor"] = _anchor
    style = (package / "style.css").read_text(encoding="utf-8")
    script = (package / "report.js").read_text(encoding="utf-8")
    return env.get_template("report.html.j2"), style, script


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's cache of compiled templates in the user's temporary folder (its own folder,
    mode 0700, checked to be the user's), keyed by the template's text: a changed template
    is compiled again. A cache that cannot be read or written is only a slower report."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError):
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiling the template took ~40 ms of every report (a tenth of a small bundle's whole
    analysis, and of each report `forensics fleet` writes); loading it compiled, under 1 ms."""
    try:
        return _QuietBytecodeCache()
    except (OSError, RuntimeError):  # no temporary folder of our own: compile every time
        return None


def render_html(analysis: Analysis) -> str:
    template, style, script = _template()
    context = view(analysis)
    context["style"] = style
    context["script"] = script
    return template.render(**context)
