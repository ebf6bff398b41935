"""Hop 3a: run the selected rules, turn their evidence rows into Findings.

A rule whose frames are missing is `skipped`, with what was missing and how to collect it;
a rule that raises is `error` for that rule only. Every rule has a result, findings or not.
"""

from __future__ import annotations

import polars as pl

from forensics import collect
from forensics.model import CLUSTER, Confidence, Evidence, Finding, RuleResult
from forensics.rules import Context, Rule

MAX_EVIDENCE = 12

# For each frame, how to collect it: the first evidence part that feeds it (forensics.collect).
HOW_TO_COLLECT = collect.by_frame()


def run(rules: list[type[Rule]], ctx: Context) -> tuple[list[Finding], list[RuleResult]]:
    """Findings of every rule, and one result per rule."""
    all_findings: list[Finding] = []
    results: list[RuleResult] = []
    for rule_class in sorted(rules, key=lambda r: r.phase):
        ctx.findings = list(all_findings)
        rule = rule_class()
        base = {"rule": rule.id, "name": rule.name, "label": rule.label}
        missing = [kind for kind in rule.needs if not ctx.frames.has(kind)]
        if rule.needs and len(missing) == len(rule.needs):
            results.append(
                RuleResult(
                    **base,
                    status="skipped",
                    reason=f"the bundle has no {', '.join(missing)}",
                    how_to_collect="; ".join(HOW_TO_COLLECT.get(kind, kind) for kind in missing),
                )
            )
            continue
        try:
            rows = rule.check(ctx)
            found = to_findings(rule, rows)
        except Exception as error:  # noqa: BLE001 - one rule's bug must not hide the others
            results.append(RuleResult(**base, status="error", reason=f"{type(error).__name__}: {error}"))
            continue
        all_findings += found
        results.append(RuleResult(**base, status="findings" if found else "no-findings", findings=len(found)))
    return all_findings, results


def to_findings(rule: Rule, rows: pl.DataFrame) -> list[Finding]:
    """One Finding per release from a rule's evidence rows (rule order kept, duplicates dropped)."""
    found: list[Finding] = []
    if rows.height == 0:
        return found
    for (release,), group in rows.group_by("release", maintain_order=True):
        first = group.row(0, named=True)
        seen: set[tuple[str, int | None]] = set()
        evidence: list[Evidence] = []
        for row in group.iter_rows(named=True):
            key = (row["source"], row["line"])
            if row["source"] is None or key in seen:
                continue
            seen.add(key)
            evidence.append(
                Evidence(
                    source=row["source"],
                    line=row["line"],
                    ts=row["ts"],
                    excerpt=row["excerpt"] or "",
                    note=row["note"] or "",
                )
            )
        times = [e.ts for e in evidence if e.ts is not None]
        found.append(
            Finding(
                id=f"{rule.id}:{release}",
                rule=rule.id,
                name=rule.name,
                label=rule.label,
                release=release,
                scope="cluster" if release == CLUSTER else "release",
                severity=rule.severity,
                confidence=Confidence(first["confidence"]),
                confidence_reason=first["confidence_reason"] or "",
                summary=first["summary"],
                first_ts=first["since"] or (min(times) if times else None),
                last_ts=max(times) if times else None,
                evidence=evidence[:MAX_EVIDENCE],
                remediation=first["remediation"] or "",
                upstream=first["upstream"],
            )
        )
    return found
