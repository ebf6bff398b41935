"""The sniffs' quick refusals (most members are no log of the format asked about) give the
answers of the full tests they stand before."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from parsers import _logs, klog_log, stern_log

# Lines of the formats the sniffs tell apart, and what may stand before or between them.
LINES = [
    "I0312 10:00:00.123456       1 reconcile.go:42] reconciling",
    "E0312 10:00:01.5 7 x.go:1] failed",
    "W0312 bad klog line",
    "flux-system helm-controller-5d8b9c7f4-x2x9k manager 2024-02-12T10:30:00.000000000+01:00 text",
    'helm-controller-5d8b9c7f4-x2x9k manager {"level":"info","ts":"2024-02-12T09:30:00.101Z","msg":"x"}',
    "pod.with.dots container 01-02 15:04:05 text",
    '\x1b[36mhelm-controller-x\x1b[0m \x1b[32mmanager\x1b[0m {"msg":"x"}',
    "apiVersion: v1",
    "kind: Event",
    "Name:         podinfo",
    '{"level":"info","msg":"x"}',
    "  indented continuation",
    "\tgoroutine 1 [running]:",
    "",
    " ",
    "\r",
]
SEPARATORS = ["\n", "\r\n", "\x0b", "\x1c", "\x85", "\u2028"]
HEADS = st.lists(st.tuples(st.sampled_from(LINES), st.sampled_from(SEPARATORS)), max_size=25).map(
    lambda parts: "".join(line + separator for line, separator in parts).encode()
)


def _first_lines(head: bytes, count: int) -> tuple[str, ...]:
    text = head.decode("utf-8", errors="replace")
    return tuple([line.rstrip("\r") for line in text.split("\n") if line.strip()][:count])


def _klog(head: bytes) -> bool:
    lines = [line for line in head.decode("utf-8", errors="replace").splitlines()[:20] if line.strip()]
    return (
        bool(lines)
        and all(klog_log.LINE.match(line) or line.startswith((" ", "\t")) for line in lines[:5])
        and bool(klog_log.LINE.match(lines[0]))
    )


def _stern(head: bytes) -> bool:
    lines = _first_lines(head, 10)
    return bool(lines) and stern_log._shape([stern_log._ANSI.sub("", lines[0])]) is not None


@settings(max_examples=500, deadline=None, database=None)
@given(HEADS)
@example(b"\x85I0312 10:00:00.1 1 a.go:1] x\n")  # a line break of str.splitlines() before the record
@example(b"\x1fI0312 10:00:00.1 1 a.go:1] x\n")
def test_the_quick_refusals_give_the_full_tests_answers(head):
    for count in (10, 20):
        assert _logs.first_lines(head, count) == _first_lines(head, count)
    assert klog_log.matches("x.log", head) == _klog(head)
    assert stern_log.matches("x.log", head) == _stern(head)
