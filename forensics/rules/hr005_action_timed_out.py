"""Rule HR005: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Severity
from forensics.rules._base import Context
from forensics.rules._failure import FailureRule, first_line, flux, retry_reset, name_ns
from forensics.rules._state import resource_not_ready


class ActionTimedOut(FailureRule):
    """A Helm install/upgrade/rollback ran out of its timeout waiting for resources.

    What it detects
    ---------------
    A release whose current failure text says `context deadline exceeded` or `timed out
    waiting for the condition` (Helm's wait). When the Helm log tail that v0.37+ appends to
    the failure event (`Last Helm logs:` ... `Deployment is not ready: <ns>/<name>. 0 out of 1
    expected pods are ready`) names the resource that never became ready, the finding names it.

    Why it matters
    --------------
    The chart rendered and applied, but a workload never became ready within `spec.timeout`
    (default 5m): pods that cannot be scheduled, pull their image, or pass their probes.
    Helm then marks the revision failed and, with retries configured, tries again.
    Known false positives: a timeout caused by a slow cluster that later succeeded (history).

    Evidence
    --------
    The failing condition, the failure event with the Helm log tail, the action start line.

    Remediation
    -----------
    Find out why the named resource is not ready (`kubectl -n NAMESPACE describe deploy NAME`,
    `kubectl -n NAMESPACE get events --sort-by=.lastTimestamp`), fix it, or raise
    `spec.timeout`; then `flux reconcile helmrelease NAME -n NAMESPACE --force`.
    """

    id = "HR005"
    name = "action-timed-out"
    label = "timeout"
    severity = Severity.error

    def summary(self) -> pl.Expr:
        resource = resource_not_ready(pl.col("text"))
        return (
            pl.when(resource.is_not_null())
            .then(pl.format("timed out waiting: {} (the Helm log names it)", resource))
            .otherwise(pl.format("timed out: {}", first_line(pl.col("text"))))
        )

    def remediation(self, ctx: Context) -> pl.Expr:
        name, ns = name_ns()
        resource = resource_not_ready(pl.col("text")).str.extract(r"^(\w+) is not ready: ([\w.-]+)/([\w.-]+)", 0)
        kind = pl.col("text").str.extract(r"(\w+) is not ready: ([\w.-]+)/([\w.-]+)", 1)
        res_ns = pl.col("text").str.extract(r"(\w+) is not ready: ([\w.-]+)/([\w.-]+)", 2)
        res_name = pl.col("text").str.extract(r"(\w+) is not ready: ([\w.-]+)/([\w.-]+)", 3).str.strip_suffix(".")
        describe = pl.when(resource.is_not_null()).then(
            pl.format("kubectl -n {} describe {} {}\nkubectl -n {} get events --sort-by=.lastTimestamp\n", res_ns, kind.str.to_lowercase(), res_name, res_ns)
        ).otherwise(pl.format("kubectl -n {} get pods,events --sort-by=.lastTimestamp\n", ns))
        return describe + flux("reconcile", " --force") + pl.lit(retry_reset(ctx))
