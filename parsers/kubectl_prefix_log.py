"""`kubectl logs --prefix` output -> logs.

kubectl puts `[pod/<pod>/<container>] ` before every line of a pod's log when `--prefix` is
given (and on its own for a selector over several pods: `-l app=helm-controller`,
`deploy/helm-controller` with `--all-containers`), the same prefix before the kubelet's
timestamp with `--timestamps` (kubectl `pkg/cmd/logs/logs.go`, `addPrefixIfNeeded`:
`fmt.Sprintf("[pod/%s/%s] ", ref.Name, containerName)`, written line by line). Each line
names its pod and container; the message after the prefix is a controller record (zap JSON
or console) or, behind a timestamp, a line of text.
"""

from __future__ import annotations

import re

import polars as pl

from parsers import _logs, _logs_slices, _logs_stream
from parsers._base import FileData, ParseResult

NAME = "kubectl-prefix-log"
STREAMS = True  # a big log on disk is handed over unread (parse() takes FileData)
KIND = "logs"
TIMESTAMPS = {"ts": "controller log time, else the kubelet's timestamp (`--timestamps`)"}
NOT_RECORD = "not a log record (kubectl logs --prefix)"

# groups: pod, container, kubelet timestamp (with --timestamps), the message
_PREFIX = r"^\[pod/([^/\]\s]+)/([^\]\s]*)\] (?:(" + _logs.TS_RE + r") )?"
_SNIFF = re.compile(_PREFIX)
_OPTIONS = {"text_records": True, "not_record": NOT_RECORD}


def matches(path: str, head: bytes) -> bool:
    return _logs.sniff(head, _SNIFF)


def _columns(parts: pl.Expr) -> dict[str, pl.Expr]:
    """The columns of a line from its prefix's parts (a line without the prefix: its text)."""
    field = parts.struct.field
    return {
        "pod": field("1"),
        "container": pl.when(field("2") != "").then(field("2")),
        "prefix_ts": field("3"),
        "body": pl.coalesce(field("4"), pl.col("raw")),
    }


def _parts() -> pl.Expr:
    return pl.col("raw").str.extract_groups(_PREFIX + "(.*)$")


def _prepare(lines: pl.DataFrame) -> pl.DataFrame:
    columns = _columns(pl.col("_p"))
    return (
        lines.with_columns(_parts().alias("_p"))
        .with_columns(*(expr.alias(name) for name, expr in columns.items()), _logs.roles(pl.col("raw")).alias("role"))
        .drop("_p")
    )


def parse(data: bytes | FileData, source: str) -> ParseResult:
    result = ParseResult(NAME)
    columns = _columns(pl.col("_p"))
    if _logs_stream.wants(data) and _logs_stream.parse(
        result, data, source, _prepare, body=columns.pop("body"), columns=columns, setup={"_p": _parts()}, **_OPTIONS
    ):
        return result
    _logs_slices.build(result, data, source, _prepare, **_OPTIONS)
    return result
