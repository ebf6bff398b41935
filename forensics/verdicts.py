"""Hop 3b: one verdict per release — its primary root cause and the chain behind it.

The primary finding is the one whose label comes first in PRIMARY_ORDER (causes before the
states they lead to), then the most confident. A release blocked on a dependency carries a chain to that
dependency and, recursively, to the dependency's own root cause (cycles are cut and said).
Releases without findings are healthy, unless their Ready condition is False/Unknown: those
are listed as unexplained (not healthy, no primary label).
"""

from __future__ import annotations

import re

import polars as pl

from forensics.exprs import DEPENDENCY_NOT_READY
from forensics.model import ChainLink, Finding, Verdict

DEPENDENCY_LABELS = ("dependency-stale", "dependency-failed")

# Which label is the root cause when a release has several: what caused the others first
# (a crash leaves a lock; a lock or an immutable field makes every retry fail until the
# budget runs out), then what blocks the release, then states of its status.
PRIMARY_ORDER = (
    "controller-restart",
    "stuck-pending",
    "retries-exhausted",
    "immutable-field",
    "values-missing",
    "chart-fetch",
    "timeout",
    "install-failed",
    "upgrade-failed",
    "rollback-failed",
    "test-failed",
    "dependency-failed",
    "dependency-stale",
    "migration-skip",
    "drift",
    "stale-status",
    "suspended",
    "evidence-gap",
)


def _rank(finding: Finding) -> tuple:
    order = PRIMARY_ORDER.index(finding.label) if finding.label in PRIMARY_ORDER else len(PRIMARY_ORDER)
    return (order, -finding.confidence.rank, finding.rule)


def build(releases: pl.DataFrame, found: list[Finding]) -> list[Verdict]:
    by_release: dict[str, list[Finding]] = {}
    for finding in found:
        by_release.setdefault(finding.release, []).append(finding)
    used = [c for c in ("release", "ready_status", "ready_reason", "ready_message", "ready_since", "status_format") if c in releases.columns]
    info = {row["release"]: row for row in releases.select(used).iter_rows(named=True)}  # only the columns read here
    names = sorted(set(info) | set(by_release))

    primary = {name: sorted(by_release[name], key=_rank)[0] for name in by_release}
    verdicts = []
    for name in names:
        row = info.get(name, {})
        base = {
            "release": name,
            "ready": row.get("ready_status"),
            "ready_message": row.get("ready_message"),
            "status_format": row.get("status_format"),
        }
        if name not in primary:
            if row.get("ready_status") in ("False", "Unknown"):
                # Not ready, and no rule explains it: say so rather than call it healthy.
                reason = row.get("ready_reason") or "reason not shown"
                summary = f"Ready={row['ready_status']} ({reason}): {row.get('ready_message') or ''} — no rule identified the root cause"
                verdicts.append(Verdict(**base, healthy=False, since=row.get("ready_since"), summary=summary))
            else:
                verdicts.append(Verdict(**base, healthy=True, summary="no finding"))
            continue
        top = primary[name]
        verdicts.append(
            Verdict(
                **base,
                healthy=False,
                primary=top.label,
                rule=top.rule,
                severity=top.severity,
                confidence=top.confidence,
                since=top.first_ts,
                summary=top.summary,
                chain=_chain(name, primary, info),
                findings=[f.id for f in sorted(by_release[name], key=_rank)],
            )
        )
    return verdicts


def _blocked_on(name: str, info: dict) -> str | None:
    message = (info.get(name) or {}).get("ready_message") or ""
    found = re.search(DEPENDENCY_NOT_READY, message)
    return found.group(1) if found else None


def _chain(name: str, primary: dict[str, Finding], info: dict) -> list[ChainLink]:
    """[release, the dependency it is blocked on, that one's dependency, ...]."""
    links = [ChainLink(release=name, label=primary[name].label)]
    seen = {name}
    current = name
    while current in primary and primary[current].label in DEPENDENCY_LABELS:
        upstream = _blocked_on(current, info) or _dependency_from_summary(primary[current].summary)
        if upstream is None:
            break
        if upstream in seen:
            links.append(ChainLink(release=upstream, label=None, relation="dependency cycle"))
            break
        seen.add(upstream)
        label = primary[upstream].label if upstream in primary else None
        links.append(ChainLink(release=upstream, label=label, relation="depends on"))
        current = upstream
    return links


def _dependency_from_summary(summary: str) -> str | None:
    found = re.search(r"dependency '([^']+)'", summary)
    return found.group(1) if found else None
