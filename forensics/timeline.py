"""Hop 2: one long per-release timeline, sorted by (release, ts).

Every record that carries a time becomes a row: controller log lines, Kubernetes events
(a span from first to last occurrence, with its count), condition transitions, Helm
history snapshots and managedFields writes. Rows about the controller itself (restarts,
image pulls, the upgrade moment) have a null `release`: they are the global lane.
The columns are the Timesketch minimum (`message`, `ts`, `ts_desc`) plus the entity key
and provenance.

The full timeline (`build`: one row per log line) is for the exports and `forensics timeline`
only. The analysis reads what it needs without building it: `outline` (the evidence window,
the number of releases) and `last_rows` (the last rows of a few releases, for the report).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


def _collect(query: pl.LazyFrame) -> pl.DataFrame:
    # Polars' streaming engine (2.1) panics on `pl.format` over string columns of a frame made
    # of several chunks, as a loaded bundle's frames are: run the queries in memory.
    return query.collect(engine="in-memory")


def _columns(columns: dict[str, pl.Expr]) -> dict[str, pl.Expr]:
    return {name: columns.get(name, pl.lit(None)).cast(dtype) for name, dtype in SCHEMA.items()}


def _sources(frames: Frames, controller: ControllerState) -> list[tuple[pl.LazyFrame, pl.Expr, dict[str, pl.Expr]]]:
    """Each kind of record as (its rows, the expression of their time, the SCHEMA columns).
    The rows are queries (LazyFrames), so that filtering them copies no big frame."""
    logs = frames["logs"].lazy().filter(pl.col("release").is_not_null())
    log_rows = dict(
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
    events = frames["events"].lazy()
    event_rows = dict(
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
    conditions = frames["conditions"].lazy().filter(pl.col("last_transition").is_not_null())
    condition_rows = dict(
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
    history = frames["history"].lazy().filter(pl.col("last_deployed").is_not_null())
    history_rows = dict(
        release=pl.col("release"),
        ts=pl.col("last_deployed"),
        ts_desc=pl.lit("history lastDeployed"),
        origin=pl.lit("history"),
        level=pl.when(pl.col("status") == "failed").then(pl.lit("error")).otherwise(pl.lit("info")),
        reason=pl.col("status"),
        message=pl.format(
            "Helm revision {} {} ({}@{})", "version", pl.col("status").fill_null("?"), "chart_name", "chart_version"
        ),
        source=pl.col("source"),
        line=pl.col("line"),
        excerpt=pl.col("excerpt"),
    )
    managed = frames["managed_fields"].lazy().filter(pl.col("time").is_not_null())
    managed_rows = dict(
        release=pl.col("release"),
        ts=pl.col("time"),
        ts_desc=pl.lit("managedFields time"),
        origin=pl.lit("managed-field"),
        level=pl.lit("info"),
        reason=pl.col("operation"),
        message=pl.format(
            "{} {} {} as {}", "manager", "operation", pl.col("subresource").fill_null("object"), "api_version"
        ),
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
    return [
        (logs, pl.col("ts"), log_rows),
        (events, pl.col("first_ts"), event_rows),
        (conditions, pl.col("last_transition"), condition_rows),
        (history, pl.col("last_deployed"), history_rows),
        (managed, pl.col("time"), managed_rows),
        (controller_rows.lazy(), pl.col("ts"), {name: pl.col(name) for name in SCHEMA}),
    ]


ORDER = ["release", "ts", "source", "line"]


def build(frames: Frames, controller: ControllerState) -> pl.DataFrame:
    """The timeline frame of a bundle: every row (for the exports and `forensics timeline`)."""
    timeline = pl.concat([_collect(df.select(**_columns(columns))) for df, _, columns in _sources(frames, controller)])
    return timeline.filter(pl.col("ts").is_not_null()).sort(ORDER, nulls_last=False)


def lazy(frames: Frames, controller: ControllerState) -> pl.LazyFrame:
    """`build` as a LazyFrame: nothing is built unless it is collected."""
    return pl.defer(lambda: build(frames, controller), schema=SCHEMA)


@dataclass
class Outline:
    """What the analysis needs of the whole timeline, read from its time and release columns
    only: the evidence window (as `window`) and the number of releases (a null release, the
    global lane, counts as one)."""

    start: datetime | None
    end: datetime | None
    releases: int


def outline(frames: Frames, controller: ControllerState) -> Outline:
    """The Outline of a bundle's timeline, without building it."""
    parts = []
    for df, ts, columns in _sources(frames, controller):
        recorded = columns.get("origin", pl.lit(None)).cast(pl.String).is_in(["log", "event", "controller"])
        ts_end = columns.get("ts_end", pl.lit(None)).cast(TS)
        parts.append(
            df.select(release=pl.col("release").cast(pl.String), ts=ts.cast(TS), ts_end=ts_end, recorded=recorded)
        )
    found = (
        pl.concat(parts)
        .filter(pl.col("ts").is_not_null())
        .select(
            rows=pl.len(),
            releases=pl.col("release").n_unique(),
            first=pl.col("ts").min(),
            first_recorded=pl.col("ts").filter("recorded").min(),
            last=pl.col("ts").max(),
            last_end=pl.col("ts_end").max(),
        )
        .pipe(_collect)
        .row(0, named=True)
    )
    if not found["rows"]:
        return Outline(None, None, 0)
    start = found["first_recorded"] if found["first_recorded"] is not None else found["first"]
    end = max(filter(None, (found["last"], found["last_end"])))
    return Outline(start, end, found["releases"])


def last_rows(frames: Frames, controller: ControllerState, keep: int, releases: set[str] | None = None) -> pl.DataFrame:
    """What `build(...).group_by("release", maintain_order=True).tail(keep)` returns, for the
    global lane and `releases` only (None: every release), without building or sorting the
    whole timeline: only the rows from the `keep`-th last time of their release on are sorted."""
    sources = _sources(frames, controller)
    last = pl.col("ts") >= pl.col("ts").top_k(keep).min().over("release")
    if releases is not None:  # a few releases of a big bundle: their rows are few
        wanted = pl.col("release").is_null() | pl.col("release").is_in(sorted(releases))
        rows = pl.concat([df.filter(wanted).select(**_columns(columns)) for df, _, columns in sources]).filter(
            pl.col("ts").is_not_null()
        )
        kept = _collect(rows).lazy().filter(last)
    else:  # every release: the cutoff times first, from the time columns only, then their rows
        times = pl.concat(
            [df.select(release=pl.col("release").cast(pl.String), ts=ts.cast(TS)) for df, ts, _ in sources]
        )
        cutoffs = _collect(
            times.filter(pl.col("ts").is_not_null()).group_by("release").agg(_cutoff=pl.col("ts").top_k(keep).min())
        ).lazy()
        parts = []
        for df, ts, columns in sources:
            near = (
                df.with_columns(pl.col("release").cast(pl.String))
                .join(cutoffs, on="release", how="inner", nulls_equal=True, maintain_order="left")
                .filter(ts.cast(TS) >= pl.col("_cutoff"))
            )
            parts.append(near.select(**_columns(columns)))
        kept = pl.concat(parts).filter(pl.col("ts").is_not_null())
    return (
        _collect(kept.sort(ORDER, nulls_last=False, maintain_order=True))
        .group_by("release", maintain_order=True)
        .tail(keep)
    )


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
