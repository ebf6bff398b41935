"""Rule ST004: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context, Rule, cite, findings
from forensics.rules._state import is_helm_operator

# An error-looking message (the operator's success and progress messages have none of these words).
ERROR_WORDS = r"(?i)\b(failed|failure|error|unable|could not|cannot|deadline exceeded|timed out|not found|forbidden|unauthorized|refused)\b"


class HelmOperatorStaleMessage(Rule):
    """A Flux v1 helm-operator release is deployed, but its message is an old error.

    What it detects
    ---------------
    A `helm.fluxcd.io/v1` HelmRelease (Flux v1 helm-operator; `status_format` `helm-operator`)
    whose Helm release status is `deployed` (the table's STATUS column or Helm's storage) while
    its MESSAGE is an error (`failed to retrieve release [...]: context deadline exceeded`,
    `Could not get apiVersions from Kubernetes: ...`).

    Why it matters
    --------------
    helm-operator rewrites the message only when it makes a new release, so a transient error
    (an API timeout, an aggregated API that was down) stays in the MESSAGE column of a
    release that is deployed and healthy. Chasing it wastes time. Known false positives: a
    release whose next sync really fails (the status is then not `deployed`).

    Evidence
    --------
    The table row with the `deployed` status and the old message.

    Remediation
    -----------
    Nothing to fix on the release; `helm history RELEASE -n NAMESPACE` confirms the deployed
    revision. Flux v1 is end-of-life: migrate to helm-controller (Flux v2).
    """

    id = "ST004"
    name = "helm-operator-stale-message"
    label = Label.stale_status
    severity = Severity.warning
    needs = ("releases",)

    def check(self, ctx: Context) -> pl.DataFrame:
        frames = ctx.frames
        releases = frames["releases"].filter(is_helm_operator())
        if releases.height == 0:
            return findings([], releases)
        storage = frames["helm_storage"].sort("revision", nulls_last=False).group_by("release", maintain_order=True).last().select("release", pl.col("status").alias("helm_status"))
        # the MESSAGE column is the Released condition's message (the CRD's printer column)
        released = frames["conditions"].filter(pl.col("type") == "Released").sort("last_transition", nulls_last=False).group_by("release", maintain_order=True).last()
        message = pl.coalesce("ready_message", "released_message")
        stale = (
            releases.join(released.select("release", pl.col("message").alias("released_message"), pl.col("line").alias("released_line"), pl.col("excerpt").alias("released_excerpt")), on="release", how="left")
            .join(storage, on="release")
            .filter((pl.col("helm_status") == "deployed") & message.str.contains(ERROR_WORDS).fill_null(False))
            .with_columns(message.alias("ready_message"), pl.coalesce("released_line", "line").alias("line"), pl.coalesce("released_excerpt", "excerpt").alias("excerpt"))
        )
        if stale.height == 0:
            return findings([], stale)
        verdicts = stale.select(
            "release",
            pl.format("the Helm release is deployed, but the message is an old error: {}", pl.col("ready_message").str.slice(0, 200)).alias("summary"),
            pl.lit("medium").alias("confidence"),
            pl.lit("a helm-operator table row: the status column says deployed; the message is only rewritten on a new release").alias("confidence_reason"),
            pl.format("helm history {} -n {}\n# Flux v1 helm-operator is end-of-life: migrate to helm-controller (Flux v2)", pl.col("release").str.split("/").list.last(), pl.col("release").str.split("/").list.first()).alias("remediation"),
        )
        return findings([cite(stale, "deployed, with an error message left from an earlier sync", ts=None)], verdicts)
