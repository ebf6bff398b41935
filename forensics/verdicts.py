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

Which label can cause which (CAUSES; `forensics explain LABEL` prints a label's row):

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

from forensics.model import (
    LABELS,
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
TOLERANCE = timedelta(seconds=5)
MAX_CHAIN = 8  # links of a chain: a 3,000-long dependsOn chain gives 3,000 short chains, not 4.5M links
MOMENTS = ("controller-restart", "health-check-canceled")
RESTART_WINDOW = timedelta(hours=1)  # a controller restart this long before a failure is an alternative to rule out
NOT_FAILURES = ("suspended", "migration-skip", "stale-status", "evidence-gap")

# The mechanisms behind the rows (reference/helm-controller.md):
_SPECIFIC = {
    # Flux CRDs the controller cannot read: it fails to start, sources are not served, statuses stay old
    "crd-mismatch": ("controller-restart", "chart-fetch", "migration-skip"),
    # a crash mid-action leaves the Helm revision pending (HC001)
    "controller-restart": ("stuck-pending",),
    # every action on a pending revision fails: "another operation ... is in progress"
    "stuck-pending": ("install-failed", "upgrade-failed", "rollback-failed", "retries-exhausted"),
    # specific causes of a failed action; each counted failure uses up a retry (v0.37+ counts only
    # those after Helm wrote a release; v0.36 counts every one), so each can exhaust the retries
    "release-missing": ("install-failed", "upgrade-failed", "rollback-failed", "retries-exhausted"),
    "api-removed": ("install-failed", "upgrade-failed", "rollback-failed", "retries-exhausted"),
    "values-schema": ("install-failed", "upgrade-failed", "retries-exhausted"),
    "render-failed": ("install-failed", "upgrade-failed", "retries-exhausted"),
    "ownership-conflict": ("install-failed", "upgrade-failed", "retries-exhausted"),
    # v1.5+: with the default strategy a canceled health check counts as a failed release
    "health-check-canceled": ("install-failed", "upgrade-failed", "retries-exhausted"),
    "timeout": ("install-failed", "upgrade-failed", "rollback-failed", "test-failed", "retries-exhausted"),
    "immutable-field": ("upgrade-failed", "rollback-failed", "retries-exhausted"),
    # a failed upgrade or test triggers the remediation rollback; every failure counts against the retries
    "install-failed": ("retries-exhausted",),
    "upgrade-failed": ("rollback-failed", "retries-exhausted"),
    "test-failed": ("rollback-failed", "retries-exhausted"),
    "rollback-failed": ("retries-exhausted",),
    # v0.37.0-v0.37.3: a reconcile that never concludes keeps an old DependencyNotReady (DP001)
    "drift": ("dependency-stale",),
    # a suspended release keeps the status shape of the controller that last wrote it (SU001)
    "suspended": ("migration-skip",),
}


def _causes() -> dict[str, tuple[str, ...]]:
    """The table above: the specific rows, then the three rows that apply to (almost) every label."""
    table = {}
    for label in LABELS:
        effects = list(_SPECIFIC.get(label, ()))
        if label not in NOT_FAILURES:
            effects.append("suspended")
        if label not in ("stale-status", "evidence-gap"):
            effects.append("stale-status")
        if label != "evidence-gap":
            effects.append("evidence-gap")
        table[label] = tuple(effects)
    return table


CAUSES = _causes()


def can_cause(label: str) -> tuple[str, ...]:
    return CAUSES.get(label, ())


def caused_by(label: str) -> tuple[str, ...]:
    return tuple(cause for cause, effects in CAUSES.items() if label in effects)


# ---------------------------------------------------------------------------------------------
# Times of a finding


def _times(finding: Finding) -> list[datetime]:
    return [t for t in [finding.first_ts, finding.last_ts, *(e.ts for e in finding.evidence)] if t is not None]


def _start(finding: Finding) -> datetime | None:
    """When the rule says the problem began (else its earliest cited time)."""
    if finding.first_ts is not None:
        return finding.first_ts
    times = _times(finding)
    return min(times) if times else None


def _earliest(finding: Finding) -> datetime | None:
    """Its first sign: the earliest of its start and its cited times (a crash's finding cites
    the action it interrupted, which began before the crash)."""
    times = _times(finding)
    return min(times) if times else None


def _end(finding: Finding) -> datetime | None:
    times = _times(finding)
    return max(times) if times else None


def _in_time(value: datetime | None) -> tuple[bool, float]:
    """A sort key: earlier first, no time last."""
    return (value is None, value.timestamp() if value else 0.0)


def _moment(finding: Finding) -> datetime | None:
    """When a moment (a restart) happened: the time its rule gives (a crash's finding also cites
    the controller's other terminations, which are not this release's)."""
    return finding.first_ts or _end(finding)


def _hm(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "a time not shown"


def _cites(finding: Finding, limit: int = 3) -> list[Evidence]:
    """Its first cited lines in time (the reasons speak of when a finding began)."""
    return sorted(finding.evidence, key=lambda e: _in_time(e.ts))[:limit]


# ---------------------------------------------------------------------------------------------
# Cause before effect


def explains(cause: Finding, effect: Finding) -> bool:
    """`cause` can cause `effect` (the table) and shows itself no later than `effect` begins."""
    if effect.label not in can_cause(cause.label):
        return False
    first, begins = _earliest(cause), _start(effect)
    return first is None or begins is None or first - begins <= TOLERANCE  # differences: no overflow at year 1 or 9999


class Decision:
    """The primary of one release's findings, the order to present them in, and why."""

    def __init__(self, found: list[Finding]):
        self.found = sorted(found, key=lambda f: f.rule)
        self.cause_of: dict[str, Finding] = {}  # effect id -> the finding that explains it (the earliest)
        for effect in self.found:
            causes = [c for c in self.found if c is not effect and explains(c, effect)]
            if causes:
                # the most upstream of its causes (one no other cause explains), then the earliest
                upstream = [
                    c for c in causes if not any(explains(other, c) for other in causes if other is not c)
                ] or causes
                self.cause_of[effect.id] = min(upstream, key=lambda c: (*_in_time(_earliest(c)), c.rule))
        self.roots = [f for f in self.found if f.id not in self.cause_of]
        self.explained = {f.id: self._reach(f) for f in self.roots}
        self.resolved: dict[str, Finding] = {}  # root id -> the later candidate it gave way to
        for root in self.roots:
            later = self._over_before(root)
            if later is not None:
                self.resolved[root.id] = later
        self.ordered_roots = sorted(self.roots, key=self._key)
        self.primary = self.ordered_roots[0]
        # ambiguous: several live candidates that no time orders
        live = [r for r in self.ordered_roots if r.id not in self.resolved]
        self.ambiguous = len(live) > 1 and (
            _start(live[0]) is None or _start(live[1]) is None or _start(live[0]) == _start(live[1])
        )

    def _reach(self, root: Finding) -> int:
        """How many findings this root explains, directly or through others."""
        children: dict[str, list[Finding]] = {}
        for effect_id, cause in self.cause_of.items():
            children.setdefault(cause.id, []).append(next(f for f in self.found if f.id == effect_id))
        seen, stack = set(), [root]
        while stack:
            for child in children.get(stack.pop().id, []):
                if child.id not in seen:
                    seen.add(child.id)
                    stack.append(child)
        return len(seen)

    def _over_before(self, root: Finding) -> Finding | None:
        """A moment (a restart) that explains nothing here and ended before another candidate began."""
        if root.label not in MOMENTS or self.explained[root.id]:
            return None
        end = _moment(root)
        later = [
            r
            for r in self.roots
            if r is not root and _start(r) is not None and end is not None and _start(r) - end > TOLERANCE
        ]
        return min(later, key=lambda r: _start(r)) if later else None

    def _key(self, root: Finding) -> tuple:
        start = _start(root)
        return (
            root.id in self.resolved,
            *_in_time(start),
            -self.explained[root.id],
            -root.severity.rank,
            -root.confidence.rank,
            root.rule,
        )

    def order(self) -> list[Finding]:
        """The primary, what it explains (cause before effect), then the other candidates and theirs."""
        out: list[Finding] = []
        for root in self.ordered_roots:
            queue = [root]
            while queue:
                current = queue.pop(0)
                if current not in out:
                    out.append(current)
                queue += sorted(
                    (f for f in self.found if self.cause_of.get(f.id) is current),
                    key=lambda f: (*_in_time(_start(f)), f.rule),
                )
        return out

    def why_not(self, finding: Finding) -> str:
        """Why `finding` is not the primary, in one sentence."""
        top = self.primary
        if finding.id in self.cause_of:
            cause = self.cause_of[finding.id]
            first, begins = _earliest(cause), _start(finding)
            when = (
                f"it shows first ({_hm(first)}; this from {_hm(begins)})"
                if first and begins
                else "no time contradicts it"
            )
            return f"a consequence of {cause.label} ({cause.rule}): {cause.label} can cause {finding.label}, and {when}"
        if finding.id in self.resolved:
            later = self.resolved[finding.id]
            return (
                f"an earlier incident, over at {_hm(_moment(finding))} before {later.label} began at "
                f"{_hm(_start(later))}; "
                f"it left no finding behind that is still present, so it is not the cause of that later failure"
            )
        start, top_start = _start(finding), _start(top)
        if top.label in can_cause(finding.label):
            return (
                f"{finding.label} can cause {top.label}, but its first sign ({_hm(_earliest(finding))}) came "
                f"after {top.label} began ({_hm(top_start)}): not its cause"
            )
        if start and top_start and start > top_start:
            return (
                f"began at {_hm(start)}, after {top.label} ({_hm(top_start)}), and neither label causes "
                "the other: the first cause is the earlier one"
            )
        mine, theirs = self._key(finding), self._key(top)
        if mine[3] != theirs[3]:
            tie = f"explains more of the other findings ({-theirs[3]} against {-mine[3]})"
        elif mine[4] != theirs[4]:
            tie = f"is more severe ({top.severity.value})"
        elif mine[5] != theirs[5]:
            tie = f"is more certain ({top.confidence.value} confidence)"
        else:
            tie = f"comes first in rule order ({top.rule})"
        return f"no time orders it against {top.label} and neither label causes the other; {top.label} {tie}"


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
        RuledOut(label=f.label, finding=f.id, reason=decision.why_not(f), evidence=_cites(f))
        for f in decision.order()
        if f is not top
    ]
    labels = {f.label for f in decision.found}
    if top.label in ("dependency-stale", "dependency-failed") and top.upstream:
        other = "dependency-failed" if top.label == "dependency-stale" else "dependency-stale"
        if other not in labels:
            out.append(_dependency_alternative(top, other, facts))
    if "controller-restart" not in labels and top.label not in NOT_FAILURES + DEPENDENCY_LABELS + ("drift",):
        start = _start(top)
        near = [
            r
            for r in facts.restarts
            if start is None
            or (start - r.at <= RESTART_WINDOW and (facts.window_end is None or r.at <= facts.window_end))
        ]
        if near:
            starts = ", ".join(f"{_hm(r.at)}{f' (after {r.reason})' if r.reason else ''}" for r in near[:3])
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
        f" from {_hm(since)} to {_hm(facts.window_end)}"
        if since and facts.window_end
        else (f" since {_hm(since)}" if since else "")
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
