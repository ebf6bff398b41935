"""Rule DP003: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import TS, Context, Rule, cite, controller_logs, findings, flux
from forensics.rules._state import release_events

# `unable to get '<ns>/<name>' dependency: helmreleases.helm.toolkit.fluxcd.io "<name>" not found`
# (Ready=False DependencyNotReady, the DependencyNotReady event of v1.0+, the dependency-check log line).
MISSING = r"unable to get '([^'/]+/[^']+)' dependency: [^\n]*\bnot found"
PASSED = r"^all dependencies are ready"


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

    def check(self, ctx: Context) -> pl.DataFrame:
        empty = pl.DataFrame(schema={"release": pl.String})
        if ctx.controller.at_least("v1.1.0") is False:
            return findings([], empty)  # a cached, label-filtered read: "not found" is not proof
        frames = ctx.frames
        releases = frames["releases"]
        status = frames["conditions"].filter((pl.col("type") == "Ready") & (pl.col("status") == "False") & pl.col("message").str.contains(MISSING).fill_null(False))
        events = release_events(ctx).filter(pl.col("message").str.contains(MISSING).fill_null(False))
        logs = controller_logs(ctx).filter(pl.col("release").is_not_null() & pl.col("msg").str.contains(MISSING).fill_null(False))
        passes = controller_logs(ctx).filter(pl.col("release").is_not_null() & pl.col("msg").str.contains(PASSED).fill_null(False))
        # Without a Ready condition, the latest claim must not be followed by a passed check.
        claims = pl.concat(
            [
                status.select("release", pl.col("message").alias("text"), pl.col("last_transition").alias("at")),
                events.select("release", pl.col("message").alias("text"), pl.col("last_ts").alias("at")),
                logs.select("release", pl.col("msg").alias("text"), pl.col("ts").alias("at")),
            ]
        ).with_columns(pl.col("text").str.extract(MISSING, 1).alias("dependency"), pl.col("at").cast(TS))
        ready_known = releases.filter(pl.col("ready_status").is_not_null()).select("release")
        from_status = claims.join(status.select("release").unique(), on="release", how="semi")
        others = claims.join(ready_known, on="release", how="anti")
        last_pass = passes.group_by("release").agg(pl.col("ts").max().alias("pass_at"))
        others = others.join(last_pass, on="release", how="left").filter(pl.col("pass_at").is_null() | pl.col("at").is_null() | (pl.col("at") > pl.col("pass_at")))
        current = pl.concat([from_status, others.drop("pass_at")]).join(releases.select(pl.col("release").alias("dependency")), on="dependency", how="anti")
        if current.height == 0:
            return findings([], empty)
        latest = current.sort("at", nulls_last=False).group_by("release", maintain_order=True).last()
        full = releases.filter(pl.col("input_format").is_in(["object", "kubectl-describe"])).select("release")
        named = ~pl.col("release").str.starts_with("?/")
        version = f"helm-controller {ctx.controller.current_version}" if ctx.controller.current_version else ""
        verdicts = latest.join(full.with_columns(pl.lit(True).alias("full")), on="release", how="left").select(
            "release",
            pl.format("depends on {}, which does not exist: the API server answers not found{}", "dependency", pl.lit(f" ({version} reads dependencies uncached)" if version else "")).alias("summary"),
            pl.when(~named).then(pl.lit("low")).when(pl.col("full").fill_null(False) & pl.lit(version != "")).then(pl.lit("high")).otherwise(pl.lit("medium")).alias("confidence"),
            pl.when(pl.lit(version == "")).then(pl.lit("the controller version is not known: up to v1.0.x a sharded dependency also reads as not found"))
            .otherwise(pl.lit("helm-controller >= v1.1.0 reads dependencies from the API server: not found means it does not exist"))
            .alias("confidence_reason"),
            (pl.format("kubectl get helmreleases -A | grep {}\n# fix spec.dependsOn (HelmReleases only) or create the dependency\n", pl.col("dependency").str.split("/").list.last()) + flux("reconcile")).alias("remediation"),
            pl.col("at").alias("since"),
        )
        wanted = latest.select("release")
        return findings(
            [
                cite(status.join(wanted, on="release"), "Ready=False: the dependency is not found", ts="last_transition"),
                cite(events.join(wanted, on="release").sort("last_ts").group_by("release", maintain_order=True).last(), "DependencyNotReady: not found", ts="last_ts"),
                cite(logs.join(wanted, on="release").sort("ts").group_by("release", maintain_order=True).last(), "the dependency check: not found"),
            ],
            verdicts,
        )
