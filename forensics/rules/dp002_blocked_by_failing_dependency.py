"""Rule DP002: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context, Rule, cite, findings, flux, name_ns
from forensics.rules._deps import dependency_checks, dependency_claims


class BlockedByFailingDependency(Rule):
    """A release waits on a dependency that really is not Ready; the cause is upstream.

    What it detects
    ---------------
    A HelmRelease whose Ready condition (or latest dependency-check log line) says
    `dependency '<ns>/<name>' is not ready` while that dependency, present in the bundle,
    is itself not Ready (Ready=False/Unknown). The finding names the dependency in its
    `upstream` field, and the verdict's chain follows it to the dependency's own first cause
    (link by link, a cycle named where it closes).

    Why it matters
    --------------
    The dependent is healthy in itself; fixing it directly does nothing. The work is
    upstream, on the dependency's root cause. Known false positives: a dependency that was
    mid-upgrade at collection time (Ready=Unknown, Progressing) blocks briefly and legitimately.

    Evidence
    --------
    The dependent's Ready condition and last failed dependency check, and the dependency's
    own not-Ready condition.

    Remediation
    -----------
    Fix the dependency first (see its finding); the dependent retries every 30s
    (`--requeue-dependency`) and proceeds by itself. `flux get helmreleases -A` shows both.
    """

    id = "DP002"
    name = "blocked-by-failing-dependency"
    label = Label.dependency_failed
    severity = Severity.error
    needs = ("releases", "logs")

    def check(self, ctx: Context) -> pl.DataFrame:
        rows = dependency_claims(ctx).filter(pl.col("dep_present") & (pl.col("dep_ready") != "True"))
        if rows.height == 0:
            return findings([], rows)
        verdicts = rows.group_by("release", maintain_order=True).first().select(
            "release",
            pl.format("blocked by dependency '{}', which is not Ready: {}", "dependency", pl.col("dep_message").fill_null("(no message)").str.slice(0, 180)).alias("summary"),
            pl.when(pl.col("claim_from") == "status").then(pl.lit("high")).otherwise(pl.lit("medium")).alias("confidence"),
            pl.format("the dependency's own Ready condition is {} ({})", "dep_ready", pl.col("dep_reason").fill_null("reason not shown")).alias("confidence_reason"),
            (pl.format("# fix the dependency first; this release proceeds by itself afterwards\nflux get helmreleases -n {}\n", name_ns("dependency")[1]) + flux("reconcile", column="dependency")).alias("remediation"),
            "since",
            pl.col("dependency").alias("upstream"),
        )
        conditions = ctx.frames["conditions"].filter(pl.col("type") == "Ready")
        failed, _, _ = dependency_checks(ctx)
        claim = cite(conditions.join(rows.select("release"), on="release"), "the dependent's Ready condition: blocked on the dependency", ts="last_transition")
        checks = cite(failed.sort("ts").group_by("release").last(), "last failed dependency check logged")
        upstream = cite(
            rows.select("release", "dependency").join(conditions.rename({"release": "dependency"}), on="dependency"),
            pl.format("the dependency {} is Ready={} ({})", "dependency", "status", pl.col("reason").fill_null("")),
            ts="last_transition",
        )
        return findings([claim, checks, upstream], verdicts)
