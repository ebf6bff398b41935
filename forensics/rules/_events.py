"""What the events and the controller's log say about a release's own reconciliation: which
events are its failures and successes, the events another object (a Kustomization) writes
about it, and the lines that show its current failure.
"""

from __future__ import annotations

import polars as pl

from forensics.exprs import msg_matches
from forensics.rules._base import Context, cite, controller_logs
from forensics.rules._exprs import fmt, latest, stamp
from forensics.signatures import HEALTH_CHECK_OF_RELEASE, NOT_A_FAILURE

# A HelmRelease named by another object's message (kustomize-controller's `HelmRelease/<ns>/<name>
# dry-run failed ...`, a health check's `[HelmRelease/<ns>/<name> status: 'InProgress']`).
NAMED_RELEASE = r"HelmRelease/([a-z0-9][-a-z0-9.]*)/([a-z0-9][-a-z0-9.]*)"
# v0.37+ log lines of the release state (internal/reconcile/atomic_release.go, §2.2).
FAILED_STATE = "release is in a failed state"
IN_SYNC = "release in-sync with desired state"
# Helm history / storage states of a revision that failed or never finished.
UNFINISHED = ("failed", "pending-install", "pending-upgrade", "pending-rollback", "uninstalling")


def is_failure_event() -> pl.Expr:
    """A Warning event about the release's own reconciliation (not a drift report, not noise,
    not a Kustomization's health check waiting on it); a canceled health check (v1.5+, a
    Normal event) is a failure of the running action."""
    failed = (pl.col("type") == "Warning").fill_null(False) | pl.col("reason").is_in(["error", "HealthCheckCanceled"])
    return (
        failed.fill_null(False)
        & ~pl.col("reason").is_in(["DriftDetected"]).fill_null(False)
        & ~is_noise("message")
        & ~is_health_check_of_release()
    )


def is_noise(column: str) -> pl.Expr:
    """Text that is never a release's failure (signatures.NOT_A_FAILURE)."""
    return msg_matches(NOT_A_FAILURE, column)


def is_health_check_of_release() -> pl.Expr:
    """A Kustomization's health check naming the release: a consequence of its state."""
    return (pl.col("reason") == "HealthCheckFailed").fill_null(False) | msg_matches(HEALTH_CHECK_OF_RELEASE)


def is_apply_rejection() -> pl.Expr:
    """kustomize-controller could not apply the HelmRelease (its dry-run or apply failed)."""
    return (pl.col("component") == "kustomize-controller").fill_null(False) & ~is_health_check_of_release()


def is_success_event() -> pl.Expr:
    """A success of the release's own action (not a Kustomization's `ReconciliationSucceeded`)."""
    own = (pl.col("component") != "kustomize-controller").fill_null(True)
    helm_info = (pl.col("reason") == "info") & msg_matches(r"^Helm \w+ succeeded")
    return own & (pl.col("reason").str.ends_with("Succeeded").fill_null(False) | helm_info)


def release_events(ctx: Context) -> pl.DataFrame:
    """The events about a release: those the parsers attributed, plus, once per release it
    names, an event of another object (a Kustomization) whose message names
    `HelmRelease/<ns>/<name>` (DESIGN.md §5, last paragraph)."""
    if "release_events" not in ctx.cache:
        events = ctx.frames["events"]
        own = events.filter(pl.col("release").is_not_null())
        # only its failures (a Kustomization's Normal `HelmRelease/<ns>/<name> configured` says
        # nothing of the release's state)
        failed = (pl.col("type") == "Warning") | pl.col("reason").is_in(["ReconciliationFailed", "HealthCheckFailed"])
        others = events.filter(pl.col("release").is_null() & failed.fill_null(False) & msg_matches(NAMED_RELEASE))
        if others.height:
            named = (
                others.with_columns(
                    _named=pl.col("message").str.extract_all(NAMED_RELEASE).list.unique(maintain_order=True)
                )
                .explode("_named")
                .with_columns(release=pl.col("_named").str.strip_prefix("HelmRelease/"))
                .drop("_named")
                .with_columns(pl.col("component").fill_null("kustomize-controller"))
            )
            own = pl.concat([own, named.select(own.columns)], how="vertical_relaxed")
        ctx.cache["release_events"] = own
    return ctx.cache["release_events"]


def failure_logs(ctx: Context) -> pl.DataFrame:
    """helm-controller's log rows that can show a failure (an error, an action started):
    filtered once per analysis, so that each failure rule joins a few rows, not every line."""
    if "failure_logs" not in ctx.cache:
        msg = pl.col("msg")
        ctx.cache["failure_logs"] = controller_logs(ctx).filter(
            pl.col("error").is_not_null() | msg.str.starts_with("running '") | msg.str.starts_with(FAILED_STATE)
        )
    return ctx.cache["failure_logs"]


def failure_evidence(ctx: Context, releases: pl.DataFrame) -> list[pl.DataFrame]:
    """The lines that show a release's current failure: conditions, the failure event, the error log."""
    frames = ctx.frames
    wanted = releases.select("release")
    failing_conditions = (
        frames["conditions"]
        .join(wanted, on="release")
        .filter(
            (pl.col("type").is_in(["Ready", "Released", "TestSuccess", "Remediated"]) & (pl.col("status") == "False"))
            | ((pl.col("type") == "Stalled") & (pl.col("status") == "True"))
        )
    )
    events = release_events(ctx).join(wanted, on="release").filter(is_failure_event())
    logs = failure_logs(ctx).join(wanted, on="release")
    errors = logs.filter(pl.col("error").is_not_null())
    states = logs.filter(pl.col("error").is_null() & pl.col("msg").str.starts_with(FAILED_STATE))
    started = logs.filter(pl.col("msg").str.starts_with("running '"))
    history = frames["history"].join(wanted, on="release").filter(pl.col("status").is_in(UNFINISHED))
    storage = (
        frames["helm_storage"]
        .join(wanted, on="release")
        .filter(pl.col("status").str.starts_with("pending").fill_null(False) | (pl.col("status") == "uninstalling"))
    )
    condition = fmt("{type}={status} {reason}", reason=pl.col("reason").fill_null(""))
    event = fmt("{reason} event ×{count}, last at {at}", at=stamp("last_ts").fill_null("a time not shown"))
    return [
        cite(failing_conditions, condition, ts="last_transition"),
        cite(latest(events, "last_ts", by=["release", "reason"]), event, ts="last_ts"),
        cite(latest(started), "the action started"),
        cite(latest(errors), "the controller's error"),
        cite(latest(states), "the controller finds the release failed"),
        cite(history, "Helm release revision {version} is {status}", ts="last_deployed"),
        cite(storage, "Helm storage: revision {revision} is {status}", ts="modified_at"),
    ]
