"""Rule HR005: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.exprs import msg_matches
from forensics.model import Label, Severity
from forensics.rules._base import Context, cite
from forensics.rules._exprs import flux, fmt, latest
from forensics.rules._failure import FailureRule, first_line, retry_reset

FAILED_EARLY = r"failed early due to stalled resources"
# The resource a wait names, in the three wordings of the versions: Helm 3's log tail
# (`Deployment is not ready: <ns>/<name>. 0 out of 2 expected pods are ready`), the poller's
# failure message (v1.5+: `timeout waiting for: [Deployment/<ns>/<name> status: 'InProgress']`),
# and Helm 4's log tail with JSON attributes (`Deployment does not have enough pods ready:
# {"name":"<name>","namespace":"<ns>",...}`; json.Marshal sorts the keys).
WAIT_V3 = r"(\w+) is not ready: ([\w.-]+)/([\w.-]+?)\.?(?:\s|$)"
WAIT_POLLER = r"(\w+)/([\w.-]+)/([\w.-]+) status: '(\w+)'"
WAIT_V4 = (
    r"(\w+) (?:is not ready|does not have enough \w+ \w+)[^:\n]*: "
    r"\{[^}\n]*\"name\":\"([^\"]+)\",\"namespace\":\"([^\"]+)\""
)
# The objects whose Warning events say why a workload never became ready.
WORKLOAD_KINDS = ("Pod", "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job", "PersistentVolumeClaim")
DESCRIBE = "kubectl -n {res_ns} describe {kind} {res_name}\nkubectl -n {res_ns} get events --sort-by=.lastTimestamp\n"


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
    summary = "{waited}{pod_problem}"

    def enrich(self, ctx: Context, state: pl.DataFrame) -> pl.DataFrame:
        """The resource the wait names, and the latest Warning event of its pods (FailedScheduling, BackOff, ...)."""
        kind, ns, name = waiting_on(pl.col("text"))
        named = state.with_columns(res_kind=kind, res_ns=ns, res_name=name)
        problem = fmt("; {reason} on {kind}/{name}: {message}", message=pl.col("message").str.slice(0, 160))
        latest_warning = latest(self.workload_warnings(ctx, named), "last_ts").select("release", pod_problem=problem)
        return named.join(latest_warning, on="release", how="left").with_columns(pl.col("pod_problem").fill_null(""))

    def workload_warnings(self, ctx: Context, named: pl.DataFrame) -> pl.DataFrame:
        # enrich() and more_evidence() ask for the same releases' warnings: filtered once
        key = ("workload_warnings", tuple(named.select("release", "res_ns", "res_name").iter_rows()))
        if key not in ctx.cache:
            events = ctx.frames["events"].filter((pl.col("type") == "Warning") & pl.col("kind").is_in(WORKLOAD_KINDS))
            ctx.cache[key] = (
                named.select("release", "res_ns", "res_name")
                .filter(pl.col("res_name").is_not_null())
                .join(events, left_on="res_ns", right_on="namespace")
                .filter(
                    (pl.col("name") == pl.col("res_name")) | pl.col("name").str.starts_with(pl.col("res_name") + "-")
                )
            )
        return ctx.cache[key]

    def more_evidence(self, ctx: Context, state: pl.DataFrame) -> list[pl.DataFrame]:
        return [cite(self.workload_warnings(ctx, state), "{reason} on {kind}/{name} ×{count}", ts="last_ts")]

    def columns(self, ctx: Context) -> dict[str, pl.Expr]:
        resource = resource_not_ready(pl.col("text"))
        status = pl.col("text").str.extract(WAIT_POLLER, 4)
        waited = (
            pl.when(resource.is_not_null() & msg_matches(FAILED_EARLY, "text"))
            .then(fmt("failed early, a resource failed while Helm waited: {r} (status '{s}')", r=resource, s=status))
            .when(resource.is_not_null() & msg_matches(WAIT_POLLER, "text"))
            .then(fmt("timed out waiting: {r} (status '{s}')", r=resource, s=status))
            .when(resource.is_not_null())
            .then(fmt("timed out waiting: {r} (the Helm log names it)", r=resource))
            .otherwise(fmt("timed out: {line}", line=first_line(pl.col("text"))))
        )
        return {"waited": waited}

    def remediation(self, ctx: Context) -> pl.Expr:
        describe = (
            pl.when(pl.col("res_kind").is_not_null())
            .then(fmt(DESCRIBE, kind=pl.col("res_kind").str.to_lowercase()))
            .otherwise(fmt("kubectl -n {release.namespace} get pods,events --sort-by=.lastTimestamp\n"))
        )
        return describe + flux("reconcile", " --force") + pl.lit(retry_reset(ctx))


def waiting_on(text: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(kind, namespace, name) of the resource a failed wait names, null when none."""
    extract = text.str.extract
    kind = pl.coalesce(extract(WAIT_POLLER, 1), extract(WAIT_V3, 1), extract(WAIT_V4, 1))
    ns = pl.coalesce(extract(WAIT_POLLER, 2), extract(WAIT_V3, 2), extract(WAIT_V4, 3))
    name = pl.coalesce(extract(WAIT_POLLER, 3), extract(WAIT_V3, 3), extract(WAIT_V4, 2))
    return kind, ns, name


def resource_not_ready(text: pl.Expr) -> pl.Expr:
    """`<Kind> is not ready: <ns>/<name>` for the resource a wait names (any version's wording)."""
    kind, ns, name = waiting_on(text)
    return pl.when(kind.is_not_null()).then(fmt("{kind} is not ready: {ns}/{name}", kind=kind, ns=ns, name=name))
