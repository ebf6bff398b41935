"""The current failure of each release, classified once and shared by the failure rules.

"Current" means at the end of the bundle's window: a release whose Ready condition is True
has no current failure, whatever happened before (that episode stays on the timeline).
Without a Ready condition (logs and events only), the latest action outcome decides.

The failure text (Ready, Released, Stalled messages, the latest failure event and the latest
`Reconciler error`) is matched against the signature table (forensics.signatures); the
first match gives the label, else the failed action does (install-failed, upgrade-failed...).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.exprs import DEPENDENCY_NOT_READY
from forensics.rules._base import TS, Context, cite, controller_logs
from forensics.signatures import RETRIES_EXHAUSTED, action_label, classify

# Ready=False reasons that are not a failure of this release's own action.
NOT_OWN_FAILURE = ("DependencyNotReady", "HealthCheckCanceled")


def _last(df: pl.DataFrame, ts: str, prefix: str, columns: list[str]) -> pl.DataFrame:
    """The latest row per release, its columns prefixed."""
    latest = df.sort(ts).group_by("release", maintain_order=True).last()
    return latest.select("release", *[pl.col(c).alias(f"{prefix}_{c}") for c in columns])


def is_failure_event() -> pl.Expr:
    """A Warning event about the release's own reconciliation (not a drift report)."""
    return ((pl.col("type") == "Warning") | (pl.col("reason") == "error")) & ~pl.col("reason").is_in(["DriftDetected"])


def is_success_event() -> pl.Expr:
    return pl.col("reason").str.ends_with("Succeeded").fill_null(False) | (
        (pl.col("reason") == "info") & pl.col("message").str.contains(r"^Helm \w+ succeeded").fill_null(False)
    )


def failure_state(ctx: Context) -> pl.DataFrame:
    """One row per release with: failing (bool), label, exhausted (bool), text, since, attempts."""
    cache = ctx.cache
    if "failures" in cache:
        return cache["failures"]
    frames = ctx.frames
    releases = frames["releases"]
    conditions = frames["conditions"]
    events = frames["events"]
    about = pl.col("release").is_not_null()  # with each filter: only the matching events are copied

    released = _last(conditions.filter((pl.col("type") == "Released") & (pl.col("status") == "False")), "last_transition", "released", ["reason", "message"])
    stalled = _last(conditions.filter((pl.col("type") == "Stalled") & (pl.col("status") == "True")), "last_transition", "stalled", ["reason", "message"])
    remediated = _last(conditions.filter((pl.col("type") == "Remediated") & (pl.col("status") == "False")), "last_transition", "remediated", ["reason", "message"])
    tested = _last(conditions.filter((pl.col("type") == "TestSuccess") & (pl.col("status") == "False")), "last_transition", "tested", ["reason", "message"])
    failure_events = events.filter(about & is_failure_event())
    failed_event = _last(failure_events, "last_ts", "fail", ["last_ts", "reason", "message"])
    success_event = _last(events.filter(about & is_success_event()), "last_ts", "ok", ["last_ts"])
    error_log = _last(controller_logs(ctx).filter(pl.col("release").is_not_null() & pl.col("error").is_not_null()), "ts", "err", ["ts", "error"])
    # A revision still pending-* well after an action's timeout (default 5m) is a lock, not an
    # action in progress: from the HelmRelease history or from Helm's storage Secrets.
    stale_before = (ctx.window_end - timedelta(minutes=10)) if ctx.window_end else None
    newest_history = frames["history"].sort("version").group_by("release", maintain_order=True).last().select(
        "release", "version", "status", pl.col("last_deployed").alias("at")
    )
    newest_storage = frames["helm_storage"].sort("revision").group_by("release", maintain_order=True).last().select(
        "release", pl.col("revision").alias("version"), "status", pl.col("modified_at").alias("at")
    )
    pending = (
        pl.concat([newest_storage, newest_history])
        .filter(pl.col("status").str.starts_with("pending").fill_null(False))
        .filter(pl.col("at").is_null() | (pl.lit(stale_before is None) | (pl.col("at") < pl.lit(stale_before, TS))))
        .group_by("release", maintain_order=True).first()
        .select("release", pl.format("Helm release revision {} is {}", "version", "status").alias("pending_text"))
    )

    keys = pl.concat([df.select("release") for df in (releases, failed_event, error_log)]).unique()
    state = (
        keys.join(releases.select("release", "ready_status", "ready_reason", "ready_message", "ready_since", "upgrade_failures", "install_failures"), on="release", how="left")
        .join(released, on="release", how="left")
        .join(stalled, on="release", how="left")
        .join(remediated, on="release", how="left")
        .join(tested, on="release", how="left")
        .join(failed_event, on="release", how="left")
        .join(success_event, on="release", how="left")
        .join(error_log, on="release", how="left")
        .join(pending, on="release", how="left")
    )
    ready_known = pl.col("ready_status").is_not_null()
    own = ~pl.col("ready_reason").is_in(NOT_OWN_FAILURE).fill_null(False) & ~pl.col("ready_message").str.contains(DEPENDENCY_NOT_READY).fill_null(False)
    failing_now = pl.when(ready_known).then(
        ((pl.col("ready_status") == "False") & own) | pl.col("stalled_reason").is_not_null() | pl.col("pending_text").is_not_null()
    ).otherwise(
        pl.col("fail_last_ts").is_not_null() & (pl.col("ok_last_ts").is_null() | (pl.col("fail_last_ts") > pl.col("ok_last_ts")))
        | (pl.col("err_ts").is_not_null() & (pl.col("ok_last_ts").is_null() | (pl.col("err_ts") > pl.col("ok_last_ts"))))
    )
    # The failure event belongs to this episode only when it is not older than the Ready transition.
    event_text = pl.when(pl.col("ready_since").is_null() | (pl.col("fail_last_ts") >= pl.col("ready_since") - pl.duration(hours=1))).then(pl.col("fail_message"))
    text = pl.concat_str(
        [pl.col("pending_text"), pl.col("ready_message"), pl.col("released_message"), pl.col("stalled_message"), event_text, pl.col("err_error")],
        separator="\n",
        ignore_nulls=True,
    )
    state = state.with_columns(failing_now.fill_null(False).alias("failing"), text.alias("text"))
    # every line says only that retries ran out: that names no failed action by itself
    only_retries = pl.col("text").str.split("\n").list.eval(pl.element().str.contains(RETRIES_EXHAUSTED) | (pl.element().str.strip_chars() == "")).list.all().fill_null(False)
    label = pl.when(pl.col("pending_text").is_not_null()).then(pl.lit("stuck-pending")).when(only_retries).then(pl.lit(None, pl.String)).otherwise(
        pl.coalesce(
            classify(pl.col("text")),
            action_label(pl.coalesce("ready_reason", "released_reason", "fail_reason"), pl.coalesce("released_message", "ready_message", "fail_message")),
            action_label(pl.col("fail_reason"), pl.col("fail_message")),
        )
    )
    attempts = pl.col("text").str.extract(r"after (\d+) attempt", 1).cast(pl.Int64)
    state = state.with_columns(
        label.alias("label"),
        (pl.col("text").str.contains(RETRIES_EXHAUSTED).fill_null(False) | (pl.col("stalled_reason") == "RetriesExceeded").fill_null(False)).alias("exhausted"),
        pl.coalesce(attempts, pl.max_horizontal("upgrade_failures", "install_failures")).alias("attempts"),
        pl.coalesce("ready_since", "fail_last_ts", "err_ts").cast(TS).alias("since"),
    ).filter(pl.col("failing"))
    episode_events = (
        failure_events
        .join(state.select("release", "ready_since"), on="release")
        .filter(pl.col("ready_since").is_null() | pl.col("last_ts").is_null() | (pl.col("last_ts") >= pl.col("ready_since") - pl.duration(hours=1)))
        .select("release", "reason", "message")
    )
    state = state.join(_component_labels(state, own, episode_events), on="release", how="left").with_columns(
        pl.concat_list(pl.col("labels").fill_null([]), pl.col("label")).list.drop_nulls().list.unique().list.sort().alias("labels")
    )
    cache["failures"] = state
    return state


def _component_labels(state: pl.DataFrame, own: pl.Expr, episode_events: pl.DataFrame) -> pl.DataFrame:
    """Every failure a release shows, one label each: an upgrade that failed and the rollback
    that failed after it are two findings; every failure event of the current episode counts
    (an early `timed out` event explains a later `retries exhausted`). A message about
    exhausted retries names no action."""
    pieces = [
        state.filter((pl.col("ready_status") == "False") & own).select("release", pl.col("ready_reason").alias("reason"), pl.col("ready_message").alias("message")),
        state.select("release", pl.col("released_reason").alias("reason"), pl.col("released_message").alias("message")),
        state.select("release", pl.col("remediated_reason").alias("reason"), pl.col("remediated_message").alias("message")),
        state.select("release", pl.col("tested_reason").alias("reason"), pl.col("tested_message").alias("message")),
        episode_events,
    ]
    components = pl.concat(pieces).filter(pl.col("message").is_not_null())
    retries = pl.col("message").str.contains(RETRIES_EXHAUSTED).fill_null(False)
    labelled = components.with_columns(
        pl.coalesce(classify(pl.col("message")), pl.when(~retries).then(action_label(pl.col("reason"), pl.col("message")))).alias("component")
    ).filter(pl.col("component").is_not_null())
    return labelled.group_by("release").agg(
        pl.col("component").unique().sort().alias("labels"),
        pl.struct(pl.col("component").alias("label"), "message").alias("messages"),
    )


def message_for(label: str) -> pl.Expr:
    """The failure message that carries `label` (for a release with several failures)."""
    picked = pl.col("messages").list.eval(pl.element().filter(pl.element().struct.field("label") == label).struct.field("message")).list.unique(maintain_order=True).list.join("\n")
    return pl.when(picked.fill_null("") != "").then(picked).otherwise(pl.col("text"))


def _failure_logs(ctx: Context) -> pl.DataFrame:
    """helm-controller's log rows that can show a failure (an error, an action started):
    filtered once per analysis, so that each failure rule joins a few rows, not every line."""
    if "failure_logs" not in ctx.cache:
        ctx.cache["failure_logs"] = controller_logs(ctx).filter(pl.col("error").is_not_null() | pl.col("msg").str.starts_with("running '"))
    return ctx.cache["failure_logs"]


def failure_evidence(ctx: Context, releases: pl.DataFrame) -> list[pl.DataFrame]:
    """The lines that show a release's current failure: conditions, the failure event, the error log."""
    frames = ctx.frames
    wanted = releases.select("release")
    conditions = frames["conditions"].join(wanted, on="release")
    failing_conditions = conditions.filter(
        ((pl.col("type").is_in(["Ready", "Released", "TestSuccess", "Remediated"])) & (pl.col("status") == "False"))
        | ((pl.col("type") == "Stalled") & (pl.col("status") == "True"))
    )
    events = frames["events"].join(wanted, on="release").filter(is_failure_event())
    last_events = events.sort("last_ts").group_by(["release", "reason"], maintain_order=True).last()
    logs = _failure_logs(ctx).join(wanted, on="release")
    errors = logs.filter(pl.col("error").is_not_null()).sort("ts").group_by("release", maintain_order=True).last()
    started = logs.filter(pl.col("msg").str.starts_with("running '")).sort("ts").group_by("release", maintain_order=True).last()
    history = frames["history"].join(wanted, on="release").filter(pl.col("status").is_in(["failed", "pending-install", "pending-upgrade", "pending-rollback"]))
    storage = frames["helm_storage"].join(wanted, on="release").filter(pl.col("status").str.starts_with("pending").fill_null(False))
    return [
        cite(failing_conditions, pl.format("{}={} {}", "type", "status", pl.col("reason").fill_null("")), ts="last_transition"),
        cite(last_events, pl.format("{} event ×{}, last at {}", "reason", "count", pl.col("last_ts").dt.to_string("%Y-%m-%d %H:%M:%SZ").fill_null("a time not shown")), ts="last_ts"),
        cite(started, "the action started"),
        cite(errors, "the controller's error"),
        cite(history, pl.format("Helm release revision {} is {}", "version", "status"), ts="last_deployed"),
        cite(storage, pl.format("Helm storage: revision {} is {}", "revision", "status"), ts="modified_at"),
    ]


def resource_not_ready(text: pl.Expr) -> pl.Expr:
    """The resource a Helm wait log names as not ready (`Deployment is not ready: ns/name...`)."""
    return text.str.extract(r"(\w+) is not ready: ([\w.-]+/[\w.-]+)", 0).str.strip_chars_end(".")
