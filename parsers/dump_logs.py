"""Container logs of `kubectl cluster-info dump` (`<ns>/<pod>/logs.txt`, or the stdout stream).

kubectl writes every container of a pod between markers (kubectl
`pkg/cmd/clusterinfo/clusterinfo_dump.go`):

    ==== START logs for container <c> of pod <ns>/<pod> ====
    ...the container's log, without timestamps (zap JSON for Flux controllers)...
    ==== END logs for container <c> of pod <ns>/<pod> ====

and `Create log request error: ...` / `Request log error: ...` inside a block when the log
could not be fetched (a problem row: missing evidence). The markers name the pod and
container of the lines between them; they are counted as marker lines. Without
`--output-directory` the same blocks are interleaved with the JSON objects on stdout: the
object text is then handed to the object parser with the log lines blanked, so every line
keeps its number.

A big member is decoded by Polars' streaming engine (`parsers._logs_stream`, the same rows
or it declines), each line taking the container of the block it is in: the file form, and
the stdout form, whose object lines the engine drops and the object parser reads a document
at a time (`_stdout_form`); what it declines takes the reference path below.
"""

from __future__ import annotations

import re
from collections import Counter

import polars as pl

from parsers import _logs, _logs_stream, objects
from parsers._base import FileData, ParseResult

NAME = "cluster-info-dump-logs"
STREAMS = True  # a big logs.txt on disk is handed over unread (parse() takes FileData)
KIND = "logs (and objects when the stdout stream mixes them)"
TIMESTAMPS = {"ts": "controller log time"}

MARKER = r"^==== (START|END) logs for container (\S+) of pod ([^/\s]+)/(\S+) ====$"
_START = b"==== START logs for container "
# MARKER's START line; Python's \S is narrower than Polars', so a match here is one there.
_START_LINE = re.compile(r"(?m)^==== START logs for container \S+ of pod [^/\s]+/\S+ ====\r?$")
# kubectl's line in a block when it could not fetch the container's log
FETCH_ERROR = r"^(Create log request error|Request log error): "
NOT_RECORD = "not a JSON log record"
FETCH_PROBLEM = "container log not collected by cluster-info dump"


def matches(path: str, head: bytes) -> bool:
    return _START in head


def holds_blocks(data: bytes | FileData) -> bool:
    """A START marker line anywhere in the data. The stdout form of cluster-info dump begins
    with objects; its first log block may come long after the head a sniff reads. (A file on
    disk is searched by the streaming engine, not read: the same answer.)"""
    if isinstance(data, FileData):
        try:
            starts = (
                pl.scan_lines(data.path, name="raw", row_index_name="line", row_index_offset=1)
                .filter(pl.col("raw").str.starts_with(_START.decode()))
                .collect()
            )
        except pl.exceptions.PolarsError:  # e.g. invalid UTF-8
            return holds_blocks(data.read())
        return bool((starts["line"] > 1).any()) and any(_START_LINE.match(line) for line in starts["raw"])
    return b"\n" + _START in data and bool(_START_LINE.search(data.decode("utf-8", errors="replace")))


def parse(data: bytes | FileData, source: str) -> ParseResult:
    result = ParseResult(NAME)
    if _logs_stream.wants(data):
        found = _markers(data)
        spans = _blocks_only(found, data) if found is not None else None
        if spans is not None and _logs_stream.parse(
            result, data, source, _prepare_inside, spans=spans, not_record=NOT_RECORD
        ):
            return result
        if spans is None and found is not None and _stdout_form(result, data, source, found):
            return result
    data = data.read() if isinstance(data, FileData) else data
    lines = _logs.read_lines(data, source, result)
    marker = pl.col("raw").str.extract_groups(MARKER)
    lines = lines.with_columns(marker.alias("_m"))
    start = pl.col("_m").struct.field("1") == "START"
    end = pl.col("_m").struct.field("1") == "END"
    # Inside a block: after a START and before its END (forward fill of the last marker).
    lines = lines.with_columns(
        pl.when(start).then(pl.col("_m").struct.field("2")).when(end).then(pl.lit("")).forward_fill().alias("_c"),
        pl.when(start).then(pl.col("_m").struct.field("4")).when(end).then(pl.lit("")).forward_fill().alias("_pod"),
        pl.when(start).then(pl.col("_m").struct.field("3")).when(end).then(pl.lit("")).forward_fill().alias("_ns"),
        pl.col("_m").struct.field("1").is_not_null().alias("_marker"),
    )
    inside = (pl.col("_c").fill_null("") != "") & ~pl.col("_marker")
    lines = lines.with_columns(
        _role(pl.col("_marker"), inside),
        pl.col("raw").alias("body"),
        pl.col("_pod").replace("", None).alias("pod"),
        pl.col("_c").replace("", None).alias("container"),
        pl.col("_ns").replace("", None).alias("pod_namespace"),
        (inside & pl.col("raw").str.contains(FETCH_ERROR)).alias("_fetch_error"),
    )
    for row in lines.filter("_fetch_error").select("line", "raw").iter_rows(named=True):
        result.problem(source, row["line"], FETCH_PROBLEM, row["raw"])
    logs = lines.filter(~pl.col("_fetch_error"))
    outside = logs.filter(pl.col("role") == "outside")
    if outside.height:
        # The stdout form: objects between the blocks. Blank every other line (log lines, fetch
        # errors), keep numbering.
        text = "\n".join(
            lines.select(pl.when(pl.col("role") == "outside").then(pl.col("raw")).otherwise(pl.lit("")))
            .to_series()
            .to_list()
        )
        if text.strip():
            parsed = objects.parse(text.encode("utf-8"), source)
            for kind, df in parsed.frames.items():
                result.add(kind, df)
            result.problems += parsed.problems
            object_note = parsed.note
        else:
            object_note = ""
    else:
        object_note = ""
    _logs.build(
        result,
        logs.filter(pl.col("role") != "outside").select(
            "line", "raw", "offset", "role", "body", "pod", "container", "pod_namespace"
        ),
        source,
        not_record=NOT_RECORD,
    )
    if object_note:
        result.note += f"; objects between the blocks: {object_note}"
    return result


def _role(marker: pl.Expr, inside: pl.Expr) -> pl.Expr:
    return (
        pl.when(marker)
        .then(pl.lit("marker"))
        .when(pl.col("raw").str.strip_chars() == "")
        .then(pl.lit("blank"))
        .when(inside)
        .then(pl.lit("line"))
        .otherwise(pl.lit("outside"))
        .alias("role")
    )


def _prepare_inside(lines: pl.DataFrame) -> pl.DataFrame:
    """The reference's role and body of lines that are all inside a block."""
    marker = pl.col("raw").str.contains(MARKER).fill_null(False)
    return lines.with_columns(_role(marker, pl.lit(True)), pl.col("raw").alias("body"))


def _markers(data: bytes | FileData) -> pl.DataFrame | None:
    """The lines that begin like a marker or hold a fetch error (`line`, `raw`, MARKER's groups
    `1` to `4`, null where it does not match), and the member's number of lines as the last
    row's `line` when that line is none of them; None when the engine cannot read the member
    (e.g. invalid UTF-8: the reference says what it replaced). One pass of the streaming engine."""
    try:
        scan = pl.scan_lines(
            data.path if isinstance(data, FileData) else data, name="raw", row_index_name="line", row_index_offset=1
        )
        found, count = pl.collect_all(
            [
                scan.filter(pl.col("raw").str.starts_with("==== ") | pl.col("raw").str.contains(FETCH_ERROR))
                .select(pl.col("line").cast(pl.Int64), "raw", pl.col("raw").str.extract_groups(MARKER).alias("_m"))
                .unnest("_m"),
                scan.select(pl.len().cast(pl.Int64).alias("lines")),
            ]
        )
    except pl.exceptions.PolarsError:
        return None
    return found.with_columns(pl.lit(count.item(), pl.Int64).alias("lines"))


def _blocks_only(found: pl.DataFrame, data: bytes | FileData) -> pl.DataFrame | None:
    """The markers (`_markers`) of a member whose every line is inside a block (kubectl's file
    form: a START on the first line, the next block's START right after an END, an END only
    as the last line otherwise) and that holds no fetch error, as spans of
    `_logs_stream.parse` (line, pod, container, pod_namespace: null from an END on); None for
    anything else."""
    if found["1"].null_count():  # a fetch error, or a line that only begins like a marker
        return None
    start = found["1"] == "START"
    if not found.height or found["line"][0] != 1 or not start[0]:
        return None
    # after each END but the last marker, the next marker on the next line
    after_end = found.select((pl.col("1") == "END") & pl.col("line").shift(-1).is_not_null()).to_series()
    if not (found["line"].shift(-1) == found["line"] + 1).filter(after_end).all():
        return None
    if found["1"][-1] == "END" and _last_line(data) != found["raw"][-1]:
        return None  # lines after the last END: outside every block
    return _spans(found)


def _spans(found: pl.DataFrame) -> pl.DataFrame:
    start = pl.col("1") == "START"
    return found.select(
        "line",
        pl.when(start).then(pl.col("4")).alias("pod"),
        pl.when(start).then(pl.col("2")).alias("container"),
        pl.when(start).then(pl.col("3")).alias("pod_namespace"),
    )


_BLANK = pl.col("raw").str.strip_chars() == ""  # the reference's blank line (`_role`)


def _in_blocks(markers: pl.DataFrame) -> pl.Expr:
    """True on a marker line and on a line inside a block (after a START, up to the next
    marker; the reference's forward fill of the last marker), from the markers (`line`, kind
    `1`): each line's interval between the markers' lines (and the lines after each END),
    found by a sorted search per line, no state carried from line to line."""
    kinds = dict(zip(markers["line"].to_list(), markers["1"].to_list()))
    breaks = sorted(set(kinds) | {line + 1 for line, kind in kinds.items() if kind == "END"})
    marked = [index + 1 for index, line in enumerate(breaks) if line in kinds]  # the intervals from a marker on
    return pl.col("line").cast(pl.Int64).bin_intervals(breaks, labels=False).is_in(marked)


def _stdout_form(result: ParseResult, data: bytes | FileData, source: str, found: pl.DataFrame) -> bool:
    """The stdout form (objects between the blocks) as the reference reads it, or False: the
    log lines by the streaming engine, each taking its block's container, the object lines
    dropped; then the lines outside every block (not blank, no marker) read again and handed
    to the object parser as the reference hands them (`_objects`). (The logs first: the peak
    is ~0.2 GB lower than with the objects' memory held under them.) Declined for a line that
    only begins like a marker. A fetch error in a block is a problem row, as in the
    reference, and no part of the log; out of the blocks it is an object line."""
    errors = found.filter(pl.col("1").is_null())
    if not errors["raw"].str.contains(FETCH_ERROR).all():
        return False  # a line that only begins like a marker
    markers = found.filter(pl.col("1").is_not_null())
    if not markers.height:
        return False
    blocks = _in_blocks(markers)
    # the fetch errors in a block: problem rows, no part of the log (out of the blocks: objects)
    errors = errors.join_asof(markers.select("line", pl.col("1").alias("_last")), on="line", strategy="backward")
    errors = errors.filter(pl.col("_last") == "START")
    logs = ParseResult(NAME)
    keep = (blocks | _BLANK) & ~pl.col("line").cast(pl.Int64).is_in(errors["line"].to_list())
    if not _logs_stream.parse(
        logs, data, source, _prepare_inside, spans=_spans(markers), keep=keep, not_record=NOT_RECORD
    ):
        return False
    parsed = _objects(data, source, ~blocks & ~_BLANK, found["lines"][0])
    if parsed is False:
        return False
    for row in errors.iter_rows(named=True):
        result.problem(source, row["line"], FETCH_PROBLEM, row["raw"])
    object_note = ""
    if parsed is not None:
        for kind, df in parsed.frames.items():
            result.add(kind, df)
        result.problems += parsed.problems
        object_note = parsed.note
    for kind, df in logs.frames.items():
        result.add(kind, df)
    result.add_problems(logs.problem_frame())
    result.note = logs.note + (f"; objects between the blocks: {object_note}" if object_note else "")
    return True


def _objects(data: bytes | FileData, source: str, object_line: pl.Expr, count: int) -> ParseResult | None | bool:
    """The object parser's reading of the lines outside every block (`object_line`; None:
    there are none; False: the engine cannot read the member), a document at a time where it
    can be."""
    path = data.path if isinstance(data, FileData) else data
    try:
        documents = _documents(path, object_line)
        if documents == []:
            return None
        few = documents is not None and len(documents) <= MAX_DOCUMENTS
        parsed = _by_document(data, source, documents) if few else None
        if parsed is not None:
            return parsed
        # as the reference reads them: one text of `count` lines, the others blank
        lines = pl.scan_lines(path, name="raw", row_index_name="line", row_index_offset=1).filter(object_line)
        lines = lines.select(pl.col("line").cast(pl.Int64), "raw").collect(engine="streaming")
    except pl.exceptions.PolarsError:
        return False
    every = pl.int_range(1, count + 1, dtype=pl.Int64, eager=True).alias("line").to_frame()
    text = every.join(lines, on="line", how="left")["raw"].fill_null("").str.join("\n").item()
    del lines, every
    return objects.parse(text.encode("utf-8"), source) if text.strip() else None


def _documents(path: str | bytes, object_line: pl.Expr) -> list[tuple[int, int, int]] | None:
    """The JSON documents kubectl printed between the blocks (indented, from a `{` line to a
    `}` line): their first line and byte range, when every object line is in one and nothing
    else is ([] when there is no object line); else None. Two passes of the streaming engine."""
    lines = pl.scan_lines(path, name="raw", row_index_name="line", row_index_offset=1)
    length = pl.col("raw").str.len_bytes().cast(pl.Int64) + 1
    bounds = (
        lines.with_columns((length.cum_sum() - length).alias("offset"), length.alias("length"))
        .filter(object_line & pl.col("raw").is_in(["{", "}"]))
        .select(pl.col("line").cast(pl.Int64), "raw", "offset", "length")
        .collect(engine="streaming")
    )
    starts, ends = bounds.filter(pl.col("raw") == "{"), bounds.filter(pl.col("raw") == "}")
    if bounds["raw"].to_list() != ["{", "}"] * starts.height:
        return None
    if not starts.height:
        return [] if not lines.filter(object_line).select(pl.len()).collect(engine="streaming").item() else None
    first, last = starts["line"].to_list(), ends["line"].to_list()
    breaks = sorted({*first, *(line + 1 for line in last)})
    in_documents = (
        pl.col("line")
        .cast(pl.Int64)
        .bin_intervals(breaks, labels=False)
        .is_in([index + 1 for index, line in enumerate(breaks) if line in set(first)])
    )
    total, inside = (
        lines.select(object_line.sum().alias("total"), (object_line & in_documents).sum().alias("inside"))
        .collect(engine="streaming")
        .row(0)
    )
    if not total == inside == sum(end - begin + 1 for begin, end in zip(first, last)):
        return None  # an object line out of the documents, or another line inside one
    return list(zip(first, starts["offset"].to_list(), (ends["offset"] + ends["length"] - 1).to_list()))


_COUNTED = re.compile(r"([A-Za-z][A-Za-z0-9]*)×([0-9]+)")
# kubectl prints about seven lists a namespace; past this many documents (~0.3 ms each to parse
# alone) the one text of the reference is read instead
MAX_DOCUMENTS = 10_000


def _by_document(data: bytes | FileData, source: str, documents: list[tuple[int, int, int]]) -> ParseResult | None:
    """The documents (first line, byte range) read as the reference reads their lines, one
    at a time: a big EventList takes its column-wise path. The same rows, their lines counted
    in the member, and the same note; None (the reference reads them) unless every document is
    read without a problem and every note only counts kinds."""
    result, kinds = ParseResult(objects.NAME), Counter()
    for line, start, stop in documents:
        parsed = objects.parse(_read(data, start, stop) + b"\n", source)
        counted = [_COUNTED.fullmatch(part) for part in parsed.note.split(", ")]
        if parsed.problem_count() or parsed.note != "no objects" and not all(counted):
            return None
        for match in counted if parsed.note != "no objects" else []:
            kinds[match[1]] += int(match[2])
        for kind, df in parsed.frames.items():  # the document's lines are the member's from `line` on
            result.add(kind, df.with_columns(pl.col(name) + (line - 1) for name in df.columns if "line" in name))
    result.note = ", ".join(f"{kind}×{count}" for kind, count in sorted(kinds.items())) or "no objects"
    return result


def _read(data: bytes | FileData, start: int, stop: int) -> bytes:
    if isinstance(data, bytes):
        return data[start:stop]
    with data.open() as handle:
        handle.seek(start)
        return handle.read(stop - start)


def _last_line(data: bytes | FileData) -> str:
    """The member's last line (without its newline), read from its end."""
    if isinstance(data, FileData):
        with data.open() as handle:
            handle.seek(max(0, data.size - 4096))
            tail = handle.read()
    else:
        tail = data[-4096:]
    return tail.removesuffix(b"\n").rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")
