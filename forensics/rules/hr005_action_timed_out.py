"""Rule HR005: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Severity
from forensics.rules._base import Context, cite
from forensics.rules._failure import FailureRule, first_line, flux, retry_reset, name_ns
from forensics.rules._state import resource_not_ready


WAITING = r"(\w+) is not ready: ([\w.-]+)/([\w.-]+)"


class ActionTimedOut(FailureRule):
    """A Helm install/upgrade/rollback ran out of its timeout waiting for resources.

    What it detects
    ---------------
    A release whose current failure text says `context deadline exceeded` or `timed out
    waiting for the condition` (Helm's wait). When the Helm log tail that v0.37+ appends to
    the failure event (`Last Helm logs:` ... `Deployment is not ready: <ns>/<name>. 0 out of 1
    expected pods are ready`) names the resource that never became ready, the finding names it,
    and cites the Warning events of its pods (`FailedScheduling`, `BackOff`, `Unhealthy`, ...)
    when the bundle has them.

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

    def enrich(self, ctx: Context, state: pl.DataFrame) -> pl.DataFrame:
        """The Warning events of the named resource's pods (FailedScheduling, BackOff, ...)."""
        named = state.with_columns(
            pl.col("text").str.extract(WAITING, 2).alias("res_ns"),
            pl.col("text").str.extract(WAITING, 3).str.strip_suffix(".").alias("res_name"),
        )
        warnings = self.workload_warnings(ctx, named)
        first = warnings.sort("last_ts").group_by("release", maintain_order=True).last().select(
            "release", pl.format("{} on {}/{}: {}", "reason", "kind", "name", pl.col("message").str.slice(0, 160)).alias("pod_problem")
        )
        return named.join(first, on="release", how="left")

    def workload_warnings(self, ctx: Context, named: pl.DataFrame) -> pl.DataFrame:
        # enrich() and more_evidence() ask for the same releases' warnings: filtered once
        key = ("workload_warnings", tuple(named.select("release", "res_ns", "res_name").iter_rows()))
        if key not in ctx.cache:
            ctx.cache[key] = self._workload_warnings(ctx, named)
        return ctx.cache[key]

    @staticmethod
    def _workload_warnings(ctx: Context, named: pl.DataFrame) -> pl.DataFrame:
        events = ctx.frames["events"].filter(
            (pl.col("type") == "Warning") & pl.col("kind").is_in(["Pod", "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job", "PersistentVolumeClaim"])
        )
        return (
            named.select("release", "res_ns", "res_name").filter(pl.col("res_name").is_not_null())
            .join(events, left_on="res_ns", right_on="namespace")
            .filter((pl.col("name") == pl.col("res_name")) | pl.col("name").str.starts_with(pl.col("res_name") + "-"))
        )

    def more_evidence(self, ctx: Context, state: pl.DataFrame) -> list[pl.DataFrame]:
        warnings = self.workload_warnings(ctx, state)
        return [cite(warnings, pl.format("{} on {}/{} ×{}", "reason", "kind", "name", "count"), ts="last_ts")]

    def summary(self) -> pl.Expr:
        resource = resource_not_ready(pl.col("text"))
        named = pl.when(resource.is_not_null()).then(pl.format("timed out waiting: {} (the Helm log names it)", resource)).otherwise(
            pl.format("timed out: {}", first_line(pl.col("text")))
        )
        return pl.when(pl.col("pod_problem").is_not_null()).then(pl.format("{}; {}", named, "pod_problem")).otherwise(named)

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
