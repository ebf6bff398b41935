"""The shared pipeline of every log dialect: physical lines -> records -> the `logs` frame.

A dialect module only cuts its own prefix off each physical line (a kubelet timestamp, a
CRI stream tag, a stern pod/container, a cluster-info-dump marker, ...) and hands this
module one row per physical line:

    line (1-based physical line), raw (the line as written), role, body,
    and optionally prefix_ts, pod, container, pod_namespace, partial

`role` is "line" for content, "blank" for an empty line, "marker" for a structural line
(a `==== START logs ... ====` marker, a table header) that belongs to no record.
The body is then decoded, vectorised, as one of the controller encodings:

- zap JSON (current and older key sets, reference/helm-controller.md §1.1);
- zap console: `<ts>\\t<LEVEL>\\t[<logger>\\t]<msg>[\\t<context JSON>]`;
- the `flux logs` template (only when the dialect asks for it):
  `<ts> <level> <Kind>[/<name>.<namespace>] - <msg> <error>` (flux2 `cmd/flux/logs.go`).

Lines that are not records are, in this order: continuation lines of a multi-line Go panic
or stack trace (attached to the record before them as `extra`, its `line_end` moved down),
text records when the dialect gives them a timestamp of their own (a kubelet-prefixed line
of a container that does not log JSON), or problem rows. Nothing is silently dropped:
rows + continuation lines + problems + blank + marker lines = physical lines.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from parsers._base import PYTHON_BOUND, FileData, ParseResult, excerpt_expr, parse_ts

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
FIELDS = [f.name for f in RECORD.fields]
_DTYPES = dict(zip(FIELDS, [f.dtype for f in RECORD.fields]))

# Timestamps as written by the producers (ecosystem.md §1f): RFC3339 with any fraction and
# `Z` or an offset (kubelet, CRI, stern), zap ISO8601 (`.000Z0700`).
TS_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)"

_CONSOLE = r"^(" + TS_RE + r")\t([A-Za-z]+|LEVEL\(-?\d+\)|Level\(-?\d+\))\t(.*)$"
_FLUX = r"^(" + TS_RE + r") (\S+) ([^\s/]*)(?:/(\S+?)\.([^.\s]*))? - (.*)$"

# Lines of a Go panic, a `fatal error`, a klog HandleCrash report or a zap stack trace
# (function lines `pkg.(*T).Method(...)`, `\t/path/file.go:123 +0x1e5` frames, ...).
TRACE_RE = (
    r"^(?:\s*panic: |panic\(|fatal error: |\[signal |goroutine \d+ \[|created by |Observed a panic|\s|runtime\.|"
    r"exit status \d+|\[recovered\]|\.\.\.additional frames elided\.\.\.|"
    r"[\w.\-]+(?:/[\w.\-@]+)*\.[\w.*()\[\]\-]+(?:\(.*\))?(?: in goroutine \d+)?\s*$)"
)

LEVELS = {"level(-2)": "trace", "level(-1)": "debug"}


def _level(levels: pl.Series) -> pl.Expr:
    """The `level` column: lower case, zap's numbered levels named (LEVELS); the column as it
    is when its few distinct values are so already (zap writes `info`, `error`, `debug`), so
    that two string passes over every row are spent only when some value changes."""
    canonical = pl.col("level").str.to_lowercase().replace(LEVELS)
    distinct = levels.unique()
    if distinct.len() > 64 or not distinct.to_frame("level").select((canonical == pl.col("level")).fill_null(True).all()).item():
        return canonical
    return pl.col("level")


def read_lines(data: bytes, source: str, result: ParseResult, base: int | None = 0) -> pl.DataFrame:
    """The member's physical lines as a frame (line, raw, offset); invalid UTF-8 replaced and
    reported. `offset` is where the line starts in the member (`base` = where `data` starts),
    from which `raw` can be read again (forensics.lines); null when the text was changed on
    the way (invalid UTF-8 replaced, CR line ends) or `base` is None."""
    if not data.isascii():  # ASCII is valid UTF-8; checked without decoding a copy
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = data.decode("utf-8", errors="replace").encode("utf-8")
            result.problem(source, None, "invalid UTF-8 replaced with U+FFFD")
            base = None
    if not data:
        return pl.DataFrame(schema={"line": pl.Int64, "raw": pl.String, "offset": pl.Int64})
    cr = b"\r" in data
    if cr:
        base = None
    lines = pl.read_lines(data, name="raw").with_row_index("line", offset=1)
    if base is None:
        offset = pl.lit(None, pl.Int64)
    else:
        # the sum of the lengths before each line: without a shift, so that the column stays
        # in one chunk like the others (a frame whose columns are chunked differently is
        # copied into one chunk by every select that reads it)
        length = pl.col("raw").str.len_bytes().cast(pl.Int64) + 1
        offset = length.cum_sum() - length + base
    raw = pl.col("raw").str.strip_chars_end("\r") if cr else pl.col("raw")
    return lines.with_columns(raw, pl.col("line").cast(pl.Int64), offset.alias("offset"))


# Below this many lines the exact path alone is used (its result is the reference).
NDJSON_MIN = 1024
NDJSON_CHUNK = 1 << 17


def decode_json(lines: pl.Series, light: bool = False) -> tuple[pl.DataFrame, list[int]]:
    """Decode JSON lines to a frame of RECORD fields (one row per line, all-null where the
    line is not a JSON object); return it and the failed positions. Lines may carry
    surrounding whitespace.

    `light`: the `HelmRelease` object may be left null on rows that have `name`, `namespace`
    and a kind (`controllerKind` or `reconciler kind`) of their own, the only use the log
    pipeline has for it (a fifth of the NDJSON read's time on current helm-controller logs).

    Many lines: each line is sorted out first, vectorised. A line that cannot be a JSON
    object (not `{...}` once stripped) fails without being decoded; the plain `{...}` lines
    whose braces balance go to Polars' NDJSON reader together (several times faster than
    `str.json_decode`), in chunks only when it refuses them, and a refused chunk takes the
    exact path below, which gives the same values; so do the lines with whitespace around;
    a line whose braces do not balance (a record cut short, braces inside strings) gets one
    `json.loads`. Every part is put in place with one gather (no sort).
    """
    if len(lines) < NDJSON_MIN:
        return _decode_exact(lines.str.strip_chars())
    k = _kinds(lines)
    aligned = _decode_aligned(lines, k, light)
    if aligned is not None:
        return aligned
    failed: list[int] = []
    parts: list[tuple[pl.Series, pl.DataFrame]] = []  # (positions, decoded rows)
    fast = k.eq(0).arg_true()
    decoded = _ndjson(lines.gather(fast)) if len(fast) else None
    if decoded is not None:
        parts.append((fast, decoded))
    else:  # some plain line is not JSON after all: chunk by chunk
        for start in range(0, len(fast), NDJSON_CHUNK):
            where = fast.slice(start, NDJSON_CHUNK)
            chunk = lines.gather(where)
            decoded = _ndjson(chunk)
            if decoded is None:
                decoded, bad = _decode_exact(chunk.str.strip_chars())
                failed += where.gather(bad).to_list() if bad else []
            parts.append((where, decoded))
    for code, decode in ((1, _decode_exact), (3, _decode_lines)):
        where = k.eq(code).arg_true()
        if len(where):
            decoded, bad = decode(lines.gather(where).str.strip_chars())
            failed += where.gather(bad).to_list() if bad else []
            parts.append((where, decoded))
    # not an object once stripped: what json.loads would refuse, without trying (rows stay null)
    failed += k.eq(2).arg_true().to_list()
    return _assemble(len(lines), parts, _DTYPES), sorted(failed)


def _kinds(lines: pl.Series) -> pl.Series:
    """What each line is: 0 `{...}` with balanced braces, 1 the same with whitespace around,
    3 `{...}` (whitespace allowed) with unbalanced braces (a record cut short, braces inside
    strings), 2 no object at all. The regexes run only on the lines that are not 0."""
    s = pl.col("s")
    balanced = s.str.count_matches("{", literal=True) == s.str.count_matches("}", literal=True)
    frame = pl.DataFrame({"s": lines}).with_columns(
        (s.str.starts_with("{") & s.str.ends_with("}")).fill_null(False).alias("_edges"), balanced.alias("_balanced")
    )
    k = frame.select(pl.when(pl.col("_edges") & pl.col("_balanced")).then(0).otherwise(2).cast(pl.Int8)).to_series()
    rest = k.eq(2).arg_true()
    if len(rest):
        shaped = s.str.contains(r"^\s*\{") & s.str.contains(r"\}\s*$")
        kind = pl.when(shaped & pl.col("_balanced")).then(1).when(shaped).then(3).otherwise(2).fill_null(2).cast(pl.Int8)
        k = k.scatter(rest, frame[rest].select(kind).to_series())
    return k


# Past this share of lines with whitespace around or unbalanced braces, the aligned read is
# not tried (each of those lines is checked by json.loads first).
ODD_SHARE = 0.05


def _decode_aligned(lines: pl.Series, k: pl.Series, light: bool = False) -> tuple[pl.DataFrame, list[int]] | None:
    """All lines through one NDJSON read, row for row: plain lines as they are, the few lines
    with whitespace around or unbalanced braces stripped when `json.loads` takes them as an
    object, every other line as `{}` (all fields null, reported failed). Nothing to put in
    place afterwards. None when the reader refuses a line (the caller's path decides then)."""
    odd = k.is_in([1, 3]).arg_true()
    if len(odd) > ODD_SHARE * len(lines):
        return None
    # null (written as `{}`) where not a plain line: a mask over the same strings, not a copy
    texts = pl.DataFrame({"s": lines, "k": k}).select(pl.when(pl.col("k") == 0).then(pl.col("s")).alias("s"))["s"]
    failed = set(k.eq(2).arg_true().to_list())
    if len(odd):
        stripped = lines.gather(odd).str.strip_chars().to_list()
        good, texts_at = [], []
        for position, text in zip(odd.to_list(), stripped):
            if _is_object(text):
                good.append(position)
                texts_at.append(text)
            else:
                failed.add(position)
        if good:
            texts = texts.scatter(good, pl.Series(texts_at, dtype=pl.String))
    decoded = _ndjson(texts, _LIGHT if light else _DTYPES)
    if decoded is None:
        return None
    if light:
        decoded = _with_helmrelease(texts, decoded)
    return decoded, sorted(failed)


_LIGHT = {name: dtype for name, dtype in _DTYPES.items() if name != "HelmRelease"}
_HELMRELEASE = pl.Struct({"HelmRelease": _OBJ})


def _with_helmrelease(texts: pl.Series, decoded: pl.DataFrame) -> pl.DataFrame:
    """`decoded` (read without `HelmRelease`) with the object read where a row lacks its
    name, namespace or kind, null elsewhere; the columns in RECORD order."""
    need = decoded.select(
        pl.col("name").is_null() | pl.col("namespace").is_null() | (pl.col("controllerKind").is_null() & pl.col("reconciler kind").is_null())
    ).to_series()
    where = (need & texts.is_not_null()).arg_true()  # no text (a line not decoded): no object
    if not len(where):
        return decoded.with_columns(pl.lit(None, _OBJ).alias("HelmRelease")).select(FIELDS)
    values = texts.gather(where)
    try:
        found = values.str.json_decode(_HELMRELEASE).struct.field("HelmRelease").to_frame()
    except Exception:  # noqa: BLE001 - e.g. a HelmRelease that is not an object: line by line
        found = _decode_lines(values)[0].select("HelmRelease")
    if found.height != len(where):
        found = _decode_lines(values)[0].select("HelmRelease")
    column = _assemble(decoded.height, [(where.cast(pl.Int64), found)], {"HelmRelease": _OBJ})
    return pl.concat([decoded, column], how="horizontal").select(FIELDS)


def _ndjson(chunk: pl.Series, schema: dict = _DTYPES) -> pl.DataFrame | None:
    """The lines through the NDJSON reader (a null line as `{}`: all fields null), or None
    when it refuses them (or does not give back one row per line)."""
    buffer = io.BytesIO()
    chunk.to_frame().write_csv(buffer, include_header=False, quote_style="never", null_value="{}")
    try:  # bytes, not the file object: the reader takes those without a further pass
        decoded = pl.read_ndjson(buffer.getvalue(), schema=schema)
    except Exception:  # noqa: BLE001 - polars raises ComputeError and friends
        return None
    return decoded if decoded.height == len(chunk) else None


def _assemble(n: int, parts: list[tuple[pl.Series, pl.DataFrame]], schema: dict) -> pl.DataFrame:
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


def _decode_exact(lines: pl.Series) -> tuple[pl.DataFrame, list[int]]:
    """Bulk `str.json_decode` first; a chunk that fails is halved until single lines are
    decoded by Python, so clean chunks never take the slow path."""
    if len(lines) == 0:
        return pl.DataFrame(schema=_DTYPES), []
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
    return _decode_lines(lines)


def _decode_lines(lines: pl.Series) -> tuple[pl.DataFrame, list[int]]:
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
    return pl.DataFrame(rows, schema=_DTYPES), failed


def _coerce(key: str, value):
    if key == "HelmRelease":
        if isinstance(value, dict):
            return {k: v if isinstance(v, str) or v is None else str(v) for k, v in value.items() if k in ("name", "namespace")}
        return None
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def _null_record(height: int) -> pl.DataFrame:
    return pl.DataFrame(schema=_DTYPES).clear(height)


def _decode_bodies(df: pl.DataFrame, dialects: tuple[str, ...]) -> pl.DataFrame:
    """Add RECORD columns and `decoded` (which encoding read the body, or null).

    The dialects are tried in order, each on the rows no earlier one read. The JSON result
    is computed for every row at once (aligned with `df`); the rows the other dialects read
    are put in place with one gather, so the frame is never split and sorted again."""
    body = pl.col("body")
    n = df.height
    claimed = pl.repeat(False, n, dtype=pl.Boolean, eager=True)
    late: list[tuple[pl.Series, pl.DataFrame]] = []  # (positions, FIELDS + decoded) of other dialects
    columns = FIELDS + ["decoded"]

    if "flux" in dialects:
        parts = body.str.extract_groups(_FLUX)
        flux = df.select(body, parts.alias("_f")).with_row_index("_i").filter(pl.col("_f").struct.field("1").is_not_null())
        if flux.height:
            text = pl.col("_f").struct.field("6")
            reconciler_error = text.str.starts_with("Reconciler error ")
            trailing = text.str.ends_with(" ")
            flux = flux.with_columns(
                pl.col("_f").struct.field("1").alias("ts"),
                pl.col("_f").struct.field("2").alias("level"),
                pl.lit(None, pl.String).alias("logger"),
                pl.when(trailing)
                .then(text.str.strip_suffix(" "))
                .when(reconciler_error)
                .then(pl.lit("Reconciler error"))
                .otherwise(text)
                .alias("msg"),
                pl.when(~trailing & reconciler_error).then(text.str.strip_prefix("Reconciler error ")).alias("error"),
                pl.col("_f").struct.field("3").str.to_lowercase().replace("", None).alias("controller"),
                pl.col("_f").struct.field("3").replace("", None).alias("controllerKind"),
                pl.lit(None, _OBJ).alias("HelmRelease"),
                pl.col("_f").struct.field("5").replace("", None).alias("namespace"),
                pl.col("_f").struct.field("4").alias("name"),
                pl.lit(None, pl.String).alias("reconcileID"),
                pl.lit(None, pl.String).alias("reconciler kind"),
                pl.lit(None, pl.String).alias("request"),
                pl.lit("flux-logs").alias("decoded"),
            )
            where = flux["_i"].cast(pl.Int64)
            late.append((where, flux.select(columns)))
            claimed = claimed.scatter(where, True)

    base = None  # the JSON columns of every row (all null when no row is JSON)
    if "json" in dialects:
        # what strip_chars().starts_with("{") says, without copying
        if claimed.any():
            candidates = df.select((~pl.lit(claimed) & body.str.contains(r"^\s*\{")).alias("c"))["c"]
        else:  # what decode_json refuses unread is exactly what does not start with `{`
            candidates = pl.repeat(True, n, dtype=pl.Boolean, eager=True)
        if candidates.any():
            # every body (no masked copy): one without `{` is refused unread, and the rows
            # other dialects claimed (never a `{` line) are not taken below
            decoded, failed = _predecoded(df) if _PRE + "ts" in df.columns else decode_json(df["body"], light=True)
            ok = candidates.scatter(failed, False) if failed else candidates
            base = decoded.with_columns(pl.when(pl.lit(ok)).then(pl.lit("json")).alias("decoded"))
            claimed = claimed | ok
    if base is None:
        base = _null_record(n).with_columns(pl.lit(None, pl.String).alias("decoded"))

    if "console" in dialects:
        parts = body.str.extract_groups(_CONSOLE)
        console = (
            df.select(body, parts.alias("_c"))
            .with_row_index("_i")
            .filter(~pl.lit(claimed) & pl.col("_c").struct.field("1").is_not_null())
        )
        if console.height:
            tail = pl.col("_c").struct.field("3")
            context = tail.str.extract(r"\t(\{.*\})\s*$", 1)
            head = pl.when(context.is_not_null()).then(tail.str.replace(r"\t\{.*\}\s*$", "")).otherwise(tail)
            console = console.with_columns(context.alias("_ctx"), head.alias("_head"))
            ctx_rows = console.select(pl.col("_ctx").fill_null("{}"))["_ctx"]
            decoded, failed = decode_json(ctx_rows)
            if failed:  # a context that is not JSON: keep it in the message
                decoded = decoded.with_row_index("_j").with_columns(
                    [pl.when(pl.col("_j").is_in(failed)).then(None).otherwise(pl.col(c)).alias(c) for c in FIELDS]
                ).drop("_j")
                console = console.with_row_index("_j").with_columns(
                    pl.when(pl.col("_j").is_in(failed)).then(pl.col("_c").struct.field("3")).otherwise(pl.col("_head")).alias("_head")
                ).drop("_j")
            has_logger = pl.col("_head").str.contains("\t")
            console = pl.concat([console, decoded.drop("ts", "level", "logger", "msg")], how="horizontal").with_columns(
                pl.col("_c").struct.field("1").alias("ts"),
                pl.col("_c").struct.field("2").alias("level"),
                pl.when(has_logger).then(pl.col("_head").str.extract(r"^([^\t]*)\t", 1)).alias("logger"),
                pl.when(has_logger).then(pl.col("_head").str.extract(r"^[^\t]*\t(.*)$", 1)).otherwise(pl.col("_head")).alias("msg"),
                pl.lit("console").alias("decoded"),
            )
            late.append((console["_i"].cast(pl.Int64), console.select(columns)))

    if late:
        everything = pl.int_range(0, n, dtype=pl.Int64, eager=True)
        base = _assemble(n, [(everything, base), *late], base.schema)  # later parts win
    return pl.concat([df.select(pl.exclude("_plain", f"^{re.escape(_PRE)}.*$")), base.select(columns)], how="horizontal")


def _predecoded(df: pl.DataFrame) -> tuple[pl.DataFrame, list[int]]:
    """`decode_json(df["body"], light=True)` of lines the streamed query decoded already: its
    fields for the plain lines (`HelmRelease` read where `_with_helmrelease` reads it, from
    the text the query kept for them), `decode_json` itself for the other lines."""
    n = df.height
    plain = df["_plain"]
    decoded = _with_helmrelease(
        df.select(pl.when(pl.col("_plain")).then(pl.col("body")))["body"],
        df.select(pl.col(_PRE + name).alias(name) for name in _LIGHT),
    )
    # the other lines: what `decode_json` refuses unread (not `{...}` once stripped) fails, the
    # rest (whitespace around, braces unbalanced) goes through it; the decoded ones are put in
    # place. The patterns run on those lines only.
    others = (~plain).arg_true().cast(pl.Int64)
    text = df["body"].gather(others)
    shaped = (text.str.contains(r"^\s*\{") & text.str.contains(r"\}\s*$")).fill_null(False)
    refused = others.filter(~shaped)
    candidates = others.filter(shaped)
    # as in `_decode_aligned`, json.loads says first which of them are objects (mostly records
    # cut short, which are not): only those are decoded
    objects = [_is_object(line) for line in df["body"].gather(candidates).str.strip_chars().to_list()]
    good = candidates.filter(pl.Series(objects, dtype=pl.Boolean))
    failed = sorted(refused.to_list() + candidates.filter(~pl.Series(objects, dtype=pl.Boolean)).to_list())
    if not len(good):
        return decoded, failed
    rest, bad = decode_json(df["body"].gather(good), light=True)
    failed = sorted(failed + good.gather(bad).to_list())
    everything = pl.int_range(0, n, dtype=pl.Int64, eager=True)
    return _assemble(n, [(everything, decoded), (good, rest)], _DTYPES), failed


def _is_object(text: str) -> bool:
    """json.loads reads the text as a JSON object (a line checked before it is decoded)."""
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


def _join_partials(content: pl.DataFrame) -> pl.DataFrame:
    """CRI: join `P` (partial) lines with the following lines up to the `F` line."""
    starts = ~pl.col("partial").shift(1).fill_null(False)
    content = content.with_columns(starts.cum_sum().alias("_grp"))
    others = [c for c in content.columns if c not in ("_grp", "body", "line", "partial")]
    return (
        content.group_by("_grp", maintain_order=True)
        .agg(
            pl.col("line").first(),
            pl.col("line").last().alias("_last"),
            pl.col("body").str.join(""),
            *[pl.col(c).first() for c in others],
        )
        .drop("_grp")
    )


def build(
    result: ParseResult,
    lines: pl.DataFrame,
    source: str,
    *,
    dialects: tuple[str, ...] = ("json", "console"),
    text_records: bool = False,
    context: dict | None = None,
    not_record: str = "not a log record",
    unreadable: str = "unreadable lines",
) -> None:
    """Decode the per-line frame of a dialect and add logs rows and problems to `result`."""
    others: list[pl.DataFrame] = []
    no_ts: list[pl.DataFrame] = []
    logs, counts = _build(lines, source, others, no_ts, dialects=dialects, text_records=text_records, context=context, not_record=not_record)
    for df in others + no_ts:
        result.add_problems(df)
    result.add("logs", logs)
    result.note = _note(counts, unreadable)


# Members larger than this are parsed in pieces of about this size (bounded peak memory).
CHUNK_BYTES = 16 << 20


def build_chunked(
    result: ParseResult,
    data: bytes | FileData,
    source: str,
    prepare,
    *,
    not_record: str = "not a log record",
    unreadable: str = "unreadable lines",
    **options,
) -> None:
    """`build(result, prepare(read_lines(data)), ...)` for dialects whose records are single
    `{...}` lines, in pieces of about CHUNK_BYTES so that memory stays bounded: a piece ends
    right before a line that starts with `{`, so a stack trace (whose lines never start with
    `{`) never spans two pieces; line numbers are offset by the lines before the piece. When
    a piece's first line is not a record (then a trace after it would belong to the record
    of the piece before), the member is read in one piece instead, which is the reference.
    A member on disk (`FileData`) is read piece by piece, never whole."""
    if len(data) <= CHUNK_BYTES * 3 // 2:
        data = data.read() if isinstance(data, FileData) else data
        build(result, prepare(read_lines(data, source, result)), source, not_record=not_record, unreadable=unreadable, **options)
        return
    if isinstance(data, FileData) and options.get("dialects") == ("json",) and not options.get("text_records"):
        if build_streamed(result, data, source, prepare, not_record=not_record, unreadable=unreadable, **options):
            return
    altered = False
    if isinstance(data, bytes) and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = data.decode("utf-8", errors="replace").encode("utf-8")
            result.problem(source, None, "invalid UTF-8 replaced with U+FFFD")
            altered = True
    repeats = Repeats()

    def work(start: int, piece: bytes, offset: int):
        others: list[pl.DataFrame] = []
        no_ts: list[pl.DataFrame] = []
        lines = read_lines(piece, source, result, None if altered else start)
        if offset:
            lines = lines.with_columns(pl.col("line") + offset)
        logs, counts = _build(prepare(lines), source, others, no_ts, not_record=not_record, repeats=repeats, **options)
        orphan = bool(offset) and any((df["line"] == offset + 1).any() for df in others)
        return logs, counts, others, no_ts, orphan

    problems: tuple[list, list] = ([], [])  # lines that are no record; records without a time
    pieces: list[pl.DataFrame] = []
    totals: dict[str, int] = {}
    offset = 0
    # Pieces are parsed by WORKERS threads (Polars releases the GIL), in order, at most
    # WORKERS + 1 of them in memory at once.
    orphan = False
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        running: deque = deque()
        for start, piece in _pieces(data):
            running.append(pool.submit(work, start, piece, offset))
            offset += piece.count(b"\n")
            del piece
            while len(running) > WORKERS and not orphan:
                orphan = not _take(running.popleft().result(), pieces, totals, problems)
            if orphan:
                break
        while running and not orphan:
            orphan = not _take(running.popleft().result(), pieces, totals, problems)
        for future in running:
            future.cancel()
    if orphan:
        whole = data.read() if isinstance(data, FileData) else data
        build(result, prepare(read_lines(whole, source, result, None if altered else 0)), source, not_record=not_record, unreadable=unreadable, **options)
        return
    for df in problems[0] + problems[1]:
        result.add_problems(df)
    result.add("logs", pl.concat(pieces, rechunk=False))
    result.note = _note(totals, unreadable)


WORKERS = 2


def _take(done, pieces: list, totals: dict, problems: tuple[list, list]) -> bool:
    """Add one parsed piece; False when it began with no record (nothing added)."""
    logs, counts, others, no_ts, orphan = done
    if orphan:
        return False
    pieces.append(logs)
    problems[0].extend(others)
    problems[1].extend(no_ts)
    for key, value in counts.items():
        totals[key] = totals.get(key, 0) + value
    return True


# Rows of decoded lines handed to `_build` at a time by the streamed path, and how many such
# runs may be submitted and not yet taken. Measured on the 2M-line bundle (4 runs each):
# 32k x 3: 6.45 s, 1.30-1.42 GB; 48k x 2: 6.22 s, 1.38-1.45 GB; 64k x 2: 6.3 s, 1.51-1.53 GB.
STREAM_ROWS = 49152
_PRE = "_j."  # prefix of the columns the streamed query decoded


RUNS_HELD = 2
# One log decoded by the streaming engine at a time: each decode already keeps every core
# busy, and two at once (a container's log and its previous log) only held the buffers of
# both (~60 MB more at the peak of the 2M-line bundle, no faster).
_ONE_STREAM = threading.Lock()


class _Decline(Exception):
    """The streamed path cannot give the reference's rows: the member is read in pieces."""


def _stream_query(path: str) -> pl.LazyFrame:
    """Every line of a zap JSON log on disk, decoded by Polars' streaming engine on all cores:
    its number, its length in bytes (+1 for the newline), whether it is a plain `{...}` line
    with balanced braces (`_kinds` 0), the RECORD fields of such a line (all but
    `HelmRelease`; `ts` as written only where it is not RFC 3339, the rest parsed in `_ts1`),
    and its text only where the rest of the pipeline reads it: the lines that are not plain,
    and the plain ones without a name, namespace or kind of their own or without an RFC 3339
    time (`HelmRelease`, problem excerpts)."""
    line = pl.col("raw")
    plain = (
        line.str.starts_with("{")
        & line.str.ends_with("}")
        & (line.str.count_matches("{", literal=True) == line.str.count_matches("}", literal=True))
    ).fill_null(False)
    fields = pl.col("_d").struct
    needs_text = (
        ~pl.col("_plain")
        | fields.field("name").is_null()
        | fields.field("namespace").is_null()
        | (fields.field("controllerKind").is_null() & fields.field("reconciler kind").is_null())
        | pl.col("_ts1").is_null()
    )
    return (
        pl.scan_lines(path, name="raw", row_index_name="line", row_index_offset=1)
        .with_columns(plain.alias("_plain"))
        .with_columns(pl.when(pl.col("_plain")).then(line).str.json_decode(pl.Struct(_LIGHT)).alias("_d"))
        .with_columns(_first_ts(fields.field("ts")).alias("_ts1"))  # once: kept, and read by needs_text
        .select(
            pl.col("line").cast(pl.Int64),
            "_ts1",
            (line.str.len_bytes().cast(pl.Int64) + 1).alias("_n"),
            line.str.contains("\r", literal=True).alias("_cr"),
            "_plain",
            pl.when(needs_text).then(line).alias("raw"),
            # the time as written only where it did not read as RFC 3339 (`_timestamps` reads
            # it there): not 2M strings of 24 bytes carried through every run for nothing
            *(
                (pl.when(pl.col("_ts1").is_null()).then(fields.field(name)) if name == "ts" else fields.field(name)).alias(_PRE + name)
                for name in _LIGHT
            ),
        )
    )


# Decoded batches held back, at most, while Python-bound parsing runs elsewhere (~20 MB each;
# eight cover the 0.6 s of the 3,000 HelmReleases of the benchmark bundle on the idle core).
DEFERRED_BATCHES = 8


def _deferred(batches):
    """The engine's batches, in order; while Python-bound parsing (`PYTHON_BOUND`) runs on
    another thread, up to DEFERRED_BATCHES of them are held before the rows are built. The
    engine decodes without the GIL, so it fills the core the other parsing leaves idle; the
    runs, which take the GIL for each of their many small steps, come after it. The same
    batches, the same rows: only when they are built changes."""
    waiting: deque = deque()
    for batch in batches:
        waiting.append(batch)
        if PYTHON_BOUND.active and len(waiting) < DEFERRED_BATCHES:
            continue
        while waiting:
            yield waiting.popleft()
    while waiting:
        yield waiting.popleft()


def build_streamed(result: ParseResult, data: FileData, source: str, prepare, *, not_record: str, unreadable: str, **options) -> bool:
    """`build_chunked` of a JSON log on disk with the JSON decoded by Polars' streaming engine
    (`_stream_query`: no piece is read into Python, and no line is decoded twice); the lines
    that are not plain `{...}` records go through `decode_json` as in the reference. The rows
    are handed to `_build` in runs of about STREAM_ROWS, each starting at a plain line, as
    `build_chunked` cuts its pieces. False (nothing added) when the engine refuses the file
    (invalid UTF-8, a plain line that is no JSON) or it has carriage returns (the reference
    then keeps no offsets): the caller reads it in pieces instead."""
    problems: tuple[list, list] = ([], [])
    pieces: list[pl.DataFrame] = []
    totals: dict[str, int] = {}
    position = 0  # byte offset of the next line
    repeats = Repeats()

    def work(batch: pl.DataFrame):
        others: list[pl.DataFrame] = []
        no_ts: list[pl.DataFrame] = []
        lines = prepare(batch.select("line", "raw", "offset")).with_columns(batch.select(pl.exclude("line", "raw", "offset")))
        logs, counts = _build(lines, source, others, no_ts, not_record=not_record, repeats=repeats, **options)
        return logs, counts, others, no_ts, False

    # Runs are built by WORKERS threads while the engine decodes the next rows, taken in order.
    pool = ThreadPoolExecutor(max_workers=WORKERS)
    running: deque = deque()
    try:
        with _ONE_STREAM:
            held: pl.DataFrame | None = None
            for batch in _deferred(_stream_query(data.path).collect_batches(chunk_size=STREAM_ROWS, maintain_order=True)):
                if batch["_cr"].any():
                    raise _Decline
                length = batch["_n"]
                batch = batch.drop("_n", "_cr").with_columns((length.cum_sum() - length + position).alias("offset"))
                position += int(length.sum())
                # joined into one chunk (the first batch too): the engine's batches come in ~36
                # chunks each, and building runs on them cost more than this copy (measured)
                held = batch.rechunk() if held is None else pl.concat([held, batch], rechunk=True)
                heads = held["_plain"].arg_true()
                cut = int(heads[-1]) if len(heads) else 0  # the last plain line starts the next run
                if cut and held.height >= STREAM_ROWS:
                    running.append(pool.submit(work, held.head(cut)))
                    held = held.slice(cut)
                while len(running) >= RUNS_HELD:
                    _take(running.popleft().result(), pieces, totals, problems)
            if held is not None and held.height:
                running.append(pool.submit(work, held))
            while running:
                _take(running.popleft().result(), pieces, totals, problems)
        with data.open() as handle:  # carriage returns before newlines are not in the lines
            handle.seek(max(0, data.size - 1))
            last = handle.read(1)
        if position != data.size + (0 if last == b"\n" else 1):
            raise _Decline
    except (_Decline, pl.exceptions.PolarsError):
        for future in running:
            future.cancel()
        return False
    finally:
        pool.shutdown(wait=True)
    for df in problems[0] + problems[1]:
        result.add_problems(df)
    result.add("logs", pl.concat(pieces, rechunk=False) if pieces else pl.DataFrame())
    result.note = _note(totals, unreadable)
    return True


def _pieces(data: bytes | FileData):
    """(start, bytes) pieces of about CHUNK_BYTES, each ending right before a line that looks
    like a whole JSON record (or at the end); the last piece is at least half a chunk."""
    if isinstance(data, bytes):
        start = 0
        while start < len(data):
            cut = _next_record(data, start + CHUNK_BYTES)
            end = len(data) if cut < 0 or len(data) - cut < CHUNK_BYTES // 2 else cut + 1
            yield start, data[start:end]
            start = end
        return
    with data.open() as handle:
        size = os.fstat(handle.fileno()).st_size
        start = 0
        while start < size:  # each piece read once, straight into its own bytes
            cut = -1 if size - start <= CHUNK_BYTES * 3 // 2 else _record_cut(handle, start + CHUNK_BYTES, size)
            end = size if cut < 0 or size - cut < CHUNK_BYTES // 2 else cut + 1
            handle.seek(start)
            piece = handle.read(end - start)
            if not piece:
                return
            yield start, piece
            start += len(piece)


def _record_cut(handle, position: int, size: int) -> int:
    """`_next_record` on a file: read from `position` in 1 MB steps until a whole line that
    looks like a record is found (its offset), or the end of the file (-1)."""
    window = b""
    while True:
        handle.seek(position + len(window))
        window += handle.read(1 << 20)
        eof = position + len(window) >= size
        at = 0
        while True:
            cut = window.find(b"\n{", at)
            if cut < 0:
                break
            stop = window.find(b"\n", cut + 1)
            if stop < 0 and not eof:
                break  # the line goes on past the window: read more
            line = window[cut + 1 : stop if stop >= 0 else len(window)].rstrip(b"\r")
            if line.endswith(b"}") and line.count(b"{") == line.count(b"}"):
                return position + cut
            at = cut + 1
        if eof:
            return -1


def _next_record(data: bytes, position: int) -> int:
    """The offset of the newline before the next line at or after `position` that looks like a
    whole JSON record (`{...}`, braces balanced), or -1."""
    while True:
        cut = data.find(b"\n{", position)
        if cut < 0:
            return -1
        stop = data.find(b"\n", cut + 1)
        line = data[cut + 1 : stop if stop >= 0 else len(data)].rstrip(b"\r")
        if line.endswith(b"}") and line.count(b"{") == line.count(b"}"):
            return cut
        position = cut + 1


def _note(counts: dict[str, int], unreadable: str) -> str:
    parts = [f"{counts['records']} records"]
    if counts["continuation"]:
        parts.append(f"{counts['continuation']} stack-trace lines attached")
    if counts["joined"]:
        parts.append(f"{counts['joined']} partial lines joined")
    parts.append(f"{counts['others']} {unreadable}")
    if counts["markers"]:
        parts.append(f"{counts['markers']} marker lines")
    parts.append(f"{counts['blank']} blank lines")
    return ", ".join(parts)


def _problems(df: pl.DataFrame, source: str, reason: pl.Expr, text: pl.Expr) -> pl.DataFrame:
    """Problem rows (the `problems` schema) of the rows of `df`, in order."""
    return df.select(
        pl.lit(source, pl.String).alias("source"),
        pl.col("line").cast(pl.Int64),
        reason.cast(pl.String).alias("reason"),
        excerpt_expr(text).alias("excerpt"),
    )


# What a content line is, in `_build` (an Enum: compared and filtered as small integers).
_WHAT = pl.Enum(["record", "trace", "text", "other", "continuation"])


def _build(
    lines: pl.DataFrame,
    source: str,
    others_out: list[pl.DataFrame],
    no_ts_out: list[pl.DataFrame],
    *,
    dialects: tuple[str, ...] = ("json", "console"),
    text_records: bool = False,
    context: dict | None = None,
    not_record: str = "not a log record",
    repeats: Repeats | None = None,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """The logs rows (with a timestamp) of a per-line frame and its counts; problem rows go
    to `others_out` (lines that are no record) and `no_ts_out` (records without a time).
    `repeats`: the distinct values of the runs of the same log built before (`Repeats`)."""
    context = context or {}
    missing = [pl.lit(context.get(name), pl.String).alias(name) for name in ("prefix_ts", "pod", "container", "pod_namespace") if name not in lines.columns]
    if "offset" not in lines.columns:
        missing.append(pl.lit(None, pl.Int64).alias("offset"))
    if "previous" not in lines.columns:
        missing.append(pl.lit(bool(context.get("previous", False))).alias("previous"))
    if missing:
        lines = lines.with_columns(missing)
    role = pl.col("role")
    blank, marked = lines.select((role == "blank").sum().alias("blank"), (role == "marker").any().alias("marked")).row(0)
    markers = lines.filter(role == "marker") if marked else lines.clear()
    content = lines.filter(role == "line") if blank or marked else lines  # every line is content

    joined = 0
    if "partial" in content.columns:
        before = content.height
        content = _join_partials(content)
        joined = before - content.height
    else:
        content = content.with_columns(pl.col("line").alias("_last"))

    content = _decode_bodies(content.drop("role", strict=False), dialects)
    # Only a line that did not decode as a record can be a trace line: the pattern runs on those.
    undecoded = content["decoded"].is_null().arg_true()
    is_trace = pl.repeat(False, content.height, dtype=pl.Boolean, eager=True).scatter(
        undecoded, content["body"].gather(undecoded).str.contains(TRACE_RE).fill_null(False)
    )
    is_text = (pl.col("prefix_ts").is_not_null() & (pl.col("body").str.strip_chars() != "")) if text_records else pl.lit(False)
    content = content.with_columns(
        pl.when(pl.col("decoded").is_not_null())
        .then(pl.lit("record", _WHAT))
        .when(pl.lit(is_trace))
        .then(pl.lit("trace", _WHAT))
        .when(is_text)
        .then(pl.lit("text", _WHAT))
        .otherwise(pl.lit("other", _WHAT))
        .alias("_what")
    )
    # A trace line right after a record (or another trace line) continues that record; markers
    # (a new container's block) end a record.
    # The group of a line: heads (records, markers) up to it. Content and markers are each in
    # line order, so the markers before a line are found by a sorted search, not a join.
    head = pl.col("_what").is_in(["record", "text"])
    grp = content.select(head.cum_sum().cast(pl.Int64)).to_series()
    if markers.height:
        grp = grp + markers["line"].search_sorted(content["line"], side="left").cast(pl.Int64)
    content = content.with_columns(grp.alias("_grp"))
    # a trace line is attached when the last head before it is a record (not a marker)
    owner = pl.when(head).then(pl.col("_grp")).forward_fill()
    attach = (pl.col("_what") == "trace") & (owner == pl.col("_grp")).fill_null(False)
    content = content.with_columns(
        pl.when(attach).then(pl.lit("continuation", _WHAT)).when(pl.col("_what") == "trace").then(pl.lit("other", _WHAT)).otherwise(pl.col("_what")).alias("_what")
    )
    # (only the columns read from them: most lines are records, few are anything else)
    continuation = content.select("_what", "_grp", "body", "_last").filter(pl.col("_what") == "continuation")
    records = content.filter(head)
    if continuation.height:
        extra = continuation.group_by("_grp").agg(
            pl.col("body").str.join("\n").alias("extra"), pl.col("_last").max().alias("_cont_last")
        ).sort("_grp")
        # records have distinct, increasing groups: put each group's text on its record
        where = records["_grp"].search_sorted(extra["_grp"])
        text = pl.repeat(None, records.height, dtype=pl.String, eager=True).alias("extra").scatter(where, extra["extra"])
        last = records["_last"].scatter(where, extra["_cont_last"].cast(records["_last"].dtype))
        records = records.with_columns(text, pl.max_horizontal(records["_last"], last).alias("_last"))
    else:
        records = records.with_columns(pl.lit(None, pl.String).alias("extra"))

    others = content.select("_what", "line", "raw").filter(pl.col("_what") == "other")
    if others.height:
        others_out.append(_problems(others, source, pl.lit(not_record), pl.col("raw")))

    request = pl.col("request").str.split_exact("/", 1)
    helmrelease = pl.col("HelmRelease").struct
    namespace = _coalesce(records, [("namespace", pl.col("namespace")), ("HelmRelease", helmrelease.field("namespace")), ("request", request.struct.field("field_0"))])
    name = _coalesce(records, [("name", pl.col("name")), ("HelmRelease", helmrelease.field("name")), ("request", request.struct.field("field_1"))])
    kind = _coalesce(
        records,
        [
            ("controllerKind", pl.col("controllerKind")),
            ("reconciler kind", pl.col("reconciler kind")),
            ("HelmRelease", pl.when(pl.col("HelmRelease").is_not_null()).then(pl.lit("HelmRelease"))),
            # 2020-era keys: logger "controllers.HelmRelease"; `reconcilerKind` lines also carry
            # controller "helmrelease", the name controller-runtime gives the HelmRelease reconciler
            ("logger", pl.col("logger").str.extract(r"^controllers\.(\w+)$", 1)),
            ("controller", pl.when(pl.col("controller") == "helmrelease").then(pl.lit("HelmRelease"))),
        ],
    )
    controller = _coalesce(records, [("controller", pl.col("controller")), ("logger", pl.col("logger").str.strip_prefix("controller."))])
    # only text records (`text_records`) take their message from the body
    msg = pl.when(pl.col("_what") == "text").then(pl.col("body")).otherwise(pl.col("msg")) if text_records else pl.col("msg")
    level = _level(records["level"])
    logs = records.with_columns(_timestamps(records)).select(
        pl.col("_ts").alias("ts"),
        level,
        msg.alias("msg"),
        "error",
        "logger",
        controller.alias("controller"),
        kind.alias("kind"),
        namespace.alias("namespace"),
        name.alias("name"),
        pl.when(kind == "HelmRelease").then(pl.format("{}/{}", namespace, name)).alias("release"),
        pl.col("reconcileID").alias("reconcile_id"),
        "pod",
        "container",
        "previous",
        # the line is read again from `offset` when it is needed (forensics.lines): not held
        pl.when(pl.col("offset").is_null()).then(pl.col("raw")).alias("raw"),
        pl.lit(source).alias("source"),
        "line",
        pl.col("_last").alias("line_end"),
        "extra",
        pl.col("decoded").fill_null("text").alias("encoding"),
        "offset",
        pl.col("raw").alias("_raw"),  # for the problem rows below; the same buffer, not a copy
    )
    no_ts = logs.filter(pl.col("ts").is_null())
    if no_ts.height:  # each record, then its joined or attached lines
        last = pl.max_horizontal(pl.col("line_end").fill_null(pl.col("line")), pl.col("line"))
        parts = no_ts.select(
            pl.int_ranges(pl.col("line"), last + 1, dtype=pl.Int64).alias("_n"), pl.col("line").alias("_first"), pl.col("_raw").alias("raw")
        ).explode("_n")
        head = pl.col("_n") == pl.col("_first")
        no_ts_out.append(
            _problems(
                parts.with_columns(pl.col("_n").alias("line")),
                source,
                pl.when(head).then(pl.lit("log record without a readable timestamp")).otherwise(pl.lit("part of a log record without a readable timestamp")),
                pl.when(head).then(pl.col("raw")),
            )
        )
    counts = {
        "records": logs.height,
        "continuation": continuation.height,
        "joined": joined,
        "others": others.height,
        "markers": markers.height,
        "blank": blank,
    }
    logs = _share_repeats(logs.drop("_raw"), SHARED, repeats)
    return (logs.filter(pl.col("ts").is_not_null()) if no_ts.height else logs), counts


def _coalesce(records: pl.DataFrame, terms: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """`pl.coalesce` of the terms, each given with the column it reads, the first of them
    that column itself: without the terms whose column is null in every record, and the
    first column as it is (not a copy) when it has a value in every record or no other term
    is left. The same values: a term of an all-null column is null in every row."""
    (first, column), rest = terms[0], terms[1:]
    if not records[first].null_count():
        return column
    kept = [expr for source, expr in rest if records[source].null_count() < records.height]
    return pl.coalesce(column, *kept) if kept else column


# Long strings that repeat from record to record: templated messages, `namespace/name`.
# Shorter ones live in the column's 16-byte slots. Not reconcile ids: a reconcile writes two
# or three lines at the info level, too few to share.
SHARED = ("msg", "release", "error", "logger", "extra")


class Repeats:
    """The distinct values of the SHARED columns seen so far in the runs of one log, so that a
    run's repeats are looked up in them rather than hashed into a distinct set of the run's own
    (the runs of a log repeat the same few thousand messages and releases). Used by the threads
    that build the runs of one log; the values are only ever added to."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, tuple[pl.Series, pl.DataType]] = {}  # column -> (values, Enum of them)

    def codes(self, name: str, values: pl.Series, present: int) -> tuple[pl.Series, pl.Series] | None:
        """(distinct values, each row's position in them), or None when the column has too many
        values not seen before to be worth sharing (see `_share_repeats`)."""
        known = self._known.get(name)
        codes = values.cast(known[1], strict=False) if known else None
        if codes is not None and codes.null_count() == values.null_count():
            return known[0], codes.to_physical()
        with self._lock:  # new values: added once, by one thread at a time
            known = self._known.get(name)
            if known is None:
                new = values.unique().drop_nulls()
            else:
                codes = values.cast(known[1], strict=False)
                new = values.filter(codes.is_null() & values.is_not_null()).unique()
            if new.len() * 4 > present:
                return None
            if new.len():
                # one chunk: a gather from several chunks copies the strings it takes
                distinct = new if known is None else pl.concat([known[0], new], rechunk=True)
                known = (distinct, pl.Enum(distinct))
                self._known[name] = known
            return known[0], values.cast(known[1]).to_physical()


def _share_repeats(df: pl.DataFrame, columns: tuple[str, ...], repeats: Repeats | None = None) -> pl.DataFrame:
    """The same frame, each of these String columns holding each of its distinct values
    once: the rows point into a buffer of the distinct values (a gather) instead of each
    carrying its own copy. Same values and dtype. Millions of log rows repeat a few thousand
    messages; a column with more than a quarter of its values distinct is left as it is
    (sharing it costs more time than the memory it saves is worth: reconcile ids, two or
    three lines each, took ~8 ms a run of 48k rows for ~1 MB). With `repeats`, the distinct
    values are those of every run of the log so far (`Repeats`): only values not seen before
    count as distinct, and a run's rows point into the same buffers as the runs before."""
    repeats = repeats or Repeats()
    shared = []
    for name in columns:
        values = df[name]
        present = values.len() - values.null_count()
        if present < 64:
            continue
        found = repeats.codes(name, values, present)
        if found is not None:
            distinct, codes = found
            shared.append(distinct.gather(codes).alias(name))
    return df.with_columns(shared) if shared else df


# RFC 3339 / ISO 8601 with a zone (zap's `...Z` of nearly every record): chrono's `%+`, one
# pass and about twice as fast as an explicit format; the rest through every dialect
_ZAP_UTC = "%+"


def _first_ts(ts: pl.Expr) -> pl.Expr:
    """The first pass of `_timestamps`: RFC 3339 with a zone, null where it does not read."""
    return ts.str.to_datetime(_ZAP_UTC, time_unit="us", strict=False, cache=False).dt.convert_time_zone("UTC")


def _timestamps(records: pl.DataFrame) -> pl.Series:
    """`coalesce(parse_ts(ts), parse_ts(prefix_ts))` as `_ts`: RFC 3339 with a zone first
    (done already by the streamed query where `_ts1` is there), the rows it does not read
    (other forms, a kubelet prefix only) through every dialect."""
    first = pl.col("_ts1") if "_ts1" in records.columns else _first_ts(pl.col("ts"))
    ts = records.select(first.alias("_ts")).to_series()
    rest = records.select(ts.is_null() & (pl.col("ts").is_not_null() | pl.col("prefix_ts").is_not_null())).to_series()
    if rest.any():
        where = rest.arg_true()
        full = records[where].select(pl.coalesce(parse_ts(pl.col("ts")), parse_ts(pl.col("prefix_ts")))).to_series()
        ts = ts.scatter(where, full)
    return ts


def roles(raw: pl.Expr, marker: pl.Expr | None = None) -> pl.Expr:
    """The `role` column: blank, marker (when `marker` holds) or line."""
    expr = pl.when(raw.str.contains(r"^\s*$")).then(pl.lit("blank"))
    if marker is not None:
        expr = expr.when(marker).then(pl.lit("marker"))
    return expr.otherwise(pl.lit("line"))


ANSI = r"\x1b\[[0-9;]*[A-Za-z]"


def first_lines(head: bytes, count: int = 20) -> list[str]:
    """The first non-blank lines of a member's head, decoded leniently."""
    text = head.decode("utf-8", errors="replace")
    out = [line.rstrip("\r") for line in text.split("\n") if line.strip()]
    return out[:count]


def sniff(head: bytes, pattern: re.Pattern, need: int = 1) -> bool:
    """The first non-blank line matches `pattern` (and `need` of the first lines do)."""
    lines = first_lines(head, 10)
    if not lines or not pattern.match(lines[0]):
        return False
    return sum(1 for line in lines if pattern.match(line)) >= min(need, len(lines))
