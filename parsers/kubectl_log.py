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

from parsers import _logs, zap_log
from parsers._base import ParseResult

NAME = "kubectl-timestamps-log"
KIND = "logs"
TIMESTAMPS = {"ts": "controller log time, else the kubelet timestamp prefix"}

_LINE = r"^(" + _logs.TS_RE + r") (.*)$"
# The first line: a kubelet prefix followed by a controller record (zap JSON or console).
_SNIFF = re.compile(r"^" + _logs.TS_RE + r" (\{|" + _logs.TS_RE + r"\t)")


def matches(path: str, head: bytes) -> bool:
    return _logs.sniff(head, _SNIFF)


def parse(data: bytes, source: str) -> ParseResult:
    result = ParseResult(NAME)
    lines = _logs.read_lines(data, source, result)
    parts = pl.col("raw").str.extract_groups(_LINE)
    lines = lines.with_columns(parts.alias("_p")).with_columns(
        pl.col("_p").struct.field("1").alias("prefix_ts"),
        pl.coalesce(pl.col("_p").struct.field("2"), pl.col("raw")).alias("body"),
        _logs.roles(pl.col("raw")).alias("role"),
    ).drop("_p")
    _logs.build(result, lines, source, text_records=True, context=zap_log.log_context(source), not_record="line without the kubelet timestamp prefix")
    return result
