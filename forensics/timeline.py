"""Hop 2: one long per-release timeline, sorted by (release, ts).

Every record that carries a time becomes a row: controller log lines, Kubernetes events
(a span from first to last occurrence, with its count), condition transitions, Helm
history snapshots and managedFields writes. Rows about the controller itself (restarts,
image pulls, the upgrade moment) have a null `release`: they are the global lane.
The columns are the Timesketch minimum (`message`, `ts`, `ts_desc`) plus the entity key
and provenance.
"""

from __future__ import annotations

import polars as pl

from forensics.load import Frames
from forensics.versions import ControllerState

TS = pl.Datetime("us", "UTC")
SCHEMA = {
    "release": pl.String,
    "ts": TS,
    "ts_end": TS,
    "ts_desc": pl.String,
    "origin": pl.String,  # log | event | condition | history | managed-field | controller
    "level": pl.String,  # info | warning | error
    "reason": pl.String,
    "message": pl.String,
    "count": pl.Int64,
    "source": pl.String,
    "line": pl.Int64,
    "excerpt": pl.String,
}


def _select(df: pl.DataFrame, **columns: pl.Expr) -> pl.DataFrame:
    return df.select(**{name: columns.get(name, pl.lit(None)).cast(dtype) for name, dtype in SCHEMA.items()})


def build(frames: Frames, controller: ControllerState) -> pl.DataFrame:
    """The timeline frame of a bundle."""
    logs = frames["logs"].filter(pl.col("release").is_not_null())
    log_rows = _select(
        logs,
        release=pl.col("release"),
        ts=pl.col("ts"),
        ts_desc=pl.lit("controller log time"),
        origin=pl.lit("log"),
        level=pl.when(pl.col("level") == "error").then(pl.lit("error")).otherwise(pl.lit("info")),
        message=pl.when(pl.col("error").is_not_null()).then(pl.format("{}: {}", "msg", "error")).otherwise("msg"),
        source=pl.col("source"),
        line=pl.col("line"),
        # no copy of every log line here: `with_log_excerpts` adds them where they are written
    )
    events = frames["events"]
    event_rows = _select(
        events,
        release=pl.col("release"),
        ts=pl.col("first_ts"),
        ts_end=pl.col("last_ts"),
        ts_desc=pl.lit("event first/last timestamp"),
        origin=pl.lit("event"),
        level=pl.when(pl.col("type") == "Warning").then(pl.lit("warning")).otherwise(pl.lit("info")),
        reason=pl.col("reason"),
        message=pl.col("message"),
        count=pl.col("count"),
        source=pl.col("source"),
        line=pl.col("line"),
        excerpt=pl.col("excerpt"),
    )
    conditions = frames["conditions"].filter(pl.col("last_transition").is_not_null())
    condition_rows = _select(
        conditions,
        release=pl.col("release"),
        ts=pl.col("last_transition"),
        ts_desc=pl.lit("condition lastTransitionTime"),
        origin=pl.lit("condition"),
        level=pl.when(pl.col("status") == "False").then(pl.lit("warning")).otherwise(pl.lit("info")),
        reason=pl.format("{}={} {}", "type", "status", pl.col("reason").fill_null("")),
        message=pl.col("message"),
        source=pl.col("source"),
        line=pl.col("line"),
        excerpt=pl.col("excerpt"),
    )
    history = frames["history"].filter(pl.col("last_deployed").is_not_null())
    history_rows = _select(
        history,
        release=pl.col("release"),
        ts=pl.col("last_deployed"),
        ts_desc=pl.lit("history lastDeployed"),
        origin=pl.lit("history"),
        level=pl.when(pl.col("status") == "failed").then(pl.lit("error")).otherwise(pl.lit("info")),
        reason=pl.col("status"),
        message=pl.format("Helm revision {} {} ({}@{})", "version", pl.col("status").fill_null("?"), "chart_name", "chart_version"),
        source=pl.col("source"),
        line=pl.col("line"),
        excerpt=pl.col("excerpt"),
    )
    managed = frames["managed_fields"].filter(pl.col("time").is_not_null())
    managed_rows = _select(
        managed,
        release=pl.col("release"),
        ts=pl.col("time"),
        ts_desc=pl.lit("managedFields time"),
        origin=pl.lit("managed-field"),
        level=pl.lit("info"),
        reason=pl.col("operation"),
        message=pl.format("{} {} {} as {}", "manager", "operation", pl.col("subresource").fill_null("object"), "api_version"),
        source=pl.col("source"),
        line=pl.col("line"),
        excerpt=pl.col("excerpt"),
    )
    global_rows = [
        {
            "release": None,
            "ts": ev.ts,
            "ts_desc": "controller evidence time",
            "origin": "controller",
            "level": "info",
            "reason": "ControllerUpgrade" if i == 0 else None,
            "message": f"helm-controller {up.from_version} -> {up.to_version}: {ev.note}",
            "source": ev.source,
            "line": ev.line,
            "excerpt": ev.excerpt,
        }
        for up in controller.upgrades
        for i, ev in enumerate(up.evidence)
        if ev.ts is not None
    ]
    controller_rows = pl.DataFrame(global_rows, schema=SCHEMA) if global_rows else pl.DataFrame(schema=SCHEMA)
    timeline = pl.concat([log_rows, event_rows, condition_rows, history_rows, managed_rows, controller_rows])
    return timeline.filter(pl.col("ts").is_not_null()).sort(["release", "ts", "source", "line"], nulls_last=False)


def with_log_excerpts(timeline: pl.DataFrame, logs: pl.DataFrame) -> pl.DataFrame:
    """The timeline with the `excerpt` of its log rows (their line, cut at 300 characters),
    which `build` leaves null so as not to hold a copy of every log line."""
    if not timeline.height or not logs.height or "raw" not in logs.columns:
        return timeline
    lines = logs.select("source", "line", pl.col("raw").str.slice(0, 300).alias("_raw"), pl.lit("log").alias("origin"))
    joined = timeline.join(lines, on=["origin", "source", "line"], how="left", maintain_order="left")
    return joined.with_columns(pl.coalesce("excerpt", "_raw").alias("excerpt")).drop("_raw").select(timeline.columns)


def window(frames: Frames, timeline: pl.DataFrame):
    """(start, end) of the evidence. The start is the first log line or event when there are
    any (history and managedFields reach back to the release's creation); the end is the
    last timestamp seen. The collection time from a bundle name is local time, so it is
    reported but not used."""
    if timeline.height == 0:
        return None, None
    recorded = timeline.filter(pl.col("origin").is_in(["log", "event", "controller"]))
    start = (recorded if recorded.height else timeline)["ts"].min()
    end = max(filter(None, (timeline["ts"].max(), timeline["ts_end"].max())))
    return start, end
