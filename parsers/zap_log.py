"""Flux controller logs written by zap's JSON encoder, one record per line.

Reads both key sets helm-controller and the other Flux controllers have used
(reference/helm-controller.md §1.1, ecosystem.md §1d):

- current: `level, ts, [logger], msg, controller, controllerGroup, controllerKind,
  <Kind>: {name, namespace}, namespace, name, reconcileID, [error]`
- older (2021): `logger: "controller.helmrelease"`, `reconciler group`, `reconciler kind`,
  `request: "ns/name"`

Lines are decoded in bulk with Polars (`str.json_decode`); only a chunk that fails to decode
is split further, down to single lines decoded by Python, so clean logs never take the
slow path. A line that is not a JSON record becomes a `problems` row, never a silent drop.
Blank lines are counted in the note and otherwise ignored.
"""

from __future__ import annotations

import json
import re

import polars as pl

from parsers._base import ParseResult, parse_ts

NAME = "zap-json-log"
KIND = "logs"
TIMESTAMPS = {"ts": "controller log time"}

_OBJ = pl.Struct({"name": pl.String, "namespace": pl.String})
RECORD = pl.Struct(
    {
        "level": pl.String,
        "ts": pl.String,
        "logger": pl.String,
        "msg": pl.String,
        "error": pl.String,
        "controller": pl.String,
        "controllerKind": pl.String,
        "HelmRelease": _OBJ,
        "namespace": pl.String,
        "name": pl.String,
        "reconcileID": pl.String,
        "reconciler kind": pl.String,
        "request": pl.String,
    }
)
_FIELDS = [f.name for f in RECORD.fields]

# Paths that name the pod and container of a log file, per bundle layout.
_POD_PATHS = (
    # troubleshoot: cluster-resources/pods/logs/<ns>/<pod>/<container>[-previous].log
    re.compile(r"pods/logs/(?P<ns>[^/]+)/(?P<pod>[^/]+)/(?P<container>[^/]+?)(?P<prev>-previous)?\.log$"),
    # crust-gather: namespaces/<ns>/v1/pod/<pod>/<container>/{current,previous}.log
    re.compile(r"namespaces/(?P<ns>[^/]+)/v1/pod/(?P<pod>[^/]+)/(?P<container>[^/]+)/(?:current|(?P<prev>previous))\.log$"),
)


def matches(path: str, head: bytes) -> bool:
    """A file whose first non-blank line is a JSON object with a `msg` key."""
    for raw in head.splitlines()[:20]:
        line = raw.strip()
        if not line:
            continue
        return line.startswith(b"{") and b'"msg"' in line
    return False


def log_context(path: str) -> dict:
    """Pod, container and namespace of a log file, from its path in a known layout."""
    for pattern in _POD_PATHS:
        found = pattern.search(path)
        if found:
            return {
                "pod": found["pod"],
                "container": found["container"],
                "pod_namespace": found["ns"],
                "previous": bool(found["prev"]),
            }
    return {"pod": None, "container": None, "pod_namespace": None, "previous": False}


def _decode(lines: pl.Series) -> tuple[pl.DataFrame, list[int]]:
    """Decode JSON lines to a frame of RECORD fields; return it and the failed positions."""
    try:
        return lines.str.json_decode(RECORD).struct.unnest(), []
    except Exception:  # noqa: BLE001 - polars raises ComputeError/SchemaError variants
        pass
    if len(lines) > 64:
        half = len(lines) // 2
        head, bad_head = _decode(lines[:half])
        tail, bad_tail = _decode(lines[half:])
        return pl.concat([head, tail]), bad_head + [half + i for i in bad_tail]
    rows, failed = [], []
    for i, text in enumerate(lines.to_list()):
        try:
            obj = json.loads(text)
        except ValueError:
            obj = None
        if not isinstance(obj, dict):
            failed.append(i)
            obj = {}
        rows.append({key: _coerce(key, obj.get(key)) for key in _FIELDS})
    return pl.DataFrame(rows, schema=dict(zip(_FIELDS, [f.dtype for f in RECORD.fields]))), failed


def _coerce(key: str, value):
    if key == "HelmRelease":
        return value if isinstance(value, dict) else None
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def parse(data: bytes, source: str) -> ParseResult:
    """Parse a zap JSON log into the `logs` frame; non-JSON lines become problems."""
    result = ParseResult(NAME)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        data = data.decode("utf-8", errors="replace").encode("utf-8")
        result.problem(source, None, "invalid UTF-8 replaced with U+FFFD")
    lines = (
        pl.read_lines(data, name="raw")
        .with_row_index("line", offset=1)
        .with_columns(pl.col("raw").str.strip_chars_end("\r"), pl.col("line").cast(pl.Int64))
    )
    blank = lines.filter(pl.col("raw").str.strip_chars() == "")
    content = lines.filter(pl.col("raw").str.strip_chars() != "")
    looks_json = pl.col("raw").str.strip_chars_start().str.starts_with("{")
    candidates = content.filter(looks_json)
    not_json = content.filter(~looks_json)

    decoded, failed = _decode(candidates["raw"].str.strip_chars())
    records = pl.concat([candidates, decoded], how="horizontal")
    if failed:
        bad = records[failed].select("line", "raw")
        not_json = pl.concat([not_json, bad]).sort("line")
        records = records.with_row_index("_i").filter(~pl.col("_i").is_in(failed)).drop("_i")
    for row in not_json.iter_rows(named=True):
        result.problem(source, row["line"], "not a JSON log record", row["raw"])

    ctx = log_context(source)
    request = pl.col("request").str.split_exact("/", 1)
    namespace = pl.coalesce(pl.col("namespace"), pl.col("HelmRelease").struct.field("namespace"), request.struct.field("field_0"))
    name = pl.coalesce(pl.col("name"), pl.col("HelmRelease").struct.field("name"), request.struct.field("field_1"))
    kind = pl.coalesce(
        pl.col("controllerKind"),
        pl.col("reconciler kind"),
        pl.when(pl.col("HelmRelease").is_not_null()).then(pl.lit("HelmRelease")),
    )
    controller = pl.coalesce(pl.col("controller"), pl.col("logger").str.strip_prefix("controller."))
    logs = records.select(
        parse_ts(pl.col("ts")).alias("ts"),
        pl.col("level").str.to_lowercase(),
        "msg",
        "error",
        "logger",
        controller.alias("controller"),
        kind.alias("kind"),
        namespace.alias("namespace"),
        name.alias("name"),
        pl.when(kind == "HelmRelease").then(pl.format("{}/{}", namespace, name)).alias("release"),
        pl.col("reconcileID").alias("reconcile_id"),
        pl.lit(ctx["pod"], pl.String).alias("pod"),
        pl.lit(ctx["container"], pl.String).alias("container"),
        pl.lit(ctx["previous"]).alias("previous"),
        "raw",
        pl.lit(source).alias("source"),
        "line",
    )
    no_ts = logs.filter(pl.col("ts").is_null())
    for row in no_ts.iter_rows(named=True):
        result.problem(source, row["line"], "JSON log record without a readable `ts`", row["raw"])
    result.add("logs", logs.filter(pl.col("ts").is_not_null()))
    result.note = f"{logs.height} records, {not_json.height} non-JSON lines, {blank.height} blank lines"
    return result
