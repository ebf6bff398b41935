"""The shared pipeline of every log dialect: physical lines -> records -> the `logs` frame.

A dialect module only cuts its own prefix off each physical line (a kubelet timestamp, a
CRI stream tag, a stern pod/container, a cluster-info-dump marker, ...) and hands this
module one row per physical line:

    line (1-based physical line), raw (the line as written), role, body,
    and optionally offset, prefix_ts, pod, container, pod_namespace, previous, partial

`role` is "line" for content, "blank" for an empty line, "marker" for a structural line
(a `==== START logs ... ====` marker, a table header) that belongs to no record. The body
is decoded as zap JSON, zap console or the `flux logs` template (`parsers._log_bodies`).

Lines that are not records are, in this order: continuation lines of a multi-line Go panic
or stack trace (attached to the record before them as `extra`, its `line_end` moved down),
text records when the dialect gives them a timestamp of their own (a kubelet-prefixed line
of a container that does not log JSON), or problem rows. Nothing is silently dropped:
rows + continuation lines + problems + blank + marker lines = physical lines.

This is the reference: what it gives is the `logs` frame of a member. A big log of JSON
records is decoded by Polars' streaming engine instead (`parsers._logs_stream`), which gives
the same frame or declines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice

import polars as pl

from parsers._base import ParseResult, excerpt_expr, parse_ts
from parsers._log_bodies import (
    DTYPES,
    FIELDS,
    RECORD,
    TS_RE,
    Decoder,
    assemble,
    decode_bodies,
    decode_json,
    decode_lines,
)

__all__ = [
    "DTYPES",
    "FIELDS",
    "RECORD",
    "TS_RE",
    "assemble",
    "decode_json",
    "decode_lines",
    "build",
    "build_rows",
    "read_lines",
    "roles",
    "sniff",
]

# Lines of a Go panic, a `fatal error`, a klog HandleCrash report or a zap stack trace
# (function lines `pkg.(*T).Method(...)`, `\t/path/file.go:123 +0x1e5` frames, ...).
TRACE_RE = (
    r"^(?:\s*panic: |panic\(|fatal error: |\[signal |goroutine \d+ \[|created by |Observed a panic|\s|runtime\.|"
    r"exit status \d+|\[recovered\]|\.\.\.additional frames elided\.\.\.|"
    r"[\w.\-]+(?:/[\w.\-@]+)*\.[\w.*()\[\]\-]+(?:\(.*\))?(?: in goroutine \d+)?\s*$)"
)

LEVELS = {"level(-2)": "trace", "level(-1)": "debug"}
ANSI = r"\x1b\[[0-9;]*[A-Za-z]"


# --- lines ------------------------------------------------------------------------------------


def read_lines(data: bytes, source: str, result: ParseResult, base: int | None = 0) -> pl.DataFrame:
    """The member's physical lines as a frame (line, raw, offset); invalid UTF-8 replaced and
    reported. `offset` is where the line starts in the member (`base` = where `data` starts),
    from which `raw` can be read again (forensics.lines); null when the text was changed on
    the way (invalid UTF-8 replaced, CR line ends) or `base` is None."""
    if not data.isascii():  # ASCII is valid UTF-8; checked without decoding a copy
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = data.decode("utf-8", errors="replace").encode("utf-8")
            result.problem(source, None, "invalid UTF-8 replaced with U+FFFD")
            base = None
    if not data:
        return pl.DataFrame(schema={"line": pl.Int64, "raw": pl.String, "offset": pl.Int64})
    cr = b"\r" in data
    if cr:
        base = None
    lines = pl.read_lines(data, name="raw").with_row_index("line", offset=1)
    if base is None:
        offset = pl.lit(None, pl.Int64)
    else:  # the sum of the lengths (+1 for the newline) of the lines before each line
        length = pl.col("raw").str.len_bytes().cast(pl.Int64) + 1
        offset = length.cum_sum() - length + base
    raw = pl.col("raw").str.strip_chars_end("\r") if cr else pl.col("raw")
    return lines.with_columns(raw, pl.col("line").cast(pl.Int64), offset.alias("offset"))


def roles(raw: pl.Expr, marker: pl.Expr | None = None) -> pl.Expr:
    """The `role` column: blank, marker (when `marker` holds) or line."""
    expr = pl.when(raw.str.contains(r"^\s*$")).then(pl.lit("blank"))
    if marker is not None:
        expr = expr.when(marker).then(pl.lit("marker"))
    return expr.otherwise(pl.lit("line"))


@lru_cache(maxsize=8)
def first_lines(head: bytes, count: int = 20) -> tuple[str, ...]:
    """The first non-blank lines of a member's head, decoded leniently. (Kept for the last
    heads: the sniffers of several formats ask for the same head's lines in turn.)"""
    lines = head.decode("utf-8", errors="replace").split("\n")
    return tuple(islice((line.rstrip("\r") for line in lines if line.strip()), count))


def sniff(head: bytes, pattern: re.Pattern, need: int = 1) -> bool:
    """The first non-blank line matches `pattern` (and `need` of the first lines do)."""
    lines = first_lines(head, 10)
    if not lines or not pattern.match(lines[0]):
        return False
    return sum(1 for line in lines if pattern.match(line)) >= min(need, len(lines))


# --- records ------------------------------------------------------------------------------------

# What a content line is (an Enum: compared and filtered as small integers).
_WHAT = pl.Enum(["record", "trace", "text", "other", "continuation"])


@dataclass
class Rows:
    """The logs rows (with a time) built from a per-line frame, its problem rows and counts."""

    logs: pl.DataFrame
    counts: dict[str, int]
    others: list[pl.DataFrame] = field(default_factory=list)  # lines that are no record
    untimed: list[pl.DataFrame] = field(default_factory=list)  # records without a readable time


def build(
    result: ParseResult, lines: pl.DataFrame, source: str, *, unreadable: str = "unreadable lines", **options
) -> None:
    """Decode the per-line frame of a dialect and add logs rows and problems to `result`
    (`options`: those of `build_rows`)."""
    rows = build_rows(lines, source, **options)
    for df in rows.others + rows.untimed:
        result.add_problems(df)
    result.add("logs", rows.logs)
    result.note = note(rows.counts, unreadable)


def build_rows(
    lines: pl.DataFrame,
    source: str,
    *,
    dialects: tuple[str, ...] = ("json", "console"),
    text_records: bool = False,
    context: dict | None = None,
    not_record: str = "not a log record",
    decode: Decoder | None = None,
) -> Rows:
    """The rows of a per-line frame (see the module docstring). `context`: pod, container,
    pod_namespace, previous of lines without those columns. `text_records`: a line with a
    prefix time that is no record is a text record. `decode`: how the JSON bodies are decoded
    (`decode_json` of the bodies; a fast path hands its own)."""
    lines = _with_context(lines, context or {})
    role = pl.col("role")
    blank, marked = lines.select((role == "blank").sum().alias("blank"), (role == "marker").any().alias("marked")).row(
        0
    )
    markers = lines.filter(role == "marker") if marked else lines.clear()
    content = lines.filter(role == "line") if blank or marked else lines
    joined = 0
    if "partial" in content.columns:
        before = content.height
        content = _join_partials(content)
        joined = before - content.height
    else:
        content = content.with_columns(pl.col("line").alias("_last"))
    content = decode_bodies(content.drop("role", strict=False), dialects, decode)
    content = _classify(content, markers, text_records)
    records, continuation = _attach_traces(content)
    others = content.select("_what", "line", "raw").filter(pl.col("_what") == "other")
    logs = _log_rows(records, source, text_records)
    rows = Rows(
        logs,
        {
            "records": logs.height,
            "continuation": continuation,
            "joined": joined,
            "others": others.height,
            "markers": markers.height,
            "blank": blank,
        },
    )
    if others.height:
        rows.others.append(problems(others, source, pl.lit(not_record), pl.col("raw")))
    untimed = logs.filter(pl.col("ts").is_null())
    if untimed.height:
        rows.untimed.append(_untimed(untimed, source))
        logs = logs.filter(pl.col("ts").is_not_null())
    rows.logs = logs.drop("_raw")
    return rows


def _with_context(lines: pl.DataFrame, context: dict) -> pl.DataFrame:
    """The per-line columns a dialect may leave out, from `context` (else null)."""
    missing = [
        pl.lit(context.get(name), pl.String).alias(name)
        for name in ("prefix_ts", "pod", "container", "pod_namespace")
        if name not in lines.columns
    ]
    if "offset" not in lines.columns:
        missing.append(pl.lit(None, pl.Int64).alias("offset"))
    if "previous" not in lines.columns:
        missing.append(pl.lit(bool(context.get("previous", False))).alias("previous"))
    return lines.with_columns(missing) if missing else lines


def _join_partials(content: pl.DataFrame) -> pl.DataFrame:
    """CRI: join `P` (partial) lines with the following lines up to the `F` line."""
    starts = ~pl.col("partial").shift(1).fill_null(False)
    content = content.with_columns(starts.cum_sum().alias("_grp"))
    others = [c for c in content.columns if c not in ("_grp", "body", "line", "partial")]
    return (
        content.group_by("_grp", maintain_order=True)
        .agg(
            pl.col("line").first(),
            pl.col("line").last().alias("_last"),
            pl.col("body").str.join(""),
            *[pl.col(c).first() for c in others],
        )
        .drop("_grp")
    )


def _classify(content: pl.DataFrame, markers: pl.DataFrame, text_records: bool) -> pl.DataFrame:
    """`_what` of each content line and `_grp`, its record's group. A trace line right after
    a record (or another trace line) continues that record; a marker (a new container's
    block) ends a record."""
    # Only a line that did not decode as a record can be a trace line: the pattern runs on those.
    undecoded = content["decoded"].is_null().arg_true()
    is_trace = pl.repeat(False, content.height, dtype=pl.Boolean, eager=True).scatter(
        undecoded, content["body"].gather(undecoded).str.contains(TRACE_RE).fill_null(False)
    )
    is_text = (
        (pl.col("prefix_ts").is_not_null() & (pl.col("body").str.strip_chars() != ""))
        if text_records
        else pl.lit(False)
    )
    what = (
        pl.when(pl.col("decoded").is_not_null())
        .then(pl.lit("record", _WHAT))
        .when(pl.lit(is_trace))
        .then(pl.lit("trace", _WHAT))
        .when(is_text)
        .then(pl.lit("text", _WHAT))
        .otherwise(pl.lit("other", _WHAT))
    )
    content = content.with_columns(what.alias("_what"))
    # The group of a line: heads (records, markers) up to it. Content and markers are each in
    # line order, so the markers before a line are found by a sorted search, not a join.
    head = pl.col("_what").is_in(["record", "text"])
    grp = content.select(head.cum_sum().cast(pl.Int64)).to_series()
    if markers.height:
        grp = grp + markers["line"].search_sorted(content["line"], side="left").cast(pl.Int64)
    content = content.with_columns(grp.alias("_grp"))
    # a trace line is attached when the last head before it is a record (not a marker)
    owner = pl.when(head).then(pl.col("_grp")).forward_fill()
    attach = (pl.col("_what") == "trace") & (owner == pl.col("_grp")).fill_null(False)
    return content.with_columns(
        pl.when(attach)
        .then(pl.lit("continuation", _WHAT))
        .when(pl.col("_what") == "trace")
        .then(pl.lit("other", _WHAT))
        .otherwise(pl.col("_what"))
        .alias("_what")
    )


def _attach_traces(content: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The records (and text records), each with `extra` (its continuation lines) and `_last`
    (its last physical line); and how many continuation lines there were."""
    continuation = content.select("_what", "_grp", "body", "_last").filter(pl.col("_what") == "continuation")
    records = content.filter(pl.col("_what").is_in(["record", "text"]))
    if not continuation.height:
        return records.with_columns(pl.lit(None, pl.String).alias("extra")), 0
    extra = (
        continuation.group_by("_grp")
        .agg(pl.col("body").str.join("\n").alias("extra"), pl.col("_last").max().alias("_cont_last"))
        .sort("_grp")
    )
    # records have distinct, increasing groups: put each group's text on its record
    where = records["_grp"].search_sorted(extra["_grp"])
    text = pl.repeat(None, records.height, dtype=pl.String, eager=True).alias("extra").scatter(where, extra["extra"])
    last = records["_last"].scatter(where, extra["_cont_last"].cast(records["_last"].dtype))
    return records.with_columns(text, pl.max_horizontal(records["_last"], last).alias("_last")), continuation.height


def _log_rows(records: pl.DataFrame, source: str, text_records: bool) -> pl.DataFrame:
    """The `logs` columns of the records (and `_raw`, their line, for problem rows)."""
    request = pl.col("request").str.split_exact("/", 1)
    helmrelease = pl.col("HelmRelease").struct
    event_object = pl.col("object").struct  # the event recorder's lines (logger "events")
    namespace = _coalesce(
        records,
        [
            ("namespace", pl.col("namespace")),
            ("HelmRelease", helmrelease.field("namespace")),
            ("request", request.struct.field("field_0")),
            ("object", event_object.field("namespace")),
        ],
    )
    name = _coalesce(
        records,
        [
            ("name", pl.col("name")),
            ("HelmRelease", helmrelease.field("name")),
            ("request", request.struct.field("field_1")),
            ("object", event_object.field("name")),
        ],
    )
    kind = _coalesce(
        records,
        [
            ("controllerKind", pl.col("controllerKind")),
            ("reconciler kind", pl.col("reconciler kind")),
            ("HelmRelease", pl.when(pl.col("HelmRelease").is_not_null()).then(pl.lit("HelmRelease"))),
            ("object", event_object.field("kind")),
            # 2020-era keys: logger "controllers.HelmRelease"; `reconcilerKind` lines also carry
            # controller "helmrelease", the name controller-runtime gives the HelmRelease reconciler
            ("logger", pl.col("logger").str.extract(r"^controllers\.(\w+)$", 1)),
            ("controller", pl.when(pl.col("controller") == "helmrelease").then(pl.lit("HelmRelease"))),
        ],
    )
    controller = _coalesce(
        records, [("controller", pl.col("controller")), ("logger", pl.col("logger").str.strip_prefix("controller."))]
    )
    # only text records (`text_records`) take their message from the body; an event line of
    # 2020-2022 has its type in `msg` and its text in `message`
    msg = pl.col("msg")
    recorder = pl.col("logger").str.ends_with("events").fill_null(False)  # `events`, `...manager.events`
    if records["message"].null_count() < records.height:
        typed = recorder & pl.col("msg").is_in(["Normal", "Warning"]) & pl.col("message").is_not_null()
        msg = pl.when(typed).then(pl.col("message")).otherwise(pl.col("msg"))
    if text_records:
        msg = pl.when(pl.col("_what") == "text").then(pl.col("body")).otherwise(msg)
    # an event the controller recorded as an error is its error line too (what the rules read)
    error = pl.col("error")
    if records["reason"].null_count() < records.height:
        recorded = recorder & (pl.col("reason") == "error")
        error = pl.when(recorded & error.is_null()).then(msg).otherwise(error)
    return records.with_columns(_timestamps(records)).select(
        pl.col("_ts").alias("ts"),
        _level(records["level"]),
        msg.alias("msg"),
        error.alias("error"),
        "logger",
        controller.alias("controller"),
        kind.alias("kind"),
        namespace.alias("namespace"),
        name.alias("name"),
        pl.when(kind == "HelmRelease").then(pl.format("{}/{}", namespace, name)).alias("release"),
        pl.col("reconcileID").alias("reconcile_id"),
        "pod",
        "container",
        "previous",
        # the line is read again from `offset` when it is needed (forensics.lines): not held
        pl.when(pl.col("offset").is_null()).then(pl.col("raw")).alias("raw"),
        pl.lit(source).alias("source"),
        "line",
        pl.col("_last").alias("line_end"),
        "extra",
        pl.col("decoded").fill_null("text").alias("encoding"),
        "offset",
        pl.col("raw").alias("_raw"),  # for the problem rows; the same buffer, not a copy
    )


UNTIMED = "log record without a readable timestamp"  # the reason of such a record's first line


def _untimed(untimed: pl.DataFrame, source: str) -> pl.DataFrame:
    """Problem rows of records without a readable time: each record, then its joined or
    attached lines."""
    last = pl.max_horizontal(pl.col("line_end").fill_null(pl.col("line")), pl.col("line"))
    parts = untimed.select(
        pl.int_ranges(pl.col("line"), last + 1, dtype=pl.Int64).alias("_n"),
        pl.col("line").alias("_first"),
        pl.col("_raw").alias("raw"),
    ).explode("_n")
    head = pl.col("_n") == pl.col("_first")
    reason = pl.when(head).then(pl.lit(UNTIMED)).otherwise(pl.lit("part of a log record without a readable timestamp"))
    return problems(parts.with_columns(pl.col("_n").alias("line")), source, reason, pl.when(head).then(pl.col("raw")))


def _coalesce(records: pl.DataFrame, terms: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """`pl.coalesce` of the terms, each given with the column it reads, the first of them
    that column itself: without the terms whose column is null in every record, and the
    first column as it is (not a copy) when it has a value in every record or no other term
    is left. The same values: a term of an all-null column is null in every row."""
    (first, column), rest = terms[0], terms[1:]
    if not records[first].null_count():
        return column
    kept = [expr for source, expr in rest if records[source].null_count() < records.height]
    return pl.coalesce(column, *kept) if kept else column


def _level(levels: pl.Series) -> pl.Expr:
    """The `level` column: lower case, zap's numbered levels named (LEVELS); the column as it
    is when its few distinct values are so already (zap writes `info`, `error`, `debug`)."""
    canonical = pl.col("level").str.to_lowercase().replace(LEVELS)
    distinct = levels.unique()
    if (
        distinct.len() > 64
        or not distinct.to_frame("level").select((canonical == pl.col("level")).fill_null(True).all()).item()
    ):
        return canonical
    return pl.col("level")


# RFC 3339 / ISO 8601 with a zone (zap's `...Z` of nearly every record): chrono's `%+`, one
# pass and about twice as fast as an explicit format; the rest through every dialect
_ZAP_UTC = "%+"


def first_ts(ts: pl.Expr) -> pl.Expr:
    """The first pass of `_timestamps`: RFC 3339 with a zone, null where it does not read."""
    return ts.str.to_datetime(_ZAP_UTC, time_unit="us", strict=False, cache=False).dt.convert_time_zone("UTC")


def _timestamps(records: pl.DataFrame) -> pl.Series:
    """`coalesce(parse_ts(ts), parse_ts(prefix_ts))` as `_ts`: RFC 3339 with a zone first (or
    `_ts1`, that pass done already by a fast path), the rows it does not read (other forms, a
    kubelet prefix only) through every dialect."""
    first = pl.col("_ts1") if "_ts1" in records.columns else first_ts(pl.col("ts"))
    ts = records.select(first.alias("_ts")).to_series()
    rest = records.select(ts.is_null() & (pl.col("ts").is_not_null() | pl.col("prefix_ts").is_not_null())).to_series()
    if rest.any():
        where = rest.arg_true()
        full = (
            records.select(pl.col("ts", "prefix_ts").gather(where))
            .select(pl.coalesce(parse_ts(pl.col("ts")), parse_ts(pl.col("prefix_ts"))))
            .to_series()
        )
        ts = ts.scatter(where, full)
    return ts


def note(counts: dict[str, int], unreadable: str) -> str:
    """The inventory note of a log member from the counts of its lines."""
    parts = [f"{counts['records']} records"]
    if counts["continuation"]:
        parts.append(f"{counts['continuation']} stack-trace lines attached")
    if counts["joined"]:
        parts.append(f"{counts['joined']} partial lines joined")
    parts.append(f"{counts['others']} {unreadable}")
    if counts["markers"]:
        parts.append(f"{counts['markers']} marker lines")
    parts.append(f"{counts['blank']} blank lines")
    return ", ".join(parts)


def problems(df: pl.DataFrame, source: str, reason: pl.Expr, text: pl.Expr) -> pl.DataFrame:
    """Problem rows (the `problems` schema) of the rows of `df`, in order."""
    return df.select(
        pl.lit(source, pl.String).alias("source"),
        pl.col("line").cast(pl.Int64),
        reason.cast(pl.String).alias("reason"),
        excerpt_expr(text).alias("excerpt"),
    )
