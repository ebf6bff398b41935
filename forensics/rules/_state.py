"""The current failure of each release, classified once and shared by the failure rules.

"Current" means at the end of the bundle's window: a release whose Ready condition is True
has no current failure, whatever happened before (that episode stays on the timeline).
Without a Ready condition (logs and events only), the latest action outcome decides.

The failure text (Ready, Released, Stalled messages, the latest failure event and the latest
`Reconciler error`) is matched against the signature table (forensics.signatures); the
first match gives the label, else the failed action does (install-failed, upgrade-failed...),
else a Ready reason that names a label by itself (an alert's `ready_reason`).

Rows that are not the release's own failure are set aside first: text that is never a failure
(a status update that lost a race, a client's version skew), a Kustomization's health check
waiting on the release (a consequence of its state), and a "not ready" claim about a chart
source that the source's own status shows Ready since (the status outlived its cause).
A Kustomization's apply/dry-run error naming the release is its failure: the new spec never
reached the cluster, whatever the old object's Ready says.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.exprs import DEPENDENCY_NOT_READY, msg_matches
from forensics.rules._base import TS, Context, controller_logs
from forensics.rules._events import (
    FAILED_STATE,
    IN_SYNC,
    is_apply_rejection,
    is_failure_event,
    is_noise,
    is_success_event,
    release_events,
)
from forensics.rules._exprs import fmt, latest, named
from forensics.rules._sources import operator_deployed, outlived_source_claims
from forensics.signatures import (
    CAUSELESS,
    EXPLAINS_ACTION,
    RETRIES_EXHAUSTED,
    action_label,
    classify,
    is_cut,
    reason_label,
)

# Ready=False reasons that are not a failure of this release's own action.
NOT_OWN_FAILURE = ("DependencyNotReady",)
# Input forms that hold the whole HelmRelease object (status included), as parsed.
FULL_OBJECT = ("object", "kubectl-describe")
# A revision still pending-* this long before the end of the window is a lock, not an action in
# progress (the default action timeout is 5m).
STALE_PENDING = timedelta(minutes=10)
# A failure event or error this much older than the Ready transition belongs to an earlier episode.
EPISODE_SLACK = pl.duration(hours=1)
RELEASE_COLUMNS = (
    "ready_status",
    "ready_reason",
    "ready_message",
    "ready_since",
    "upgrade_failures",
    "install_failures",
    "input_format",
    "history_len",
)
MESSAGES = ("ready_message", "released_message", "stalled_message", "fail_message", "err_error")


def failure_state(ctx: Context) -> pl.DataFrame:
    """One row per failing release with: label, labels (every component's), messages,
    exhausted, text, since, attempts, cause_missing, and what the confidence rests on
    (input_format, cut: a message cut by the paste, named: the release's name is known)."""
    if "failures" in ctx.cache:
        return ctx.cache["failures"]
    events = release_events(ctx).filter(pl.col("release").is_not_null())
    failure_events = events.filter(is_failure_event())
    errors, in_sync = _controller_lines(ctx)
    own = _own()
    state = (
        _signals(ctx, events, failure_events, errors, in_sync)
        .with_columns(failing=_failing_now(own).fill_null(False), text=_failure_text(own), cut=_cut())
        .with_columns(
            label=_label(own),
            exhausted=msg_matches(RETRIES_EXHAUSTED, "text")
            | (pl.col("stalled_reason") == "RetriesExceeded").fill_null(False),
            attempts=pl.coalesce(
                pl.col("text").str.extract(r"after (\d+) attempt", 1).cast(pl.Int64),
                pl.max_horizontal("upgrade_failures", "install_failures"),
            ),
            since=pl.coalesce("ready_since", "fail_last_ts", "err_ts").cast(TS),
            cause_missing=_causeless("text").fill_null(True) & pl.col("pending_text").is_null(),
            named=named(),
        )
        .filter(pl.col("failing"))
    )
    components = _component_labels(state, own, _episode(state, failure_events, errors))
    state = (
        state.join(components, on="release", how="left")
        .with_columns(
            labels=pl.concat_list(pl.col("labels").fill_null([]), pl.col("label"))
            .list.drop_nulls()
            .list.unique()
            .list.sort(),
            cause_missing=pl.col("cause_missing") & ~pl.col("says_why").fill_null(False),
        )
        .drop("says_why")
    )
    ctx.cache["failures"] = state
    return state


def failing_labels(ctx: Context) -> frozenset[str]:
    """Every label of `failure_state`'s releases: a rule of another label has nothing to select."""
    if "failing_labels" not in ctx.cache:
        labels = failure_state(ctx)["labels"].explode().drop_nulls().unique()
        ctx.cache["failing_labels"] = frozenset(labels.cast(pl.String).to_list())
    return ctx.cache["failing_labels"]


def message_for(label: str) -> pl.Expr:
    """The failure message that carries `label` (for a release with several failures)."""
    carries = pl.element().filter(pl.element().struct.field("label") == label).struct.field("message")
    picked = pl.col("messages").list.eval(carries).list.unique(maintain_order=True).list.join("\n")
    return pl.when(picked.fill_null("") != "").then(picked).otherwise(pl.col("text"))


def _prefixed(df: pl.DataFrame, ts: str, prefix: str, columns: list[str]) -> pl.DataFrame:
    """The latest row per release, its columns prefixed."""
    return latest(df, ts).select("release", *[pl.col(c).alias(f"{prefix}_{c}") for c in columns])


def _condition(conditions: pl.DataFrame, kind: str, status: str) -> pl.DataFrame:
    """The latest condition of a type in a status, as `<type>_reason`, `<type>_message`."""
    prefix = {"TestSuccess": "tested"}.get(kind, kind.lower())
    rows = conditions.filter((pl.col("type") == kind) & (pl.col("status") == status))
    return _prefixed(rows, "last_transition", prefix, ["reason", "message"])


def _retrying(conditions: pl.DataFrame) -> pl.DataFrame:
    """The retry interval of the RetryOnFailure strategy (v1.4+): `Reconciling=True
    ProgressingWithRetry "retrying after 5m0s"` (v1.4.3+), Ready=False `RetryAfterInterval`
    "Will retry after 5m0s" (v1.4.0-v1.4.2)."""
    reconciling = (pl.col("type") == "Reconciling") & (pl.col("reason") == "ProgressingWithRetry")
    rows = conditions.filter(
        (reconciling & msg_matches(r"^retrying after \S+$"))
        | ((pl.col("type") == "Ready") & (pl.col("reason") == "RetryAfterInterval"))
    ).with_columns(interval=pl.col("message").str.extract(r"(?:retrying|Will retry) after (\S+)", 1))
    return _prefixed(rows, "last_transition", "retry", ["interval"])


def _controller_lines(ctx: Context) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(errors, in_sync): the controller's errors with its v0.37+ state line `release is in a
    failed state[: <reason>]` (an info line: without a Ready condition, the only sign of a
    failed test or release); the last `release in-sync` line per release."""
    # filtered from the three columns read, so that no other column of a big log is copied
    logs = controller_logs(ctx).lazy().select("release", "ts", "msg", "error").filter(pl.col("release").is_not_null())
    errors = logs.filter(pl.col("error").is_not_null() & ~is_noise("error")).select("release", "ts", "error")
    failed_state = logs.filter(pl.col("msg").str.starts_with(FAILED_STATE)).select("release", "ts", error="msg")
    in_sync = logs.filter(pl.col("msg") == IN_SYNC).group_by("release").agg(sync_ts=pl.col("ts").max())
    return pl.concat([errors.collect(), failed_state.collect()]), in_sync.collect()


def _stuck(ctx: Context) -> pl.DataFrame:
    """A revision still pending-* (or uninstalling) well after an action's timeout: a lock, not
    an action in progress; from the HelmRelease history or Helm's storage."""
    frames, end = ctx.frames, ctx.window_end
    stale_before = (end - STALE_PENDING) if end else None
    newest_history = latest(frames["history"], "version").select("release", "version", "status", at="last_deployed")
    newest_storage = latest(frames["helm_storage"], "revision").select(
        "release", pl.col("revision").alias("version"), "status", pl.col("modified_at").alias("at")
    )
    revision = fmt("Helm release revision {version} is {status}")
    return (
        pl.concat([newest_storage, newest_history])
        .filter(pl.col("status").str.starts_with("pending").fill_null(False) | (pl.col("status") == "uninstalling"))
        .filter(pl.col("at").is_null() | (pl.lit(stale_before is None) | (pl.col("at") < pl.lit(stale_before, TS))))
        .group_by("release", maintain_order=True)
        .first()
        .select(
            "release",
            pending_text=pl.when(pl.col("status").str.starts_with("pending")).then(revision),
            storage_text=pl.when(pl.col("status") == "uninstalling").then(revision),
        )
    )


def _signals(
    ctx: Context, events: pl.DataFrame, failure_events: pl.DataFrame, errors: pl.DataFrame, in_sync: pl.DataFrame
) -> pl.DataFrame:
    """One row per release with what each source says of it: the object's Ready, its failing
    conditions, the retry interval, the latest failure/success/rejection events, the latest
    error logged, a stuck revision, a status that outlived its cause."""
    releases, conditions = ctx.frames["releases"], ctx.frames["conditions"]
    failed_event = _prefixed(failure_events, "last_ts", "fail", ["last_ts", "reason", "message"])
    error_log = _prefixed(errors, "ts", "err", ["ts", "error"])
    outlived = pl.concat([outlived_source_claims(ctx).select("release"), operator_deployed(ctx)]).unique()
    keys = pl.concat([df.select("release") for df in (releases, failed_event, error_log)]).unique()
    return (
        keys.join(releases.select("release", *RELEASE_COLUMNS), on="release", how="left")
        .join(_retrying(conditions), on="release", how="left")
        .join(_condition(conditions, "Released", "False"), on="release", how="left")
        .join(_condition(conditions, "Stalled", "True"), on="release", how="left")
        .join(_condition(conditions, "Remediated", "False"), on="release", how="left")
        .join(_condition(conditions, "TestSuccess", "False"), on="release", how="left")
        .join(failed_event, on="release", how="left")
        .join(_prefixed(events.filter(is_success_event()), "last_ts", "ok", ["last_ts"]), on="release", how="left")
        .join(in_sync, on="release", how="left")
        .with_columns(ok_last_ts=pl.max_horizontal("ok_last_ts", "sync_ts"))
        .join(
            _prefixed(failure_events.filter(is_apply_rejection()), "last_ts", "rej", ["last_ts", "message"]),
            on="release",
            how="left",
        )
        .join(error_log, on="release", how="left")
        .join(_stuck(ctx), on="release", how="left")
        .join(outlived.with_columns(outlived=pl.lit(True)), on="release", how="left")
    )


def _own() -> pl.Expr:
    """The Ready condition is about the release's own action (not a dependency, not an outlived status)."""
    return (
        ~pl.col("ready_reason").is_in(NOT_OWN_FAILURE).fill_null(False)
        & ~msg_matches(DEPENDENCY_NOT_READY, "ready_message")
        & ~pl.col("outlived").fill_null(False)
    )


def _newer(ts: str, than: str) -> pl.Expr:
    return pl.col(ts).is_not_null() & (pl.col(than).is_null() | (pl.col(ts) > pl.col(than)))


def _failing_now(own: pl.Expr) -> pl.Expr:
    """Failing at the end of the window: by the Ready condition when there is one, else by the
    latest outcome in events and logs; a stuck revision either way."""
    stuck = pl.col("pending_text").is_not_null() | pl.col("storage_text").is_not_null()
    # A rejected apply of the new spec counts unless the Ready transition is known to be newer.
    rejected_now = pl.col("rej_message").is_not_null() & (
        pl.col("rej_last_ts").is_null()
        | pl.col("ready_since").is_null()
        | (pl.col("rej_last_ts") >= pl.col("ready_since"))
    )
    by_ready = (
        ((pl.col("ready_status") == "False") & own) | pl.col("stalled_reason").is_not_null() | stuck | rejected_now
    )
    # a pasted message has no time: the failure is all there is
    untimed = pl.col("fail_message").is_not_null() & pl.col("fail_last_ts").is_null() & pl.col("ok_last_ts").is_null()
    by_outcome = _newer("fail_last_ts", "ok_last_ts") | _newer("err_ts", "ok_last_ts") | untimed | stuck
    return pl.when(pl.col("ready_status").is_not_null()).then(by_ready).otherwise(by_outcome)


def _in_episode(ts: str) -> pl.Expr:
    """Not older than the current episode (the Ready transition, with some slack)."""
    return (
        pl.col("ready_since").is_null() | pl.col(ts).is_null() | (pl.col(ts) >= pl.col("ready_since") - EPISODE_SLACK)
    )


def _failure_text(own: pl.Expr) -> pl.Expr:
    """Every message of the current failure, newline-joined: stuck revision, Ready, Released,
    Stalled, the failure event of this episode, the controller's error."""
    parts = [
        pl.col("pending_text"),
        pl.col("storage_text"),
        pl.when(own).then(pl.col("ready_message")),
        pl.col("released_message"),
        pl.col("stalled_message"),
        pl.when(_in_episode("fail_last_ts")).then(pl.col("fail_message")),
        pl.col("err_error"),
    ]
    return pl.concat_str(parts, separator="\n", ignore_nulls=True)


def _cut() -> pl.Expr:
    """A message cut by the paste (`...`): the part that names the cause may be missing."""
    return pl.any_horizontal(*(is_cut(pl.col(c)) for c in MESSAGES))


def _lines(column: str) -> pl.Expr:
    """The non-blank lines of a text column."""
    return pl.col(column).str.split("\n").list.eval(pl.element().filter(pl.element().str.strip_chars() != ""))


def _causeless(column: str) -> pl.Expr:
    """Every line says nothing but "it failed" / "retries ran out" / "will retry"."""
    return _lines(column).list.eval(pl.element().str.contains(CAUSELESS)).list.all()


def _label(own: pl.Expr) -> pl.Expr:
    """The failure's label: a stuck revision, else the signature table, else the failed action,
    else a Ready reason that names a label; none when every line says only that retries ran out."""
    only_retries = msg_matches(RETRIES_EXHAUSTED, "text") & _lines("text").list.eval(
        pl.element().str.contains(RETRIES_EXHAUSTED)
    ).list.all().fill_null(False)
    by_message = pl.coalesce(
        classify(pl.col("text")),
        action_label(
            pl.coalesce("ready_reason", "released_reason", "fail_reason"),
            pl.coalesce("released_message", "ready_message", "fail_message", "err_error"),
        ),
        action_label(pl.col("fail_reason"), pl.col("fail_message")),
        action_label(pl.lit(None, pl.String), pl.col("err_error")),
        reason_label(pl.coalesce(pl.when(own).then(pl.col("ready_reason")), "stalled_reason")),
    )
    return (
        pl.when(pl.col("pending_text").is_not_null())
        .then(pl.lit("stuck-pending"))
        .when(only_retries)
        .then(pl.lit(None, pl.String))
        .otherwise(by_message)
    )


def _episode(state: pl.DataFrame, failure_events: pl.DataFrame, errors: pl.DataFrame) -> pl.DataFrame:
    """The failure events of the current episode, and every distinct error the controller logged
    for the release since its last success (the v0.36 era has no status in many pastes: an
    install error, then the remediation's error): (release, reason, message)."""
    events = (
        failure_events.join(state.select("release", "ready_since"), on="release")
        .filter(_in_episode("last_ts"))
        .select("release", "reason", "message")
    )
    logged = (
        errors.join(state.select("release", "ready_since", "ok_last_ts"), on="release")
        .filter(_in_episode("ts"))
        .filter(pl.col("ok_last_ts").is_null() | pl.col("ts").is_null() | (pl.col("ts") > pl.col("ok_last_ts")))
        .select("release", reason=pl.lit(None, pl.String), message="error")
        .unique(maintain_order=True)
    )
    return pl.concat([events, logged])


def _component_labels(state: pl.DataFrame, own: pl.Expr, episode: pl.DataFrame) -> pl.DataFrame:
    """Every failure a release shows, one label each: an upgrade that failed and the rollback
    that failed after it are two findings; every failure event of the current episode counts
    (an early `timed out` event explains a later `retries exhausted`); a sub-cause of the
    signatures that explain an action (values schema, ownership, ...) comes with the action's
    own label when the reason or the text names the action. A message about exhausted retries
    names no action."""
    pieces = [
        state.filter((pl.col("ready_status") == "False") & own).select(
            "release", reason="ready_reason", message="ready_message"
        ),
        *(
            state.select("release", reason=f"{c}_reason", message=f"{c}_message")
            for c in ("released", "remediated", "tested")
        ),
        state.select("release", reason=pl.lit(None, pl.String), message="err_error"),
        episode,
    ]
    components = pl.concat(pieces).filter(pl.col("message").is_not_null())
    specific = classify(pl.col("message"))
    action = pl.when(~msg_matches(RETRIES_EXHAUSTED)).then(action_label(pl.col("reason"), pl.col("message")))
    either = pl.concat_list(specific, pl.when(specific.is_null() | specific.is_in(EXPLAINS_ACTION)).then(action))
    labelled = (
        components.with_columns(component=either.list.drop_nulls())
        .explode("component")
        .filter(pl.col("component").is_not_null())
    )
    # a message that says more than "failed" / "retries ran out" names the cause
    says_why = (
        components.with_columns(says_why=~_causeless("message")).group_by("release").agg(pl.col("says_why").any())
    )
    return (
        labelled.group_by("release")
        .agg(
            labels=pl.col("component").unique().sort(),
            messages=pl.struct(pl.col("component").alias("label"), "message"),
        )
        .join(says_why, on="release", how="full", coalesce=True)
    )
