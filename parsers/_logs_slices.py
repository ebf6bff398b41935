"""A big log the streaming engine does not decode, built by the reference a slice at a time.

The reference (`_logs.read_lines`, the dialect's `prepare`, `_logs.build_rows`) holds every
line of a member and the frames made from them at once: 9-14x the member's size (a 1 GB
log in zap's console encoding would need ~14 GB; bench/README.md). When big, zap's console
encoding, `flux logs`, and the logs the engine declines (a carriage return, invalid UTF-8, a
`{...}` line that is no JSON, CRI partial lines) take this path instead, in the dialects whose
lines are read each alone (zap JSON, console, `flux logs`, CRI, `--timestamps`, Loki): the
member is cut at line ends into slices of about SLICE_BYTES, each starting at a line the
reference reads as a record of its own (so a stack trace stays with the record before it, a
partial line with its end), and the slices are built alone, two at a time.

Contract: `build(...)` adds to the result exactly what the reference adds for the whole
member: the same rows in the same order, the same problems and note. What the reference
decides for the whole member is decided so here too: invalid UTF-8 anywhere is one problem
and no line keeps its offset, nor does any when a carriage return is found anywhere.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from parsers import _logs
from parsers._base import FileData, ParseResult
from parsers._logs_stream import Repeats, Taken, share

# Slices of about this size: the reference's frames of one slice take ~14x it at most.
SLICE_BYTES = 8 << 20
# Lines tried at once as the start of the next slice (one build of the reference for them).
TRIES = 64
# Lines before them the candidates are read after (a CRI line after a partial one is not a record
# of its own; blank lines between them do not count).
CONTEXT = 8
WORKERS = 2  # slices built at once (Polars' calls release the GIL)


def build(
    result: ParseResult,
    data: bytes | FileData,
    source: str,
    prepare: Callable[[pl.DataFrame], pl.DataFrame],
    *,
    unreadable: str = "unreadable lines",
    **options,
) -> None:
    """`_logs.build(result, prepare(_logs.read_lines(data, source, result)), source, ...)`,
    slice by slice when the member is bigger than two slices. `prepare` must read each line
    alone (no line's columns depend on another's)."""
    if len(data) < 2 * SLICE_BYTES:
        data = data.read() if isinstance(data, FileData) else data
        lines = prepare(_logs.read_lines(data, source, result))
        _logs.build(result, lines, source, unreadable=unreadable, **options)
        return

    def first_record(context: list[bytes], candidates: list[bytes]) -> int | None:
        """Which of the candidate lines is the first that starts a record of its own in the
        member, read after the lines before it (`context`): a record in these lines, not the
        first line of a record pieced together from partial lines (CRI) nor after one."""
        text = b"".join(line + b"\n" for line in context + candidates)  # an empty line is a line too
        lines = prepare(_logs.read_lines(text, source, ParseResult(result.parser)))
        rows = _logs.build_rows(lines, source, **options)
        heads = set(rows.logs["line"].to_list())
        for df in rows.untimed:
            heads.update(df.filter(pl.col("reason") == _logs.UNTIMED)["line"].to_list())
        if "partial" in lines.columns:  # whole, and after a whole line (not after a blank only)
            partial = pl.col("partial").fill_null(False)
            whole = lines.filter(pl.col("role") == "line").filter(~partial & ~partial.shift(1, fill_value=True))
            heads &= set(whole["line"].to_list())
        return next((i for i in range(len(candidates)) if len(context) + i + 1 in heads), None)

    replaced, changed = _whole_member_checks(data)
    if replaced:
        result.problem(source, None, "invalid UTF-8 replaced with U+FFFD")
    repeats = Repeats()

    def work(start: int, piece: bytes, before: int) -> _logs.Rows:
        read = ParseResult(result.parser)  # its invalid UTF-8 problem is the member's, above
        # no offsets when the text changes on the way anywhere in the member (as the reference)
        lines = _logs.read_lines(piece, source, read, base=None if replaced or changed else start)
        lines = lines.with_columns(pl.col("line") + before)
        rows = _logs.build_rows(prepare(lines), source, **options)
        rows.logs = share(rows.logs, repeats)
        return rows

    built = []  # futures in member order, at most WORKERS not yet taken
    taken = Taken()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        before = 0  # lines in the slices before this one
        for start, piece in _slices(data, first_record):
            if len(built) == WORKERS:
                taken.add(built.pop(0).result())
            built.append(pool.submit(work, start, piece, before))
            before += piece.count(b"\n") + (not piece.endswith(b"\n"))
        for future in built:
            taken.add(future.result())
    taken.into(result, unreadable)


def _whole_member_checks(data: bytes | FileData) -> tuple[bool, bool]:
    """Whether the member holds invalid UTF-8, and a carriage return: `_logs.read_lines`
    decides on both for the whole member."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    invalid = carriage = False
    for block in _blocks(data):
        carriage = carriage or b"\r" in block
        # ASCII is valid UTF-8, unless a character of the block before is not finished
        if not invalid and not (block.isascii() and not decoder.getstate()[0]):
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                invalid = True
    if not invalid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:  # the member ends inside a character
            invalid = True
    return invalid, carriage


Finder = Callable[[list[bytes], list[bytes]], "int | None"]


def _slices(data: bytes | FileData, first_record: Finder) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) of consecutive pieces of the member, each ending at a line end (the last
    may not) and each after the first starting at a record (`first_record`). Where no record
    is found the piece grows: such a log is read whole, as by the reference."""
    start, pending, searched = 0, b"", 0  # searched: where the search for a record goes on
    for block in _blocks(data):
        pending += block
        while len(pending) > SLICE_BYTES:
            cut, searched = _cut(pending, max(searched, SLICE_BYTES - 1), first_record)
            if cut is None:
                break
            yield start, pending[:cut]
            start, pending, searched = start + cut, pending[cut:], 0
    if pending:
        yield start, pending


def _cut(pending: bytes, since: int, first_record: Finder) -> tuple[int | None, int]:
    """Where the first record among the TRIES whole lines after the line end at or after
    `since` starts (read after the CONTEXT lines before them), and where to search next time
    (None: no record among them)."""
    starts, position = [], pending.find(b"\n", since) + 1
    while position and len(starts) < TRIES:
        end = pending.find(b"\n", position)
        if end < 0:  # the line goes on in the next block
            break
        starts.append((position, end))
        position = end + 1
    if not starts:
        return None, since
    context, end = [], starts[0][0] - 1  # the newline before the first candidate
    while end >= 0 and len(context) < CONTEXT:
        begin = pending.rfind(b"\n", 0, end) + 1
        context.insert(0, pending[begin:end])
        end = begin - 1
    found = first_record(context, [pending[begin:end] for begin, end in starts])
    if found is None:
        return None, starts[-1][1]
    return starts[found][0], 0


def _blocks(data: bytes | FileData) -> Iterator[bytes]:
    if isinstance(data, bytes):
        for start in range(0, len(data), SLICE_BYTES):
            yield data[start : start + SLICE_BYTES]
        return
    with data.open() as handle:
        while block := handle.read(SLICE_BYTES):
            yield block
