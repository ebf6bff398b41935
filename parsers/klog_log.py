"""klog text lines (Kubernetes' own log format) -> logs.

Flux controllers log with zap, but the Kubernetes client libraries inside them write klog
lines to the same stream: a watch that fails because the API server no longer serves a kind
(`Failed to watch *v2beta1.HelmRelease: failed to list *v2beta1.HelmRelease: the server could
not find the requested resource`), leader election, throttling. The header is
`Lmmdd hh:mm:ss.uuuuuu threadid file:line] message` (k8s.io/klog `formatHeader`): the level
letter I/W/E/F, month and day but no year, so the time is left null (kept in the line) unless
the caller knows the year.
"""

from __future__ import annotations

import re

from parsers._base import ParseResult, frame, line_record
from parsers.layouts import log_context

NAME = "klog-log"
KIND = "logs"
TIMESTAMPS: dict[str, str] = {}

LINE = re.compile(
    r"^(?P<level>[IWEF])(?P<month>\d\d)(?P<day>\d\d) "
    r"(?P<time>\d\d:\d\d:\d\d\.\d+)\s+(?P<thread>\d+) (?P<file>[^\s:]+:\d+)\] (?P<msg>.*)$"
)
LEVELS = {"I": "info", "W": "warning", "E": "error", "F": "fatal"}
_LEVEL_LETTERS = frozenset(LEVELS)


def matches(path: str, head: bytes) -> bool:
    text = head.decode("utf-8", errors="replace")
    if text.lstrip()[:1] not in _LEVEL_LETTERS:  # the first line is no record (most members)
        return False
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    return (
        bool(lines)
        and all(LINE.match(line) or line.startswith((" ", "\t")) for line in lines[:5])
        and bool(LINE.match(lines[0]))
    )


def parse(data: bytes, source: str, *, pod: str | None = None, container: str | None = None) -> ParseResult:
    """`pod`, `container`: whose log this is when the path does not say (a pasted `kubectl logs`)."""
    result = ParseResult(NAME)
    context = log_context(source)
    rows: list[dict] = []
    for number, raw in enumerate(data.decode("utf-8", errors="replace").split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        found = LINE.match(line)
        if found is None:
            if rows and line.startswith((" ", "\t")):  # a continuation (a stack trace)
                rows[-1]["extra"] = (rows[-1]["extra"] + "\n" if rows[-1]["extra"] else "") + line
                rows[-1]["line_end"] = number
                continue
            result.problem(source, number, "not a klog line", line)
            continue
        rows.append(
            line_record(
                line,
                number,
                source,
                "klog",
                level=LEVELS[found["level"]],
                msg=found["msg"],
                logger=found["file"],
                pod=context.get("pod") or pod,
                container=context.get("container") or container,
                extra=None,
            )
        )
    result.add("logs", frame("logs", rows))
    result.note = f"{len(rows)} klog lines (no year in the header: times not set)"
    return result
