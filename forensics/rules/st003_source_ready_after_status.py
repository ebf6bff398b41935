"""Rule ST003: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context, Rule, no_findings
from forensics.rules._exprs import flux, fmt, latest, named, pick
from forensics.rules._sources import outlived_source_claims
from forensics.rules._state import FULL_OBJECT

CLAIM_NOTE = "the release's claim: the source is not ready"


class SourceReadyAfterStatus(Rule):
    """The release says its chart source is not ready, but that source has been Ready since: the status outlived
    its cause.

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
    summary = (
        "status says {kind} '{source_ns}/{source_name}' is not ready (at {claimed_at:ts}), but it is Ready since"
        " {src_since:ts} ({src_message}): the status outlived its cause"
    )

    def check(self, ctx: Context) -> pl.DataFrame:
        claims = outlived_source_claims(ctx)
        if claims.height == 0:
            return no_findings()
        claims = latest(claims, "claimed_at")
        full = (
            ctx.frames["releases"]
            .filter(pl.col("input_format").is_in(FULL_OBJECT))
            .select("release", full=pl.lit(True))
        )
        full_object = pl.col("full").fill_null(False)
        verdicts = claims.join(full, on="release", how="left").select(
            "release",
            "kind",
            "source_ns",
            "source_name",
            "claimed_at",
            "src_since",
            src_message=pl.col("src_message").fill_null("no message"),
            confidence=pl.when(~named()).then(pl.lit("low")).otherwise(pick(full_object, "high", "medium")),
            confidence_reason=pick(
                named(),
                "both objects' conditions carry their times: the source turned Ready at or after the release's claim",
                "the release's namespace is not known in the evidence; both conditions carry their times",
            ),
            remediation=flux("reconcile"),
            since="claimed_at",
        )
        claim_rows = claims.select(
            "release", pl.col("claimed_at").alias("ts"), "source", "line", "excerpt", pl.lit(CLAIM_NOTE).alias("note")
        )
        source_rows = claims.select(
            "release",
            ts="src_since",
            source="src_source",
            line="src_line",
            excerpt="src_excerpt",
            note=fmt("{kind} {source_ns}/{source_name} Ready=True since then"),
        )
        return self.findings([claim_rows, source_rows], verdicts)
