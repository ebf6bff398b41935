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

from parsers import _logs
from parsers._base import ParseResult

NAME = "logcli-jsonl"
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


def parse(data: bytes, source: str) -> ParseResult:
    result = ParseResult(NAME)
    lines = _logs.read_lines(data, source, result)
    lines = lines.with_columns(_logs.roles(pl.col("raw")).alias("role"))
    entries = _entries(lines["raw"]).rename({"line": "_entry"})
    label = pl.col("labels").struct.field
    lines = (
        pl.concat([lines, entries], how="horizontal")
        .with_columns(
            pl.col("timestamp").alias("prefix_ts"),
            pl.coalesce(pl.col("_entry").str.strip_chars_end("\n"), pl.col("raw")).alias("body"),
            pl.coalesce(label("pod"), label("pod_name")).alias("pod"),
            pl.coalesce(label("container"), label("container_name")).alias("container"),
            pl.coalesce(label("namespace"), label("namespace_name")).alias("pod_namespace"),
        )
        .drop("labels", "_entry", "timestamp")
    )
    _logs.build(result, lines, source, text_records=True, not_record="not a logcli jsonl entry")
    return result
