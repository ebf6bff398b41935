"""Rule EG001: the class docstring is its documentation."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics import collect
from forensics.model import Label, Severity
from forensics.rules._base import TS, Context, Rule, cite, controller_logs, findings
from forensics.rules._deps import dependency_claims
from forensics.rules.dp003_dependency_missing import MISSING as DEPENDENCY_MISSING
from forensics.rules._state import FULL_OBJECT, failure_evidence, failure_state, is_health_check_of_release, release_events

# Ready=Unknown messages of a reconcile in progress (v0.36 `Reconciliation in progress`, v0.37+
# `reconciliation in progress`, `Running '<action>' action with timeout of <d>`, `Fulfilling
# prerequisites` (v1.4.0 on Ready), `correcting cluster drift` (v1.0+)).
PROGRESSING = r"(?i)^(reconciliation in progress|running '[\w ]+' action with timeout of \S+|fulfilling prerequisites|correcting cluster drift)$"
# Longer than any default action timeout (5m) with its retries: past it, "in progress" is stuck.
PROGRESS_LIMIT = timedelta(hours=1)


# What a release read from less than its object lacks, by the form it was read from.
PARTIAL_FORMS = {
    "alert": "only an alert's labels (Ready status and reason), without message, times or history",
    "metric": "only a metric series (Ready status), without reason, message or times",
}


class CauseNotInBundle(Rule):
    """A release is not Ready (or its failure's cause is missing), and the evidence does not say why.

    What it detects
    ---------------
    Runs after every other rule. It names what to collect for:
    - a HelmRelease whose Ready condition is False or Unknown and that no other rule explained,
      or that waits on a dependency the bundle does not contain;
    - a HelmRelease object (or `kubectl describe`) without any status: nothing says how it is;
    - a failure whose cause is not in the evidence, beside the finding it completes: retries
      exhausted (`upgrade retries exhausted`, `Failed to upgrade after N attempt(s)`) or a bare
      action failure (an `UpgradeFailed` reason with no message, an alert's labels), or the
      v1.4.0-v1.4.2 RetryOnFailure Ready that says only `Will retry after <interval>`: the
      error that failed the action is missing;
    - a release known only from a failure no signature names, or from a Kustomization's health
      check waiting on it (`timeout waiting for: [HelmRelease/<ns>/<name> status: ...]`: a
      consequence of its state, not a failure of its own).
    A release that is merely progressing at collection time (Ready=Unknown `Progressing`:
    `Reconciliation in progress`, `Running 'upgrade' action with timeout of ...`, `Fulfilling
    prerequisites`, `correcting cluster drift`, for less than an hour, and no failure) is not
    reported: it is not unhealthy.

    Why it matters
    --------------
    A silent "healthy" would be wrong and a guess would be worse: the honest answer is that
    the evidence is not there. The most common gaps: troubleshoot bundles collect controller
    logs only for unhealthy pods (helm-controller is usually healthy), Kubernetes events
    expire after one hour, and a pasted `flux get hr` shows no reason or history.
    Known false positives: a release stuck "in progress" for over an hour with a long
    `spec.timeout` is reported with its progress message.

    Evidence
    --------
    The release's Ready condition (or its object, or the line that shows the failure), and the
    last log line about it when there is one.

    Remediation
    -----------
    Collect what is missing, e.g. `kubectl -n flux-system logs deploy/helm-controller --since=24h`,
    `kubectl get events -A -o yaml`, `kubectl get helmreleases -A -o yaml`, and analyse again.
    """

    id = "EG001"
    name = "cause-not-in-bundle"
    label = Label.evidence_gap
    severity = Severity.warning
    needs = ("releases", "events", "logs")
    phase = 2

    def check(self, ctx: Context) -> pl.DataFrame:
        releases = ctx.frames["releases"]
        explained = pl.DataFrame({"release": sorted({f.release for f in ctx.findings})}, schema={"release": pl.String})
        state = failure_state(ctx)
        claims = dependency_claims(ctx)
        absent = claims.filter(~pl.col("dep_present")).select("release", "dependency")
        # Waiting on a dependency that is in the bundle is explained by it (DP001/DP002), or is
        # the normal wait of a dependency that only just became Ready: not a gap.
        waiting = claims.filter(pl.col("dep_present")).select("release")
        recent = pl.lit(ctx.window_end is None) | pl.col("ready_since").is_null() | (pl.col("ready_since") >= pl.lit(ctx.window_end - PROGRESS_LIMIT if ctx.window_end else None, TS))
        progressing = (pl.col("ready_status") == "Unknown") & pl.col("ready_reason").fill_null("Progressing").is_in(["Progressing"]) & pl.col("ready_message").str.contains(PROGRESSING).fill_null(False) & recent
        failing = state.select("release")
        not_ready = (
            releases.filter(pl.col("ready_status").is_in(["False", "Unknown"]))
            .filter(~progressing | pl.col("release").is_in(failing["release"].implode()))
            .join(explained, on="release", how="anti")
            .join(waiting, on="release", how="anti")
            .select("release", pl.lit("not-ready").alias("why"))
        )
        no_status = (
            releases.filter(pl.col("ready_status").is_null() & pl.col("input_format").is_in(FULL_OBJECT))
            .filter(pl.any_horizontal(pl.col(c).is_not_null() for c in ("chart", "chart_version", "interval")))  # a spec, not an empty stub
            .join(ctx.frames["conditions"].select("release").unique(), on="release", how="anti")  # no condition at all
            .join(explained, on="release", how="anti")
            .select("release", pl.lit("no-status").alias("why"))
        )
        causeless = state.filter(pl.col("cause_missing")).select("release", pl.lit("cause-missing").alias("why"))
        unlabelled = state.filter(pl.col("labels").list.len() == 0).join(explained, on="release", how="anti").select("release", pl.lit("unlabelled").alias("why"))
        health_checks = release_events(ctx).filter(is_health_check_of_release())
        waited_on = health_checks.select("release").unique().join(explained, on="release", how="anti").join(failing, on="release", how="anti").select("release", pl.lit("waited-on").alias("why"))
        targets = (
            pl.concat([not_ready, no_status, causeless, unlabelled, waited_on])
            .unique("release", keep="first", maintain_order=True)
            .join(absent, on="release", how="left")
        )
        if targets.height == 0:
            return findings([], targets)
        # only the target releases' rows are counted and cited (not a copy of every log line)
        wanted = pl.col("release").is_in(targets["release"].unique().sort().to_list())
        logs = controller_logs(ctx).filter(pl.col("release").is_not_null() & wanted)
        events = release_events(ctx).filter(wanted)
        seen = (
            targets.join(logs.group_by("release").agg(pl.len().alias("log_n")), on="release", how="left")
            .join(events.group_by("release").agg(pl.len().alias("event_n")), on="release", how="left")
            .join(releases.select("release", "ready_status", "ready_reason", "ready_message", "ready_since", "input_format", "observed_generation"), on="release", how="left")
            .join(state.select("release", pl.col("text").alias("failure_text")), on="release", how="left")
        )
        cached_reads = ctx.controller.at_least("v1.1.0") is False  # DP003: up to v1.0.x, "not found" may be another shard
        missing = pl.concat_str(
            [
                pl.when(pl.col("why") == "cause-missing").then(pl.lit("the error behind it (the Released message, the failure events with the Helm log tail, or the controller's error log)")),
                pl.when(pl.col("why") == "no-status").then(pl.lit("the object has no status: nothing says how it is")),
                pl.when(pl.col("why") == "waited-on").then(pl.lit("its own status: only a Kustomization's health check waiting on it is in the evidence")),
                pl.when(pl.col("observed_generation") == -1).then(pl.lit("status.observedGeneration is -1: the controller never finished a reconcile of it")),
                pl.when(pl.col("dependency").is_not_null()).then(pl.format("the dependency {} is not in the bundle", "dependency")),
                pl.when(pl.lit(cached_reads) & pl.col("ready_message").str.contains(DEPENDENCY_MISSING).fill_null(False)).then(
                    pl.format("whether {} exists: {} reads dependencies from its own cache, which a --watch-label-selector (sharding) filters", pl.col("ready_message").str.extract(DEPENDENCY_MISSING, 1), pl.lit(f"helm-controller {ctx.controller.current_version}"))
                ),
                pl.when(pl.col("log_n").is_null()).then(pl.lit("no helm-controller log line for it")),
                pl.when(pl.col("event_n").is_null()).then(pl.lit("no event for it")),
                pl.when(pl.col("input_format").is_not_null() & ~pl.col("input_format").is_in(FULL_OBJECT)).then(
                    pl.col("input_format").replace_strict(PARTIAL_FORMS, default="only a table row, without reason, times or history")
                ),
            ],
            separator="; ",
            ignore_nulls=True,
        )
        shown = pl.coalesce(pl.col("ready_message"), pl.col("failure_text").str.split("\n").list.first()).fill_null("").str.slice(0, 160)
        state_of = pl.when(pl.col("ready_status").is_not_null()).then(
            pl.format("Ready={} ({}): {}", "ready_status", pl.col("ready_reason").fill_null("reason not shown"), shown)
        ).when(pl.col("why") == "no-status").then(pl.lit("no status")).otherwise(pl.format("failing: {}", shown))
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
            pl.format("{} — the evidence cannot tell why: {}", state_of, pl.when(missing == "").then(pl.lit("no rule matched the evidence present")).otherwise(missing)).alias("summary"),
            pl.lit("low").alias("confidence"),
            pl.lit("nothing in the evidence explains the failure; this is what is missing").alias("confidence_reason"),
            pl.when(lacking == "").then(pl.lit(collect.EVERY_PART)).otherwise(lacking).alias("remediation"),
            "ready_since",
        ).rename({"ready_since": "since"})
        ready = cite(ctx.frames["conditions"].filter(pl.col("type") == "Ready"), pl.format("Ready={} {}", "status", pl.col("reason").fill_null("")), ts="last_transition")
        objects = cite(releases.filter(pl.col("ready_status").is_null()), "the object, without a status", ts=None)
        failures = failure_evidence(ctx, targets.filter(pl.col("why").is_in(["cause-missing", "unlabelled"])).select("release"))
        checks = cite(health_checks.filter(wanted), "a Kustomization's health check waits on it", ts="last_ts")
        last_log = cite(logs.sort("ts").group_by("release").last(), "the last line logged about it")
        return findings([ready, objects, *failures, checks, last_log], verdicts)
