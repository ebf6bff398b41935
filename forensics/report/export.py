"""Exports of a Run: the full timeline for Timesketch (JSONL or CSV), and every frame as Parquet.

They read `Run.timeline` and `Run.frames` (every row, not the capped `analysis.timeline`).
Text from the bundle is written as data: JSON-encoded or CSV-quoted, never interpreted. A CSV
is opened in spreadsheets and printed on terminals, so its text cells are neutralised: a
cell that a spreadsheet would read as a formula (OWASP's rule: one that starts with `=`,
`+`, `-`, `@`, a tab or a carriage return) starts with a `'` instead, and control characters
but newline and tab are written as escapes (`\\x1b`).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

# Timesketch needs message, datetime and timestamp_desc; the rest are its "dynamic" fields.
TIMESKETCH_COLUMNS = (
    "message",
    "datetime",
    "timestamp",
    "timestamp_desc",
    "release",
    "source",
    "line",
    "reason",
    "origin",
    "level",
    "count",
    "datetime_end",
)


def timesketch_frame(timeline: pl.DataFrame) -> pl.DataFrame:
    """One row per timeline row, with Timesketch's columns."""
    iso = "%Y-%m-%dT%H:%M:%S%.6fZ"
    who = pl.col("release").fill_null("controller")
    what = pl.concat_str(
        [
            pl.col("reason").fill_null(pl.col("origin")),
            pl.when(pl.col("count") > 1).then(pl.format(" ×{}", "count")).otherwise(pl.lit("")),
        ]
    )
    return timeline.select(
        message=pl.format("[{}] {}: {}", who, what, pl.col("message").fill_null("").str.replace_all(r"[\r\n]+", " ")),
        datetime=pl.col("ts").dt.convert_time_zone("UTC").dt.strftime(iso),
        timestamp=pl.col("ts").dt.epoch("us"),
        timestamp_desc=pl.col("ts_desc"),
        release=pl.col("release"),
        source=pl.col("source"),
        line=pl.col("line"),
        reason=pl.col("reason"),
        origin=pl.col("origin"),
        level=pl.col("level"),
        count=pl.col("count"),
        datetime_end=pl.col("ts_end").dt.convert_time_zone("UTC").dt.strftime(iso),
    )


def write_timesketch(timeline: pl.DataFrame, target: Path) -> int:
    """Write `.jsonl` or `.csv` (by the file's suffix); returns the number of rows."""
    frame = timesketch_frame(timeline)
    suffix = target.suffix.lower()
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".jsonl", ".ndjson", ".json"):
        frame.write_ndjson(target)
    elif suffix == ".csv":
        neutral(frame).write_csv(target)
    else:
        raise ValueError(f"--timesketch needs a .jsonl or .csv file name, not {target.name!r}")
    return frame.height


# OWASP "CSV Injection": cells starting with these are formulas to a spreadsheet.
FORMULA_START = r"^[=+\-@\t\r]"


def neutral(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame's text columns safe in a CSV: control characters made visible (as
    `terminal.visible` writes them), then formulas quoted with a leading `'`."""
    from forensics.report.terminal import CONTROLS, visible

    escapes = [visible(char) for char in CONTROLS]
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    cleaned = [pl.col(name).str.replace_many(CONTROLS, escapes).alias(name) for name in text]
    quoted = [
        pl.when(pl.col(name).str.contains(FORMULA_START))
        .then(pl.concat_str(pl.lit("'"), pl.col(name)))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    ]
    return frame.with_columns(cleaned).with_columns(quoted)


# Rows of the logs and the timeline written at a time: their log lines are read again (and
# redacted) for each piece, by seeking to each line (forensics.lines.ROWS_PER_SEEK), so that
# no more than a piece of them is ever held (a million identical lines: 2.1 GB at the peak
# when every line was read at once).
PIECE_ROWS = 20_000


def write_parquet(frames, timeline: pl.DataFrame, folder: Path) -> list[Path]:
    """One Parquet file per frame (empty frames too, with their schema) plus timeline.parquet.
    `frames` is a `Frames` (log lines not held in memory are read again, redacted, so that the
    `raw` column and the log rows' excerpts are complete) or a plain dict of frames. The logs
    and the timeline are written a piece at a time."""
    import pyarrow.parquet as pq

    from forensics.timeline import with_log_excerpts

    data = frames.data if hasattr(frames, "with_raw") else frames
    fill = frames.with_raw if hasattr(frames, "with_raw") else (lambda df: df)
    logs = data.get("logs")
    located = timeline  # the timeline's log rows with the `offset` and `raw` of their line, found once
    if logs is not None and logs.height and timeline.height and "raw" in logs.columns:
        where = logs.select(
            pl.lit("log").alias("origin"), "source", "line", *[c for c in ("offset", "raw") if c in logs.columns]
        )
        located = timeline.join(
            where.unique(["source", "line"], keep="first"),
            on=["origin", "source", "line"],
            how="left",
            maintain_order="left",
        )
    extra = [c for c in located.columns if c not in timeline.columns]

    def excerpts(piece: pl.DataFrame) -> pl.DataFrame:
        if not extra:
            return piece
        cited = piece.filter(pl.col("origin") == "log").select("source", "line", *extra)
        return with_log_excerpts(piece.drop(extra), fill(cited))

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in sorted({*data, "timeline"}):
        path = folder / f"{kind}.parquet"
        if kind == "logs":
            _write_pieces(path, data[kind], fill)
        elif kind == "timeline":
            _write_pieces(path, located, excerpts)
        else:
            pq.write_table(data[kind].to_arrow(), path)
        written.append(path)
    return written


def _write_pieces(path: Path, df: pl.DataFrame, prepare) -> None:
    """`df` written PIECE_ROWS rows at a time, each piece `prepare`d first (its lines read)."""
    import pyarrow.parquet as pq

    writer = None
    try:
        for start in range(0, max(df.height, 1), PIECE_ROWS):
            table = prepare(df.slice(start, PIECE_ROWS)).to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
