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

from parsers import _logs, _logs_stream
from parsers._base import FileData, ParseResult

NAME = "stern-log"
STREAMS = True  # a big log on disk is handed over unread (parse() takes FileData)
NOT_RECORD = "not a stern log line"
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
# The prefix shapes tried on a file's first lines: those that end in a controller record, then
# those that end in a stern timestamp (whatever follows).
_TRIED = (
    {shape: re.compile(prefix + _RECORD) for shape, prefix in SHAPES.items()},
    {shape: re.compile(prefix) for shape, prefix in SHAPES.items() if shape[1]},
)


def _shape(lines: list[str]) -> tuple[bool, bool] | None:
    """The prefix shape that makes most of `lines` a controller record (else a stern timestamp)."""
    for patterns in _TRIED:
        best, score = None, 0
        for shape, pattern in patterns.items():
            hits = sum(1 for line in lines if pattern.match(line))
            if hits > score:
                best, score = shape, hits
        if best:
            return best
    return None


# Any of the prefixes: one match tells most members (no stern log) apart.
_ANY_PREFIX = re.compile("|".join(SHAPES.values()))


def matches(path: str, head: bytes) -> bool:
    lines = _logs.first_lines(head, 10)
    if not lines:
        return False
    first = _ANSI.sub("", lines[0])
    return _ANY_PREFIX.match(first) is not None and _shape([first]) is not None


def parse(data: bytes | FileData, source: str) -> ParseResult:
    result = ParseResult(NAME)
    if _logs_stream.wants(data) and _streamed(result, data, source):
        return result
    data = data.read() if isinstance(data, FileData) else data
    lines = _logs.read_lines(data, source, result)
    head = [line for line in lines["raw"].head(50).str.replace_all(_logs.ANSI, "").to_list() if line.strip()]
    has_ns, has_ts = _shape(head) or (False, False)
    lines = _prepare(lines, has_ns, has_ts)
    _logs.build(result, lines, source, text_records=has_ts, not_record=NOT_RECORD)
    if has_ts and lines["prefix_ts"].null_count() < lines.height and _short(head):
        result.note += "; short timestamps (no year, no zone) ignored"
    return result


_PLAIN = pl.col("raw").str.replace_all(_logs.ANSI, "")  # the line without ANSI codes


def _parts(has_ns: bool, has_ts: bool) -> pl.Expr:
    """stern's prefix cut into its fields (a struct: 1, 2, ... as `_columns` names them)."""
    return _PLAIN.str.extract_groups(SHAPES[(has_ns, has_ts)] + "(.*)$")


def _columns(has_ns: bool, has_ts: bool, parts: pl.Expr) -> dict[str, pl.Expr]:
    """The columns of a line from its prefix's `parts`."""
    names = (["ns"] if has_ns else []) + ["pod", "container"] + (["ts"] if has_ts else []) + ["msg"]
    field = {name: parts.struct.field(str(i + 1)) for i, name in enumerate(names)}
    stamp = field.get("ts", pl.lit(None, pl.String))
    return {
        "prefix_ts": pl.when(stamp.str.contains(r"^\d{4}-")).then(stamp),
        "pod_namespace": field.get("ns", pl.lit(None, pl.String)),
        "pod": field["pod"],
        "container": field["container"],
        "body": pl.coalesce(field["msg"], _PLAIN),
    }


def _prepare(lines: pl.DataFrame, has_ns: bool, has_ts: bool) -> pl.DataFrame:
    columns = _columns(has_ns, has_ts, pl.col("_p"))
    return (
        lines.with_columns(_parts(has_ns, has_ts).alias("_p"))
        .with_columns(*(expr.alias(name) for name, expr in columns.items()), _logs.roles(pl.col("raw")).alias("role"))
        .drop("_p")
    )


def _short(head: list[str]) -> bool:
    return any(re.match(r"^\S+ \S+ (\S+ )?" + _SHORT, line) for line in head[:5])


def _streamed(result: ParseResult, data: bytes | FileData, source: str) -> bool:
    """The fast path (`parsers._logs_stream`): the engine computes each line's prefix columns
    and decodes the record after the prefix. The prefix shape is decided on the first 50
    lines as in the reference; short timestamps (their note) take the reference."""
    start = data.head(1 << 20) if isinstance(data, FileData) else data[: 1 << 20]
    physical = start.split(b"\n")
    if len(physical) <= 50 and len(start) < len(data):
        return False  # 50 lines longer than the bytes read
    texts = [_ANSI.sub("", line.decode("utf-8", errors="replace")) for line in physical[:50]]
    head = [line for line in texts if line.strip()]
    has_ns, has_ts = _shape(head) or (False, False)
    if has_ts and _short(head):
        return False
    columns = _columns(has_ns, has_ts, pl.col("_p"))
    return _logs_stream.parse(
        result,
        data,
        source,
        lambda lines: _prepare(lines, has_ns, has_ts),
        body=columns.pop("body"),
        columns=columns,
        setup={"_p": _parts(has_ns, has_ts)},
        text_records=has_ts,
        not_record=NOT_RECORD,
    )
