"""Flux controller logs written with `--log-encoding=console` -> logs.

zap's development encoder, tab-separated: `<ts>\t<LEVEL>\t[<logger>\t]<msg>\t<context JSON>`,
levels upper-case (`INFO`, `ERROR`, `TRACE` from v0.37, `LEVEL(-2)` in v0.36), the context JSON
with a space after `:` and `,` (reference/helm-controller.md §1.1). A stack trace follows its
record on the next lines and is attached to it.
"""

from __future__ import annotations

import re

import polars as pl

from parsers import _logs, _logs_slices
from parsers._base import FileData, ParseResult
from parsers.layouts import log_context

NAME = "zap-console-log"
STREAMS = True  # a big log on disk is handed over unread (parse() takes FileData)
KIND = "logs"
TIMESTAMPS = {"ts": "controller log time"}

_SNIFF = re.compile(r"^" + _logs.TS_RE + r"\t([A-Z]+|LEVEL\(-?\d+\))\t")


def matches(path: str, head: bytes) -> bool:
    return _logs.sniff(head, _SNIFF)


def _prepare(lines: pl.DataFrame) -> pl.DataFrame:
    return lines.with_columns(_logs.roles(pl.col("raw")).alias("role"), pl.col("raw").alias("body"))


def parse(data: bytes | FileData, source: str) -> ParseResult:
    result = ParseResult(NAME)
    _logs_slices.build(
        result,
        data,
        source,
        _prepare,
        dialects=("console", "json"),
        context=log_context(source),
        not_record="not a console log record",
    )
    return result
