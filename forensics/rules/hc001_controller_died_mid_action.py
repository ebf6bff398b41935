"""Rule HC001: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import TS, Context, Rule, cite, findings, controller_logs
from forensics.versions import HELM_CONTROLLER

OUTCOME_LOGS = r"^release in-sync with desired state$|^reconciliation finished in "


class ControllerDiedMidAction(Rule):
    """helm-controller crashed or was killed while a Helm action of the release was running.

    What it detects
    ---------------
    A helm-controller container that terminated abnormally — `lastState.terminated.reason`
    `OOMKilled` or `Error` with a restart count, `Memory usage is near OOM (...), shutting
    down` from the OOM watcher — at a moment when a release's `running '<action>' action with
    timeout of ...` log line had no outcome yet (no success/failure event, no
    `release in-sync`, no error) before the termination. An image change or a clean stop
    (`Completed`) is an upgrade or a rollout, not a crash, and is not reported.

    Why it matters
    --------------
    Helm writes the release as pending-install/-upgrade before it applies; a controller that
    dies in between leaves the release locked (v0.36 never unlocks it; v0.37+ unlocks it on
    the next reconcile), and the action's effect is unknown. Repeated OOMKills usually come
    from large charts or many concurrent releases. Known false positives: a node drain
    evicting the pod (reason `Error` or no reason) during an action has the same effect and
    is reported the same way.

    Evidence
    --------
    The pod's terminated state (reason, finish time, restart count), the OOM watcher's log
    line, and the release's unfinished `running '<action>' action` line.

    Remediation
    -----------
    Give helm-controller more memory (raise `resources.limits.memory` of the
    `helm-controller` Deployment, e.g. through a Flux kustomize patch) or lower
    `--concurrent`; then check the release: `helm history RELEASE -n NAMESPACE` and
    `flux reconcile helmrelease NAME -n NAMESPACE --force`.
    """

    id = "HC001"
    name = "controller-died-mid-action"
    label = Label.controller_restart
    severity = Severity.error
    needs = ("controllers", "logs")

    def check(self, ctx: Context) -> pl.DataFrame:
        frames = ctx.frames
        controllers = frames["controllers"].filter(pl.col("controller") == HELM_CONTROLLER)
        crashes = controllers.filter(
            (pl.col("instance") == "previous") & pl.col("finished_at").is_not_null()
            & ~pl.col("last_termination_reason").is_in(["Completed"]).fill_null(False)
        )
        logs = controller_logs(ctx)
        oom = logs.filter(pl.col("msg").str.starts_with("Memory usage is near OOM").fill_null(False))
        if crashes.height == 0 and oom.height == 0:
            return findings([], crashes)
        ends = pl.concat(
            [
                crashes.select(pl.col("finished_at").alias("crash_ts"), pl.col("last_termination_reason").fill_null("terminated").alias("why")),
                oom.select(pl.col("ts").alias("crash_ts"), pl.lit("near OOM, shut down").alias("why")),
            ]
        ).sort("crash_ts").unique("crash_ts", keep="first")

        about = pl.col("release").is_not_null()
        starts = logs.filter(about & pl.col("msg").str.starts_with("running '").fill_null(False))
        events = frames["events"].filter(pl.col("release").is_not_null())
        outcomes = pl.concat(
            [
                logs.filter(about & (pl.col("msg").str.contains(OUTCOME_LOGS).fill_null(False) | pl.col("error").is_not_null())).select("release", pl.col("ts").alias("out_ts")),
                events.filter(pl.col("reason").str.contains(r"Succeeded$|Failed$|^error$|^info$").fill_null(False)).select("release", pl.col("last_ts").alias("out_ts")),
            ]
        )
        # The last action started before each crash, per release, and whether it had an outcome.
        started = starts.join(ends, how="cross").filter(pl.col("ts") < pl.col("crash_ts"))
        last_start = started.sort("ts").group_by(["release", "crash_ts"], maintain_order=True).last()
        settled = last_start.join(outcomes, on="release").filter((pl.col("out_ts") > pl.col("ts")) & (pl.col("out_ts") <= pl.col("crash_ts")))
        interrupted = last_start.join(settled.select("release", "crash_ts").unique(), on=["release", "crash_ts"], how="anti")
        # Only a crash within the action's window counts (timeouts are minutes, not hours).
        interrupted = interrupted.filter(pl.col("crash_ts") - pl.col("ts") <= pl.duration(minutes=30))
        if interrupted.height == 0:
            return findings([], interrupted)
        first = interrupted.sort("crash_ts").group_by("release", maintain_order=True).first()
        parts = pl.col("release").str.split("/")
        verdicts = first.select(
            "release",
            pl.format(
                "helm-controller stopped ({}) at {} while its {} was running since {}; the action never reported an outcome",
                "why", pl.col("crash_ts").dt.to_string("%H:%M:%SZ"), pl.col("msg").str.extract(r"running '([^']+)'", 1).fill_null("action"), pl.col("ts").dt.to_string("%H:%M:%SZ"),
            ).alias("summary"),
            pl.lit("high").alias("confidence"),
            pl.lit("the pod's terminated state or the OOM watcher, and an unfinished action in the log").alias("confidence_reason"),
            pl.format(
                "# raise helm-controller's memory limit (resources.limits.memory) or lower --concurrent, then:\nhelm history {} -n {}\nflux reconcile helmrelease {} -n {} --force",
                parts.list.get(1), parts.list.get(0), parts.list.get(1), parts.list.get(0),
            ).alias("remediation"),
            pl.col("crash_ts").cast(TS).alias("since"),
        )
        targets = first.select("release")
        crash_lines = cite(
            crashes.join(targets, how="cross"),
            pl.format("helm-controller container {} at {} (restarts: {})", pl.col("last_termination_reason").fill_null("terminated"), pl.col("finished_at").dt.to_string("%H:%M:%SZ"), pl.col("restarts").fill_null(0)),
            ts="finished_at",
        )
        oom_lines = cite(oom.drop("release").join(targets, how="cross"), "the OOM watcher shuts the controller down")
        start_lines = cite(first, "the action started and never reported an outcome")
        return findings([crash_lines, oom_lines, start_lines], verdicts)
