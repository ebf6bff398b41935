"""The bodies of log lines: zap JSON, zap console, the `flux logs` template -> RECORD fields.

Part of the reference log pipeline (`parsers._logs`): each content line's body is decoded by
the dialects a log may hold, tried in order, each on the rows no earlier one read:

- zap JSON (current and older key sets, reference/helm-controller.md §1.1);
- zap console: `<ts>\\t<LEVEL>\\t[<logger>\\t]<msg>[\\t<context JSON>]`;
- the `flux logs` template: `<ts> <level> <Kind>[/<name>.<namespace>] - <msg> <error>`
  (flux2 `cmd/flux/logs.go`).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import polars as pl

_OBJ = pl.Struct({"name": pl.String, "namespace": pl.String})
# The event recorder's log lines (logger "events"): the object in `object`, the severity in
# `reason` (`info`, `error`); in 2020-2022 `msg` is the event type (`Normal`, `Warning`) and
# the text is in `message`.
_EVENT_OBJECT = pl.Struct({"kind": pl.String, "name": pl.String, "namespace": pl.String})
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
        "object": _EVENT_OBJECT,
        "message": pl.String,
        "reason": pl.String,
    }
)
# Read only where a record names no release of its own (`_logs_stream` decodes them there).
OBJECT_FIELDS = ("HelmRelease", "object", "message", "reason")
FIELDS = [f.name for f in RECORD.fields]
DTYPES = dict(zip(FIELDS, [f.dtype for f in RECORD.fields]))

# Timestamps as written by the producers (ecosystem.md §1f): RFC3339 with any fraction and
# `Z` or an offset (kubelet, CRI, stern), zap ISO8601 (`.000Z0700`).
TS_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)"

_CONSOLE = r"^(" + TS_RE + r")\t([A-Za-z]+|LEVEL\(-?\d+\)|Level\(-?\d+\))\t(.*)$"
_FLUX = r"^(" + TS_RE + r") (\S+) ([^\s/]*)(?:/(\S+?)\.([^.\s]*))? - (.*)$"

# --- JSON bodies ------------------------------------------------------------------------------


def decode_json(lines: pl.Series) -> tuple[pl.DataFrame, list[int]]:
    """The RECORD fields of each line (one row per line, all null where the line is not a JSON
    object) and the positions of the lines that are not. Whitespace around a line is ignored.

    What `json.loads` reads as an object: a line that is not `{...}` once stripped is none
    (not decoded at all); the others are decoded in bulk by Polars (`_decode_exact`)."""
    stripped = lines.str.strip_chars()
    shaped = (stripped.str.starts_with("{") & stripped.str.ends_with("}")).fill_null(False)
    if shaped.all():
        return _decode_exact(stripped)
    where = shaped.arg_true()
    decoded, bad = _decode_exact(stripped.gather(where))
    failed = sorted((~shaped).arg_true().to_list() + where.gather(bad).to_list())
    return assemble(len(lines), [(where, decoded)], DTYPES), failed


def _decode_exact(lines: pl.Series) -> tuple[pl.DataFrame, list[int]]:
    """Bulk `str.json_decode` first; a chunk that fails is halved until single lines are
    decoded by Python, so clean chunks never take the slow path."""
    if len(lines) == 0:
        return pl.DataFrame(schema=DTYPES), []
    try:
        decoded = lines.str.json_decode(RECORD).struct.unnest()
        if decoded.height == len(lines):  # some malformed input decodes to another row count
            return decoded, []
    except Exception:  # noqa: BLE001 - polars raises ComputeError/SchemaError variants
        pass
    if len(lines) > 64:
        half = len(lines) // 2
        head, bad_head = _decode_exact(lines[:half])
        tail, bad_tail = _decode_exact(lines[half:])
        return pl.concat([head, tail]), bad_head + [half + i for i in bad_tail]
    return decode_lines(lines)


def decode_lines(lines: pl.Series) -> tuple[pl.DataFrame, list[int]]:
    """One `json.loads` per line (values coerced to the RECORD types); the failed positions."""
    rows, failed = [], []
    for i, text in enumerate(lines.to_list()):
        try:
            obj = json.loads(text) if text is not None else None
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the decoder's limit
            obj = None
        if not isinstance(obj, dict):
            failed.append(i)
            obj = {}
        rows.append({key: _coerce(key, obj.get(key)) for key in FIELDS})
    return pl.DataFrame(rows, schema=DTYPES), failed


def _coerce(key: str, value):
    if key in ("HelmRelease", "object"):
        if isinstance(value, dict):
            keys = ("name", "namespace") if key == "HelmRelease" else ("kind", "name", "namespace")
            return {k: v if isinstance(v, str) or v is None else str(v) for k, v in value.items() if k in keys}
        return None
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def assemble(n: int, parts: list[tuple[pl.Series, pl.DataFrame]], schema: dict) -> pl.DataFrame:
    """n rows of `schema`: the rows of each part at its positions (a later part's over an
    earlier one's), null rows elsewhere (one gather, no sort)."""
    blank = pl.DataFrame({name: pl.Series(name, [None], dtype=dtype) for name, dtype in schema.items()})
    total = sum(rows.height for _, rows in parts)
    index = pl.repeat(total, n, dtype=pl.Int64, eager=True)  # the blank row, after all parts
    frames, at = [], 0
    for positions, rows in parts:
        index = index.scatter(positions, pl.int_range(at, at + rows.height, dtype=pl.Int64, eager=True))
        frames.append(rows.select([pl.col(c).cast(t) for c, t in schema.items()]))
        at += rows.height
    # one chunk first: a gather from several chunks copies every string it takes
    return pl.concat([*frames, blank], rechunk=True).gather(index)


# --- bodies of every dialect --------------------------------------------------------------------

# (content rows) -> (RECORD fields of each row's JSON body, positions of the rows that are none)
Decoder = Callable[[pl.DataFrame], tuple[pl.DataFrame, list[int]]]
_COLUMNS = FIELDS + ["decoded"]


def decode_bodies(df: pl.DataFrame, dialects: tuple[str, ...], decode: Decoder | None) -> pl.DataFrame:
    """Add RECORD columns and `decoded` (which encoding read the body, or null).

    The dialects are tried in order, each on the rows no earlier one read. The JSON result
    is computed for every row at once (aligned with `df`); the rows the other dialects read
    are put in place with one gather, so the frame is never split and sorted again."""
    n = df.height
    claimed = pl.repeat(False, n, dtype=pl.Boolean, eager=True)
    late: list[tuple[pl.Series, pl.DataFrame]] = []  # (positions, FIELDS + decoded) of other dialects
    if "flux" in dialects:
        flux = _flux_rows(df)
        if flux.height:
            where = flux["_i"].cast(pl.Int64)
            late.append((where, flux.select(_COLUMNS)))
            claimed = claimed.scatter(where, True)
    base = None  # the JSON columns of every row
    if "json" in dialects:
        base, claimed = _json_rows(df, claimed, decode)
    if base is None:
        base = pl.DataFrame(schema=DTYPES).clear(n).with_columns(pl.lit(None, pl.String).alias("decoded"))
    if "console" in dialects:
        console = _console_rows(df, claimed)
        if console.height:
            late.append((console["_i"].cast(pl.Int64), console.select(_COLUMNS)))
    if late:
        everything = pl.int_range(0, n, dtype=pl.Int64, eager=True)
        base = assemble(n, [(everything, base), *late], base.schema)  # later parts win
    return pl.concat([df, base.select(_COLUMNS)], how="horizontal")


def _json_rows(df: pl.DataFrame, claimed: pl.Series, decode: Decoder | None) -> tuple[pl.DataFrame | None, pl.Series]:
    """The JSON columns of every row (`decoded` = "json" where the body is a JSON object and
    no earlier dialect claimed the row), and the rows claimed so far; None when no row can be."""
    if claimed.any():  # what strip_chars().starts_with("{") says, without copying
        candidates = df.select((~pl.lit(claimed) & pl.col("body").str.contains(r"^\s*\{")).alias("c"))["c"]
    else:  # decode_json refuses unread what does not start with `{`
        candidates = pl.repeat(True, df.height, dtype=pl.Boolean, eager=True)
    if not candidates.any():
        return None, claimed
    # every body (no masked copy): one without `{` is refused unread, and the rows other
    # dialects claimed (never a `{` line) are not taken below
    decoded, failed = decode(df) if decode is not None else decode_json(df["body"])
    ok = candidates.scatter(failed, False) if failed else candidates
    return decoded.with_columns(pl.when(pl.lit(ok)).then(pl.lit("json")).alias("decoded")), claimed | ok


def _flux_rows(df: pl.DataFrame) -> pl.DataFrame:
    """The rows written with the `flux logs` template, with their RECORD columns and `_i`."""
    flux = df.select(pl.col("body"), pl.col("body").str.extract_groups(_FLUX).alias("_f")).with_row_index("_i")
    flux = flux.filter(pl.col("_f").struct.field("1").is_not_null())
    part = pl.col("_f").struct.field
    text = part("6")
    reconciler_error = text.str.starts_with("Reconciler error ")
    trailing = text.str.ends_with(" ")  # the template's space before an empty error
    return flux.with_columns(
        part("1").alias("ts"),
        part("2").alias("level"),
        pl.lit(None, pl.String).alias("logger"),
        pl.when(trailing)
        .then(text.str.strip_suffix(" "))
        .when(reconciler_error)
        .then(pl.lit("Reconciler error"))
        .otherwise(text)
        .alias("msg"),
        pl.when(~trailing & reconciler_error).then(text.str.strip_prefix("Reconciler error ")).alias("error"),
        part("3").str.to_lowercase().replace("", None).alias("controller"),
        part("3").replace("", None).alias("controllerKind"),
        pl.lit(None, _OBJ).alias("HelmRelease"),
        part("5").replace("", None).alias("namespace"),
        part("4").alias("name"),
        pl.lit(None, pl.String).alias("reconcileID"),
        pl.lit(None, pl.String).alias("reconciler kind"),
        pl.lit(None, pl.String).alias("request"),
        pl.lit(None, _EVENT_OBJECT).alias("object"),
        pl.lit(None, pl.String).alias("message"),
        pl.lit(None, pl.String).alias("reason"),
        pl.lit("flux-logs").alias("decoded"),
    )


def _console_rows(df: pl.DataFrame, claimed: pl.Series) -> pl.DataFrame:
    """The rows no other dialect claimed written by zap's console encoder, with their RECORD
    columns (the context JSON decoded) and `_i`; a context that is no JSON stays in `msg`."""
    # the pattern tried on the rows left with a body only (a capture costs as much on a null)
    console = df.select("body").with_row_index("_i").filter(~pl.lit(claimed) & pl.col("body").is_not_null())
    console = console.select("_i", pl.col("body").str.extract_groups(_CONSOLE).alias("_c"))
    console = console.filter(pl.col("_c").struct.field("1").is_not_null())
    if not console.height:
        return console
    tail = pl.col("_c").struct.field("3")
    context = tail.str.extract(r"\t(\{.*\})\s*$", 1)
    head = pl.when(context.is_not_null()).then(tail.str.replace(r"\t\{.*\}\s*$", "")).otherwise(tail)
    console = console.with_columns(context.alias("_ctx"), head.alias("_head"))
    decoded, failed = decode_json(console.select(pl.col("_ctx").fill_null("{}"))["_ctx"])
    if failed:  # a context that is not JSON: keep it in the message
        bad = pl.int_range(pl.len()).is_in(failed)
        decoded = decoded.with_columns([pl.when(bad).then(None).otherwise(pl.col(c)).alias(c) for c in FIELDS])
        console = console.with_columns(pl.when(bad).then(tail).otherwise(pl.col("_head")).alias("_head"))
    has_logger = pl.col("_head").str.contains("\t")
    return pl.concat([console, decoded.drop("ts", "level", "logger", "msg")], how="horizontal").with_columns(
        pl.col("_c").struct.field("1").alias("ts"),
        pl.col("_c").struct.field("2").alias("level"),
        pl.when(has_logger).then(pl.col("_head").str.extract(r"^([^\t]*)\t", 1)).alias("logger"),
        pl.when(has_logger)
        .then(pl.col("_head").str.extract(r"^[^\t]*\t(.*)$", 1))
        .otherwise(pl.col("_head"))
        .alias("msg"),
        pl.lit("console").alias("decoded"),
    )
