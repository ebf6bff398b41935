"""Rule ST002: the class docstring is its documentation."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.exprs import ready_condition
from forensics.model import Label, Severity
from forensics.rules._base import TS, Context, Rule, cite, controller_logs, no_findings
from forensics.rules._exprs import flux, fmt, latest

UNHANDLED_FOR = timedelta(minutes=10)  # the controller reacts to a new generation within seconds


class ObservedGenerationBehind(Rule):
    """Ready=True describes an older spec: the new generation was never reconciled.

    What it detects
    ---------------
    A HelmRelease whose Ready condition is True while `metadata.generation` is ahead of
    `status.observedGeneration` (and of the Ready condition's own `observedGeneration`), for
    longer than ten minutes after the last spec change (the `Apply`/`Update` time of its
    spec in managedFields), with no log line of helm-controller for it since, when the bundle
    has the logs. Suspended releases and releases with a current failure are left to their
    own rules.

    Why it matters
    --------------
    The change someone merged is not running, yet `flux get hr` says Ready: the status
    does not describe the latest spec. helm-controller reacts to a new generation within
    seconds, so a long silence means it does not see or does not process the object — it is
    down or crash-looping, the object is outside its shard (`sharding.fluxcd.io/key` label vs
    `--watch-label-selector`), or its reconcile never ends cleanly (v0.37+ writes
    `observedGeneration` only then). Known false positives: a spec change made moments
    before the bundle was collected (not reported under ten minutes).

    Evidence
    --------
    The Ready condition with its observedGeneration, the managedFields entry of the last
    spec change, and the last controller log line about the release.

    Remediation
    -----------
    Check that helm-controller runs and watches this object (`kubectl -n flux-system get pods`,
    its `--watch-label-selector` against the release's `sharding.fluxcd.io/key` label), then
    `flux reconcile helmrelease NAME -n NAMESPACE`.
    """

    id = "ST002"
    name = "observed-generation-behind"
    label = Label.stale_status
    severity = Severity.warning
    needs = ("releases",)
    summary = (
        "Ready=True describes generation {observed_generation}, but the spec is at generation {generation}"
        " since {spec_at:ts}: the new spec was never reconciled"
    )

    def check(self, ctx: Context) -> pl.DataFrame:
        frames = ctx.frames
        releases = frames["releases"].filter(
            (pl.col("ready_status") == "True")
            & ~pl.col("suspended").fill_null(False)
            & pl.col("generation").is_not_null()
            & pl.col("observed_generation").is_not_null()
            & (pl.col("generation") > pl.col("observed_generation"))
        )
        if releases.height == 0 or ctx.window_end is None:
            return no_findings()
        spec_writes = frames["managed_fields"].filter(pl.col("subresource").is_null() & pl.col("manager").is_not_null())
        last_spec = latest(spec_writes, "time").select("release", spec_at="time")
        hc_logs = controller_logs(ctx)
        logs_cover = hc_logs.select(pl.col("release").is_not_null().any()).item()
        # only the lagging releases' rows are read and cited (not a copy of every log line)
        logs = hc_logs.filter(
            pl.col("release").is_not_null() & pl.col("release").is_in(releases["release"].unique().sort().to_list())
        )
        last_log = logs.group_by("release").agg(log_at=pl.col("ts").max())
        candidates = (
            releases.join(last_spec, on="release", how="left")
            .join(last_log, on="release", how="left")
            .filter(pl.col("spec_at").is_not_null() & (pl.col("spec_at") < pl.lit(ctx.window_end - UNHANDLED_FOR, TS)))
            .filter(pl.col("log_at").is_null() | (pl.col("log_at") < pl.col("spec_at")))
        )
        if logs_cover:
            level, reason = "high", "the controller's logs have no line for it since the spec changed"
        else:
            level, reason = "medium", "no controller logs in the bundle to show whether it was visited"
        verdicts = candidates.select(
            "release",
            "observed_generation",
            "generation",
            "spec_at",
            confidence=pl.lit(level),
            confidence_reason=pl.lit(reason),
            remediation=pl.lit("kubectl -n flux-system get pods -l app=helm-controller\n") + flux("reconcile"),
            since="spec_at",
        )
        generation = pl.col("observed_generation").cast(pl.String).fill_null("?")
        evidence = [
            cite(
                ready_condition(frames["conditions"]),
                fmt("Ready={status} written for generation {g}", g=generation),
                ts="last_transition",
            ),
            cite(
                spec_writes.join(last_spec, on="release").filter(pl.col("time") == pl.col("spec_at")),
                "last spec change by {manager} ({operation})",
                ts="time",
            ),
            cite(latest(logs), "the last controller log line about it"),
        ]
        return self.findings(evidence, verdicts)
