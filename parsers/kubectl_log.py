"""`kubectl logs --timestamps` output (and troubleshoot `timestamps: true`, crust-gather,
must-gather logs) -> logs.

The kubelet prefixes each line with `RFC3339NanoFixed` (`2006-01-02T15:04:05.000000000Z07:00`)
and one space (kubelet `pkg/kubelet/kuberuntime/logs/logs.go` `timeFormatOut`; ecosystem.md
§1f); the rest is the controller's own line: zap JSON, zap console, or text. The record's own
`ts` wins over the prefix (both are kept in `raw`); a text line keeps the prefix time.
Lines of a Go panic (each with its own prefix) are attached to the record before them.
"""

from __future__ import annotations

import re

import polars as pl

from parsers import _logs, _logs_slices, _logs_stream
from parsers._base import FileData, ParseResult
from parsers.layouts import log_context

NAME = "kubectl-timestamps-log"
STREAMS = True  # a big log on disk is handed over unread (parse() takes FileData)
KIND = "logs"
TIMESTAMPS = {"ts": "controller log time, else the kubelet timestamp prefix"}

_LINE = r"^(" + _logs.TS_RE + r") (.*)$"
# The first line: a kubelet prefix followed by a controller record (zap JSON or console).
_SNIFF = re.compile(r"^" + _logs.TS_RE + r" (\{|" + _logs.TS_RE + r"\t)")


def matches(path: str, head: bytes) -> bool:
    return _logs.sniff(head, _SNIFF)


def _prepare(lines: pl.DataFrame) -> pl.DataFrame:
    parts = pl.col("raw").str.extract_groups(_LINE)
    return (
        lines.with_columns(parts.alias("_p"))
        .with_columns(
            pl.col("_p").struct.field("1").alias("prefix_ts"),
            pl.coalesce(pl.col("_p").struct.field("2"), pl.col("raw")).alias("body"),
            _logs.roles(pl.col("raw")).alias("role"),
        )
        .drop("_p")
    )


def parse(data: bytes | FileData, source: str) -> ParseResult:
    result = ParseResult(NAME)
    options = {
        "text_records": True,
        "context": log_context(source),
        "not_record": "line without the kubelet timestamp prefix",
    }
    # the fast path reads the record after the prefix: the line without the time and its space
    # (`_LINE`'s second group)
    body = pl.col("raw").str.replace(r"^" + _logs.TS_RE + " ", "")
    if _logs_stream.wants(data) and _logs_stream.parse(result, data, source, _prepare, body=body, **options):
        return result
    _logs_slices.build(result, data, source, _prepare, **options)
    return result
