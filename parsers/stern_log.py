"""stern output -> logs.

stern's default template is `{{color .PodColor .PodName}} {{color .ContainerColor .ContainerName}}
{{.Message}}`, prefixed by the namespace with `-A` or several namespaces; `--timestamps` puts
the timestamp (`2006-01-02T15:04:05.000000000Z07:00` in `--timezone`, default Local, so with
its offset) before the message, `--timestamps=short` puts `01-02 15:04:05` (no year, no zone:
not usable, the record's own `ts` is used) (stern `cmd/cmd.go`, `stern/tail.go`;
ecosystem.md §1f). ANSI colour codes are stripped. Which of the prefix shapes a file has is
decided once, from its first lines: the message is a controller record (zap JSON or console).
"""

from __future__ import annotations

import re

import polars as pl

from parsers import _logs
from parsers._base import ParseResult

NAME = "stern-log"
KIND = "logs"
TIMESTAMPS = {"ts": "controller log time, else stern's timestamp (offset kept, so exact in UTC)"}

_NS = r"([a-z0-9][a-z0-9\-]*)"
_POD = r"([a-z0-9][a-z0-9.\-]*)"
_CONTAINER = r"([a-z0-9][a-z0-9\-]*)"
_SHORT = r"\d\d-\d\d \d\d:\d\d:\d\d"
_TS = r"(" + _logs.TS_RE + r"|" + _SHORT + r")"
_RECORD = r"(\{.*|" + _logs.TS_RE + r"\t.*)$"
# (namespace?, timestamp?) -> the prefix regex; groups: [ns], pod, container, [ts], message
SHAPES = {
    (True, True): "^" + _NS + " " + _POD + " " + _CONTAINER + " " + _TS + " ",
    (False, True): "^" + _POD + " " + _CONTAINER + " " + _TS + " ",
    (True, False): "^" + _NS + " " + _POD + " " + _CONTAINER + " ",
    (False, False): "^" + _POD + " " + _CONTAINER + " ",
}
_ANSI = re.compile(_logs.ANSI)


def _shape(lines: list[str]) -> tuple[bool, bool] | None:
    """The prefix shape that makes most of `lines` a controller record (else a stern timestamp)."""
    for tail, shapes in ((_RECORD, SHAPES), ("", {k: v for k, v in SHAPES.items() if k[1]})):
        best, score = None, 0
        for shape, prefix in shapes.items():
            pattern = re.compile(prefix + tail)
            hits = sum(1 for line in lines if pattern.match(line))
            if hits > score:
                best, score = shape, hits
        if best:
            return best
    return None


def matches(path: str, head: bytes) -> bool:
    lines = [_ANSI.sub("", line) for line in _logs.first_lines(head, 10)]
    shape = _shape(lines[:1])
    return shape is not None


def parse(data: bytes, source: str) -> ParseResult:
    result = ParseResult(NAME)
    lines = _logs.read_lines(data, source, result)
    lines = lines.with_columns(pl.col("raw").str.replace_all(_logs.ANSI, "").alias("_plain"))
    head = [line for line in lines["_plain"].head(50).to_list() if line.strip()]
    has_ns, has_ts = _shape(head) or (False, False)
    prefix = SHAPES[(has_ns, has_ts)]
    parts = pl.col("_plain").str.extract_groups(prefix + "(.*)$")
    names = (["ns"] if has_ns else []) + ["pod", "container"] + (["ts"] if has_ts else []) + ["msg"]
    field = {name: pl.col("_p").struct.field(str(i + 1)) for i, name in enumerate(names)}
    stamp = field.get("ts", pl.lit(None, pl.String))
    lines = (
        lines.with_columns(parts.alias("_p"))
        .with_columns(
            pl.when(stamp.str.contains(r"^\d{4}-")).then(stamp).alias("prefix_ts"),
            field.get("ns", pl.lit(None, pl.String)).alias("pod_namespace"),
            field["pod"].alias("pod"),
            field["container"].alias("container"),
            pl.coalesce(field["msg"], pl.col("_plain")).alias("body"),
            _logs.roles(pl.col("raw")).alias("role"),
        )
        .drop("_p", "_plain")
    )
    _logs.build(result, lines, source, text_records=has_ts, not_record="not a stern log line")
    if (
        has_ts
        and lines["prefix_ts"].null_count() < lines.height
        and any(re.match(r"^\S+ \S+ (\S+ )?" + _SHORT, line) for line in head[:5])
    ):
        result.note += "; short timestamps (no year, no zone) ignored"
    return result
