"""Flux controller logs written by zap's JSON encoder, one record per line.

Reads both key sets helm-controller and the other Flux controllers have used
(reference/helm-controller.md §1.1, ecosystem.md §1d):

- current: `level, ts, [logger], msg, controller, controllerGroup, controllerKind,
  <Kind>: {name, namespace}, namespace, name, reconcileID, [error]`
- older (2021): `logger: "controller.helmrelease"`, `reconciler group`, `reconciler kind`,
  `request: "ns/name"`

Lines are decoded in bulk with Polars (`parsers._logs`, the reference); a big log is decoded
by Polars' streaming engine instead (`parsers._logs_stream`, which gives the same rows or
declines). A line that is not a JSON record becomes a `problems` row, never a silent drop.
Blank lines are counted in the note and otherwise ignored.
"""

from __future__ import annotations

import polars as pl

from parsers import _logs, _logs_slices, _logs_stream
from parsers._base import FileData, ParseResult
from parsers.layouts import log_context

NAME = "zap-json-log"
STREAMS = True  # a big log on disk is handed over unread (parse() takes FileData)
KIND = "logs"
TIMESTAMPS = {"ts": "controller log time"}


def matches(path: str, head: bytes) -> bool:
    """A file whose first non-blank line is a JSON object with a `msg` key."""
    for raw in head.splitlines()[:20]:
        line = raw.strip()
        if not line:
            continue
        return line.startswith(b"{") and b'"msg"' in line
    return False


def _prepare(lines: pl.DataFrame) -> pl.DataFrame:
    return lines.with_columns(_logs.roles(pl.col("raw")).alias("role"), pl.col("raw").alias("body"))


def parse(data: bytes | FileData, source: str) -> ParseResult:
    """Parse a zap JSON log into the `logs` frame; non-JSON lines become problems.

    Lines of a Go panic or stack trace after a record are attached to it (`extra`).
    """
    result = ParseResult(NAME)
    options = {
        "dialects": ("json",),
        "context": log_context(source),
        "not_record": "not a JSON log record",
        "unreadable": "non-JSON lines",
    }
    if _logs_stream.wants(data) and _logs_stream.parse(result, data, source, _prepare, **options):
        return result
    _logs_slices.build(result, data, source, _prepare, **options)
    return result
