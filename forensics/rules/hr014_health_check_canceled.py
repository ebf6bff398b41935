"""Rule HR014: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context, cite, controller_logs
from forensics.rules._exprs import flux, fmt, latest
from forensics.rules._failure import FailureRule

CANCELED = (
    r"Health checks canceled due to new reconciliation triggered by |New reconciliation triggered by "
    r"|canceling health checks"
)
TRIGGER = r"triggered by (\S+/\S+/\S+)"
CANCEL_LOG = "New reconciliation triggered, canceling health checks"
BY_TRIGGER = (
    "the health check of the running action was canceled by a new reconciliation (triggered by {trigger}){during}"
)
STRATEGY = (
    "\n# keep cancellations from stalling the release: spec.upgrade.strategy.name: RetryOnFailure"
    " (and spec.install.strategy)"
)
FEATURE_GATE = "\n# or run helm-controller (>= v1.5.2) with --feature-gates=DefaultToRetryOnFailure=true"


class HealthCheckCanceled(FailureRule):
    """helm-controller canceled the running health check because a newer revision arrived, and the action counted
    as failed.

    What it detects
    ---------------
    helm-controller v1.5.0+ with feature gate `CancelHealthCheckOnNewRevision` (it works only
    with the `poller` wait strategy): `Ready=False` reason `HealthCheckCanceled` `New
    reconciliation triggered by <Kind>/<ns>/<name>`, the Normal event `HealthCheckCanceled`
    `Health checks canceled due to new reconciliation triggered by ...` and the log line `New
    reconciliation triggered, canceling health checks` (key `trigger`), when the release is
    failing at the end of the window (that Ready, or a failed/stalled action right after it).

    Why it matters
    --------------
    The canceled wait counts as a failed install/upgrade: with the default strategy
    (RemediateOnFailure) and 0 retries the release stalls (retries exhausted) although nothing
    was wrong with the chart; a burst of commits (or a source that changes often) can cancel
    every health check. `DefaultToRetryOnFailure` (v1.5.2+) or `strategy: RetryOnFailure` avoids
    the stall. Known false positives: a release whose next reconcile succeeded is history (not
    reported).

    Evidence
    --------
    The HealthCheckCanceled condition/event naming the trigger, the cancel log line, and the
    failure that followed.

    Remediation
    -----------
    Let the new revision finish: `flux reconcile helmrelease NAME -n NAMESPACE --force`; to
    keep cancellations from stalling releases, set `spec.upgrade.strategy.name: RetryOnFailure`
    (or the gate `DefaultToRetryOnFailure=true`), or raise retries.
    """

    id = "HR014"
    name = "health-check-canceled"
    label = Label.health_check_canceled
    severity = Severity.warning
    summary = "{canceled}"
    cause = CANCELED

    def columns(self, ctx: Context) -> dict[str, pl.Expr]:
        trigger = pl.col("text").str.extract(TRIGGER, 1)
        unnamed = fmt("the health check of the running action was canceled{during}: {cause}")
        return {"canceled": pl.when(trigger.is_not_null()).then(fmt(BY_TRIGGER, trigger=trigger)).otherwise(unnamed)}

    def more_evidence(self, ctx: Context, state: pl.DataFrame) -> list[pl.DataFrame]:
        logs = controller_logs(ctx).filter(pl.col("msg") == CANCEL_LOG).join(state.select("release"), on="release")
        return [cite(latest(logs), "the controller cancels the health check")]

    def remediation(self, ctx: Context) -> pl.Expr:
        gate = FEATURE_GATE if ctx.controller.gate("DefaultToRetryOnFailure") is False else ""
        return flux("reconcile", " --force") + pl.lit(STRATEGY + gate)
