"""Rule EG001: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics import collect
from forensics.model import Severity
from forensics.rules._base import Context, Rule, cite, findings, controller_logs
from forensics.rules._deps import dependency_claims


class CauseNotInBundle(Rule):
    """A release is not Ready, and the bundle lacks the evidence to say why.

    What it detects
    ---------------
    Runs after every other rule. A HelmRelease whose Ready condition is False or Unknown and
    that no other rule explained, or that waits on a dependency the bundle does not contain.
    The finding lists what is missing for this release (helm-controller log lines for it,
    events for it, the dependency's object) and how to collect it.

    Why it matters
    --------------
    A silent "healthy" would be wrong and a guess would be worse: the honest answer is that
    the evidence is not there. The most common gaps: troubleshoot bundles collect controller
    logs only for unhealthy pods (helm-controller is usually healthy), Kubernetes events
    expire after one hour, and a pasted `flux get hr` shows no reason or history.
    Known false positives: a release that is legitimately progressing at collection time
    (Ready=Unknown, an action running) is reported here with its progress message.

    Evidence
    --------
    The release's Ready condition, and the last log line about it when there is one.

    Remediation
    -----------
    Collect what is missing, e.g. `kubectl -n flux-system logs deploy/helm-controller --since=24h`,
    `kubectl get events -A -o yaml`, `kubectl get helmreleases -A -o yaml`, and analyse again.
    """

    id = "EG001"
    name = "cause-not-in-bundle"
    label = "evidence-gap"
    severity = Severity.warning
    needs = ("releases",)
    phase = 2

    def check(self, ctx: Context) -> pl.DataFrame:
        releases = ctx.frames["releases"]
        explained = pl.DataFrame({"release": sorted({f.release for f in ctx.findings})}, schema={"release": pl.String})
        unexplained = releases.filter(pl.col("ready_status").is_in(["False", "Unknown"])).join(explained, on="release", how="anti")
        claims = dependency_claims(ctx)
        absent = claims.filter(~pl.col("dep_present")).select("release", "dependency")
        # Waiting on a dependency that is in the bundle is explained by it (DP001/DP002), or is
        # the normal wait of a dependency that only just became Ready: not a gap.
        waiting = claims.filter(pl.col("dep_present")).select("release")
        targets = unexplained.join(waiting, on="release", how="anti").select("release").join(absent, on="release", how="left")
        if targets.height == 0:
            return findings([], targets)
        # only the target releases' rows are counted and cited (not a copy of every log line)
        wanted = pl.col("release").is_in(targets["release"].unique().sort().to_list())
        logs = controller_logs(ctx).filter(pl.col("release").is_not_null() & wanted)
        events = ctx.frames["events"].filter(pl.col("release").is_not_null() & wanted)
        seen = targets.join(logs.group_by("release").agg(pl.len().alias("log_n")), on="release", how="left").join(
            events.group_by("release").agg(pl.len().alias("event_n")), on="release", how="left"
        ).join(releases.select("release", "ready_status", "ready_reason", "ready_message", "ready_since", "input_format"), on="release", how="left")
        missing = pl.concat_str(
            [
                pl.when(pl.col("dependency").is_not_null()).then(pl.format("the dependency {} is not in the bundle", "dependency")),
                pl.when(pl.col("log_n").is_null()).then(pl.lit("no helm-controller log line for it")),
                pl.when(pl.col("event_n").is_null()).then(pl.lit("no event for it")),
                pl.when(pl.col("input_format") != "object").then(pl.lit("only a table row, without reason, times or history")),
            ],
            separator="; ",
            ignore_nulls=True,
        )
        # the command of each evidence part it lacks (forensics.collect), else of every part
        lacking = pl.concat_str(
            [
                pl.when(pl.col("log_n").is_null()).then(pl.lit(collect.remedy("helm-controller-logs"))),
                pl.when(pl.col("event_n").is_null()).then(pl.lit(collect.remedy("events"))),
                pl.when(pl.col("input_format") != "object").then(pl.lit(collect.remedy("helmreleases"))),
                pl.when(pl.col("dependency").is_not_null()).then(pl.format("kubectl -n {} get helmrelease {} -o yaml", pl.col("dependency").str.split("/").list.get(0), pl.col("dependency").str.split("/").list.get(1))),
            ],
            separator="\n",
            ignore_nulls=True,
        )
        verdicts = seen.select(
            "release",
            pl.format("Ready={} ({}): {} — the bundle cannot tell why: {}", "ready_status", pl.col("ready_reason").fill_null("reason not shown"), pl.col("ready_message").fill_null("").str.slice(0, 160), pl.when(missing == "").then(pl.lit("no rule matched the evidence present")).otherwise(missing)).alias("summary"),
            pl.lit("low").alias("confidence"),
            pl.lit("nothing in the bundle explains the failure; this is what is missing").alias("confidence_reason"),
            pl.when(lacking == "").then(pl.lit(collect.EVERY_PART)).otherwise(lacking).alias("remediation"),
            "ready_since",
        ).rename({"ready_since": "since"})
        ready = cite(ctx.frames["conditions"].filter(pl.col("type") == "Ready"), pl.format("Ready={} {}", "status", pl.col("reason").fill_null("")), ts="last_transition")
        last_log = cite(logs.sort("ts").group_by("release").last(), "the last line logged about it")
        return findings([ready, last_log], verdicts)
