"""Container logs of `kubectl cluster-info dump` (`<ns>/<pod>/logs.txt`, or the stdout stream).

kubectl writes every container of a pod between markers (kubectl
`pkg/cmd/clusterinfo/clusterinfo_dump.go`):

    ==== START logs for container <c> of pod <ns>/<pod> ====
    ...the container's log, without timestamps (zap JSON for Flux controllers)...
    ==== END logs for container <c> of pod <ns>/<pod> ====

and `Create log request error: ...` / `Request log error: ...` inside a block when the log
could not be fetched (a problem row: missing evidence). The markers name the pod and
container of the lines between them; they are counted as marker lines. Without
`--output-directory` the same blocks are interleaved with the JSON objects on stdout: the
object text is then handed to the object parser with the log lines blanked, so every line
keeps its number.

A big member that holds log blocks only (the file form) is decoded by Polars' streaming
engine (`parsers._logs_stream`, the same rows or it declines), each line taking the
container of the block it is in; the rest takes the reference path below.
"""

from __future__ import annotations

import re

import polars as pl

from parsers import _logs, _logs_stream, objects
from parsers._base import FileData, ParseResult

NAME = "cluster-info-dump-logs"
STREAMS = True  # a big logs.txt on disk is handed over unread (parse() takes FileData)
KIND = "logs (and objects when the stdout stream mixes them)"
TIMESTAMPS = {"ts": "controller log time"}

MARKER = r"^==== (START|END) logs for container (\S+) of pod ([^/\s]+)/(\S+) ====$"
_START = b"==== START logs for container "
# MARKER's START line; Python's \S is narrower than Polars', so a match here is one there.
_START_LINE = re.compile(r"(?m)^==== START logs for container \S+ of pod [^/\s]+/\S+ ====\r?$")
# kubectl's line in a block when it could not fetch the container's log
FETCH_ERROR = r"^(Create log request error|Request log error): "
NOT_RECORD = "not a JSON log record"


def matches(path: str, head: bytes) -> bool:
    return _START in head


def holds_blocks(data: bytes) -> bool:
    """A START marker line anywhere in the data. The stdout form of cluster-info dump begins
    with objects; its first log block may come long after the head a sniff reads."""
    return b"\n" + _START in data and bool(_START_LINE.search(data.decode("utf-8", errors="replace")))


def parse(data: bytes | FileData, source: str) -> ParseResult:
    result = ParseResult(NAME)
    if _logs_stream.wants(data):
        spans = _blocks_only(data)
        if spans is not None and _logs_stream.parse(
            result, data, source, _prepare_inside, spans=spans, not_record=NOT_RECORD
        ):
            return result
    data = data.read() if isinstance(data, FileData) else data
    lines = _logs.read_lines(data, source, result)
    marker = pl.col("raw").str.extract_groups(MARKER)
    lines = lines.with_columns(marker.alias("_m"))
    start = pl.col("_m").struct.field("1") == "START"
    end = pl.col("_m").struct.field("1") == "END"
    # Inside a block: after a START and before its END (forward fill of the last marker).
    lines = lines.with_columns(
        pl.when(start).then(pl.col("_m").struct.field("2")).when(end).then(pl.lit("")).forward_fill().alias("_c"),
        pl.when(start).then(pl.col("_m").struct.field("4")).when(end).then(pl.lit("")).forward_fill().alias("_pod"),
        pl.when(start).then(pl.col("_m").struct.field("3")).when(end).then(pl.lit("")).forward_fill().alias("_ns"),
        pl.col("_m").struct.field("1").is_not_null().alias("_marker"),
    )
    inside = (pl.col("_c").fill_null("") != "") & ~pl.col("_marker")
    fetch_error = inside & pl.col("raw").str.contains(FETCH_ERROR)
    for row in lines.filter(fetch_error).select("line", "raw").iter_rows(named=True):
        result.problem(source, row["line"], "container log not collected by cluster-info dump", row["raw"])
    logs = lines.filter(~fetch_error).with_columns(
        _role(pl.col("_marker"), inside),
        pl.col("raw").alias("body"),
        pl.col("_pod").replace("", None).alias("pod"),
        pl.col("_c").replace("", None).alias("container"),
        pl.col("_ns").replace("", None).alias("pod_namespace"),
    )
    outside = logs.filter(pl.col("role") == "outside")
    if outside.height:
        # The stdout form: objects between the blocks. Blank every log line, keep numbering.
        text = "\n".join(
            logs.select(pl.when(pl.col("role") == "outside").then(pl.col("raw")).otherwise(pl.lit("")))
            .to_series()
            .to_list()
        )
        if text.strip():
            parsed = objects.parse(text.encode("utf-8"), source)
            for kind, df in parsed.frames.items():
                result.add(kind, df)
            result.problems += parsed.problems
            object_note = parsed.note
        else:
            object_note = ""
    else:
        object_note = ""
    _logs.build(
        result,
        logs.filter(pl.col("role") != "outside").select(
            "line", "raw", "offset", "role", "body", "pod", "container", "pod_namespace"
        ),
        source,
        not_record=NOT_RECORD,
    )
    if object_note:
        result.note += f"; objects between the blocks: {object_note}"
    return result


def _role(marker: pl.Expr, inside: pl.Expr) -> pl.Expr:
    return (
        pl.when(marker)
        .then(pl.lit("marker"))
        .when(pl.col("raw").str.strip_chars() == "")
        .then(pl.lit("blank"))
        .when(inside)
        .then(pl.lit("line"))
        .otherwise(pl.lit("outside"))
        .alias("role")
    )


def _prepare_inside(lines: pl.DataFrame) -> pl.DataFrame:
    """The reference's role and body of lines that are all inside a block."""
    marker = pl.col("raw").str.contains(MARKER).fill_null(False)
    return lines.with_columns(_role(marker, pl.lit(True)), pl.col("raw").alias("body"))


def _blocks_only(data: bytes | FileData) -> pl.DataFrame | None:
    """The markers of a member whose every line is inside a block (kubectl's file form: a
    START on the first line, the next block's START right after an END, an END only as the
    last line otherwise) and that holds no fetch error, as spans of `_logs_stream.parse`
    (line, pod, container, pod_namespace: null from an END on); None for anything else.
    One pass of the streaming engine over the lines, keeping those that begin like a marker
    or a fetch error."""
    try:
        found = (
            pl.scan_lines(
                data.path if isinstance(data, FileData) else data, name="raw", row_index_name="line", row_index_offset=1
            )
            .filter(pl.col("raw").str.starts_with("==== ") | pl.col("raw").str.contains(FETCH_ERROR))
            .select(pl.col("line").cast(pl.Int64), "raw", pl.col("raw").str.extract_groups(MARKER).alias("_m"))
            .unnest("_m")
            .collect()
        )
    except pl.exceptions.PolarsError:  # e.g. invalid UTF-8: the reference says what it replaced
        return None
    if found["1"].null_count():  # a fetch error, or a line that only begins like a marker
        return None
    start = found["1"] == "START"
    if not found.height or found["line"][0] != 1 or not start[0]:
        return None
    # after each END but the last marker, the next marker on the next line
    after_end = found.select((pl.col("1") == "END") & pl.col("line").shift(-1).is_not_null()).to_series()
    if not (found["line"].shift(-1) == found["line"] + 1).filter(after_end).all():
        return None
    if found["1"][-1] == "END" and _last_line(data) != found["raw"][-1]:
        return None  # lines after the last END: outside every block
    return found.select(
        "line",
        pl.when(start).then(pl.col("4")).alias("pod"),
        pl.when(start).then(pl.col("2")).alias("container"),
        pl.when(start).then(pl.col("3")).alias("pod_namespace"),
    )


def _last_line(data: bytes | FileData) -> str:
    """The member's last line (without its newline), read from its end."""
    if isinstance(data, FileData):
        with data.open() as handle:
            handle.seek(max(0, data.size - 4096))
            tail = handle.read()
    else:
        tail = data[-4096:]
    return tail.removesuffix(b"\n").rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")
