"""`flux logs` output -> logs.

One line per controller record, printed with the template (fluxcd/flux2 `cmd/flux/logs.go`
`logTmpl`, test data `cmd/flux/testdata/logs/all-logs.txt`):

    {{.Timestamp}} {{.Level}} {{or .Kind .ControllerKind}}{{if .Name}}/{{.Name}}.{{.Namespace}}{{end}}
    - {{.Message}} {{.Error}}

(one line: wrapped here)

e.g. `2022-08-02T12:55:34.419Z info GitRepository/podinfo.default - no changes ... revision `.
The object is `name.namespace` (split at the last dot: a namespace has no dot); the message
and the error are joined by one space, so a trailing space means "no error". Where the error
is not empty its boundary is not printed: `Reconciler error <error>` is split, any other
message keeps the error text (`error` stays null).
"""

from __future__ import annotations

import re

import polars as pl

from parsers import _logs, _logs_slices
from parsers._base import FileData, ParseResult

NAME = "flux-logs"
STREAMS = True  # a big log on disk is handed over unread (parse() takes FileData)
KIND = "logs"
TIMESTAMPS = {"ts": "controller log time"}

_SNIFF = re.compile(r"^" + _logs.TS_RE + r" [a-z]\S* [^\s/]*(/\S+)? - ")


def matches(path: str, head: bytes) -> bool:
    return _logs.sniff(head, _SNIFF)


def _prepare(lines: pl.DataFrame) -> pl.DataFrame:
    return lines.with_columns(_logs.roles(pl.col("raw")).alias("role"), pl.col("raw").alias("body"))


def parse(data: bytes | FileData, source: str) -> ParseResult:
    result = ParseResult(NAME)
    _logs_slices.build(result, data, source, _prepare, dialects=("flux",), not_record="not a `flux logs` line")
    return result
