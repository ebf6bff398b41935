"""The results of `forensics mcp`'s tools, and the `analyze` summary bounded in size.

The typed results (pydantic models: an MCP client gets their JSON Schema as each tool's output
schema) and how the summary of a bundle of any size is made to fit RESULT_BYTES: items are
capped (CAPS), and the caps halved until the JSON fits.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, Field

from forensics.model import (
    BundleInfo,
    ControllerRestart,
    ControllerVersion,
    Finding,
    Gap,
    PlanStep,
    Problem,
    RuleResult,
    TimelineEntry,
    Upgrade,
    Verdict,
)

# What one result may hold. The `analyze` and `release` results are cut by these caps, halved
# until the result's JSON fits RESULT_BYTES; a text longer than MAX_TEXT characters is cut.
RESULT_BYTES = 90_000  # the JSON of the typed result; the text copy doubles it on the wire (< 200 KB)
MAX_TEXT = 2000
CAPS = {
    "verdicts": 30,
    "findings": 40,
    "evidence": 5,
    "plan": 30,
    "restarts": 20,
    "releases": 200,
    "names": 20,
    "problems": 10,
}

NEXT = (
    "release(handle, RELEASE) for one release's story (ruled-out alternatives, plan, timeline); "
    "evidence(handle, SOURCE, LINE) for the lines around a citation; explain(LABEL) for a label or rule."
)


class ReleaseLabel(BaseModel):
    release: str
    label: str


class Summary(BaseModel):
    """The `analyze` result: the bundle, its verdicts worst first, findings with evidence."""

    handle: str = Field(description="pass it to release() and evidence(): the bundle is not read again")
    path: str
    bundle: BundleInfo
    releases: int
    healthy: int
    labels: dict[str, int] = Field(description="releases per verdict label (healthy and unexplained included)")
    controllers: list[ControllerVersion] = []
    upgrades: list[Upgrade] = []
    restarts: list[ControllerRestart] = []
    verdicts: list[Verdict] = Field(
        default=[], description="releases that are not healthy, worst first; each release's plan is in release()"
    )
    more_releases: list[ReleaseLabel] = Field(default=[], description="releases not healthy past the verdicts shown")
    healthy_releases: list[str] = []
    findings: list[Finding] = Field(
        default=[], description="the findings of the verdicts shown first, evidence capped per finding"
    )
    plan: list[PlanStep] = Field(
        default=[], description="the bundle's remediation in order: controller first, dependencies before dependents"
    )
    gaps: list[Gap] = []
    rules_not_run: list[RuleResult] = Field(default=[], description="rules skipped for missing evidence, or failed")
    problems: list[Problem] = Field(
        default=[], description="the first input that could not be used (a member over a cap, a line no parser read)"
    )
    problems_total: int = 0
    redactions: int = 0
    omitted: dict[str, int] = Field(default={}, description="items left out to keep the result small, per field")
    next: str = NEXT


class Story(BaseModel):
    """The `release` result: one release's verdict, findings, dependencies and timeline."""

    handle: str
    release: str
    verdict: Verdict | None
    findings: list[Finding] = []
    depends_on: list[str] = []
    dependents: list[str] = []
    timeline: list[TimelineEntry] = Field(
        default=[],
        description="the release's last timeline entries in time order, messages cut (evidence() reads a whole line); "
        "omitted.timeline > 0: earlier ones exist",
    )
    omitted: dict[str, int] = {}


class Line(BaseModel):
    line: int
    text: str


class Lines(BaseModel):
    """The `evidence` result: the lines around one cited line, redacted."""

    handle: str
    source: str
    line: int
    lines: list[Line]


class RuleDoc(BaseModel):
    id: str
    name: str
    label: str
    severity: str
    documentation: str


class LabelRow(BaseModel):
    label: str
    can_cause: list[str]
    caused_by: list[str]


class Explanation(BaseModel):
    """The `explain` result: the rules a key names and the cause -> effect rows of their labels."""

    key: str
    rules: list[RuleDoc]
    labels: list[LabelRow]


def to_json(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def fit(build, caps: dict[str, int]):
    """`build(caps)`, the caps halved until the result's JSON fits RESULT_BYTES: the size of a
    result does not depend on the bundle's."""
    while True:
        result = build(caps)
        if len(to_json(result.model_dump(mode="json"))) <= RESULT_BYTES or all(value <= 1 for value in caps.values()):
            return result
        caps = {key: max(1, value // 2) for key, value in caps.items()}


def worst_first(verdicts: list[Verdict]) -> list[Verdict]:
    """Releases that are not healthy, the worst first: severity, then confidence, then a
    first cause before the releases it blocks (a longer chain points upstream)."""
    sick = [v for v in verdicts if not v.healthy]
    return sorted(
        sick,
        key=lambda v: (
            -(v.severity.rank if v.severity else -1),
            -(v.confidence.rank if v.confidence else -1),
            len(v.chain),
            v.release,
        ),
    )


def summary(loaded, caps: dict[str, int]) -> Summary:
    analysis = loaded.run.analysis
    sick = worst_first(analysis.verdicts)
    healthy = [v.release for v in analysis.verdicts if v.healthy]
    shown = sick[: caps["verdicts"]]
    labels: dict[str, int] = {}
    for verdict in analysis.verdicts:
        labels[verdict.label] = labels.get(verdict.label, 0) + 1
    # The findings of the verdicts shown come first, in their order, then the others.
    order = {fid: index for index, fid in enumerate(fid for v in shown for fid in v.findings)}
    findings = sorted(analysis.findings, key=lambda f: order.get(f.id, len(order)))
    kept = findings[: caps["findings"]]
    evidence_cut = sum(max(0, len(f.evidence) - caps["evidence"]) for f in kept)
    gaps = [g.model_copy(update={"releases": g.releases[: caps["names"]]}) for g in analysis.gaps]
    omitted = {
        "verdicts": len(sick) - len(shown),
        "more_releases": max(0, len(sick) - len(shown) - caps["releases"]),
        "healthy_releases": max(0, len(healthy) - caps["releases"]),
        "findings": len(findings) - len(kept),
        "evidence": evidence_cut,
        "plan": max(0, len(analysis.plan) - caps["plan"]),
        "restarts": max(0, len(analysis.restarts) - caps["restarts"]),
        "gap releases": sum(max(0, len(g.releases) - caps["names"]) for g in analysis.gaps),
        "problems": analysis.problems_total - min(len(analysis.problems), caps["problems"]),
    }
    return Summary(
        handle=loaded.handle,
        path=str(loaded.path),
        bundle=analysis.bundle,
        releases=len(analysis.verdicts),
        healthy=len(healthy),
        labels=labels,
        controllers=[c.model_copy(update={"evidence": c.evidence[: caps["evidence"]]}) for c in analysis.controllers],
        upgrades=[u.model_copy(update={"evidence": u.evidence[: caps["evidence"]]}) for u in analysis.upgrades],
        restarts=analysis.restarts[: caps["restarts"]],
        verdicts=[brief(v, caps["evidence"]) for v in shown],
        more_releases=[
            ReleaseLabel(release=v.release, label=v.label) for v in sick[len(shown) : len(shown) + caps["releases"]]
        ],
        healthy_releases=healthy[: caps["releases"]],
        findings=[f.model_copy(update={"evidence": f.evidence[: caps["evidence"]]}) for f in kept],
        plan=analysis.plan[: caps["plan"]],
        gaps=gaps,
        rules_not_run=[r for r in analysis.rules if r.status in ("skipped", "error")],
        problems=analysis.problems[: caps["problems"]],
        problems_total=analysis.problems_total,
        redactions=analysis.redactions,
        omitted={key: value for key, value in omitted.items() if value},
    )


def brief(verdict: Verdict, evidence: int) -> Verdict:
    """A verdict for the summary: its plan left to release() (the bundle's plan is shown),
    the evidence of its ruled-out alternatives capped."""
    ruled_out = [r.model_copy(update={"evidence": r.evidence[:evidence]}) for r in verdict.ruled_out]
    return verdict.model_copy(update={"plan": [], "ruled_out": ruled_out})
