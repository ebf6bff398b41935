"""Grafana Loki `logcli query -o jsonl` output -> logs.

One JSON object per line, keys sorted by Go's encoder: `{"labels":{...},"line":"<the log
line>","timestamp":"<RFC3339Nano in --timezone>"}` (grafana/loki `pkg/logcli/output/jsonl.go`;
`labels` absent with `--no-labels`). The `line` is the controller's own record (zap JSON or
console); pod, container and namespace come from the usual Kubernetes labels (`pod`,
`container`, `namespace`, or the `*_name` variants).
"""

from __future__ import annotations

import re

import polars as pl

from parsers import _logs, _logs_slices, _logs_stream
from parsers._base import FileData, ParseResult

NAME = "logcli-jsonl"
STREAMS = True  # a big log on disk is handed over unread (parse() takes FileData)
KIND = "logs"
TIMESTAMPS = {"ts": "controller log time, else the Loki entry time"}

_SNIFF = re.compile(r'^\{("labels":\{.*\},)?"line":".*","timestamp":"\d{4}-')
_ENTRY = pl.Struct(
    {
        "labels": pl.Struct(
            {k: pl.String for k in ("pod", "pod_name", "container", "container_name", "namespace", "namespace_name")}
        ),
        "line": pl.String,
        "timestamp": pl.String,
    }
)


def matches(path: str, head: bytes) -> bool:
    return _logs.sniff(head, _SNIFF)


def _entries(bodies: pl.Series) -> pl.DataFrame:
    """Decode the jsonl entries; an undecodable line gives nulls (a problem row later)."""
    try:
        decoded = bodies.str.json_decode(_ENTRY).struct.unnest()
        if decoded.height == len(bodies):  # some malformed input decodes to another row count
            return decoded
    except Exception:  # noqa: BLE001 - one bad line: decode one by one
        pass
    import json

    rows = []
    for text in bodies.to_list():
        try:
            obj = json.loads(text)
        except (TypeError, ValueError):
            obj = None
        if not isinstance(obj, dict):
            rows.append({"labels": None, "line": None, "timestamp": None})
            continue
        labels = obj.get("labels") if isinstance(obj.get("labels"), dict) else {}
        rows.append(
            {
                "labels": {
                    k: labels.get(k) if isinstance(labels.get(k), str) else None
                    for k in _ENTRY.fields[0].dtype.to_schema()
                },
                "line": obj.get("line") if isinstance(obj.get("line"), str) else None,
                "timestamp": obj.get("timestamp") if isinstance(obj.get("timestamp"), str) else None,
            }
        )
    return pl.DataFrame(rows, schema=_ENTRY.to_schema())


def _columns(entry: pl.Expr) -> dict[str, pl.Expr]:
    """A line's columns from its decoded entry: the record as `body` (else the line itself),
    the Loki time, the pod's labels."""
    label = entry.struct.field("labels").struct.field
    return {
        "prefix_ts": entry.struct.field("timestamp"),
        "body": pl.coalesce(entry.struct.field("line").str.strip_chars_end("\n"), pl.col("raw")),
        "pod": pl.coalesce(label("pod"), label("pod_name")),
        "container": pl.coalesce(label("container"), label("container_name")),
        "pod_namespace": pl.coalesce(label("namespace"), label("namespace_name")),
    }


def parse(data: bytes | FileData, source: str) -> ParseResult:
    result = ParseResult(NAME)
    options = {"text_records": True, "not_record": "not a logcli jsonl entry"}
    # The fast path: the engine decodes each entry (a `{` line it cannot decode declines) and
    # the record in it.
    entry = pl.when(pl.col("raw").str.starts_with("{")).then(pl.col("raw")).str.json_decode(_ENTRY)
    columns = _columns(pl.col("_entry"))
    if _logs_stream.wants(data) and _logs_stream.parse(
        result,
        data,
        source,
        _prepare,
        body=columns.pop("body"),
        columns=columns,
        setup={"_entry": entry},
        **options,
    ):
        return result
    _logs_slices.build(result, data, source, _prepare, **options)
    return result


def _prepare(lines: pl.DataFrame) -> pl.DataFrame:
    entries = _entries(lines["raw"]).to_struct("_entry")
    return (
        lines.with_columns(entries)
        .with_columns(
            *(expr.alias(name) for name, expr in _columns(pl.col("_entry")).items()),
            _logs.roles(pl.col("raw")).alias("role"),
        )
        .drop("_entry")
    )
