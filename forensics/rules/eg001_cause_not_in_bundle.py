"""Rule EG001: the class docstring is its documentation."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics import collect
from forensics.exprs import msg_matches, ready_condition
from forensics.model import Label, Severity
from forensics.rules._base import TS, Context, Rule, cite, no_findings, release_logs
from forensics.rules._deps import dependency_claims
from forensics.rules._events import (
    failure_evidence,
    is_health_check_of_release,
    release_events,
)
from forensics.rules._exprs import fmt, latest
from forensics.rules._state import FULL_OBJECT, failure_state
from forensics.rules.dp003_dependency_missing import MISSING as DEPENDENCY_MISSING

PROGRESSING = (
    r"(?i)^(reconciliation in progress|running '[\w ]+' action with timeout of \S+|fulfilling prerequisites"
    r"|correcting cluster drift)$"
)
# Longer than any default action timeout (5m) with its retries: past it, "in progress" is stuck.
PROGRESS_LIMIT = timedelta(hours=1)


# What a release read from less than its object lacks, by the form it was read from.
PARTIAL_FORMS = {
    "alert": "only an alert's labels (Ready status and reason), without message, times or history",
    "metric": "only a metric series (Ready status), without reason, message or times",
}
CAUSE_MISSING = (
    "the error behind it (the Released message, the failure events with the Helm log tail, or the controller's"
    " error log)"
)
SHARDED = (
    "whether {dependency} exists: {controller} reads dependencies from its own cache, which a --watch-label-selector"
    " (sharding) filters"
)


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
    summary = "{state_of} — the evidence cannot tell why: {missing}"

    def check(self, ctx: Context) -> pl.DataFrame:
        releases = ctx.frames["releases"]
        state = failure_state(ctx)
        health_checks = release_events(ctx).filter(is_health_check_of_release())
        targets = _targets(ctx, state, health_checks)
        if targets.height == 0:
            return no_findings()
        # only the target releases' rows are counted and cited (not a copy of every log line)
        wanted = pl.col("release").is_in(targets["release"].unique().sort().to_list())
        logs = release_logs(ctx, wanted)
        events = release_events(ctx).filter(wanted)
        ready = ["ready_status", "ready_reason", "ready_message", "ready_since", "input_format", "observed_generation"]
        seen = (
            targets.join(logs.group_by("release").agg(log_n=pl.len()), on="release", how="left")
            .join(events.group_by("release").agg(event_n=pl.len()), on="release", how="left")
            .join(releases.select("release", *ready), on="release", how="left")
            .join(state.select("release", failure_text="text"), on="release", how="left")
        )
        missing = _missing(ctx)
        lacking = _lacking()
        verdicts = seen.select(
            "release",
            state_of=_state_of(),
            missing=pl.when(missing == "").then(pl.lit("no rule matched the evidence present")).otherwise(missing),
            confidence=pl.lit("low"),
            confidence_reason=pl.lit("nothing in the evidence explains the failure; this is what is missing"),
            remediation=pl.when(lacking == "").then(pl.lit(collect.EVERY_PART)).otherwise(lacking),
            since="ready_since",
        )
        ready = fmt("Ready={status} {reason}", reason=pl.col("reason").fill_null(""))
        unexplained = targets.filter(pl.col("why").is_in(["cause-missing", "unlabelled"])).select("release")
        evidence = [
            cite(ready_condition(ctx.frames["conditions"]), ready, ts="last_transition"),
            cite(releases.filter(pl.col("ready_status").is_null()), "the object, without a status", ts=None),
            *failure_evidence(ctx, unexplained),
            cite(health_checks.filter(wanted), "a Kustomization's health check waits on it", ts="last_ts"),
            cite(latest(logs), "the last line logged about it"),
        ]
        return self.findings(evidence, verdicts)


def _targets(ctx: Context, state: pl.DataFrame, health_checks: pl.DataFrame) -> pl.DataFrame:
    """The releases no finding explains, each with why it is a gap and the absent dependency it waits on."""
    releases = ctx.frames["releases"]
    explained = pl.DataFrame({"release": sorted({f.release for f in ctx.findings})}, schema={"release": pl.String})
    claims = dependency_claims(ctx)
    absent = claims.filter(~pl.col("dep_present")).select("release", "dependency")
    # Waiting on a dependency that is in the bundle is explained by it (DP001/DP002), or is
    # the normal wait of a dependency that only just became Ready: not a gap.
    waiting = claims.filter(pl.col("dep_present")).select("release")
    end = ctx.window_end
    recent = (
        pl.lit(end is None)
        | pl.col("ready_since").is_null()
        | (pl.col("ready_since") >= pl.lit(end - PROGRESS_LIMIT if end else None, TS))
    )
    progressing = (
        (pl.col("ready_status") == "Unknown")
        & pl.col("ready_reason").fill_null("Progressing").is_in(["Progressing"])
        & msg_matches(PROGRESSING, "ready_message")
        & recent
    )
    failing = state.select("release")
    not_ready = (
        releases.filter(pl.col("ready_status").is_in(["False", "Unknown"]))
        .filter(~progressing | pl.col("release").is_in(failing["release"].implode()))
        .join(explained, on="release", how="anti")
        .join(waiting, on="release", how="anti")
        .select("release", why=pl.lit("not-ready"))
    )
    no_status = (
        releases.filter(pl.col("ready_status").is_null() & pl.col("input_format").is_in(FULL_OBJECT))
        .filter(pl.any_horizontal(pl.col(c).is_not_null() for c in ("chart", "chart_version", "interval")))  # a spec
        .join(ctx.frames["conditions"].select("release").unique(), on="release", how="anti")  # no condition at all
        .join(explained, on="release", how="anti")
        .select("release", why=pl.lit("no-status"))
    )
    causeless = state.filter(pl.col("cause_missing")).select("release", why=pl.lit("cause-missing"))
    unlabelled = (
        state.filter(pl.col("labels").list.len() == 0)
        .join(explained, on="release", how="anti")
        .select("release", why=pl.lit("unlabelled"))
    )
    waited_on = (
        health_checks.select("release")
        .unique()
        .join(explained, on="release", how="anti")
        .join(failing, on="release", how="anti")
        .select("release", why=pl.lit("waited-on"))
    )
    return (
        pl.concat([not_ready, no_status, causeless, unlabelled, waited_on])
        .unique("release", keep="first", maintain_order=True)
        .join(absent, on="release", how="left")
    )


def _missing(ctx: Context) -> pl.Expr:
    """What the evidence lacks to tell why, "; "-joined ('' when nothing is known to lack)."""
    cached_reads = ctx.controller.at_least("v1.1.0") is False  # DP003: up to v1.0.x, "not found" may be another shard
    sharded = fmt(
        SHARDED,
        dependency=pl.col("ready_message").str.extract(DEPENDENCY_MISSING, 1),
        controller=pl.lit(f"helm-controller {ctx.controller.current_version}"),
    )
    partial = pl.col("input_format").replace_strict(
        PARTIAL_FORMS, default="only a table row, without reason, times or history"
    )
    why = pl.col("why")
    return pl.concat_str(
        [
            pl.when(why == "cause-missing").then(pl.lit(CAUSE_MISSING)),
            pl.when(why == "no-status").then(pl.lit("the object has no status: nothing says how it is")),
            pl.when(why == "waited-on").then(
                pl.lit("its own status: only a Kustomization's health check waiting on it is in the evidence")
            ),
            pl.when(pl.col("observed_generation") == -1).then(
                pl.lit("status.observedGeneration is -1: the controller never finished a reconcile of it")
            ),
            pl.when(pl.col("dependency").is_not_null()).then(fmt("the dependency {dependency} is not in the bundle")),
            pl.when(pl.lit(cached_reads) & msg_matches(DEPENDENCY_MISSING, "ready_message")).then(sharded),
            pl.when(pl.col("log_n").is_null()).then(pl.lit("no helm-controller log line for it")),
            pl.when(pl.col("event_n").is_null()).then(pl.lit("no event for it")),
            pl.when(pl.col("input_format").is_not_null() & ~pl.col("input_format").is_in(FULL_OBJECT)).then(partial),
        ],
        separator="; ",
        ignore_nulls=True,
    )


def _state_of() -> pl.Expr:
    """How the release is, as far as the evidence shows."""
    shown = (
        pl.coalesce(pl.col("ready_message"), pl.col("failure_text").str.split("\n").list.first())
        .fill_null("")
        .str.slice(0, 160)
    )
    return (
        pl.when(pl.col("ready_status").is_not_null())
        .then(
            fmt(
                "Ready={ready_status} ({reason}): {shown}",
                reason=pl.col("ready_reason").fill_null("reason not shown"),
                shown=shown,
            )
        )
        .when(pl.col("why") == "no-status")
        .then(pl.lit("no status"))
        .otherwise(fmt("failing: {shown}", shown=shown))
    )


def _lacking() -> pl.Expr:
    """The command of each evidence part it lacks (forensics.collect), newline-joined."""
    return pl.concat_str(
        [
            pl.when(pl.col("log_n").is_null()).then(pl.lit(collect.remedy("helm-controller-logs"))),
            pl.when(pl.col("event_n").is_null()).then(pl.lit(collect.remedy("events"))),
            pl.when(pl.col("input_format") != "object").then(pl.lit(collect.remedy("helmreleases"))),
            pl.when(pl.col("dependency").is_not_null()).then(
                fmt("kubectl -n {dependency.namespace} get helmrelease {dependency.name} -o yaml")
            ),
        ],
        separator="\n",
        ignore_nulls=True,
    )
