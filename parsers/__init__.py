"""Input formats -> typed Polars frames. Knows nothing about rules or reports.

Each parser module declares `NAME`, `KIND` (the frames it feeds), `TIMESTAMPS`, and two
functions: `matches(path, head) -> bool` (a cheap sniff of the member's name and first
bytes) and `parse(data, source) -> ParseResult` (never raises on bad content; bad lines
become problem rows). `PARSERS` is the explicit registry, tried in order.
"""

from __future__ import annotations

from parsers import (
    cri_log,
    describe_hr,
    dump_logs,
    event_tables,
    foreign,
    flux_logs,
    flux_tables,
    helm_collector,
    klog_log,
    kubectl_log,
    kubectl_prefix_log,
    logcli_log,
    logfmt_log,
    objects,
    paste,
    stern_log,
    zap_console_log,
    zap_log,
)
from parsers._base import FRAME_NAMES, SCHEMAS, FileData, ParseResult, conform, empty

# Sniff precedence: the most specific first. Line-prefixed log dialects before the plain
# ones; the cluster-info-dump blocks before the object documents they are interleaved with
# (and, past the head, found by `parse_member` in what looks like objects).
PARSERS = (
    logcli_log,
    zap_log,
    cri_log,
    flux_logs,
    zap_console_log,
    kubectl_log,
    kubectl_prefix_log,
    stern_log,
    klog_log,
    logfmt_log,
    dump_logs,
    event_tables,
    flux_tables,
    describe_hr,
    helm_collector,
    objects,
)

SNIFF_BYTES = 8192

__all__ = [
    "PARSERS",
    "FRAME_NAMES",
    "SCHEMAS",
    "ParseResult",
    "conform",
    "empty",
    "detect",
    "parse_member",
    "parse_small",
]


def detect(path: str, head: bytes):
    """The first parser whose sniff accepts this member, or None."""
    for parser in PARSERS:
        if parser.matches(path, head):
            return parser
    return None


def parse_member(path: str, data: bytes | FileData) -> ParseResult | None:
    """Parse one bundle member with the parser that recognises it; None if none does.

    A small text member that no parser reads, that its parser reads only in part (some
    lines become problem rows), or that gives no rows without being read whole (objects of
    kinds no frame takes are read whole: `ParseResult.whole`), is also read as a paste
    (`parsers.paste`: cleaned, cut into blocks, each block read by the parser of its format);
    the reading that leaves fewer of its lines unused is kept (then the one with more rows).
    A log or text of another program (`parsers.foreign`: past 16 kB, naming neither Flux nor
    Helm) is not read, by a log parser or as a paste (its result has no parser and says so);
    objects are read whatever they name, but not again as a paste.
    A parser that raises is a bug; the exception is turned into a problem row so that the
    rest of the bundle is still analysed.
    """
    streamed = isinstance(data, FileData)
    head = data.head(SNIFF_BYTES) if streamed else data[:SNIFF_BYTES]
    parser = detect(path, head)
    # a log or text of another program is listed, not read (searched once: `checked`)
    checked = parser.KIND == "logs" if parser else len(data) <= paste.MAX_BYTES and paste.matches(path, head)
    if checked and foreign.foreign(path, data):
        return ParseResult(None, note=foreign.NOTE)
    if parser is objects:  # objects, and maybe log blocks past the head: cluster-info dump's stdout
        parser = dump_logs if dump_logs.holds_blocks(data) else objects
        if streamed and parser is objects:  # not a streaming parser: read now
            data, streamed = data.read(), False
    result = _run(parser, path, data) if parser is not None else None
    unsure = result is None or (result.rows() == 0 and not result.whole) or result.problem_count()
    if (
        unsure
        and len(data) <= paste.MAX_BYTES
        and paste.matches(path, head)
        and (checked or not foreign.foreign(path, data))
    ):
        pasted = _run(paste, path, data.read() if streamed else data)
        if result is None or (-pasted.problem_count(), pasted.rows()) > (-result.problem_count(), result.rows()):
            for problem in result.problems if result is not None else []:
                if problem["reason"].startswith(f"parser {result.parser} failed"):  # a bug stays visible
                    pasted.problem(problem["source"], problem["line"], problem["reason"], problem["excerpt"])
            return pasted
    return result


def parse_small(members: list[tuple[str, bytes]]) -> list[ParseResult | None]:
    """`parse_member` of each of many small members, in order; the object files among them
    read together (`objects.parse_many`: the same results, a run's frames held by its last
    member's result)."""
    results: list[ParseResult | None] = [None] * len(members)
    run: list[int] = []  # consecutive object files

    def close() -> None:
        for index, result in zip(run, objects.parse_many([members[i] for i in run])):
            results[index] = result
        run.clear()

    for index, (path, data) in enumerate(members):
        if detect(path, data[:SNIFF_BYTES]) is objects and not dump_logs.holds_blocks(data):
            run.append(index)
        else:
            close()
    close()
    return [
        result if result is not None else parse_member(path, data) for result, (path, data) in zip(results, members)
    ]


def _run(parser, path: str, data: bytes | FileData) -> ParseResult:
    try:
        if isinstance(data, FileData) and not getattr(parser, "STREAMS", False):
            data = data.read()
        return parser.parse(data, path)
    except Exception as error:  # noqa: BLE001 - isolate one member's failure
        result = ParseResult(parser.NAME)
        result.problem(path, None, f"parser {parser.NAME} failed: {type(error).__name__}: {error}")
        return result
