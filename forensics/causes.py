"""The cause -> effect table, and the first cause among one release's findings.

`CAUSES` says which label can cause which in the same release; `Decision` applies it, with the
findings' times, to pick one release's primary and order its findings cause before effect.
Both look at one release only, so they live apart from `forensics.verdicts`, which builds the
verdicts of the whole bundle on them (chains across releases, alternatives ruled out,
confidence, plan). The rules they follow, and the table itself, are written out in
`forensics.verdicts`' docstring, the account of how a verdict is reached; tests/test_verdicts.py
checks that table against `CAUSES`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from forensics.model import LABELS, Evidence, Finding

TOLERANCE = timedelta(seconds=5)
MOMENTS = ("controller-restart", "health-check-canceled")
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
    """The table of `forensics.verdicts`' docstring: the specific rows above, then the three rows
    that apply to (almost) every label."""
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


def start_of(finding: Finding) -> datetime | None:
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


def time_text(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "a time not shown"


def cites_of(finding: Finding, limit: int = 3) -> list[Evidence]:
    """Its first cited lines in time (the reasons speak of when a finding began)."""
    return sorted(finding.evidence, key=lambda e: _in_time(e.ts))[:limit]


# ---------------------------------------------------------------------------------------------
# Cause before effect


def explains(cause: Finding, effect: Finding) -> bool:
    """`cause` can cause `effect` (the table) and shows itself no later than `effect` begins."""
    if effect.label not in can_cause(cause.label):
        return False
    first, begins = _earliest(cause), start_of(effect)
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
            start_of(live[0]) is None or start_of(live[1]) is None or start_of(live[0]) == start_of(live[1])
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
            if r is not root and start_of(r) is not None and end is not None and start_of(r) - end > TOLERANCE
        ]
        return min(later, key=lambda r: start_of(r)) if later else None

    def _key(self, root: Finding) -> tuple:
        start = start_of(root)
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
                    key=lambda f: (*_in_time(start_of(f)), f.rule),
                )
        return out

    def why_not(self, finding: Finding) -> str:
        """Why `finding` is not the primary, in one sentence."""
        top = self.primary
        if finding.id in self.cause_of:
            cause = self.cause_of[finding.id]
            first, begins = _earliest(cause), start_of(finding)
            when = (
                f"it shows first ({time_text(first)}; this from {time_text(begins)})"
                if first and begins
                else "no time contradicts it"
            )
            return f"a consequence of {cause.label} ({cause.rule}): {cause.label} can cause {finding.label}, and {when}"
        if finding.id in self.resolved:
            later = self.resolved[finding.id]
            return (
                f"an earlier incident, over at {time_text(_moment(finding))} before {later.label} began at "
                f"{time_text(start_of(later))}; "
                f"it left no finding behind that is still present, so it is not the cause of that later failure"
            )
        start, top_start = start_of(finding), start_of(top)
        if top.label in can_cause(finding.label):
            return (
                f"{finding.label} can cause {top.label}, but its first sign ({time_text(_earliest(finding))}) came "
                f"after {top.label} began ({time_text(top_start)}): not its cause"
            )
        if start and top_start and start > top_start:
            return (
                f"began at {time_text(start)}, after {top.label} ({time_text(top_start)}), and neither label causes "
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
