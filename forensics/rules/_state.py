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

from forensics.exprs import DEPENDENCY_NOT_READY
from forensics.rules._base import TS, Context, cite, controller_logs
from forensics.signatures import (
    CAUSELESS,
    EXPLAINS_ACTION,
    HEALTH_CHECK_OF_RELEASE,
    NOT_A_FAILURE,
    RETRIES_EXHAUSTED,
    action_label,
    classify,
    is_cut,
    reason_label,
)

# Ready=False reasons that are not a failure of this release's own action.
NOT_OWN_FAILURE = ("DependencyNotReady",)
# `<Kind> '<ns>/<name>' is not ready` of helm-controller (v0.36 .. v1.x): the chart source it waits for.
SOURCE_NOT_READY = r"(HelmChart|OCIRepository|ExternalArtifact) '([^'/]+)/([^']+)' is not ready"
# A HelmRelease named by another object's message (kustomize-controller's `HelmRelease/<ns>/<name>
# dry-run failed ...`, a health check's `[HelmRelease/<ns>/<name> status: 'InProgress']`).
NAMED_RELEASE = r"HelmRelease/([a-z0-9][-a-z0-9.]*)/([a-z0-9][-a-z0-9.]*)"
# v0.37+ log lines of the release state (internal/reconcile/atomic_release.go, §2.2).
FAILED_STATE = "release is in a failed state"
IN_SYNC = "release in-sync with desired state"
# source-controller's Ready=True messages (HelmChart `pulled`/`packaged ... chart with version`,
# repositories `stored artifact ...`).
SOURCE_READY_MESSAGE = r"(?i)^(?:pulled|packaged) '[^']+' chart with version|^stored artifact"
# Input forms that hold the whole HelmRelease object (status included), as parsed.
FULL_OBJECT = ("object", "kubectl-describe")


def _last(df: pl.DataFrame, ts: str, prefix: str, columns: list[str]) -> pl.DataFrame:
    """The latest row per release, its columns prefixed."""
    latest = df.sort(ts).group_by("release", maintain_order=True).last()
    return latest.select("release", *[pl.col(c).alias(f"{prefix}_{c}") for c in columns])


def is_failure_event() -> pl.Expr:
    """A Warning event about the release's own reconciliation (not a drift report, not noise,
    not a Kustomization's health check waiting on it); a canceled health check (v1.5+, a
    Normal event) is a failure of the running action."""
    return (
        ((pl.col("type") == "Warning").fill_null(False) | pl.col("reason").is_in(["error", "HealthCheckCanceled"]).fill_null(False))
        & ~pl.col("reason").is_in(["DriftDetected"]).fill_null(False)
        & ~is_noise("message")
        & ~is_health_check_of_release()
    )


def is_noise(column: str) -> pl.Expr:
    """Text that is never a release's failure (signatures.NOT_A_FAILURE)."""
    return pl.col(column).str.contains(NOT_A_FAILURE).fill_null(False)


def is_health_check_of_release() -> pl.Expr:
    """A Kustomization's health check naming the release: a consequence of its state."""
    return (pl.col("reason") == "HealthCheckFailed").fill_null(False) | pl.col("message").str.contains(HEALTH_CHECK_OF_RELEASE).fill_null(False)


def is_apply_rejection() -> pl.Expr:
    """kustomize-controller could not apply the HelmRelease (its dry-run or apply failed)."""
    return (pl.col("component") == "kustomize-controller").fill_null(False) & ~is_health_check_of_release()


def is_success_event() -> pl.Expr:
    """A success of the release's own action (not a Kustomization's `ReconciliationSucceeded`)."""
    own = (pl.col("component") != "kustomize-controller").fill_null(True)
    return own & (
        pl.col("reason").str.ends_with("Succeeded").fill_null(False)
        | ((pl.col("reason") == "info") & pl.col("message").str.contains(r"^Helm \w+ succeeded").fill_null(False))
    )


def release_events(ctx: Context) -> pl.DataFrame:
    """The events about a release: those the parsers attributed, plus, once per release it
    names, an event of another object (a Kustomization) whose message names
    `HelmRelease/<ns>/<name>` (DESIGN.md §5, last paragraph)."""
    if "release_events" not in ctx.cache:
        events = ctx.frames["events"]
        own = events.filter(pl.col("release").is_not_null())
        # only its failures (a Kustomization's Normal `HelmRelease/<ns>/<name> configured` says nothing of the release's state)
        failed = (pl.col("type") == "Warning").fill_null(False) | pl.col("reason").is_in(["ReconciliationFailed", "HealthCheckFailed"]).fill_null(False)
        others = events.filter(pl.col("release").is_null() & failed & pl.col("message").str.contains(NAMED_RELEASE).fill_null(False))
        if others.height:
            named = (
                others.with_columns(pl.col("message").str.extract_all(NAMED_RELEASE).list.unique(maintain_order=True).alias("_named"))
                .explode("_named")
                .with_columns(pl.col("_named").str.strip_prefix("HelmRelease/").alias("release"))
                .drop("_named")
                .with_columns(pl.col("component").fill_null("kustomize-controller"))
            )
            own = pl.concat([own, named.select(own.columns)], how="vertical_relaxed")
        ctx.cache["release_events"] = own
    return ctx.cache["release_events"]


def failure_state(ctx: Context) -> pl.DataFrame:
    """One row per failing release with: label, labels (every component's), messages,
    exhausted, text, since, attempts, cause_missing, and what the confidence rests on
    (input_format, cut: a message cut by the paste, named: the release's name is known)."""
    cache = ctx.cache
    if "failures" in cache:
        return cache["failures"]
    frames = ctx.frames
    releases = frames["releases"]
    conditions = frames["conditions"]
    events = release_events(ctx)
    about = pl.col("release").is_not_null()

    released = _last(conditions.filter((pl.col("type") == "Released") & (pl.col("status") == "False")), "last_transition", "released", ["reason", "message"])
    stalled = _last(conditions.filter((pl.col("type") == "Stalled") & (pl.col("status") == "True")), "last_transition", "stalled", ["reason", "message"])
    remediated = _last(conditions.filter((pl.col("type") == "Remediated") & (pl.col("status") == "False")), "last_transition", "remediated", ["reason", "message"])
    tested = _last(conditions.filter((pl.col("type") == "TestSuccess") & (pl.col("status") == "False")), "last_transition", "tested", ["reason", "message"])
    # RetryOnFailure (v1.4+): `Reconciling=True ProgressingWithRetry "retrying after 5m0s"`
    # (v1.4.3+), Ready=False `RetryAfterInterval` "Will retry after 5m0s" (v1.4.0-v1.4.2).
    retry_rows = conditions.filter(
        ((pl.col("type") == "Reconciling") & (pl.col("reason") == "ProgressingWithRetry") & pl.col("message").str.contains(r"^retrying after \S+$").fill_null(False))
        | ((pl.col("type") == "Ready") & (pl.col("reason") == "RetryAfterInterval"))
    )
    retrying = _last(retry_rows.with_columns(pl.col("message").str.extract(r"(?:retrying|Will retry) after (\S+)", 1).alias("interval")), "last_transition", "retry", ["interval"])
    failure_events = events.filter(about & is_failure_event())
    failed_event = _last(failure_events, "last_ts", "fail", ["last_ts", "reason", "message"])
    success_event = _last(events.filter(about & is_success_event()), "last_ts", "ok", ["last_ts"])
    rejected = _last(failure_events.filter(is_apply_rejection()), "last_ts", "rej", ["last_ts", "message"])
    # The controller's errors, and its v0.37+ state line `release is in a failed state[: <reason>]`
    # (an info line: without a Ready condition, the only sign of a failed test or release).
    # (filtered from the three columns read, so that no other column of a big log is copied)
    logs = controller_logs(ctx).lazy().select("release", "ts", "msg", "error").filter(pl.col("release").is_not_null())
    errors = logs.filter(pl.col("error").is_not_null() & ~is_noise("error")).select("release", "ts", "error").collect()
    failed_state = logs.filter(pl.col("msg").str.starts_with(FAILED_STATE)).select("release", "ts", pl.col("msg").alias("error")).collect()
    error_log = _last(pl.concat([errors, failed_state]), "ts", "err", ["ts", "error"])
    in_sync = logs.filter(pl.col("msg") == IN_SYNC).group_by("release").agg(pl.col("ts").max().alias("sync_ts")).collect()
    # A revision still pending-* (or uninstalling) well after an action's timeout (default 5m)
    # is a lock, not an action in progress: from the HelmRelease history or Helm's storage.
    stale_before = (ctx.window_end - timedelta(minutes=10)) if ctx.window_end else None
    newest_history = frames["history"].sort("version").group_by("release", maintain_order=True).last().select(
        "release", "version", "status", pl.col("last_deployed").alias("at")
    )
    newest_storage = frames["helm_storage"].sort("revision").group_by("release", maintain_order=True).last().select(
        "release", pl.col("revision").alias("version"), "status", pl.col("modified_at").alias("at")
    )
    stuck = (
        pl.concat([newest_storage, newest_history])
        .filter(pl.col("status").str.starts_with("pending").fill_null(False) | (pl.col("status") == "uninstalling"))
        .filter(pl.col("at").is_null() | (pl.lit(stale_before is None) | (pl.col("at") < pl.lit(stale_before, TS))))
        .group_by("release", maintain_order=True).first()
        .select(
            "release",
            pl.when(pl.col("status").str.starts_with("pending")).then(pl.format("Helm release revision {} is {}", "version", "status")).alias("pending_text"),
            pl.when(pl.col("status") == "uninstalling").then(pl.format("Helm release revision {} is {}", "version", "status")).alias("storage_text"),
        )
    )
    outlived = pl.concat(
        [outlived_source_claims(ctx).select("release"), operator_deployed(ctx)]
    ).unique().with_columns(pl.lit(True).alias("outlived"))

    keys = pl.concat([df.select("release") for df in (releases, failed_event, error_log)]).unique()
    state = (
        keys.join(releases.select("release", "ready_status", "ready_reason", "ready_message", "ready_since", "upgrade_failures", "install_failures", "input_format", "history_len"), on="release", how="left")
        .join(retrying, on="release", how="left")
        .join(released, on="release", how="left")
        .join(stalled, on="release", how="left")
        .join(remediated, on="release", how="left")
        .join(tested, on="release", how="left")
        .join(failed_event, on="release", how="left")
        .join(success_event, on="release", how="left")
        .join(in_sync, on="release", how="left")
        .with_columns(pl.max_horizontal("ok_last_ts", "sync_ts").alias("ok_last_ts"))
        .join(rejected, on="release", how="left")
        .join(error_log, on="release", how="left")
        .join(stuck, on="release", how="left")
        .join(outlived, on="release", how="left")
    )
    ready_known = pl.col("ready_status").is_not_null()
    own = (
        ~pl.col("ready_reason").is_in(NOT_OWN_FAILURE).fill_null(False)
        & ~pl.col("ready_message").str.contains(DEPENDENCY_NOT_READY).fill_null(False)
        & ~pl.col("outlived").fill_null(False)
    )
    # A rejected apply of the new spec counts unless the Ready transition is known to be newer.
    rejected_now = pl.col("rej_message").is_not_null() & (pl.col("rej_last_ts").is_null() | pl.col("ready_since").is_null() | (pl.col("rej_last_ts") >= pl.col("ready_since")))
    failing_now = pl.when(ready_known).then(
        ((pl.col("ready_status") == "False") & own)
        | pl.col("stalled_reason").is_not_null()
        | pl.col("pending_text").is_not_null()
        | pl.col("storage_text").is_not_null()
        | rejected_now
    ).otherwise(
        pl.col("fail_last_ts").is_not_null() & (pl.col("ok_last_ts").is_null() | (pl.col("fail_last_ts") > pl.col("ok_last_ts")))
        | (pl.col("err_ts").is_not_null() & (pl.col("ok_last_ts").is_null() | (pl.col("err_ts") > pl.col("ok_last_ts"))))
        # a pasted message has no time: the failure is all there is
        | (pl.col("fail_message").is_not_null() & pl.col("fail_last_ts").is_null() & pl.col("ok_last_ts").is_null())
        | pl.col("pending_text").is_not_null()
        | pl.col("storage_text").is_not_null()
    )
    # The failure event belongs to this episode only when it is not older than the Ready transition.
    event_text = pl.when(pl.col("ready_since").is_null() | pl.col("fail_last_ts").is_null() | (pl.col("fail_last_ts") >= pl.col("ready_since") - pl.duration(hours=1))).then(pl.col("fail_message"))
    ready_text = pl.when(own).then(pl.col("ready_message"))
    text = pl.concat_str(
        [pl.col("pending_text"), pl.col("storage_text"), ready_text, pl.col("released_message"), pl.col("stalled_message"), event_text, pl.col("err_error")],
        separator="\n",
        ignore_nulls=True,
    )
    cut = pl.any_horizontal(*(is_cut(pl.col(c)) for c in ("ready_message", "released_message", "stalled_message", "fail_message", "err_error")))
    state = state.with_columns(failing_now.fill_null(False).alias("failing"), text.alias("text"), cut.alias("cut"))
    lines = pl.col("text").str.split("\n").list.eval(pl.element().filter(pl.element().str.strip_chars() != ""))
    # every line says only that retries ran out: that names no failed action by itself
    only_retries = pl.col("text").str.contains(RETRIES_EXHAUSTED).fill_null(False) & lines.list.eval(pl.element().str.contains(RETRIES_EXHAUSTED)).list.all().fill_null(False)
    # nothing but "it failed" / "retries ran out" / "will retry": the error itself is not in the evidence
    causeless = lines.list.eval(pl.element().str.contains(CAUSELESS)).list.all().fill_null(True)
    label = pl.when(pl.col("pending_text").is_not_null()).then(pl.lit("stuck-pending")).when(only_retries).then(pl.lit(None, pl.String)).otherwise(
        pl.coalesce(
            classify(pl.col("text")),
            action_label(pl.coalesce("ready_reason", "released_reason", "fail_reason"), pl.coalesce("released_message", "ready_message", "fail_message", "err_error")),
            action_label(pl.col("fail_reason"), pl.col("fail_message")),
            action_label(pl.lit(None, pl.String), pl.col("err_error")),
            reason_label(pl.coalesce(pl.when(own).then(pl.col("ready_reason")), "stalled_reason")),
        )
    )
    attempts = pl.col("text").str.extract(r"after (\d+) attempt", 1).cast(pl.Int64)
    state = state.with_columns(
        label.alias("label"),
        (pl.col("text").str.contains(RETRIES_EXHAUSTED).fill_null(False) | (pl.col("stalled_reason") == "RetriesExceeded").fill_null(False)).alias("exhausted"),
        pl.coalesce(attempts, pl.max_horizontal("upgrade_failures", "install_failures")).alias("attempts"),
        pl.coalesce("ready_since", "fail_last_ts", "err_ts").cast(TS).alias("since"),
        (causeless & pl.col("pending_text").is_null()).alias("cause_missing"),
        (~pl.col("release").str.starts_with("?/").fill_null(True)).alias("named"),
    ).filter(pl.col("failing"))
    episode_events = (
        failure_events
        .join(state.select("release", "ready_since"), on="release")
        .filter(pl.col("ready_since").is_null() | pl.col("last_ts").is_null() | (pl.col("last_ts") >= pl.col("ready_since") - pl.duration(hours=1)))
        .select("release", "reason", "message")
    )
    # every distinct error the controller logged for the release since its last success (the
    # v0.36 era has no status in many pastes: an install error, then the remediation's error)
    episode_errors = (
        pl.concat([errors, failed_state])
        .join(state.select("release", "ready_since", "ok_last_ts"), on="release")
        .filter(pl.col("ready_since").is_null() | pl.col("ts").is_null() | (pl.col("ts") >= pl.col("ready_since") - pl.duration(hours=1)))
        .filter(pl.col("ok_last_ts").is_null() | pl.col("ts").is_null() | (pl.col("ts") > pl.col("ok_last_ts")))
        .select("release", pl.lit(None, pl.String).alias("reason"), pl.col("error").alias("message"))
        .unique(maintain_order=True)
    )
    state = state.join(_component_labels(state, own, pl.concat([episode_events, episode_errors])), on="release", how="left").with_columns(
        pl.concat_list(pl.col("labels").fill_null([]), pl.col("label")).list.drop_nulls().list.unique().list.sort().alias("labels"),
        (pl.col("cause_missing") & ~pl.col("says_why").fill_null(False)).alias("cause_missing"),
    ).drop("says_why")
    cache["failures"] = state
    return state


def _component_labels(state: pl.DataFrame, own: pl.Expr, episode_events: pl.DataFrame) -> pl.DataFrame:
    """Every failure a release shows, one label each: an upgrade that failed and the rollback
    that failed after it are two findings; every failure event of the current episode counts
    (an early `timed out` event explains a later `retries exhausted`); a sub-cause of the
    signatures that explain an action (values schema, ownership, ...) comes with the action's
    own label when the reason or the text names the action. A message about exhausted retries
    names no action."""
    pieces = [
        state.filter((pl.col("ready_status") == "False") & own).select("release", pl.col("ready_reason").alias("reason"), pl.col("ready_message").alias("message")),
        state.select("release", pl.col("released_reason").alias("reason"), pl.col("released_message").alias("message")),
        state.select("release", pl.col("remediated_reason").alias("reason"), pl.col("remediated_message").alias("message")),
        state.select("release", pl.col("tested_reason").alias("reason"), pl.col("tested_message").alias("message")),
        state.select("release", pl.lit(None, pl.String).alias("reason"), pl.col("err_error").alias("message")),
        episode_events,
    ]
    components = pl.concat(pieces).filter(pl.col("message").is_not_null())
    retries = pl.col("message").str.contains(RETRIES_EXHAUSTED).fill_null(False)
    specific = classify(pl.col("message"))
    action = pl.when(~retries).then(action_label(pl.col("reason"), pl.col("message")))
    labelled = components.with_columns(
        pl.concat_list(
            specific,
            pl.when(specific.is_null() | specific.is_in(EXPLAINS_ACTION)).then(action),
        ).list.drop_nulls().alias("component")
    ).explode("component").filter(pl.col("component").is_not_null())
    # a message that says more than "failed" / "retries ran out" names the cause
    lines = pl.col("message").str.split("\n").list.eval(pl.element().filter(pl.element().str.strip_chars() != ""))
    says_why = components.with_columns(
        (~lines.list.eval(pl.element().str.contains(CAUSELESS)).list.all()).alias("says_why")
    ).group_by("release").agg(pl.col("says_why").any())
    return labelled.group_by("release").agg(
        pl.col("component").unique().sort().alias("labels"),
        pl.struct(pl.col("component").alias("label"), "message").alias("messages"),
    ).join(says_why, on="release", how="full", coalesce=True)


HELM_OPERATOR_API = "helm.fluxcd.io/"  # Flux v1's HelmRelease group (helm.toolkit.fluxcd.io is Flux v2's)


def is_helm_operator() -> pl.Expr:
    """A Flux v1 helm-operator HelmRelease: its table's status shape, or its API group."""
    return (pl.col("status_format") == "helm-operator").fill_null(False) | pl.col("api_version").str.starts_with(HELM_OPERATOR_API).fill_null(False)


def operator_deployed(ctx: Context) -> pl.DataFrame:
    """Flux v1 helm-operator releases whose Helm release is `deployed`: their message is whatever
    the last new release left (the operator rewrites it only then), not a current failure."""
    releases = ctx.frames["releases"].filter(is_helm_operator()).select("release")
    storage = ctx.frames["helm_storage"].sort("revision", nulls_last=False).group_by("release", maintain_order=True).last()
    return releases.join(storage.filter(pl.col("status") == "deployed").select("release"), on="release")


def outlived_source_claims(ctx: Context) -> pl.DataFrame:
    """A release's `<Kind> '<ns>/<name>' is not ready` (Ready condition, or a condition whose
    type was cut from the paste) while that source, in the evidence, is Ready since a time
    at or after the claim: the release's status outlived its cause.

    Columns: release, kind, source_ns, source_name, claimed_at, claim source/line/excerpt,
    the source's row (src_since, src_message, src_source, src_line, src_excerpt)."""
    if "outlived_sources" in ctx.cache:
        return ctx.cache["outlived_sources"]
    frames = ctx.frames
    claims = frames["conditions"].filter(
        (pl.col("type").is_null() | (pl.col("type") == "Ready"))
        & (pl.col("status").is_null() | (pl.col("status") != "True"))
        & pl.col("message").str.contains(SOURCE_NOT_READY).fill_null(False)
    ).select(
        "release",
        pl.col("message").str.extract(SOURCE_NOT_READY, 1).alias("kind"),
        pl.col("message").str.extract(SOURCE_NOT_READY, 2).alias("source_ns"),
        pl.col("message").str.extract(SOURCE_NOT_READY, 3).alias("source_name"),
        pl.col("last_transition").alias("claimed_at"),
        "source", "line", "excerpt", "message",
    )
    # Ready, or (a pasted fragment cut before its Status/Type lines) a source-controller success
    # message: `pulled '<chart>' chart with version '<v>'`, `packaged ...`, `stored artifact ...`
    ready = (pl.col("ready_status") == "True").fill_null(False) | (
        pl.col("ready_status").is_null() & pl.col("ready_message").str.contains(SOURCE_READY_MESSAGE).fill_null(False)
    )
    sources = frames["sources"].filter(ready & pl.col("since").is_not_null()).select(
        "kind",
        pl.col("namespace").alias("source_ns"),
        pl.col("name").alias("source_name"),
        pl.col("since").alias("src_since"),
        pl.col("ready_message").alias("src_message"),
        pl.col("source").alias("src_source"),
        pl.col("line").alias("src_line"),
        pl.col("excerpt").alias("src_excerpt"),
    )
    found = claims.join(sources, on=["kind", "source_ns", "source_name"]).filter(
        pl.col("claimed_at").is_not_null() & (pl.col("src_since") >= pl.col("claimed_at"))
    )
    ctx.cache["outlived_sources"] = found
    return found


def message_for(label: str) -> pl.Expr:
    """The failure message that carries `label` (for a release with several failures)."""
    picked = pl.col("messages").list.eval(pl.element().filter(pl.element().struct.field("label") == label).struct.field("message")).list.unique(maintain_order=True).list.join("\n")
    return pl.when(picked.fill_null("") != "").then(picked).otherwise(pl.col("text"))


def _failure_logs(ctx: Context) -> pl.DataFrame:
    """helm-controller's log rows that can show a failure (an error, an action started):
    filtered once per analysis, so that each failure rule joins a few rows, not every line."""
    if "failure_logs" not in ctx.cache:
        ctx.cache["failure_logs"] = controller_logs(ctx).filter(
            pl.col("error").is_not_null() | pl.col("msg").str.starts_with("running '") | pl.col("msg").str.starts_with(FAILED_STATE)
        )
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
    events = release_events(ctx).join(wanted, on="release").filter(is_failure_event())
    last_events = events.sort("last_ts").group_by(["release", "reason"], maintain_order=True).last()
    logs = _failure_logs(ctx).join(wanted, on="release")
    errors = logs.filter(pl.col("error").is_not_null()).sort("ts").group_by("release", maintain_order=True).last()
    states = logs.filter(pl.col("error").is_null() & pl.col("msg").str.starts_with(FAILED_STATE)).sort("ts").group_by("release", maintain_order=True).last()
    started = logs.filter(pl.col("msg").str.starts_with("running '")).sort("ts").group_by("release", maintain_order=True).last()
    history = frames["history"].join(wanted, on="release").filter(pl.col("status").is_in(["failed", "pending-install", "pending-upgrade", "pending-rollback", "uninstalling"]))
    storage = frames["helm_storage"].join(wanted, on="release").filter(pl.col("status").str.starts_with("pending").fill_null(False) | (pl.col("status") == "uninstalling"))
    return [
        cite(failing_conditions, pl.format("{}={} {}", "type", "status", pl.col("reason").fill_null("")), ts="last_transition"),
        cite(last_events, pl.format("{} event ×{}, last at {}", "reason", "count", pl.col("last_ts").dt.to_string("%Y-%m-%d %H:%M:%SZ").fill_null("a time not shown")), ts="last_ts"),
        cite(started, "the action started"),
        cite(errors, "the controller's error"),
        cite(states, "the controller finds the release failed"),
        cite(history, pl.format("Helm release revision {} is {}", "version", "status"), ts="last_deployed"),
        cite(storage, pl.format("Helm storage: revision {} is {}", "revision", "status"), ts="modified_at"),
    ]


# The resource a wait names, in the three wordings of the versions: Helm 3's log tail
# (`Deployment is not ready: <ns>/<name>. 0 out of 2 expected pods are ready`), the poller's
# failure message (v1.5+: `timeout waiting for: [Deployment/<ns>/<name> status: 'InProgress']`),
# and Helm 4's log tail with JSON attributes (`Deployment does not have enough pods ready:
# {"name":"<name>","namespace":"<ns>",...}`; json.Marshal sorts the keys).
WAIT_V3 = r"(\w+) is not ready: ([\w.-]+)/([\w.-]+?)\.?(?:\s|$)"
WAIT_POLLER = r"(\w+)/([\w.-]+)/([\w.-]+) status: '(\w+)'"
WAIT_V4 = r"(\w+) (?:is not ready|does not have enough \w+ \w+)[^:\n]*: \{[^}\n]*\"name\":\"([^\"]+)\",\"namespace\":\"([^\"]+)\""


def waiting_on(text: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(kind, namespace, name) of the resource a failed wait names, null when none."""
    kind = pl.coalesce(text.str.extract(WAIT_POLLER, 1), text.str.extract(WAIT_V3, 1), text.str.extract(WAIT_V4, 1))
    ns = pl.coalesce(text.str.extract(WAIT_POLLER, 2), text.str.extract(WAIT_V3, 2), text.str.extract(WAIT_V4, 3))
    name = pl.coalesce(text.str.extract(WAIT_POLLER, 3), text.str.extract(WAIT_V3, 3), text.str.extract(WAIT_V4, 2))
    return kind, ns, name


def resource_not_ready(text: pl.Expr) -> pl.Expr:
    """`<Kind> is not ready: <ns>/<name>` for the resource a wait names (any version's wording)."""
    kind, ns, name = waiting_on(text)
    return pl.when(kind.is_not_null()).then(pl.format("{} is not ready: {}/{}", kind, ns, name))
