"""Rule HR005: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context, cite
from forensics.rules._failure import FailureRule, first_line, flux, retry_reset, name_ns
from forensics.rules._state import WAIT_POLLER, resource_not_ready, waiting_on

FAILED_EARLY = r"failed early due to stalled resources"


class ActionTimedOut(FailureRule):
    """A Helm install/upgrade/rollback ran out of its timeout waiting for resources.

    What it detects
    ---------------
    A release whose current failure text has one of the four wait wordings: `context deadline
    exceeded` (Helm >= 3.12's wait, and helm-controller v1.5+ with `waitStrategy: legacy`),
    `timed out waiting for the condition` (Helm <= 3.11), and from helm-controller v1.5.0 with
    the default `poller` wait strategy (fluxcd/pkg ssa) `timeout waiting for: [<Kind>/<ns>/<name>
    status: 'InProgress', ...]` or, when a resource failed first, `failed early due to stalled
    resources: [<Kind>/<ns>/<name> status: 'Failed']`. The resource is named from the message
    (poller), or from the Helm log tail appended to the failure event (`Deployment is not
    ready: <ns>/<name>. 0 out of 1 expected pods are ready`; Helm 4: `Deployment does not have
    enough pods ready: {"name":...,"namespace":...}`), and the Warning events of its pods
    (`FailedScheduling`, `BackOff`, `Unhealthy`, ...) are cited when the bundle has them. A
    Kustomization's health check that times out waiting on the HelmRelease itself is not this
    (it is a consequence of the release's state).

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
    label = Label.timeout
    severity = Severity.error

    def enrich(self, ctx: Context, state: pl.DataFrame) -> pl.DataFrame:
        """The Warning events of the named resource's pods (FailedScheduling, BackOff, ...)."""
        kind, ns, name = waiting_on(pl.col("text"))
        named = state.with_columns(kind.alias("res_kind"), ns.alias("res_ns"), name.alias("res_name"))
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
        early = pl.col("text").str.contains(FAILED_EARLY).fill_null(False)
        poller = pl.col("text").str.contains(WAIT_POLLER).fill_null(False)
        named = (
            pl.when(resource.is_not_null() & early)
            .then(pl.format("failed early, a resource failed while Helm waited: {} (status '{}')", resource, pl.col("text").str.extract(WAIT_POLLER, 4)))
            .when(resource.is_not_null() & poller)
            .then(pl.format("timed out waiting: {} (status '{}')", resource, pl.col("text").str.extract(WAIT_POLLER, 4)))
            .when(resource.is_not_null())
            .then(pl.format("timed out waiting: {} (the Helm log names it)", resource))
            .otherwise(pl.format("timed out: {}", first_line(pl.col("text"))))
        )
        return pl.when(pl.col("pod_problem").is_not_null()).then(pl.format("{}; {}", named, "pod_problem")).otherwise(named)

    def remediation(self, ctx: Context) -> pl.Expr:
        name, ns = name_ns()
        describe = pl.when(pl.col("res_kind").is_not_null()).then(
            pl.format("kubectl -n {} describe {} {}\nkubectl -n {} get events --sort-by=.lastTimestamp\n", "res_ns", pl.col("res_kind").str.to_lowercase(), "res_name", "res_ns")
        ).otherwise(pl.format("kubectl -n {} get pods,events --sort-by=.lastTimestamp\n", ns))
        return describe + flux("reconcile", " --force") + pl.lit(retry_reset(ctx))
