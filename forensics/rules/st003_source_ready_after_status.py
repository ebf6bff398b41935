"""Rule ST003: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context, Rule, findings, flux
from forensics.rules._state import FULL_OBJECT, outlived_source_claims


class SourceReadyAfterStatus(Rule):
    """The release says its chart source is not ready, but that source has been Ready since: the status outlived its cause.

    What it detects
    ---------------
    A HelmRelease whose Ready condition says `HelmChart '<ns>/<name>' is not ready` (v1.x also
    `OCIRepository '<ns>/<name>' ...`, `ExternalArtifact ...`) while that source object, in the
    same evidence, is Ready=True with a Ready transition (its new artifact) at or after the time
    of the release's condition. The chart-fetch rule stays quiet on it.

    Why it matters
    --------------
    The chart is there; the release's status was written before it arrived and was not
    rewritten since (helm-controller v0.37.0-v0.37.3 kept a stale `HelmChartNotReady` until the
    release finished, fixed in v0.37.4; any version keeps it until its next reconcile, which
    a long `spec.interval` or a stuck reconcile delays). Looking at source-controller would be
    a detour. Known false positives: a source that turned Ready moments before collection and
    that the release is about to pick up.

    Evidence
    --------
    The release's condition with its time, and the source's Ready condition with its time.

    Remediation
    -----------
    `flux reconcile helmrelease NAME -n NAMESPACE` so that the controller writes a current
    status; if it stays, look at the controller (running? this object in its shard?).
    """

    id = "ST003"
    name = "source-ready-after-status"
    label = Label.stale_status
    severity = Severity.warning
    needs = ("releases", "conditions")

    def check(self, ctx: Context) -> pl.DataFrame:
        claims = outlived_source_claims(ctx)
        if claims.height == 0:
            return findings([], claims)
        claims = claims.sort("claimed_at").group_by("release", maintain_order=True).last()
        full = ctx.frames["releases"].filter(pl.col("input_format").is_in(FULL_OBJECT)).select("release", pl.lit(True).alias("full"))
        at = "%Y-%m-%d %H:%M:%SZ"
        verdicts = claims.join(full, on="release", how="left").select(
            "release",
            pl.format(
                "status says {} '{}/{}' is not ready (at {}), but it is Ready since {} ({}): the status outlived its cause",
                "kind", "source_ns", "source_name", pl.col("claimed_at").dt.to_string(at), pl.col("src_since").dt.to_string(at), pl.col("src_message").fill_null("no message"),
            ).alias("summary"),
            pl.when(pl.col("release").str.starts_with("?/")).then(pl.lit("low")).when(pl.col("full").fill_null(False)).then(pl.lit("high")).otherwise(pl.lit("medium")).alias("confidence"),
            pl.when(pl.col("release").str.starts_with("?/"))
            .then(pl.lit("the release's namespace is not known in the evidence; both conditions carry their times"))
            .otherwise(pl.lit("both objects' conditions carry their times: the source turned Ready at or after the release's claim"))
            .alias("confidence_reason"),
            flux("reconcile").alias("remediation"),
            pl.col("claimed_at").alias("since"),
        )
        claim_rows = claims.select("release", pl.col("claimed_at").alias("ts"), "source", "line", "excerpt", pl.lit("the release's claim: the source is not ready").alias("note"))
        source_rows = claims.select(
            "release", pl.col("src_since").alias("ts"), pl.col("src_source").alias("source"), pl.col("src_line").alias("line"), pl.col("src_excerpt").alias("excerpt"),
            pl.format("{} {}/{} Ready=True since then", "kind", "source_ns", "source_name").alias("note"),
        )
        return findings([claim_rows, source_rows], verdicts)
