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
"""

from __future__ import annotations

import re

import polars as pl

from parsers import _logs, objects
from parsers._base import ParseResult

NAME = "cluster-info-dump-logs"
KIND = "logs (and objects when the stdout stream mixes them)"
TIMESTAMPS = {"ts": "controller log time"}

MARKER = r"^==== (START|END) logs for container (\S+) of pod ([^/\s]+)/(\S+) ====$"
_START = b"==== START logs for container "
# MARKER's START line; Python's \S is narrower than Polars', so a match here is one there.
_START_LINE = re.compile(r"(?m)^==== START logs for container \S+ of pod [^/\s]+/\S+ ====\r?$")


def matches(path: str, head: bytes) -> bool:
    return _START in head


def holds_blocks(data: bytes) -> bool:
    """A START marker line anywhere in the data. The stdout form of cluster-info dump begins
    with objects; its first log block may come long after the head a sniff reads."""
    return b"\n" + _START in data and bool(_START_LINE.search(data.decode("utf-8", errors="replace")))


def parse(data: bytes, source: str) -> ParseResult:
    result = ParseResult(NAME)
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
    fetch_error = inside & pl.col("raw").str.contains(r"^(Create log request error|Request log error): ")
    for row in lines.filter(fetch_error).select("line", "raw").iter_rows(named=True):
        result.problem(source, row["line"], "container log not collected by cluster-info dump", row["raw"])
    logs = lines.filter(~fetch_error).with_columns(
        pl.when(pl.col("_marker"))
        .then(pl.lit("marker"))
        .when(pl.col("raw").str.strip_chars() == "")
        .then(pl.lit("blank"))
        .when(inside)
        .then(pl.lit("line"))
        .otherwise(pl.lit("outside"))
        .alias("role"),
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
        not_record="not a JSON log record",
    )
    if object_note:
        result.note += f"; objects between the blocks: {object_note}"
    return result
