"""The current failure of each release, classified once and shared by the failure rules.

"Current" means at the end of the bundle's window: a release whose Ready condition is True
has no current failure, whatever happened before (that episode stays on the timeline).
Without a Ready condition (logs and events only), the latest action outcome decides.

The failure text (Ready, Released, Stalled messages, the latest failure event and the latest
`Reconciler error`) is matched against the signature table (forensics.signatures); the
first match gives the label, else the failed action does (install-failed, upgrade-failed...).
"""

from __future__ import annotations

import polars as pl

from forensics.exprs import DEPENDENCY_NOT_READY
from forensics.rules._base import TS, Context, cite
from forensics.signatures import RETRIES_EXHAUSTED, action_label, classify
from forensics.versions import helm_controller_logs

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
    events = frames["events"].filter(pl.col("release").is_not_null())
    logs = helm_controller_logs(frames["logs"]).filter(pl.col("release").is_not_null())

    released = _last(conditions.filter((pl.col("type") == "Released") & (pl.col("status") == "False")), "last_transition", "released", ["reason", "message"])
    stalled = _last(conditions.filter((pl.col("type") == "Stalled") & (pl.col("status") == "True")), "last_transition", "stalled", ["reason", "message"])
    failed_event = _last(events.filter(is_failure_event()), "last_ts", "fail", ["last_ts", "reason", "message"])
    success_event = _last(events.filter(is_success_event()), "last_ts", "ok", ["last_ts"])
    error_log = _last(logs.filter(pl.col("error").is_not_null()), "ts", "err", ["ts", "error"])
    pending = (
        frames["history"].sort("version").group_by("release", maintain_order=True).last()
        .filter(pl.col("status").str.starts_with("pending").fill_null(False))
        .select("release", pl.format("Helm release revision {} is {}", "version", "status").alias("pending_text"))
    )

    keys = pl.concat([df.select("release") for df in (releases, failed_event, error_log)]).unique()
    state = (
        keys.join(releases.select("release", "ready_status", "ready_reason", "ready_message", "ready_since", "upgrade_failures", "install_failures"), on="release", how="left")
        .join(released, on="release", how="left")
        .join(stalled, on="release", how="left")
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
    label = pl.when(pl.col("pending_text").is_not_null()).then(pl.lit("stuck-pending")).otherwise(
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
    cache["failures"] = state
    return state


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
    logs = helm_controller_logs(frames["logs"]).join(wanted, on="release")
    errors = logs.filter(pl.col("error").is_not_null()).sort("ts").group_by("release", maintain_order=True).last()
    started = logs.filter(pl.col("msg").str.starts_with("running '")).sort("ts").group_by("release", maintain_order=True).last()
    history = frames["history"].join(wanted, on="release").filter(pl.col("status").is_in(["failed", "pending-install", "pending-upgrade", "pending-rollback"]))
    return [
        cite(failing_conditions, pl.format("{}={} {}", "type", "status", pl.col("reason").fill_null("")), ts="last_transition"),
        cite(last_events, pl.format("{} event ×{}, last at {}", "reason", "count", pl.col("last_ts").dt.to_string("%Y-%m-%d %H:%M:%SZ")), ts="last_ts"),
        cite(started, "the action started"),
        cite(errors, "the controller's error"),
        cite(history, pl.format("Helm release revision {} is {}", "version", "status"), ts="last_deployed"),
    ]


def resource_not_ready(text: pl.Expr) -> pl.Expr:
    """The resource a Helm wait log names as not ready (`Deployment is not ready: ns/name...`)."""
    return text.str.extract(r"(\w+) is not ready: ([\w.-]+/[\w.-]+)", 0).str.strip_chars_end(".")
