"""Hop 3b: one verdict per release — its first cause, the alternatives ruled out, a plan in order.

Cause before effect
-------------------
A release often shows several findings at once: a timeout and the retries it used up, a
controller crash and the lock it left. The primary is the first cause, decided from the
findings and their times with the declared table below, not from a fixed ranking:

1. Finding A explains finding B of the same release when A's label can cause B's label (the
   table) and A shows itself no later than B begins: A's earliest cited time is at most B's
   start plus TOLERANCE (records of one moment come from writers with second precision). A
   finding without times cannot contradict the table.
2. The candidates are the findings that no other finding explains. Of several candidates,
   one that names a moment rather than a lasting state (MOMENTS: a controller restart, a
   canceled health check) and was over before another candidate began is an earlier incident
   that was resolved, not the cause of the later failure. Then the earliest start wins (the
   first cause), then the candidate that explains more findings, the higher severity, the
   higher confidence.
3. Every other finding is listed in `ruled_out` with the reason and its evidence, and so are
   the alternatives the evidence excludes although no rule reported them (the other
   dependency label, a controller restart in the window).

A release suspended after a failure keeps the failure as its primary and says it is
suspended. A release that is not Ready and that no rule explains is `unexplained`, decided
here only. A release blocked by a dependency carries a chain to that dependency's own primary,
walked from the findings' `upstream` field (never from their text), iteratively, at most
MAX_CHAIN links, a cycle reported where it closes.

Which label can cause which (CAUSES, in forensics/causes.py; `forensics explain LABEL` prints a
label's row):

| cause | can cause (in the same release) |
|---|---|
| crd-mismatch | controller-restart, chart-fetch, migration-skip |
| controller-restart | stuck-pending |
| stuck-pending | install-failed, upgrade-failed, rollback-failed, retries-exhausted |
| release-missing | install-failed, upgrade-failed, rollback-failed, retries-exhausted |
| api-removed | install-failed, upgrade-failed, rollback-failed, retries-exhausted |
| values-schema | install-failed, upgrade-failed, retries-exhausted |
| render-failed | install-failed, upgrade-failed, retries-exhausted |
| ownership-conflict | install-failed, upgrade-failed, retries-exhausted |
| health-check-canceled | install-failed, upgrade-failed, retries-exhausted |
| timeout | install-failed, upgrade-failed, rollback-failed, test-failed, retries-exhausted |
| immutable-field | upgrade-failed, rollback-failed, retries-exhausted |
| install-failed | retries-exhausted |
| upgrade-failed | rollback-failed, retries-exhausted |
| test-failed | rollback-failed, retries-exhausted |
| rollback-failed | retries-exhausted |
| drift | dependency-stale |
| suspended | migration-skip |
| every label but suspended, migration-skip, stale-status, evidence-gap | suspended (suspended after the failure) |
| every label but stale-status, evidence-gap | stale-status |
| every label but evidence-gap | evidence-gap |

Across releases: any primary of a dependency causes `dependency-failed` in its dependents
(the chain), and a dependency that is Ready rules `dependency-failed` out (`dependency-stale`
instead), and the other way round.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from forensics.causes import (
    NOT_FAILURES,
    Decision,
    cites_of,
    start_of,
    time_text,
)
from forensics.model import (
    ChainLink,
    Confidence,
    ControllerRestart,
    Evidence,
    Finding,
    RuledOut,
    Verdict,
)
from forensics.plan import CONTROLLER_WIDE, GENERIC_ACTIONS, bundle_plan, release_plan  # noqa: F401 - bundle_plan is part of this module's interface

DEPENDENCY_LABELS = ("dependency-stale", "dependency-failed", "dependency-missing")
MAX_CHAIN = 8  # links of a chain: a 3,000-long dependsOn chain gives 3,000 short chains, not 4.5M links
RESTART_WINDOW = timedelta(hours=1)  # a controller restart this long before a failure is an alternative to rule out


# ---------------------------------------------------------------------------------------------
# Verdicts


def build(
    releases: pl.DataFrame,
    found: list[Finding],
    *,
    conditions: pl.DataFrame | None = None,
    restarts: list[ControllerRestart] | None = None,
    controller=None,
    window_end: datetime | None = None,
) -> list[Verdict]:
    """One verdict per release (findings' releases and the bundle's), each with its plan."""
    by_release: dict[str, list[Finding]] = {}
    for finding in found:
        by_release.setdefault(finding.release, []).append(finding)
    wanted = (
        "release",
        "ready_status",
        "ready_reason",
        "ready_message",
        "ready_since",
        "status_format",
        "input_format",
        "suspended",
    )
    used = [c for c in wanted if c in releases.columns]
    info = {row["release"]: row for row in releases.select(used).iter_rows(named=True)}  # only the columns read here
    ready_lines = _ready_lines(conditions, {f.upstream for f in found if f.upstream})
    names = sorted(set(info) | set(by_release))
    decisions = {name: Decision(by_release[name]) for name in by_release}
    primary = {name: d.primary for name, d in decisions.items()}
    facts = _Facts(info, ready_lines, restarts or [], controller, window_end)

    verdicts = []
    for name in names:
        row = info.get(name, {})
        base = {
            "release": name,
            "ready": row.get("ready_status"),
            "ready_message": row.get("ready_message"),
            "status_format": row.get("status_format"),
        }
        if name not in decisions:
            if row.get("ready_status") in ("False", "Unknown"):
                # Not ready, and no rule explains it: say so rather than call it healthy.
                reason = row.get("ready_reason") or "reason not shown"
                message = row.get("ready_message") or ""
                summary = f"Ready={row['ready_status']} ({reason}): {message} — no rule identified the root cause"
                verdicts.append(
                    Verdict(**base, healthy=False, unexplained=True, since=row.get("ready_since"), summary=summary)
                )
            else:
                verdicts.append(Verdict(**base, healthy=True, summary="no finding"))
            continue
        decision = decisions[name]
        top = decision.primary
        suspended = bool(row.get("suspended")) or any(f.label == "suspended" for f in decision.found)
        summary = top.summary
        if suspended and top.label != "suspended":
            summary += " (reconciliation suspended afterwards: nothing retries it)"
        level, reason = _confidence(decision, row, facts)
        verdicts.append(
            Verdict(
                **base,
                healthy=False,
                primary=top.label,
                rule=top.rule,
                severity=top.severity,
                confidence=level,
                confidence_reason=reason,
                since=top.first_ts,
                summary=summary,
                suspended=suspended,
                chain=chain(name, primary),
                findings=[f.id for f in decision.order()],
                ruled_out=_ruled_out(decision, facts),
                plan=release_plan(name, decision, facts),
            )
        )
    return verdicts


def chain(name: str, primary: dict[str, Finding]) -> list[ChainLink]:
    """[release, the dependency it is blocked on, that one's dependency, ...]: followed through
    the findings' `upstream` field, at most MAX_CHAIN links, a cycle named where it closes."""
    links = [ChainLink(release=name, label=primary[name].label)]
    seen = {name}
    current = name
    while current in primary and primary[current].label in DEPENDENCY_LABELS and primary[current].upstream:
        upstream = primary[current].upstream
        if upstream in seen:
            links.append(
                ChainLink(
                    release=upstream,
                    label=primary[upstream].label if upstream in primary else None,
                    relation="dependency cycle",
                )
            )
            break
        if len(links) >= MAX_CHAIN:
            links.append(ChainLink(release=upstream, label=None, relation="chain cut"))
            break
        seen.add(upstream)
        links.append(
            ChainLink(
                release=upstream, label=primary[upstream].label if upstream in primary else None, relation="depends on"
            )
        )
        current = upstream
    return links


class _Facts:
    """What the verdicts read besides the findings: release rows, Ready lines, restarts, versions."""

    def __init__(
        self, info: dict, ready_lines: dict[str, Evidence], restarts: list[ControllerRestart], controller, window_end
    ):
        self.info = info
        self.ready_lines = ready_lines
        self.restarts = restarts
        self.generation = getattr(controller, "current_generation", None)
        self.version = getattr(controller, "current_version", None)
        versions = getattr(controller, "versions", None) or []
        # a version, an API generation, or the wording of its logs (which tells the generation)
        self.version_known = bool(self.version or self.generation or versions)
        self.old_controller = self.generation == "v2beta1"  # helm-controller <= v0.36: no --force/--reset, no unlock
        self.window_end = window_end


def _ready_lines(conditions: pl.DataFrame | None, wanted: set[str]) -> dict[str, Evidence]:
    """The cited Ready condition of the `wanted` releases (dependencies: for the alternative the
    evidence rules out)."""
    if conditions is None or not conditions.height or not wanted or "type" not in conditions.columns:
        return {}
    ready = conditions.filter(
        (pl.col("type") == "Ready") & pl.col("source").is_not_null() & pl.col("release").is_in(sorted(wanted))
    )
    return {
        row["release"]: Evidence(
            source=row["source"],
            line=row["line"],
            ts=row["last_transition"],
            excerpt=(row.get("excerpt") or "")[:300],
            note=f"Ready={row['status']} {row.get('reason') or ''}".strip(),
        )
        for row in ready.select(
            "release", "status", "reason", "last_transition", "source", "line", "excerpt"
        ).iter_rows(named=True)
    }


# ---------------------------------------------------------------------------------------------
# Ruled out


def _ruled_out(decision: Decision, facts: _Facts) -> list[RuledOut]:
    top = decision.primary
    out = [
        RuledOut(label=f.label, finding=f.id, reason=decision.why_not(f), evidence=cites_of(f))
        for f in decision.order()
        if f is not top
    ]
    labels = {f.label for f in decision.found}
    if top.label in ("dependency-stale", "dependency-failed") and top.upstream:
        other = "dependency-failed" if top.label == "dependency-stale" else "dependency-stale"
        if other not in labels:
            out.append(_dependency_alternative(top, other, facts))
    if "controller-restart" not in labels and top.label not in NOT_FAILURES + DEPENDENCY_LABELS + ("drift",):
        start = start_of(top)
        near = [
            r
            for r in facts.restarts
            if start is None
            or (start - r.at <= RESTART_WINDOW and (facts.window_end is None or r.at <= facts.window_end))
        ]
        if near:
            starts = ", ".join(f"{time_text(r.at)}{f' (after {r.reason})' if r.reason else ''}" for r in near[:3])
            out.append(
                RuledOut(
                    label="controller-restart",
                    reason=f"helm-controller (re)started at {starts}, but no action of this release was left "
                    f"unfinished by it (HC001 checks that)",
                    evidence=[
                        Evidence(
                            source=r.source, line=r.line, ts=r.at, excerpt="", note=f"{r.controller} container started"
                        )
                        for r in near[:3]
                        if r.source
                    ],
                )
            )
    return out


def _dependency_alternative(top: Finding, other: str, facts: _Facts) -> RuledOut:
    upstream = top.upstream
    row = facts.info.get(upstream, {})
    line = facts.ready_lines.get(upstream)
    status, since = row.get("ready_status"), row.get("ready_since")
    state = f"Ready={status}" + (f" ({row.get('ready_reason')})" if row.get("ready_reason") else "")
    span = (
        f" from {time_text(since)} to {time_text(facts.window_end)}"
        if since and facts.window_end
        else (f" since {time_text(since)}" if since else "")
    )
    if other == "dependency-stale":
        reason = f"{upstream} really is not Ready: {state}{span}, so the block is not a false one"
    else:
        reason = f"{upstream} is {state}{span}: the block names a dependency that is Ready, so it is not a real one"
    return RuledOut(label=other, reason=reason, evidence=[line] if line else [])


# ---------------------------------------------------------------------------------------------
# Confidence


def _confidence(decision: Decision, row: dict, facts: _Facts) -> tuple[Confidence, str]:
    """The rule's confidence, capped by the evidence's quality, in one sentence."""
    top = decision.primary
    sources = sorted({e.source for e in top.evidence})
    caps = []
    input_format = row.get("input_format")
    if not top.evidence:
        caps.append((0, "no line is cited"))
    if input_format and input_format != "object":
        caps.append((1, f"the release is known from a pasted {input_format} only"))
    if len(sources) == 1:
        caps.append((1, "a single file cites it"))
    if not facts.version_known:
        caps.append((1, "the controller version is unknown"))
    if decision.ambiguous:
        caps.append((1, "no time orders it against another candidate"))
    rank = min([top.confidence.rank] + [cap for cap, _ in caps])
    level = ("low", "medium", "high")[rank]
    where = (
        f"{len(sources)} file(s) "
        f"({', '.join('/'.join(s.split('/')[-2:]) for s in sources[:3])}{', ...' if len(sources) > 3 else ''})"
        if sources
        else "no file"
    )
    quality = (
        "full HelmRelease objects"
        if input_format == "object"
        else (f"a pasted {input_format}" if input_format else "events and logs only")
    )
    version = (
        f"helm-controller {facts.version}"
        if facts.version
        else (
            f"API {facts.generation}"
            if facts.generation
            else ("controller known by its log wording" if facts.version_known else "controller version unknown")
        )
    )
    because = top.confidence_reason or "no reason given"
    reason = f"{level}: {top.rule} is {top.confidence.value} ({because}); cited from {where} of {quality}; {version}"
    lowered = [why for cap, why in caps if cap < top.confidence.rank]
    if lowered:
        reason += f"; lowered because {' and '.join(lowered)}"
    return Confidence(level), reason
