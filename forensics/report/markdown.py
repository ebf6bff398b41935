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
from collections import Counter
from datetime import datetime

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
    """What happened in two or three sentences, then one line per affected release (the
    worst first); the healthy ones are counted, not listed."""
    out = ["## Summary", "", _story(analysis, broken), ""]
    for v in sorted(broken, key=lambda v: (-v.severity.rank if v.severity else 1, v.release)):
        grade = ", ".join(
            filter(None, (v.severity and v.severity.value, v.confidence and f"{v.confidence.value} confidence"))
        )
        state = f"Ready {_cell(v.ready)}" + (f" since {_ts(v.since)}" if v.since else "") if v.ready else ""
        details = "; ".join(filter(None, (grade, state)))
        reason = _cell(v.summary) or "no rule explains it"
        out.append(f"- **{_cell(v.release)}** {v.label}{f' ({details})' if details else ''}: {reason}")
    healthy = len(analysis.verdicts) - len(broken)
    if broken and healthy:
        out += [
            "",
            f"{healthy} healthy HelmRelease(s), not listed here (the HTML report and the JSON list every release).",
        ]
    window = f"{_ts(analysis.bundle.window_start)} to {_ts(analysis.bundle.window_end)}"
    out.append(f"\nEvidence window {window} (UTC), bundle layout {analysis.bundle.layout}.")
    return out + [""]


def _story(analysis: Analysis, broken: list) -> str:
    """The trigger (a controller upgrade or restart), the impact (how many releases, which
    causes) and the first sign, as sentences."""
    trigger, when = _trigger_sentence(analysis)
    total = len(analysis.verdicts)
    if not broken:
        return " ".join(filter(None, (trigger, f"All {total} HelmReleases are healthy.")))
    causes = ", ".join(f"{n} {label}" for label, n in Counter(v.label for v in broken).most_common())
    problem = f"{len(broken)} of the {total} HelmReleases have a problem ({causes})"
    began = [_began(analysis, v) for v in broken]
    after = sum(1 for ts in began if when and ts and ts >= when)
    if trigger is None:
        impact = f"No controller upgrade or restart is in the bundle; {problem}."
    elif after == len(broken):
        impact = f"After it, {problem}."
    else:
        impact = f"{problem}, {after} of them since then."
    dated = [(ts, v.release, v.label) for ts, v in zip(began, broken, strict=True) if ts]
    sign = ""
    if dated:
        ts, release, label = min(dated)
        sign = f"The first sign: {label} on {_cell(release)} at {_ts(ts)}; the fix, in order, is under Resolution."
    return " ".join(filter(None, (trigger, impact, sign)))


def _trigger_sentence(analysis: Analysis) -> tuple[str | None, datetime | None]:
    """The controller upgrade, else its restarts (not a new pod's first start), as a sentence,
    and its time."""
    upgrade = next((u for u in analysis.upgrades if u.at), None)
    if upgrade:
        source = f" from {_cell(upgrade.from_version)}" if upgrade.from_version else ""
        target = _cell(upgrade.to_version) or "a new version"
        return f"{_cell(upgrade.controller)} was upgraded{source} to {target} at {_ts(upgrade.at)}.", upgrade.at
    crashes = [r for r in analysis.restarts if r.reason or r.restarts]
    if not crashes:
        return None, None
    reasons = ", ".join(sorted({_cell(r.reason) for r in crashes if r.reason}))
    times = f"{len(crashes)} times from" if len(crashes) > 1 else "at"
    why = f" ({reasons})" if reasons else ""
    return f"{_cell(crashes[0].controller)} restarted {times} {_ts(crashes[0].at)}{why}.", crashes[0].at


def _began(analysis: Analysis, verdict) -> datetime | None:
    """When a release's problem began: its first finding's first sign, else its Ready time."""
    firsts = [f.first_ts for f in analysis.findings if f.id in verdict.findings and f.first_ts]
    return min(firsts, default=None) or verdict.since


def _root_causes(analysis: Analysis) -> list[str]:
    """Each release's verdict (its first cause, the alternatives ruled out), then its findings, cause first."""
    out = ["## Root causes", ""]
    if not analysis.findings:
        out += ["No finding.", ""]
    by_id = {f.id: f for f in analysis.findings}
    for v in sorted((v for v in analysis.verdicts if v.findings), key=lambda v: v.release):
        grade = f"{v.confidence.value if v.confidence else ''} confidence{', suspended' if v.suspended else ''}"
        out.append(f"### {_cell(v.release)}: {v.label} ({grade})")
        out += ["", _cell(v.summary), "", f"Confidence: {_cell(v.confidence_reason)}", ""]
        if len(v.chain) > 1:
            out += ["Chain: " + " → ".join(_link(link) for link in v.chain), ""]
        if v.ruled_out:
            out += ["Ruled out:", ""]
            for r in v.ruled_out:
                cites = ", ".join(
                    f"{_where(e.source, e.line)} {_ts(e.ts) if e.ts else ''}".rstrip() for e in r.evidence
                )
                which = f" ({_cell(r.finding)})" if r.finding else ""
                out.append(f"- {r.label}{which}: {_cell(r.reason)}{f' — {cites}' if cites else ''}")
            out.append("")
        for finding_id in v.findings:
            out += _finding(by_id[finding_id])
    return out


def _link(link) -> str:
    """A link of a verdict's chain: the release, its label, how it is linked (if not by dependsOn)."""
    relation = f", {link.relation}" if link.relation and link.relation != "depends on" else ""
    return f"{_cell(link.release)} ({link.label or 'no finding'}{relation})"


def _finding(f) -> list[str]:
    out = [f"#### {f.rule} {f.name}: {f.label} ({f.severity.value}, {f.confidence.value} confidence)"]
    out += ["", _cell(f.summary), "", f"Confidence: {_cell(f.confidence_reason)}", ""]
    if f.evidence:
        # The cited lines (log lines of hundreds of characters) folded: GitHub and GitLab
        # render <details>; the blank lines around the list keep it Markdown.
        files = len({e.source for e in f.evidence})
        out += [f"<details><summary>Evidence: {len(f.evidence)} cited line(s) from {files} file(s)</summary>", ""]
        for e in f.evidence:
            out.append(f"- {_where(e.source, e.line)} {_ts(e.ts) if e.ts else ''} {_cell(e.note)}: {_code(e.excerpt)}")
        out += ["", "</details>"]
    if f.remediation:
        out += ["", "Remediation:", "", *_fenced(f.remediation, "sh")]
    return out + [""]


def _resolution(analysis: Analysis) -> list[str]:
    """The bundle's plan in order: every step with its commands (comments kept), why, and what to check."""
    order = "in order (fix the cause, then unblock, then reconcile; a dependency before its dependents)"
    out = ["## Resolution", "", f"{TODO} The plan the evidence suggests, {order}:", ""]
    if not analysis.plan:
        return out + ["Nothing to do.", ""]
    for step in analysis.plan:
        heading = f"{step.order}. **{_cell(step.release)}, {step.phase}:** {_cell(step.action)}"
        out.append(heading + ("" if step.commands else "  "))
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
        versions = f"{_cell(u.from_version)} -> {_cell(u.to_version)}"
        out.append(f"- {_cell(u.controller)} upgraded {versions} at {_ts(u.at)} ({_cell(u.basis)})")
    if not analysis.upgrades:
        out.append("- No controller upgrade found in the bundle.")
    for r in analysis.restarts:
        reason = f", last termination {_cell(r.reason)}" if r.reason else ""
        where = _where(r.source, r.line)
        out.append(f"- {_cell(r.controller)} container started {_ts(r.at)} (restarts {r.restarts}{reason}; {where})")
    return out + [""]


def _detection(analysis: Analysis, broken: set[str]) -> list[str]:
    out = ["## Detection", ""]
    first = min((f for f in analysis.findings if f.first_ts), key=lambda f: f.first_ts, default=None)
    if first:
        out.append(f"- First sign: {_ts(first.first_ts)} on {_cell(first.release)} ({first.label}).")
    else:
        out.append("- Nothing to detect.")
    records = sorted(analysis.timeline, key=lambda e: e.ts)
    for level in ("warning", "error"):
        hit = next(
            (e for e in records if e.release in broken and e.level == level and e.origin in ("event", "log")), None
        )
        if hit:
            what = f"{_cell(hit.release)} {_cell(hit.reason)} {_code(hit.message[:160])}"
            out.append(f"- First {level} {hit.origin}: {_ts(hit.ts)} {what} ({_where(hit.source, hit.line)})")
    out.append("- How it was noticed by people (alert, user report, dashboard): " + TODO)
    return out + [""]


def _timeline(analysis: Analysis) -> list[str]:
    """Milestones and every cited line inside the evidence window, terse, in time order."""
    out = ["## Timeline (UTC)", ""]
    start = analysis.bundle.window_start
    rows: list[tuple] = []
    for u in analysis.upgrades:
        if u.at:
            versions = f"{_cell(u.from_version)} -> {_cell(u.to_version)}"
            rows.append((u.at, 0, f"**CONTROLLER UPGRADED** {_cell(u.controller)} {versions}"))
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
    root = f", root {_code(bundle.root)}" if bundle.root else ""
    read = sum(1 for i in analysis.inventory if i.parser)
    ran = sum(1 for r in analysis.rules if r.status not in ("skipped", "error"))
    fired = ", ".join(f"{r.rule} {r.name} ({r.findings})" for r in analysis.rules if r.findings) or "none"
    out = ["## Supporting information", ""]
    collected = f"collected {_ts(bundle.collected_at)} (local time of the collector)"
    out.append(f"- Bundle: {_cell(bundle.name)} ({bundle.layout}{root}); {collected}.")
    for c in analysis.controllers:
        out.append(
            f"- {_cell(c.controller)} {_cell(c.version or c.basis)} seen {_ts(c.first_seen)} to {_ts(c.last_seen)}."
        )
    out.append(f"- Files read: {read} of {len(analysis.inventory)}; input problems: {analysis.problems_total}.")
    out.append(
        f"- Secrets: {analysis.redactions} secret-looking value(s) redacted (shown as `[REDACTED]`); "
        "HelmRelease values, Secrets and Helm release payloads are never read."
    )
    out.append(f"- Rules run: {ran} of {len(analysis.rules)}; with findings: {fired}.")
    for r in analysis.rules:
        if r.status in ("skipped", "error"):
            collect = f" Collect: {_code(r.how_to_collect)}" if r.how_to_collect else ""
            out.append(f"- Evidence gap, rule {r.rule} {r.name} {r.status}: {_cell(r.reason)}.{collect}")
    for gap in analysis.gaps:
        where = f" ({', '.join(_cell(r) for r in gap.releases)})" if gap.releases else ""
        collect = _code(gap.how_to_collect)
        out.append(f"- Evidence gap: {_cell(gap.missing)}{where}: {_cell(gap.consequence)}. Collect: {collect}")
    stamp = f"{_ts(analysis.generated_at)} (schema {analysis.schema_version})"
    out.append(f"- Generated by flux-forensics {analysis.tool_version} at {stamp}.")
    return out


LESSONS = ["What went well", "What went wrong", "Where we got lucky"]


def render_markdown(analysis: Analysis) -> str:
    broken = [v for v in analysis.verdicts if not v.healthy]
    out = [f"# Postmortem draft: {_cell(analysis.bundle.name)}", ""]
    out += [f"**Date:** {_ts(analysis.bundle.window_start)[:10]}  ", f"**Authors:** {TODO}  "]
    out += ["**Status:** draft, pre-filled by flux-forensics from the bundle", ""]
    out += _summary(analysis, broken)
    out += ["## Impact", "", TODO + " Who or what was affected, for how long, and how badly.", ""]
    out += _root_causes(analysis)
    out += _trigger(analysis)
    out += _resolution(analysis)
    out += _detection(analysis, {v.release for v in broken})
    out += ["## Action items", "", "| Action item | Type | Owner | Bug |", "|---|---|---|---|"]
    out += [f"| {TODO} | mitigate / prevent / process | | |", ""]
    out += ["## Lessons learned", ""] + [line for title in LESSONS for line in (f"### {title}", "", TODO, "")]
    out += _timeline(analysis)
    out += _supporting(analysis)
    return visible("\n".join(out) + "\n")
