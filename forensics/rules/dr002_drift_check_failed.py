"""Rule DR002: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context
from forensics.rules._exprs import extract, flux, fmt
from forensics.rules._failure import FailureRule
from forensics.signatures import SIGNATURES

DIFF_FAILED = next(s.pattern for s in SIGNATURES if s.label == "drift")
# `Deployment/<ns>/<name> dry-run failed, reason: Invalid, error: ...` inside the diff error
OBJECT = r"(\w+)/([\w.-]+)/([\w.-]+) dry-run failed"
WHO_CHANGED = "kubectl -n {ns} get {kind} {name} -o yaml --show-managed-fields   # who changed it\n"


class DriftCheckFailed(FailureRule):
    """Drift detection cannot even compare the release with the cluster: another writer left an object the
    dry-run rejects.

    What it detects
    ---------------
    A release whose current failure is its drift check: helm-controller v0.36 with the
    `DetectDrift` feature gate, Ready=False `DiffFailed` `failed to diff release against cluster
    resources: <Kind>/<ns>/<name> dry-run failed, reason: ..., error: ...` (and the log `diff of
    release against cluster resources finished with error`); v0.37+ with
    `spec.driftDetection.mode` enabled/warn, Ready=False `StateError` `Could not determine release
    state: unable to determine cluster state: ...` (log `diff of release against cluster state
    completed with error`). No Helm action runs while it fails.

    Why it matters
    --------------
    The dry-run applies the chart's manifest onto the live object: when someone changed that
    object (`kubectl edit`, another controller) into a state the API server rejects together
    with the chart's fields, every reconcile stops there, so the release never upgrades or
    corrects drift. The other writer is the cause. Known false positives: an API server or
    webhook that is down for a moment (the same message with a connection error; it recovers).

    Evidence
    --------
    The failing condition or event naming the object and the API server's answer.

    Remediation
    -----------
    Look at the object the message names (`kubectl -n NS get KIND NAME -o yaml
    --show-managed-fields` shows who changed it), revert the foreign change or let the chart own
    the field, or exclude it (`spec.driftDetection.ignore`); then `flux reconcile helmrelease
    NAME -n NAMESPACE`.
    """

    id = "DR002"
    name = "drift-check-failed"
    label = Label.drift
    severity = Severity.error
    summary = "the drift check cannot compare the release with the cluster: {cause}"
    cause = DIFF_FAILED
    cause_lines = 1

    def remediation(self, ctx: Context) -> pl.Expr:
        kind, ns, name = extract(OBJECT, 1, 2, 3)
        look = fmt(WHO_CHANGED, ns=ns, kind=kind.str.to_lowercase(), name=name)
        revert = "# revert the other writer's change, or exclude the field: spec.driftDetection.ignore\n"
        return pl.when(kind.is_not_null()).then(look).otherwise(pl.lit("")) + pl.lit(revert) + flux("reconcile")
