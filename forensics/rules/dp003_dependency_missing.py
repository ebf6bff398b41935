"""Rule DP003: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.exprs import msg_matches
from forensics.model import Label, Severity
from forensics.rules._base import TS, Context, Rule, cite, no_findings, release_logs
from forensics.rules._events import release_events
from forensics.rules._exprs import flux, fmt, latest, named, pick
from forensics.rules._state import FULL_OBJECT

MISSING = r"unable to get '([^'/]+/[^']+)' dependency: [^\n]*\bnot found"
PASSED = r"^all dependencies are ready"
LOOK_UP = (
    "kubectl get helmreleases -A | grep {dependency.name}\n"
    "# fix spec.dependsOn (HelmReleases only) or create the dependency\n"
)


class DependencyMissing(Rule):
    """A `dependsOn` target does not exist: the API server answers "not found" for it.

    What it detects
    ---------------
    A release whose current dependency check fails with `unable to get '<ns>/<name>'
    dependency: helmreleases.helm.toolkit.fluxcd.io "<name>" not found` (Ready=False
    `DependencyNotReady`, the `DependencyNotReady` event of v1.0+, or the log line
    `dependencies do not meet ready condition (...)`), with no later pass, and the dependency
    is not in the evidence.

    Versions: from helm-controller v1.1.0 dependencies are read with an uncached API reader, so
    "not found" means the object does not exist. Up to v1.0.x they were read from the
    controller's own cache, which a `--watch-label-selector` (sharding) filters: there "not
    found" may only mean "in another shard", and this rule leaves the release to
    `evidence-gap`. `dependsOn` names HelmReleases only (v1.6.0 too): a Kustomization named
    there is never found.

    Why it matters
    --------------
    The release waits forever (retrying every 30s) for something that will never appear: a
    typo in name or namespace, a dependency renamed or deleted, or a Kustomization name in a
    HelmRelease's `dependsOn`. Known false positives: a dependency created moments after the
    evidence was collected.

    Evidence
    --------
    The Ready condition, event or log line with the API server's answer.

    Remediation
    -----------
    `kubectl get helmreleases -A | grep NAME` to find the right namespace/name; fix
    `spec.dependsOn` (or create the dependency; a Kustomization cannot be a HelmRelease's
    dependency), then `flux reconcile helmrelease NAME -n NAMESPACE`.
    """

    id = "DP003"
    name = "dependency-missing"
    label = Label.dependency_missing
    severity = Severity.error
    needs = ("releases", "events", "logs")
    summary = "depends on {dependency}, which does not exist: the API server answers not found{version_note}"

    def check(self, ctx: Context) -> pl.DataFrame:
        if ctx.controller.at_least("v1.1.0") is False:
            return no_findings()  # a cached, label-filtered read: "not found" is not proof
        frames = ctx.frames
        releases = frames["releases"]
        status = frames["conditions"].filter(
            (pl.col("type") == "Ready") & (pl.col("status") == "False") & msg_matches(MISSING)
        )
        events = release_events(ctx).filter(msg_matches(MISSING))
        passes, logs = release_logs(ctx, msg_matches(PASSED, "msg")), release_logs(ctx, msg_matches(MISSING, "msg"))
        claims = pl.concat(
            [
                status.select("release", text="message", at="last_transition"),
                events.select("release", text="message", at="last_ts"),
                logs.select("release", text="msg", at="ts"),
            ]
        ).with_columns(pl.col("text").str.extract(MISSING, 1).alias("dependency"), pl.col("at").cast(TS))
        # Without a Ready condition, the latest claim must not be followed by a passed check.
        from_status = claims.join(status.select("release").unique(), on="release", how="semi")
        last_pass = passes.group_by("release").agg(pass_at=pl.col("ts").max())
        others = (
            claims.join(releases.filter(pl.col("ready_status").is_not_null()), on="release", how="anti")
            .join(last_pass, on="release", how="left")
            .filter(pl.col("pass_at").is_null() | pl.col("at").is_null() | (pl.col("at") > pl.col("pass_at")))
            .drop("pass_at")
        )
        current = pl.concat([from_status, others]).join(
            releases.select(dependency="release"), on="dependency", how="anti"
        )
        if current.height == 0:
            return no_findings()
        latest_claim = latest(current, "at")
        full = releases.filter(pl.col("input_format").is_in(FULL_OBJECT)).select("release", full=pl.lit(True))
        version = f"helm-controller {ctx.controller.current_version}" if ctx.controller.current_version else ""
        verdicts = latest_claim.join(full, on="release", how="left").select(
            "release",
            "dependency",
            version_note=pl.lit(f" ({version} reads dependencies uncached)" if version else ""),
            confidence=pl.when(~named())
            .then(pl.lit("low"))
            .otherwise(pick(pl.col("full").fill_null(False) & pl.lit(version != ""), "high", "medium")),
            confidence_reason=pl.lit(
                "helm-controller >= v1.1.0 reads dependencies from the API server: not found means it does not exist"
                if version
                else "the controller version is not known: up to v1.0.x a sharded dependency also reads as not found"
            ),
            remediation=fmt(LOOK_UP) + flux("reconcile"),
            since="at",
        )
        wanted = latest_claim.select("release")
        evidence = [
            cite(status.join(wanted, on="release"), "Ready=False: the dependency is not found", ts="last_transition"),
            cite(latest(events.join(wanted, on="release"), "last_ts"), "DependencyNotReady: not found", ts="last_ts"),
            cite(latest(logs.join(wanted, on="release")), "the dependency check: not found"),
        ]
        return self.findings(evidence, verdicts)
