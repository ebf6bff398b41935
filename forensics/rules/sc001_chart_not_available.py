"""Rule SC001: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context, cite
from forensics.rules._failure import FailureRule, first_line, flux


class ChartNotAvailable(FailureRule):
    """The release cannot get its chart: the HelmChart or its source has no usable artifact.

    What it detects
    ---------------
    A release whose current failure is in the chart step: Ready reasons `ArtifactFailed`,
    `HelmChartNotReady` (v0.37) / `SourceNotReady` (v1.x), messages such as
    `HelmChart '<ns>/<name>' is not ready: <the HelmChart's own message>`,
    `Chart not ready: artifact not found` (v1.x `Source not ready: ...`), `could not get
    HelmChart object`, `Could not load chart`, `failed to download chart`; v0.36:
    `HelmChart '<ns>/<name>' is not ready`, `chart reconciliation failed: ...`. When the
    bundle holds the HelmChart/HelmRepository objects or source-controller's log, their
    not-ready lines are cited too.

    Why it matters
    --------------
    Nothing is installed or upgraded until the chart can be fetched; the real cause lives in
    source-controller (wrong chart name or version, repository auth, network, index).
    Known false positives: right after a source-controller restart artifacts are rebuilt and
    releases report `artifact not found` for a minute; that recovers and is history.

    Evidence
    --------
    The failing Ready condition, the controller's `HelmChart ... is not ready` lines, and the
    HelmChart/HelmRepository status when present.

    Remediation
    -----------
    `flux get sources chart -A` and `flux get sources helm -A` to see the source error;
    `kubectl -n flux-system describe helmchart <ns>-<name>`; fix the chart reference or the
    repository, then `flux reconcile helmrelease NAME -n NAMESPACE --with-source`.
    """

    id = "SC001"
    name = "chart-not-available"
    label = Label.chart_fetch
    severity = Severity.error

    def summary(self) -> pl.Expr:
        return pl.format("chart not available: {}", first_line(pl.col("text")))

    def remediation(self, ctx: Context) -> pl.Expr:
        oci = pl.col("text").str.contains(r"OCIRepository '|oci://|ChartMutateError|artifact revision").fill_null(False)
        external = pl.col("text").str.contains(r"ExternalArtifact '").fill_null(False)
        sources = (
            pl.when(oci).then(pl.lit("flux get sources oci -A   # spec.chartRef: no HelmChart object\n"))
            .when(external).then(pl.lit("kubectl get externalartifacts -A   # spec.chartRef: no HelmChart object\n"))
            .otherwise(pl.lit("flux get sources chart -A\nflux get sources helm -A\n"))
        )
        return sources + flux("reconcile", " --with-source")

    def more_evidence(self, ctx: Context, state: pl.DataFrame) -> list[pl.DataFrame]:
        """The HelmChart/OCIRepository named in the failure, when the bundle holds it."""
        chart = state.select("release", pl.col("text").str.extract(r"(HelmChart|OCIRepository) '([^']+)'", 2).alias("chart"))
        sources = ctx.frames["sources"].with_columns(pl.format("{}/{}", "namespace", "name").alias("chart"))
        not_ready = chart.join(sources, on="chart").filter(pl.col("ready_status") != "True")
        return [cite(not_ready, pl.format("{} {} Ready={}: {}", "kind", "chart", "ready_status", pl.col("ready_message").fill_null("")), ts="since")]
