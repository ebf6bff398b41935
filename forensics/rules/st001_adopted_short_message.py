"""Rule ST001: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.exprs import SHORT_SUCCESS, msg_matches, ready_condition
from forensics.model import Label, Severity
from forensics.rules._base import TS, Context, Rule, cite, controller_logs, no_findings
from forensics.rules._exprs import earliest, flux, fmt, latest, pick

FULL_STATUS = (
    "status has the {status_format} shape written by helm-controller >= v0.37 ({status_format_basis}),"
    " yet carries a v0.36 message"
)
ADOPTED = (
    "latest Helm revision v{version} deployed {last_deployed:ts}, before the new controller started:"
    " adopted, not deployed by it"
)


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
    summary = (
        'Ready keeps the old short message "{ready_message}": adopted by the new controller without any Helm action'
    )

    def check(self, ctx: Context) -> pl.DataFrame:
        frames, since = ctx.frames, ctx.controller.new_generation_since
        stale = frames["releases"].filter(
            (pl.col("ready_status") == "True")
            & msg_matches(SHORT_SUCCESS, "ready_message")
            & (pl.col("ready_reason").is_null() | pl.col("ready_reason").str.ends_with("Succeeded"))
        )
        if stale.height == 0:
            return no_findings()
        full = pl.col("status_format").is_in(["v2beta2", "v2"])
        no_shape = "from the Ready message alone (no status shape, reason or history in the bundle)"
        verdicts = stale.select(
            "release",
            "ready_message",
            confidence=pick(full, "high", "medium"),
            confidence_reason=pl.when(full).then(fmt(FULL_STATUS)).otherwise(pl.lit(no_shape)),
            remediation=flux("reconcile", " --force"),
            since=pl.coalesce(pl.lit(since, TS), pl.col("ready_since")),
        )
        newest = latest(frames["history"], "version")
        if since is not None:
            newest = newest.filter(pl.col("last_deployed") < since)
        new_writes = frames["managed_fields"].filter(
            (pl.col("manager") == "helm-controller") & ~pl.col("api_version").str.ends_with("/v2beta1")
        )
        in_sync = controller_logs(ctx).filter(pl.col("msg") == "release in-sync with desired state")
        short = fmt(
            "Ready {reason} with the short v0.36 wording", reason=pl.col("reason").fill_null("(reason not shown)")
        )
        evidence = [
            cite(ready_condition(frames["conditions"]), short, ts="last_transition"),
            cite(newest, ADOPTED, ts="last_deployed"),
            cite(new_writes, "status written by helm-controller through {api_version}", ts="time"),
            cite(earliest(in_sync), "the new controller found the release in sync: no Helm action"),
        ]
        return self.findings(evidence, verdicts)
