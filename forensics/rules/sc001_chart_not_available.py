"""Rule SC001: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.exprs import msg_matches
from forensics.model import Label, Severity
from forensics.rules._base import Context, cite
from forensics.rules._exprs import flux, fmt
from forensics.rules._failure import FailureRule

OCI = r"OCIRepository '|oci://|ChartMutateError|artifact revision"
EXTERNAL = r"ExternalArtifact '"
NAMED_SOURCE = r"(HelmChart|OCIRepository) '([^']+)'"


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
    summary = "chart not available: {failure}"

    def remediation(self, ctx: Context) -> pl.Expr:
        sources = (
            pl.when(msg_matches(OCI, "text"))
            .then(pl.lit("flux get sources oci -A   # spec.chartRef: no HelmChart object\n"))
            .when(msg_matches(EXTERNAL, "text"))
            .then(pl.lit("kubectl get externalartifacts -A   # spec.chartRef: no HelmChart object\n"))
            .otherwise(pl.lit("flux get sources chart -A\nflux get sources helm -A\n"))
        )
        return sources + flux("reconcile", " --with-source")

    def more_evidence(self, ctx: Context, state: pl.DataFrame) -> list[pl.DataFrame]:
        """The HelmChart/OCIRepository named in the failure, when the bundle holds it."""
        chart = state.select("release", chart=pl.col("text").str.extract(NAMED_SOURCE, 2))
        sources = ctx.frames["sources"].with_columns(chart=fmt("{namespace}/{name}"))
        not_ready = chart.join(sources, on="chart").filter(pl.col("ready_status") != "True")
        note = fmt("{kind} {chart} Ready={ready_status}: {message}", message=pl.col("ready_message").fill_null(""))
        return [cite(not_ready, note, ts="since")]
