"""Rule ST001: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.exprs import SHORT_SUCCESS, msg_matches
from forensics.model import Label, Severity
from forensics.rules._base import Context, Rule, cite, findings, flux, controller_logs


class AdoptedShortMessage(Rule):
    """Ready says "Helm upgrade succeeded" in the old short wording: no action since the upgrade.

    What it detects
    ---------------
    A HelmRelease whose Ready condition is True with the short v0.36 action message
    (`Helm upgrade succeeded`, `Helm install succeeded`, ...) instead of the v0.37+ form
    `Helm upgrade succeeded for release <ns>/<name>.v<N> with chart <chart>@<version>`.
    helm-controller v0.36 never puts that message on Ready (its Ready says "Release
    reconciliation succeeded"); v0.37+ copies it there when it adopts the release state the
    old controller left and finds nothing to do (reference/helm-controller.md §5.2, step 6).
    So the status was produced by adoption, not by any Helm action of the new controller.

    Why it matters
    --------------
    The release itself is in sync, but its status does not describe the latest reconcile:
    timestamps, revision and message are the old controller's, which misleads people and
    tools that read `flux get hr` (it was the "old status messages" symptom of the Flux 2.2
    upgrade). It turns into a real problem when something keys on the message or on the
    last transition time. Known false positives: none known for a Ready condition; a bare
    `Released` condition with the short message is normal for v0.36 and is not reported.

    Evidence
    --------
    The Ready condition line, the Helm history snapshot that predates the controller upgrade
    (adopted, not deployed by the new controller), the new controller's status write in
    managedFields, and its `release in-sync with desired state` log lines for the release.

    Remediation
    -----------
    `flux reconcile helmrelease NAME -n NAMESPACE --force` (flux CLI >= 2.2.0) runs a one-off
    Helm upgrade; afterwards Ready carries the long message of the new controller. Nothing is
    wrong with the deployed workload, so this can wait for the next planned change.
    """

    id = "ST001"
    name = "adopted-short-message"
    label = Label.stale_status
    severity = Severity.warning
    needs = ("releases",)

    def check(self, ctx: Context) -> pl.DataFrame:
        frames, state = ctx.frames, ctx.controller
        releases = frames["releases"]
        stale = releases.filter(
            (pl.col("ready_status") == "True")
            & msg_matches(SHORT_SUCCESS, "ready_message")
            & (pl.col("ready_reason").is_null() | pl.col("ready_reason").str.ends_with("Succeeded"))
        )
        if stale.height == 0:
            return findings([], stale)

        full = pl.col("status_format").is_in(["v2beta2", "v2"])
        verdicts = stale.select(
            "release",
            pl.format(
                "Ready keeps the old short message \"{}\": adopted by the new controller without any Helm action",
                "ready_message",
            ).alias("summary"),
            pl.when(full).then(pl.lit("high")).otherwise(pl.lit("medium")).alias("confidence"),
            pl.when(full)
            .then(pl.format("status has the {} shape written by helm-controller >= v0.37 ({}), yet carries a v0.36 message", "status_format", "status_format_basis"))
            .otherwise(pl.lit("from the Ready message alone (no status shape, reason or history in the bundle)"))
            .alias("confidence_reason"),
            flux("reconcile", " --force").alias("remediation"),
            pl.coalesce(pl.lit(state.new_generation_since, pl.Datetime("us", "UTC")), pl.col("ready_since")).alias("since"),
        )
        ready = cite(
            frames["conditions"].filter(pl.col("type") == "Ready"),
            pl.format("Ready {} with the short v0.36 wording", pl.col("reason").fill_null("(reason not shown)")),
            ts="last_transition",
        )
        newest = frames["history"].sort("version", descending=True).group_by("release", maintain_order=True).first()
        since = state.new_generation_since
        if since is not None:
            newest = newest.filter(pl.col("last_deployed") < since)
        adopted = cite(
            newest,
            pl.format("latest Helm revision v{} deployed {}, before the new controller started: adopted, not deployed by it", "version", pl.col("last_deployed").dt.to_string("%Y-%m-%d %H:%M:%SZ")),
            ts="last_deployed",
        )
        writes = cite(
            frames["managed_fields"].filter((pl.col("manager") == "helm-controller") & ~pl.col("api_version").str.ends_with("/v2beta1")),
            pl.format("status written by helm-controller through {}", "api_version"),
            ts="time",
        )
        in_sync = controller_logs(ctx).filter(pl.col("msg") == "release in-sync with desired state")
        in_sync = cite(in_sync.sort("ts").group_by("release").first(), "the new controller found the release in sync: no Helm action")
        return findings([ready, adopted, writes, in_sync], verdicts)
