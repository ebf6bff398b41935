"""Markdown for a ticket or a postmortem, after the Google SRE example postmortem: the sections
the evidence can fill (Summary, Root causes, Trigger, Detection, Timeline, Supporting
information) and placeholders for the ones only people can write (Impact, Resolution,
Action items, Lessons learned).

Text from the bundle is put in code spans or escaped, so it cannot turn into links, markup or
HTML: a code span's fence is a backtick run longer than any in its text (which cannot close
it), and every control character but newline and tab is written as an escape (`\\x1b`), so
the draft prints cleanly on a terminal too.
"""

from __future__ import annotations

import re

from forensics.model import Analysis
from forensics.report.terminal import visible

TIMELINE_ROWS = 40
TODO = "_To be written by the incident owner._"


def _ts(value) -> str:
    return value.isoformat(sep=" ", timespec="seconds")[:19] + "Z" if value else "-"


def _cell(text: str | None) -> str:
    """Inline text for a table cell: no newlines, control characters visible (the fleet
    summary uses it too), pipes and markup characters escaped."""
    text = visible((text or "").replace("\n", " ").replace("\r", " "))
    for ch in "\\`*_[]<>|#!":
        text = text.replace(ch, "\\" + ch)
    return text


def _code(text: str | None, fence: int = 2) -> str:
    """`text` as one inline code span its content cannot close: the fence is a backtick run
    longer than any in the text (and at least `fence` long); a fence of two or more is padded
    with a space, as is any fence next to a backtick of the text."""
    text = (text or "").replace("\r", " ").replace("\n", " ")
    if not text:
        return ""
    ticks = "`" * max(fence, _longest_run(text) + 1)
    pad = " " if fence > 1 or text[0] == "`" or text[-1] == "`" else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _where(source: str | None, line: int | None) -> str:
    """A cited `source:line` as a code span."""
    return _code(f"{source}:{line}", fence=1)


def _longest_run(text: str) -> int:
    return max((len(run) for run in re.findall("`+", text)), default=0)


def _fenced(text: str, info: str) -> list[str]:
    """A fenced code block its content cannot close (the fence is longer than any backtick run)."""
    fence = "`" * max(3, _longest_run(text) + 1)
    return [fence + info, text, fence]


def _summary(analysis: Analysis, broken: list) -> list[str]:
    bundle = analysis.bundle
    out = ["## Summary", ""]
    out.append(
        f"{len(analysis.verdicts)} HelmReleases in the bundle ({bundle.layout}); {len(broken)} with a problem, "
        f"{len(analysis.verdicts) - len(broken)} healthy. Evidence window {_ts(bundle.window_start)} to {_ts(bundle.window_end)} (UTC)."
    )
    out.append("")
    for f in analysis.findings:
        out.append(f"- **{_cell(f.release)}** {f.label}: {_cell(f.summary)}")
    out += ["", "| Release | Ready | Verdict | Confidence | Since | Reason |", "|---|---|---|---|---|---|"]
    for v in sorted(analysis.verdicts, key=lambda v: (v.healthy, v.release)):
        reason = v.summary if not v.healthy else (v.ready_message or "")
        out.append(f"| {_cell(v.release)} | {_cell(v.ready)} | {v.label} | {v.confidence.value if v.confidence else ''} | {_ts(v.since) if v.since else ''} | {_cell(reason)} |")
    return out + [""]


def _root_causes(analysis: Analysis) -> list[str]:
    """Each release's verdict (its first cause, the alternatives ruled out), then its findings, cause first."""
    out = ["## Root causes", ""]
    if not analysis.findings:
        out += ["No finding.", ""]
    by_id = {f.id: f for f in analysis.findings}
    for v in sorted((v for v in analysis.verdicts if v.findings), key=lambda v: v.release):
        out.append(f"### {_cell(v.release)}: {v.label} ({v.confidence.value if v.confidence else ''} confidence{', suspended' if v.suspended else ''})")
        out += ["", _cell(v.summary), "", f"Confidence: {_cell(v.confidence_reason)}", ""]
        if len(v.chain) > 1:
            out += ["Chain: " + " → ".join(f"{_cell(link.release)} ({link.label or 'no finding'}{', ' + link.relation if link.relation and link.relation != 'depends on' else ''})" for link in v.chain), ""]
        if v.ruled_out:
            out += ["Ruled out:", ""]
            for r in v.ruled_out:
                cites = ", ".join(f"{_where(e.source, e.line)} {_ts(e.ts) if e.ts else ''}".rstrip() for e in r.evidence)
                out.append(f"- {r.label}{f' ({_cell(r.finding)})' if r.finding else ''}: {_cell(r.reason)}{f' — {cites}' if cites else ''}")
            out.append("")
        for finding_id in v.findings:
            out += _finding(by_id[finding_id])
    return out


def _finding(f) -> list[str]:
    out = [f"#### {f.rule} {f.name}: {f.label} ({f.severity.value}, {f.confidence.value} confidence)"]
    out += ["", _cell(f.summary), "", f"Confidence: {_cell(f.confidence_reason)}", "", "Evidence:", ""]
    for e in f.evidence:
        out.append(f"- {_where(e.source, e.line)} {_ts(e.ts) if e.ts else ''} {_cell(e.note)}: {_code(e.excerpt)}")
    if f.remediation:
        out += ["", "Remediation:", "", *_fenced(f.remediation, "sh")]
    return out + [""]


def _resolution(analysis: Analysis) -> list[str]:
    """The bundle's plan in order: every step with its commands (comments kept), why, and what to check."""
    out = ["## Resolution", "", TODO + " The plan the evidence suggests, in order (fix the cause, then unblock, then reconcile; a dependency before its dependents):", ""]
    if not analysis.plan:
        return out + ["Nothing to do.", ""]
    for step in analysis.plan:
        out.append(f"{step.order}. **{_cell(step.release)}, {step.phase}:** {_cell(step.action)}" + ("" if step.commands else "  "))
        if step.commands:
            opening, body, closing = _fenced(step.commands, "sh")
            out += ["", *[f"   {line}" for line in (opening, *body.splitlines(), closing)], ""]
        out.append(f"   Why: {_cell(step.why)}  ")
        out.append(f"   Check: {_cell(step.check)}")
        out.append("")
    return out


def _trigger(analysis: Analysis) -> list[str]:
    out = ["## Trigger", ""]
    for u in analysis.upgrades:
        out.append(f"- {_cell(u.controller)} upgraded {_cell(u.from_version)} -> {_cell(u.to_version)} at {_ts(u.at)} ({_cell(u.basis)})")
    if not analysis.upgrades:
        out.append("- No controller upgrade found in the bundle.")
    for r in analysis.restarts:
        reason = f", last termination {_cell(r.reason)}" if r.reason else ""
        out.append(f"- {_cell(r.controller)} container started {_ts(r.at)} (restarts {r.restarts}{reason}; {_where(r.source, r.line)})")
    return out + [""]


def _detection(analysis: Analysis, broken: set[str]) -> list[str]:
    out = ["## Detection", ""]
    first = min((f for f in analysis.findings if f.first_ts), key=lambda f: f.first_ts, default=None)
    out.append(f"- First sign: {_ts(first.first_ts)} on {_cell(first.release)} ({first.label})." if first else "- Nothing to detect.")
    for level in ("warning", "error"):
        hit = next((e for e in sorted(analysis.timeline, key=lambda e: e.ts) if e.release in broken and e.level == level and e.origin in ("event", "log")), None)
        if hit:
            out.append(f"- First {level} {hit.origin}: {_ts(hit.ts)} {_cell(hit.release)} {_cell(hit.reason)} {_code(hit.message[:160])} ({_where(hit.source, hit.line)})")
    out.append("- How it was noticed by people (alert, user report, dashboard): " + TODO)
    return out + [""]


def _timeline(analysis: Analysis) -> list[str]:
    """Milestones and every cited line inside the evidence window, terse, in time order."""
    out = ["## Timeline (UTC)", ""]
    start = analysis.bundle.window_start
    rows: list[tuple] = []
    for u in analysis.upgrades:
        if u.at:
            rows.append((u.at, 0, f"**CONTROLLER UPGRADED** {_cell(u.controller)} {_cell(u.from_version)} -> {_cell(u.to_version)}"))
    firsts: dict[str, object] = {}
    for f in analysis.findings:
        if f.first_ts and (f.label not in firsts or f.first_ts < firsts[f.label]):
            firsts[f.label] = f.first_ts
    for label, ts in firsts.items():
        rows.append((ts, 1, f"**FIRST SIGN OF {label.upper()}**"))
    seen, earlier = set(), 0
    for f in analysis.findings:
        for e in f.evidence:
            if e.ts is None or (e.source, e.line, f.release) in seen:
                continue
            seen.add((e.source, e.line, f.release))
            if start and e.ts < start:
                earlier += 1
                continue
            rows.append((e.ts, 2, f"{_cell(f.release)}: {_cell(e.note)} ({_where(e.source, e.line)})"))
    if analysis.bundle.window_end:
        rows.append((analysis.bundle.window_end, 3, "**EVIDENCE ENDS** (last record in the bundle)"))
    rows.sort(key=lambda row: (row[0], row[1], row[2]))
    for ts, _, text in rows[:TIMELINE_ROWS]:
        out.append(f"- {_ts(ts)} {text}")
    if len(rows) > TIMELINE_ROWS:
        out.append(f"- ... {len(rows) - TIMELINE_ROWS} more entries in the HTML report")
    if earlier:
        out.append(f"- ({earlier} cited record(s) predate the evidence window; see Root causes)")
    out += ["- **MITIGATED** / **RESOLVED**: " + TODO]
    return out + [""]


def _supporting(analysis: Analysis) -> list[str]:
    bundle = analysis.bundle
    out = ["## Supporting information", ""]
    out.append(f"- Bundle: {_cell(bundle.name)} ({bundle.layout}{', root ' + _code(bundle.root) if bundle.root else ''}); collected {_ts(bundle.collected_at)} (local time of the collector).")
    for c in analysis.controllers:
        out.append(f"- {_cell(c.controller)} {_cell(c.version or c.basis)} seen {_ts(c.first_seen)} to {_ts(c.last_seen)}.")
    out.append(f"- Files read: {sum(1 for i in analysis.inventory if i.parser)} of {len(analysis.inventory)}; input problems: {analysis.problems_total}.")
    out.append(f"- Secrets: {analysis.redactions} secret-looking value(s) redacted (shown as `[REDACTED]`); HelmRelease values, Secrets and Helm release payloads are never read.")
    fired = ", ".join(f"{r.rule} {r.name} ({r.findings})" for r in analysis.rules if r.findings) or "none"
    out.append(f"- Rules run: {sum(1 for r in analysis.rules if r.status not in ('skipped', 'error'))} of {len(analysis.rules)}; with findings: {fired}.")
    for r in analysis.rules:
        if r.status in ("skipped", "error"):
            collect = f" Collect: {_code(r.how_to_collect)}" if r.how_to_collect else ""
            out.append(f"- Evidence gap, rule {r.rule} {r.name} {r.status}: {_cell(r.reason)}.{collect}")
    for gap in analysis.gaps:
        where = f" ({', '.join(_cell(r) for r in gap.releases)})" if gap.releases else ""
        out.append(f"- Evidence gap: {_cell(gap.missing)}{where}: {_cell(gap.consequence)}. Collect: {_code(gap.how_to_collect)}")
    out.append(f"- Generated by flux-forensics {analysis.tool_version} at {_ts(analysis.generated_at)} (schema {analysis.schema_version}).")
    return out


def render_markdown(analysis: Analysis) -> str:
    broken = [v for v in analysis.verdicts if not v.healthy]
    out = [f"# Postmortem draft: {_cell(analysis.bundle.name)}", ""]
    out += [f"**Date:** {_ts(analysis.bundle.window_start)[:10]}  ", "**Authors:** " + TODO + "  ", "**Status:** draft, pre-filled by flux-forensics from the bundle", ""]
    out += _summary(analysis, broken)
    out += ["## Impact", "", TODO + " Who or what was affected, for how long, and how badly.", ""]
    out += _root_causes(analysis)
    out += _trigger(analysis)
    out += _resolution(analysis)
    out += _detection(analysis, {v.release for v in broken})
    out += ["## Action items", "", "| Action item | Type | Owner | Bug |", "|---|---|---|---|", "| " + TODO + " | mitigate / prevent / process | | |", ""]
    out += ["## Lessons learned", "", "### What went well", "", TODO, "", "### What went wrong", "", TODO, "", "### Where we got lucky", "", TODO, ""]
    out += _timeline(analysis)
    out += _supporting(analysis)
    return visible("\n".join(out) + "\n")
