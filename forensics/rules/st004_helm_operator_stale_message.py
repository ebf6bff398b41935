"""Rule ST004: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context, Rule, cite, no_findings
from forensics.rules._exprs import HELM_HISTORY, fmt, latest
from forensics.rules._sources import is_helm_operator

# An error-looking message (the operator's success and progress messages have none of these words).
ERROR_WORDS = (
    r"(?i)\b(failed|failure|error|unable|could not|cannot|deadline exceeded|timed out|not found|forbidden|unauthorized"
    r"|refused)\b"
)
END_OF_LIFE = "\n# Flux v1 helm-operator is end-of-life: migrate to helm-controller (Flux v2)"


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
    summary = "the Helm release is deployed, but the message is an old error: {old_error}"

    def check(self, ctx: Context) -> pl.DataFrame:
        frames = ctx.frames
        releases = frames["releases"].filter(is_helm_operator())
        if releases.height == 0:
            return no_findings()
        storage = latest(frames["helm_storage"], "revision").select("release", helm_status="status")
        # the MESSAGE column is the Released condition's message (the CRD's printer column)
        released = latest(frames["conditions"].filter(pl.col("type") == "Released"), "last_transition").select(
            "release", released_message="message", released_line="line", released_excerpt="excerpt"
        )
        message = pl.coalesce("ready_message", "released_message")
        stale = (
            releases.join(released, on="release", how="left")
            .join(storage, on="release")
            .filter((pl.col("helm_status") == "deployed") & message.str.contains(ERROR_WORDS).fill_null(False))
            .with_columns(
                ready_message=message,
                line=pl.coalesce("released_line", "line"),
                excerpt=pl.coalesce("released_excerpt", "excerpt"),
            )
        )
        operator_row = (
            "a helm-operator table row: the status column says deployed; the message is only rewritten on a new release"
        )
        verdicts = stale.select(
            "release",
            old_error=pl.col("ready_message").str.slice(0, 200),
            confidence=pl.lit("medium"),
            confidence_reason=pl.lit(operator_row),
            remediation=fmt(HELM_HISTORY + END_OF_LIFE),
        )
        return self.findings(
            [cite(stale, "deployed, with an error message left from an earlier sync", ts=None)], verdicts
        )
