"""Rule HC001: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.exprs import msg_matches
from forensics.model import Label, Severity
from forensics.rules._base import TS, Context, Rule, cite, controller_logs, no_findings
from forensics.rules._exprs import HELM_HISTORY, earliest, flux, fmt, latest
from forensics.versions import HELM_CONTROLLER

OUTCOME_LOGS = r"^release in-sync with desired state$|^reconciliation finished in "
OUTCOME_EVENTS = r"Succeeded$|Failed$|^error$|^info$"
BASIS = "the pod's terminated state or the OOM watcher, and an unfinished action in the log"
RAISE_MEMORY = "# raise helm-controller's memory limit (resources.limits.memory) or lower --concurrent, then:\n"


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
    summary = (
        "helm-controller stopped ({why}) at {crash_ts:hms} while its {action} was running since {ts:hms};"
        " the action never reported an outcome"
    )

    def check(self, ctx: Context) -> pl.DataFrame:
        controllers = ctx.frames["controllers"].filter(pl.col("controller") == HELM_CONTROLLER)
        crashes = controllers.filter(
            (pl.col("instance") == "previous")
            & pl.col("finished_at").is_not_null()
            & ~pl.col("last_termination_reason").is_in(["Completed"]).fill_null(False)
        )
        logs = controller_logs(ctx)
        oom = logs.filter(pl.col("msg").str.starts_with("Memory usage is near OOM").fill_null(False))
        if crashes.height == 0 and oom.height == 0:
            return no_findings()
        ends = (
            pl.concat(
                [
                    crashes.select(
                        crash_ts="finished_at", why=pl.col("last_termination_reason").fill_null("terminated")
                    ),
                    oom.select(crash_ts="ts", why=pl.lit("near OOM, shut down")),
                ]
            )
            .sort("crash_ts")
            .unique("crash_ts", keep="first")
        )
        first = earliest(_interrupted(ctx, logs, ends), "crash_ts")
        if first.height == 0:
            return no_findings()
        verdicts = first.select(
            "release",
            "why",
            "crash_ts",
            "ts",
            action=pl.col("msg").str.extract(r"running '([^']+)'", 1).fill_null("action"),
            confidence=pl.lit("high"),
            confidence_reason=pl.lit(BASIS),
            remediation=fmt(RAISE_MEMORY + HELM_HISTORY + "\n") + flux("reconcile", " --force"),
            since=pl.col("crash_ts").cast(TS),
        )
        targets = first.select("release")
        terminated = fmt(
            "helm-controller container {reason} at {finished_at:hms} (restarts: {restarts})",
            reason=pl.col("last_termination_reason").fill_null("terminated"),
            restarts=pl.col("restarts").fill_null(0),
        )
        evidence = [
            cite(crashes.join(targets, how="cross"), terminated, ts="finished_at"),
            cite(oom.drop("release").join(targets, how="cross"), "the OOM watcher shuts the controller down"),
            cite(first, "the action started and never reported an outcome"),
        ]
        return self.findings(evidence, verdicts)


def _interrupted(ctx: Context, logs: pl.DataFrame, ends: pl.DataFrame) -> pl.DataFrame:
    """Per release and crash: the last action started before the crash that had no outcome before it."""
    about = pl.col("release").is_not_null()
    starts = logs.filter(about & pl.col("msg").str.starts_with("running '").fill_null(False))
    events = ctx.frames["events"].filter(about)
    outcomes = pl.concat(
        [
            logs.filter(about & (msg_matches(OUTCOME_LOGS, "msg") | pl.col("error").is_not_null())).select(
                "release", out_ts="ts"
            ),
            events.filter(msg_matches(OUTCOME_EVENTS, "reason")).select("release", out_ts="last_ts"),
        ]
    )
    started = starts.join(ends, how="cross").filter(pl.col("ts") < pl.col("crash_ts"))
    last_start = latest(started, by=["release", "crash_ts"])
    settled = last_start.join(outcomes, on="release").filter(
        (pl.col("out_ts") > pl.col("ts")) & (pl.col("out_ts") <= pl.col("crash_ts"))
    )
    interrupted = last_start.join(
        settled.select("release", "crash_ts").unique(), on=["release", "crash_ts"], how="anti"
    )
    # Only a crash within the action's window counts (timeouts are minutes, not hours).
    return interrupted.filter(pl.col("crash_ts") - pl.col("ts") <= pl.duration(minutes=30))
