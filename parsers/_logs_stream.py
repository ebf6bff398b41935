"""Fast path of the log parsers: a big log whose records are JSON lines, decoded by Polars'
streaming engine on every core.

Contract: `parse(...)` adds to the result exactly what `parsers._logs.build` of the whole
member adds (the reference's rows, problems and note), or adds nothing and returns False, and
the caller takes the reference. It declines what it cannot read as the reference does:
carriage returns (the reference then keeps no offsets), invalid UTF-8, a `{...}` line that is
no JSON after all, anything the dialect's `decline` expression flags (CRI partial lines).

How it stays fast and small (the measurements are in bench/README.md): the engine reads the
file (or the bytes) itself, so no piece of it is ever a Python object; it decodes the
`{...}` lines whose braces balance with `str.json_decode` (each line once), keeps a line's
text only where the rest of the pipeline reads it, and hands the rows to `_logs.build_rows`
in runs of about STREAM_ROWS lines, built by two threads while it decodes the next ones. The
runs of a log share their repeated strings (`Repeats`): millions of records repeat a few
thousand messages and release names.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from parsers import _logs
from parsers._base import PYTHON_BOUND, FileData, ParseResult
from parsers._log_bodies import OBJECT_FIELDS

# Below this size the reference reads the member (the engine's start costs more than it saves).
MIN_BYTES = 4 << 20
# Rows handed to `_logs.build_rows` at a time, and how many such runs may be submitted and not
# yet taken (bench/README.md: 48k x 2 was the fastest within the memory target).
STREAM_ROWS = 49152
RUNS_HELD = 2
WORKERS = 2
# Decoded batches held back, at most, while Python-bound parsing runs elsewhere (~20 MB each).
DEFERRED_BATCHES = 8
# One big log decoded by the engine at a time: each such decode keeps every core busy already.
# A smaller one (a few runs: kubelet rotates container logs at 10 MiB) is decoded beside
# another member's parsing, or it would leave a core idle (bench/README.md: 100 logs of 6 MB).
ALONE_BYTES = 64 << 20
_ONE_STREAM = threading.Lock()
_PRE = "_j."  # prefix of the columns the engine decoded
_LIGHT = {name: dtype for name, dtype in _logs.DTYPES.items() if name not in OBJECT_FIELDS}
_OBJECTS = pl.Struct({name: _logs.DTYPES[name] for name in OBJECT_FIELDS})


class _Decline(Exception):
    """The engine cannot give the reference's rows."""


def parse(
    result: ParseResult,
    data: bytes | FileData,
    source: str,
    prepare: Callable[[pl.DataFrame], pl.DataFrame],
    *,
    body: pl.Expr | None = None,
    decline: pl.Expr | None = None,
    spans: pl.DataFrame | None = None,
    keep: pl.Expr | None = None,
    columns: dict[str, pl.Expr] | None = None,
    setup: dict[str, pl.Expr] | None = None,
    unreadable: str = "unreadable lines",
    **options,
) -> bool:
    """`_logs.build(result, prepare(read_lines(data)), source, **options)`, or False.

    `prepare` is the dialect's per-line function of the reference (role, body, prefix...);
    here it sees the lines whose text is kept, and the others take what it gives a line
    whose `raw` is null (so it must not depend on the line number). `body`: the
    expression of `raw` that is the JSON record (the line itself by default), which must be
    the reference's body wherever it is a `{...}` line (a prefix removed, not a regex capture
    per line: a capture costs ~6x); `decline`: an expression of `raw` true on a line the engine
    must not read (the reference does); `spans`: columns that hold from a line on (`line`,
    sorted, and the columns): each line takes those of the last span at or before it (the
    container of a cluster-info dump's block); `keep`: an expression of `raw` the engine
    computes, in line order, false on a line that is no part of the log (the objects between
    cluster-info dump's blocks): such a line is dropped before the runs (its text never kept);
    `columns`: expressions of `raw` the engine computes for every line, that vary from line to
    line (a stern line's pod), where
    `prepare` gives the same (its values for the lines whose text is kept are replaced);
    `setup`: columns of `raw` computed first, once, which `body`, `decline` and `columns` may
    read (an expression written several times is computed as many times)."""
    repeats = Repeats()

    def work(batch: pl.DataFrame) -> _logs.Rows:
        lines = _prepare_kept(batch.select("line", "raw", "offset"), prepare).drop("partial", strict=False)
        lines = lines.with_columns(batch.select(pl.exclude("line", "raw", "offset")))
        if spans is not None:
            lines = lines.join_asof(spans, on="line", strategy="backward")
        rows = _logs.build_rows(lines, source, decode=_predecoded, **options)
        rows.logs = share(rows.logs, repeats)
        return rows

    query = _query(
        data.path if isinstance(data, FileData) else data,
        body if body is not None else pl.col("raw"),
        decline,
        keep,
        columns or {},
        setup or {},
    )
    taken = Taken()
    pool = ThreadPoolExecutor(max_workers=WORKERS)
    running: deque = deque()
    try:
        with _ONE_STREAM if len(data) >= ALONE_BYTES else contextlib.nullcontext():
            length = _submit_runs(query, pool, work, running, taken)
            while running:
                taken.add(running.popleft().result())
        if length != len(data) + (0 if _last_byte(data) in (b"\n", b"") else 1):
            raise _Decline  # a carriage return before a newline, which the lines do not hold
    except (_Decline, pl.exceptions.PolarsError):
        for future in running:
            future.cancel()
        return False
    finally:
        pool.shutdown(wait=True)
    taken.into(result, unreadable)
    return True


def _prepare_kept(lines: pl.DataFrame, prepare: Callable[[pl.DataFrame], pl.DataFrame]) -> pl.DataFrame:
    """`prepare(lines)`, run on the lines whose text is kept only: the others (most lines of a
    log, plain records) take what `prepare` gives a line without text. A dialect's regexes
    cost as much on a null as on a line (bench/README.md)."""
    kept = lines["raw"].is_not_null()
    if kept.all():
        return prepare(lines)
    done = prepare(lines.filter(kept))
    textless = prepare(lines.head(1).with_columns(pl.lit(None, pl.String).alias("raw")))
    rest = lines.filter(~kept).with_columns(
        pl.lit(textless[name][0], dtype).alias(name) for name, dtype in textless.schema.items() if name not in lines
    )
    return pl.concat([done, rest.select(done.columns)]).sort("line")


def _submit_runs(query: pl.LazyFrame, pool: ThreadPoolExecutor, work, running: deque, taken: Taken) -> int:
    """The engine's rows submitted to `work` in runs of about STREAM_ROWS, each starting at a
    plain record (a trace line stays with its record), at most RUNS_HELD not yet taken; the
    bytes the lines take up (with their newlines)."""
    position = 0  # byte offset of the next line
    held: pl.DataFrame | None = None
    for batch in _deferred(query.collect_batches(chunk_size=STREAM_ROWS, maintain_order=True)):
        if batch["_decline"].any():
            raise _Decline
        length = batch["_n"]
        batch = batch.drop("_n", "_decline").with_columns((length.cum_sum() - length + position).alias("offset"))
        position += int(length.sum())
        if "_keep" in batch.columns:  # the lines that are no part of the log, after their offsets
            batch = batch.filter(pl.col("_keep")).drop("_keep")
        # one chunk: the engine's batches come in many, and a run built on many costs more
        held = batch.rechunk() if held is None else pl.concat([held, batch], rechunk=True)
        heads = held["_plain"].arg_true()
        cut = int(heads[-1]) if len(heads) else 0
        if cut and held.height >= STREAM_ROWS:
            running.append(pool.submit(work, held.head(cut)))
            held = held.slice(cut)
        while len(running) >= RUNS_HELD:
            taken.add(running.popleft().result())
    if held is not None and held.height:
        running.append(pool.submit(work, held))
    return position


class Taken:
    """The runs' rows, problems and counts, in run order (a log built a run at a time)."""

    def __init__(self) -> None:
        self.logs: list[pl.DataFrame] = []
        self.others: list[pl.DataFrame] = []
        self.untimed: list[pl.DataFrame] = []
        self.counts: dict[str, int] = {}

    def add(self, rows: _logs.Rows) -> None:
        self.logs.append(rows.logs)
        self.others += rows.others
        self.untimed += rows.untimed
        for key, value in rows.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value

    def into(self, result: ParseResult, unreadable: str) -> None:
        """The member's logs rows, problems and note, as `_logs.build` adds them."""
        for df in self.others + self.untimed:
            result.add_problems(df)
        result.add("logs", pl.concat(self.logs, rechunk=False) if self.logs else pl.DataFrame())
        result.note = _logs.note(self.counts, unreadable)


def _last_byte(data: bytes | FileData) -> bytes:
    if isinstance(data, bytes):
        return data[-1:]
    with data.open() as handle:
        handle.seek(max(0, data.size - 1))
        return handle.read(1)


def _query(
    data: str | bytes,
    body_of_line: pl.Expr,
    decline: pl.Expr | None,
    keep: pl.Expr | None,
    columns: dict[str, pl.Expr],
    setup: dict[str, pl.Expr],
) -> pl.LazyFrame:
    """Every line decoded by the streaming engine: its number, its length in bytes (+1 for
    the newline), whether it must be declined, whether its body is a plain `{...}` with
    balanced braces, the RECORD fields of such a body (all but `HelmRelease`; `ts` as written
    only where it is not RFC 3339, the rest parsed in `_ts1`), and its text only where the
    reference reads it: lines that are not plain, and plain ones without a name, namespace or
    kind of their own (`HelmRelease` is read there) or without an RFC 3339 time."""
    line, body = pl.col("raw"), pl.col("_body")  # the body computed once, read five times
    plain = (
        body.str.starts_with("{")
        & body.str.ends_with("}")
        & (body.str.count_matches("{", literal=True) == body.str.count_matches("}", literal=True))
    ).fill_null(False)
    fields = pl.col("_d").struct
    needs_text = (
        ~pl.col("_plain")
        | fields.field("name").is_null()
        | fields.field("namespace").is_null()
        | (fields.field("controllerKind").is_null() & fields.field("reconciler kind").is_null())
        | pl.col("_ts1").is_null()
    )
    if keep is not None:  # a line dropped keeps no text
        needs_text = needs_text & pl.col("_keep")
    refused = line.str.contains("\r", literal=True)
    if decline is not None:
        refused = refused | decline.fill_null(False)
    return (
        pl.scan_lines(data, name="raw", row_index_name="line", row_index_offset=1)
        .with_columns(**setup)
        .with_columns(body_of_line.alias("_body"), *([] if keep is None else [keep.fill_null(False).alias("_keep")]))
        .with_columns(plain.alias("_plain"))
        .with_columns(pl.when(pl.col("_plain")).then(body).str.json_decode(pl.Struct(_LIGHT)).alias("_d"))
        .with_columns(_logs.first_ts(fields.field("ts")).alias("_ts1"))
        .select(
            pl.col("line").cast(pl.Int64),
            "_ts1",
            (line.str.len_bytes().cast(pl.Int64) + 1).alias("_n"),
            refused.alias("_decline"),
            "_plain",
            *([] if keep is None else ["_keep"]),
            pl.when(needs_text).then(line).alias("raw"),
            *(expr.alias(name) for name, expr in columns.items()),
            *(
                (
                    pl.when(pl.col("_ts1").is_null()).then(fields.field(name)) if name == "ts" else fields.field(name)
                ).alias(_PRE + name)
                for name in _LIGHT
            ),
        )
    )


def _deferred(batches):
    """The engine's batches, in order; while Python-bound parsing (`PYTHON_BOUND`) runs on
    another thread, up to DEFERRED_BATCHES of them are held before the rows are built. The
    engine decodes without the GIL, so it fills the core the other parsing leaves idle; the
    runs, which take the GIL for each of their many small steps, come after it."""
    waiting: deque = deque()
    for batch in batches:
        waiting.append(batch)
        if PYTHON_BOUND.active and len(waiting) < DEFERRED_BATCHES:
            continue
        while waiting:
            yield waiting.popleft()
    while waiting:
        yield waiting.popleft()


def _predecoded(df: pl.DataFrame) -> tuple[pl.DataFrame, list[int]]:
    """`_logs.decode_json(df["body"])` of lines the engine decoded already: its fields for
    the plain lines (`HelmRelease` read only where the rows need it), `decode_json` itself
    for the other lines that `json.loads` reads as an object (mostly none: records cut short)."""
    n = df.height
    decoded = _with_objects(
        df.select(pl.when(pl.col("_plain")).then(pl.col("body")))["body"],
        df.select(pl.col(_PRE + name).alias(name) for name in _LIGHT),
    )
    others = (~df["_plain"]).arg_true().cast(pl.Int64)
    text = df["body"].gather(others)
    shaped = (text.str.contains(r"^\s*\{") & text.str.contains(r"\}\s*$")).fill_null(False)
    refused, candidates = others.filter(~shaped), others.filter(shaped)
    objects = pl.Series(
        [_is_object(line) for line in df["body"].gather(candidates).str.strip_chars().to_list()], dtype=pl.Boolean
    )
    good = candidates.filter(objects)
    failed = sorted(refused.to_list() + candidates.filter(~objects).to_list())
    if not len(good):
        return decoded, failed
    rest, bad = _logs.decode_json(df["body"].gather(good))
    failed = sorted(failed + good.gather(bad).to_list())
    everything = pl.int_range(0, n, dtype=pl.Int64, eager=True)
    return _logs.assemble(n, [(everything, decoded), (good, rest)], _logs.DTYPES), failed


def _is_object(text: str) -> bool:
    """json.loads reads the text as a JSON object (a line checked before it is decoded)."""
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


def _with_objects(texts: pl.Series, decoded: pl.DataFrame) -> pl.DataFrame:
    """`decoded` (read without OBJECT_FIELDS) with those fields read where a row lacks its
    name, namespace or kind, null elsewhere (the rows read them nowhere else); RECORD's columns."""
    need = decoded.select(
        pl.col("name").is_null()
        | pl.col("namespace").is_null()
        | (pl.col("controllerKind").is_null() & pl.col("reconciler kind").is_null())
    ).to_series()
    where = (need & texts.is_not_null()).arg_true()
    schema = {name: _logs.DTYPES[name] for name in OBJECT_FIELDS}
    if not len(where):
        return decoded.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in schema.items()).select(
            _logs.FIELDS
        )
    values = texts.gather(where)
    try:
        found = values.str.json_decode(_OBJECTS).struct.unnest()
    except Exception:  # noqa: BLE001 - e.g. a HelmRelease that is not an object: line by line
        found = _logs.decode_lines(values)[0].select(OBJECT_FIELDS)
    if found.height != len(where):
        found = _logs.decode_lines(values)[0].select(OBJECT_FIELDS)
    columns = _logs.assemble(decoded.height, [(where.cast(pl.Int64), found)], schema)
    return pl.concat([decoded, columns], how="horizontal").select(_logs.FIELDS)


# --- repeated strings, stored once --------------------------------------------------------------

# Long strings that repeat from record to record: templated messages, `namespace/name`. Not
# reconcile ids: a reconcile writes two or three lines at the info level, too few to share.
SHARED = ("msg", "release", "error", "logger", "extra")


class Repeats:
    """The distinct values of the SHARED columns seen repeated so far in the runs of one log, so
    that a run's repeats are looked up in them rather than hashed into a distinct set of its own.
    A value that appears once in its run (a text record's whole line) is not added: the set is
    rebuilt into an Enum each time it grows, at a cost that grows with its size. Used by the
    threads that build the runs of one log; values are only ever added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, tuple[pl.Series, pl.DataType]] = {}  # column -> (values, Enum of them)

    def codes(self, name: str, values: pl.Series, present: int) -> tuple[pl.Series, pl.Series] | None:
        """(distinct values, each row's position in them, null where the row's value is not
        among them), or None when the column has too many values not seen before to be worth
        sharing (more than a quarter of its values)."""
        known = self._known.get(name)
        codes = values.cast(known[1], strict=False) if known else None
        if codes is not None and codes.null_count() == values.null_count():
            return known[0], codes.to_physical()
        with self._lock:  # new values: added once, by one thread at a time
            if self._known.get(name) is not known:  # another thread added values since
                known = self._known[name]
                codes = values.cast(known[1], strict=False)
            unseen = values.drop_nulls() if codes is None else values.filter(codes.is_null() & values.is_not_null())
            if unseen.n_unique() * 4 > present:
                return None
            new = unseen.filter(unseen.is_duplicated()).unique()  # (unique: its own compact buffer)
            if new.len():
                # one chunk: a gather from several chunks copies the strings it takes
                distinct = new if known is None else pl.concat([known[0], new], rechunk=True)
                known = (distinct, pl.Enum(distinct))
                self._known[name] = known
                codes = values.cast(known[1], strict=False)
            if known is None:
                return None
            return known[0], codes.to_physical()


def share(df: pl.DataFrame, repeats: Repeats, columns: tuple[str, ...] = SHARED) -> pl.DataFrame:
    """The same frame (same values and dtypes), each of these String columns pointing into one
    buffer of its distinct values (a gather) instead of each row carrying its own copy; a value
    not among them keeps its own."""
    shared = []
    for name in columns:
        values = df[name]
        present = values.len() - values.null_count()
        if present < 64:
            continue
        found = repeats.codes(name, values, present)
        if found is not None:
            distinct, codes = found
            column = distinct.gather(codes)
            if codes.null_count() > values.null_count():
                # The values not among them (seen once in the run), as a copy of their own
                # (`+ ""`): views into the run's strings would keep all of the run's text alive.
                where = (codes.is_null() & values.is_not_null()).arg_true()
                column = column.scatter(where, values.gather(where) + "")
            shared.append(column.alias(name))
    return df.with_columns(shared) if shared else df


def wants(data: bytes | FileData) -> bool:
    """The member is big enough for this path."""
    return len(data) >= MIN_BYTES
