"""Container log files written by the kubelet/runtime in the CRI format -> logs.

`<RFC3339Nano> <stdout|stderr> <P|F> <content>` (kubelet `pkg/kubelet/kuberuntime/logs/logs.go`;
ecosystem.md §1f), e.g. `2016-10-06T00:17:09.669794202Z stdout F log content`. `P` marks a
partial line, joined with the following lines up to the next `F` line into one record whose
`line` is the first physical line and `line_end` the `F` line. Found under
`/var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log` (rotated `<n>.log.<YYYYMMDD-hhmmss>`,
older ones gzipped: the bundle reader inflates `.gz`) and in sos reports. The content is the
controller's own line (zap JSON or console), or text.
"""

from __future__ import annotations

import re

import polars as pl

from parsers import _logs, _logs_slices, _logs_stream
from parsers._base import FileData, ParseResult
from parsers.layouts import log_context

NAME = "cri-log"
STREAMS = True  # a big log on disk is handed over unread (parse() takes FileData)
KIND = "logs"
TIMESTAMPS = {"ts": "controller log time, else the CRI line time"}

_LINE = r"^(" + _logs.TS_RE + r") (stdout|stderr) ([PF]) ?(.*)$"
_SNIFF = re.compile(_LINE)
_CUT = r"^" + _logs.TS_RE + r" (?:stdout|stderr) [PF] "
_PARTIAL = r"^" + _logs.TS_RE + r" (?:stdout|stderr) P"


def matches(path: str, head: bytes) -> bool:
    return _logs.sniff(head, _SNIFF)


def _prepare(lines: pl.DataFrame) -> pl.DataFrame:
    parts = pl.col("raw").str.extract_groups(_LINE)
    return (
        lines.with_columns(parts.alias("_p"))
        .with_columns(
            pl.col("_p").struct.field("1").alias("prefix_ts"),
            # A line without the CRI prefix is not a CRI line: it cannot continue a partial.
            (pl.col("_p").struct.field("3") == "P").fill_null(False).alias("partial"),
            pl.coalesce(pl.col("_p").struct.field("4"), pl.col("raw")).alias("body"),
            _logs.roles(pl.col("raw")).alias("role"),
        )
        .drop("_p")
    )


def parse(data: bytes | FileData, source: str) -> ParseResult:
    result = ParseResult(NAME)
    options = {"text_records": True, "context": log_context(source), "not_record": "not a CRI log line"}
    # the fast path reads the record after the prefix (the line without `_CUT`, where the
    # prefix is followed by a space: `_LINE`'s fourth group then); partial lines (joined) are
    # the reference's
    body = pl.col("raw").str.replace(_CUT, "")
    partial = pl.col("raw").str.contains(_PARTIAL)
    if _logs_stream.wants(data) and _logs_stream.parse(
        result, data, source, _prepare, body=body, decline=partial, **options
    ):
        return result
    _logs_slices.build(result, data, source, _prepare, **options)
    return result
