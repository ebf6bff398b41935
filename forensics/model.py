"""The analysis result: pydantic models whose JSON is a public contract (`schema_version`).

Field names and the label vocabulary are read by tools downstream: add fields, never rename.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum, StrEnum
from typing import Self

from pydantic import BaseModel, Field

SCHEMA_VERSION = "1.0"


class Label(StrEnum):
    """The root-cause vocabulary (DESIGN.md §5): a finding's `label`, a verdict's `primary`.

    Each value is a public contract read by JSON consumers (add, never rename); its meaning is
    the one line beside it, published in the JSON Schema as `enumDescriptions`.
    """

    def __new__(cls, value: str, meaning: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    migration_skip = (
        "migration-skip",
        (
            "after a controller upgrade that changed the API/status shape, the object's status was never rewritten "
            "by the new controller (old-shape status, old-format messages, no reconcile by the new controller)"
        ),
    )
    stale_status = (
        "stale-status",
        (
            "status does not describe the latest reconcile: old messages, observedGeneration behind generation, "
            "Ready older than later successful actions in logs/events"
        ),
    )
    dependency_stale = (
        "dependency-stale",
        ('reports "dependency ... is not ready" while the dependency is in fact Ready (a false block)'),
    )
    dependency_failed = (
        "dependency-failed",
        ("blocked by a dependency that really fails; the verdict points at the upstream root cause"),
    )
    drift = (
        "drift",
        (
            "drift detected and corrected again and again (a correction loop), with the drifting object/field "
            "and the likely other writer (e.g. an HPA on /spec/replicas)"
        ),
    )
    stuck_pending = (
        "stuck-pending",
        ('Helm storage locked in pending-install/-upgrade/-rollback ("another operation ... is in progress")'),
    )
    retries_exhausted = (
        "retries-exhausted",
        ("install/upgrade failed until the retry budget ran out; the object is Stalled"),
    )
    install_failed = "install-failed", "the Helm install failed; the finding names the sub-cause where known"
    upgrade_failed = "upgrade-failed", "the Helm upgrade failed; the finding names the sub-cause where known"
    rollback_failed = "rollback-failed", "the Helm rollback failed; the finding names the sub-cause where known"
    test_failed = "test-failed", "a Helm test failed; the finding names the sub-cause where known"
    timeout = (
        "timeout",
        ("an action failed on its timeout (context deadline exceeded, timed out waiting for the condition)"),
    )
    chart_fetch = (
        "chart-fetch",
        ("chart or source artifact not available (HelmChart/HelmRepository/OCIRepository not ready, pull errors)"),
    )
    values_missing = "values-missing", "a valuesFrom ConfigMap/Secret or key is missing"
    immutable_field = "immutable-field", "apply rejected: a field is immutable"
    suspended = "suspended", "reconciliation is suspended"
    controller_restart = (
        "controller-restart",
        ("the controller restarted/crashed (OOMKilled, leader election lost) during the window"),
    )
    evidence_gap = "evidence-gap", "the bundle lacks the evidence to decide (no controller logs, events expired)"
    values_schema = (
        "values-schema",
        (
            "the chart's values.schema.json rejects the values "
            '("values don\'t meet the specifications of the schema(s)")'
        ),
    )
    ownership_conflict = (
        "ownership-conflict",
        (
            'Helm will not adopt an object that exists already ("... exists and cannot be imported into the current '
            'release: invalid ownership metadata", "rendered manifests contain a resource that already exists")'
        ),
    )
    render_failed = (
        "render-failed",
        (
            "the chart does not render: template or parse errors, YAML-to-JSON conversion, a post-renderer "
            "(Kustomize patch) that fails"
        ),
    )
    api_removed = (
        "api-removed",
        (
            'the chart uses an API the cluster does not serve ("no matches for kind ... in version ...", '
            '"resource mapping not found", "ensure CRDs are installed first")'
        ),
    )
    crd_mismatch = (
        "crd-mismatch",
        (
            "Flux's own CRDs and objects disagree: an apiVersion that is not served, fields \"not declared in "
            'schema", CRD status.storedVersions blocking a Flux upgrade, Flux CRDs missing'
        ),
    )
    release_missing = (
        "release-missing",
        (
            'Helm\'s storage does not hold what the controller expects: "has no deployed releases", a release '
            "uninstalled or rolled back outside Flux, a release stuck uninstalling"
        ),
    )
    health_check_canceled = (
        "health-check-canceled",
        ("helm-controller >= v1.5 canceled a running health check because a newer revision arrived"),
    )
    dependency_missing = "dependency-missing", "a dependsOn target does not exist"

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        schema = handler(core_schema)
        schema["enumDescriptions"] = [label.meaning for label in cls]  # in the order of "enum"
        return schema


LABELS = tuple(label.value for label in Label)  # the vocabulary's values, in their documented order

# The release key of a finding about the cluster rather than one release (a Flux CRD that is
# not served, a controller that cannot list its own kind): scope "cluster".
CLUSTER = "(cluster)"


class Severity(str, Enum):
    """Ordered from lowest to highest."""

    info = "info"
    warning = "warning"
    error = "error"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Confidence(str, Enum):
    """Ordered from lowest to highest."""

    low = "low"
    medium = "medium"
    high = "high"

    @property
    def rank(self) -> int:
        return list(Confidence).index(self)


class Evidence(BaseModel):
    """One cited line: where it is, when it happened, what it says."""

    source: str = Field(description="path of the file inside the bundle")
    line: int | None = Field(description="1-based line in that file")
    ts: datetime | None = Field(default=None, description="time of the record, UTC")
    excerpt: str = Field(description="the text of the cited line (capped)")
    note: str = Field(default="", description="what this line shows")


class Finding(BaseModel):
    """A rule's conclusion about one release, with the lines that prove it."""

    id: str = Field(description="<rule id>:<release>")
    rule: str
    name: str
    label: Label
    release: str
    scope: str = Field(
        default="release", description='"release", or "cluster" for a finding about the cluster (release "(cluster)")'
    )
    severity: Severity
    confidence: Confidence
    confidence_reason: str = ""
    summary: str
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    evidence: list[Evidence] = []
    remediation: str = ""
    upstream: str | None = Field(
        default=None,
        description="a dependency finding: the release it waits on (namespace/name), as a field, never parsed back "
        "from the summary",
    )


class RuleResult(BaseModel):
    """Whether a rule ran and what it found (a result exists even without a finding)."""

    rule: str
    name: str
    label: Label
    status: str = Field(description="findings | no-findings | skipped | error")
    findings: int = 0
    reason: str = ""
    how_to_collect: str = ""


class ChainLink(BaseModel):
    release: str
    label: Label | None = None
    relation: str = Field(
        default="", description="depends on | dependency cycle | chain cut (the walk stops at a fixed depth)"
    )


class RuledOut(BaseModel):
    """An alternative the verdict considered, and why it is not the primary cause."""

    label: Label
    finding: str | None = Field(
        default=None, description="the finding's id when a rule reported it; null for an alternative no rule reported"
    )
    reason: str
    evidence: list[Evidence] = []


class PlanStep(BaseModel):
    """One step of a remediation plan, in the order to follow."""

    order: int = Field(description="1-based position in its plan")
    release: str
    phase: str = Field(
        description="fix (change the cause) | unblock (resume, unlock) | reconcile | wait | collect (gather missing "
        "evidence)"
    )
    action: str = Field(description="what to do, in one sentence")
    commands: str = Field(
        default="", description="shell lines with their comments, to read before running; may be empty"
    )
    why: str
    check: str = Field(description="what to look at afterwards to know the step worked")


class Verdict(BaseModel):
    """One per release: its primary root cause (or healthy) and the chain behind it."""

    release: str
    healthy: bool
    primary: Label | None = Field(default=None, description="root-cause label, null when healthy")
    rule: str | None = None
    severity: Severity | None = None
    confidence: Confidence | None = None
    since: datetime | None = None
    summary: str = ""
    chain: list[ChainLink] = []
    findings: list[str] = []
    ready: str | None = None
    ready_message: str | None = None
    status_format: str | None = None
    unexplained: bool = Field(
        default=False, description="not Ready, and no rule explains it (decided once, in forensics.verdicts)"
    )
    suspended: bool = Field(
        default=False, description="reconciliation is suspended; the primary stays the failure that came before it"
    )
    confidence_reason: str = Field(default="", description="one sentence: what the confidence rests on")
    ruled_out: list[RuledOut] = Field(
        default=[], description="the alternatives considered and why each is not the primary"
    )
    plan: list[PlanStep] = Field(
        default=[], description="this release's remediation, in order: fix the cause, unblock, reconcile"
    )

    @property
    def label(self) -> str:
        """What a renderer shows: the primary label, else healthy or unexplained."""
        return self.primary or ("unexplained" if self.unexplained else "healthy")


class ControllerVersion(BaseModel):
    controller: str
    version: str | None
    api_generation: str | None = Field(description="v2beta1 (<= v0.36), v2beta2 (v0.37.x), v2 (v1.x)")
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    basis: str = ""
    evidence: list[Evidence] = []


class Upgrade(BaseModel):
    controller: str
    from_version: str | None
    to_version: str | None
    at: datetime | None
    basis: str = ""
    evidence: list[Evidence] = []


class InventoryEntry(BaseModel):
    path: str
    size: int
    parser: str | None
    rows: int
    problems: int
    note: str = ""


class Problem(BaseModel):
    source: str
    line: int | None = None
    reason: str
    excerpt: str = ""


class BundleInfo(BaseModel):
    name: str
    root: str = ""
    layout: str
    collected_at: datetime | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    rows: dict[str, int] = {}


class TimelineEntry(BaseModel):
    release: str | None
    ts: datetime
    ts_end: datetime | None = None
    origin: str
    level: str | None = None
    reason: str | None = None
    message: str = ""
    count: int | None = None
    source: str | None = None
    line: int | None = None


class Gap(BaseModel):
    """Evidence the bundle lacks, what could not be decided without it, and how to collect it."""

    missing: str
    consequence: str
    how_to_collect: str
    releases: list[str] = []


class Dependency(BaseModel):
    """A HelmRelease `spec.dependsOn` edge: `release` waits for `depends_on`."""

    release: str
    depends_on: str
    source: str | None = None
    line: int | None = None


class ControllerRestart(BaseModel):
    """A controller container start seen in the pod status (a restart or a new pod)."""

    controller: str
    pod: str | None = None
    at: datetime
    restarts: int | None = Field(default=None, description="restartCount of the container")
    reason: str | None = Field(default=None, description="last termination reason")
    source: str | None = None
    line: int | None = None


class Analysis(BaseModel):
    """Everything a renderer needs; renderers never recompute analysis."""

    schema_version: str = SCHEMA_VERSION
    tool_version: str
    generated_at: datetime
    bundle: BundleInfo
    controllers: list[ControllerVersion] = []
    upgrades: list[Upgrade] = []
    restarts: list[ControllerRestart] = []
    dependencies: list[Dependency] = []
    findings: list[Finding] = []
    verdicts: list[Verdict] = []
    plan: list[PlanStep] = Field(
        default=[],
        description="the remediation of every release in one order: an upstream dependency before its dependents",
    )
    rules: list[RuleResult] = []
    gaps: list[Gap] = []
    inventory: list[InventoryEntry] = []
    problems: list[Problem] = []
    problems_total: int = 0
    redactions: int = Field(default=0, description="secret-looking values replaced by [REDACTED] in every output")
    timeline: list[TimelineEntry] = Field(default=[], exclude=True, description="capped per release; not in JSON")

    def verdict(self, release: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.release == release), None)
