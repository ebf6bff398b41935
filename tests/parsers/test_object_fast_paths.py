"""The fast paths of the Kubernetes object parser give exactly what the per-object path gives:
the column-wise EventList reader (`event_list_fast.parse`), the `str.find` search of
`kube.Locator` over `kube.Lines`, and the one-pass decoding of bare JSON arrays (`kube.load`)."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from parsers import event_list_fast, kube, objects


def _event(i: int, **changes) -> dict:
    event = {
        "metadata": {
            "name": f"svc-{i}.17bbe86562bb8297",
            "namespace": "team-00",
            "uid": f"uid-{i}",
            "resourceVersion": str(1000 + i),
            "creationTimestamp": "2024-03-12T04:00:05Z",
            "annotations": {
                "helm.toolkit.fluxcd.io/revision": "1.5.5",
                "helm.toolkit.fluxcd.io/token": f"sha256:{i:064x}",
            },
        },
        "involvedObject": {
            "kind": "HelmRelease",
            "namespace": "team-00",
            "name": f"svc-{i}",
            "uid": "x",
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
        },
        "reason": "UpgradeSucceeded",
        "message": f"Helm upgrade succeeded for release team-00/svc-{i}.v{i % 7} with chart svc@1.{i % 5}.0",
        "source": {"component": "helm-controller"},
        "firstTimestamp": "2024-03-12T04:00:05Z",
        "lastTimestamp": "2024-03-12T04:10:05Z",
        "count": 1 + i % 3,
        "type": "Normal",
        "eventTime": None,
        "reportingComponent": "",
        "reportingInstance": "",
    }
    for path, value in changes.items():
        target = event
        *parents, last = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        if value is _DROP:
            target.pop(last, None)
        else:
            target[last] = value
    return event


_DROP = object()

# Events of every shape `extract` reads: each is also the odd one out in a list of plain ones.
ODD_EVENTS = [
    {"message": 'a "quoted" message with \\ backslash, tab\t and é ünïcode ✓'},
    {"message": "'starts with a quote"},
    {"message": ""},
    {"message": _DROP},
    {"message": _DROP, "reason": _DROP},
    {"message": None, "reason": ""},
    {
        "metadata.annotations.note-message": "Helm upgrade succeeded earlier"
    },  # an earlier line holding `message` and the needle
    {"metadata.labels": {"message": "x"}},  # an earlier line holding `"message"` but not the needle
    {"metadata.name": "message-of-the-day"},
    {"count": 0},
    {"count": _DROP},
    {"count": None},
    {"series": {"count": 7, "lastObservedTime": "2024-03-12T05:00:00.123456Z"}},
    {"series": {"count": 0}},
    {"series": None},
    {"eventTime": "2024-03-12T04:00:05.654321Z", "firstTimestamp": None},
    {"firstTimestamp": "2024-03-12T06:00:05+02:00"},
    {"firstTimestamp": "2024-03-12T04:00:05.1234567Z"},
    {"firstTimestamp": "", "lastTimestamp": ""},
    {"firstTimestamp": " 2024-03-12T04:00:05Z"},
    {"firstTimestamp": "2024-02-30T00:00:00Z"},
    {"firstTimestamp": "not a time"},
    {"lastTimestamp": "2024-03-12 04:00:05.123456789 +0000 UTC"},
    {"metadata.creationTimestamp": _DROP, "firstTimestamp": None},
    {"metadata.creationTimestamp": "0000-01-01T00:00:00Z"},  # never read: firstTimestamp comes first
    {"involvedObject.namespace": _DROP},
    {"involvedObject.namespace": "", "metadata.namespace": _DROP},
    {"involvedObject.name": _DROP},
    {"involvedObject": _DROP},
    {"involvedObject.kind": "Pod", "involvedObject.fieldPath": "spec.containers{manager}"},
    {"metadata": None},
    {"metadata.annotations": _DROP},
    {"source": _DROP, "reportingComponent": "kubelet"},
    {"source.component": "", "reportingComponent": _DROP},
    {"kind": "Event"},
    {"kind": ""},
    {"type": _DROP},
    {"extra_nan": float("nan"), "more_inf": [float("inf")]},  # json.loads reads NaN and Infinity; so must the fast path
    {
        "related": {"kind": "Pod", "name": "p"},
        "action": "Pulling",
        "extra": {"deep": {"er": [[1, 2], []]}},
        "more": [[[]]],
    },
]

# Events the fast path must leave to `extract` (it declines the whole list).
DECLINED_EVENTS = [
    {"note": None},
    {"regarding": {"kind": "Pod"}, "note": "new style"},
    {"count": 1.0},
    {"count": True},
    {"count": "3"},
    {"message": 5},
    {"metadata": "x"},
    {"involvedObject": []},
    {"kind": "Pod"},
    {"firstTimestamp": "0000-01-01T00:00:00Z"},  # ts_value raises: a problem row of the per-object path
    {"firstTimestamp": "0000-01-01T00:00:00+00:00"},
]


def _event_list(events: list, indent: int | str = 2) -> bytes:
    """troubleshoot's `events/<ns>.json` (indent 2), `kubectl cluster-info dump`'s (indent 4)."""
    return json.dumps(
        {"kind": "EventList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": events}, indent=indent
    ).encode()


def _kubectl_list(events: list) -> bytes:
    """`kubectl get events -A -o json`: a `List` whose items name their kind, keys in order."""
    items = [{"apiVersion": "v1", "kind": "Event", **event} for event in events]
    return json.dumps(
        {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}},
        indent=4,
        sort_keys=True,
    ).encode()


# Every layout the fast path reads: (name, events -> bytes).
LAYOUTS = {
    "troubleshoot": _event_list,
    "cluster-info-dump": lambda events: _event_list(events, indent=4),
    "kubectl-o-json": _kubectl_list,
}


def _reference(data: bytes, monkeypatch) -> objects.ParseResult:
    monkeypatch.setattr(event_list_fast, "MIN_BYTES", 1 << 40)
    try:
        return objects.parse(data, "events/ns.json")
    finally:
        monkeypatch.undo()


def _same(fast, slow) -> None:
    assert set(fast.frames) == set(slow.frames)
    for kind in slow.frames:
        assert_frame_equal(fast.frames[kind], slow.frames[kind])
    assert (fast.note, fast.problems) == (slow.note, slow.problems)


def _with_odd_event(change: dict, layout=_event_list) -> bytes:
    """A list of five ordinary events and, third, one changed by `change`."""
    events = [_event(i) for i in range(5)]
    events.insert(2, _event(99, **change))
    return layout(events)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("change", ODD_EVENTS, ids=[str(sorted(c)) for c in ODD_EVENTS])
def test_event_list_fast_path_reads_every_shape_as_extract(change, layout, monkeypatch):
    if layout == "kubectl-o-json" and "kind" in change:
        change = {key: value for key, value in change.items() if key != "kind"}  # a List's items name theirs
    data = _with_odd_event(change, LAYOUTS[layout])
    fast = event_list_fast.parse(data, "events/ns.json", objects.NAME)
    assert fast is not None
    slow = _reference(data, monkeypatch)
    assert_frame_equal(fast.frames["events"], slow.frames["events"])
    assert (fast.note, fast.problems) == (slow.note, slow.problems)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("change", DECLINED_EVENTS, ids=[str(sorted(c)) for c in DECLINED_EVENTS])
def test_event_list_fast_path_declines_what_it_would_read_otherwise(change, layout, monkeypatch):
    data = _with_odd_event(change, LAYOUTS[layout])
    assert event_list_fast.parse(data, "events/ns.json", objects.NAME) is None
    monkeypatch.setattr(event_list_fast, "MIN_BYTES", 0)  # objects.parse tries the fast path, then takes extract
    result = objects.parse(data, "events/ns.json")
    slow = _reference(data, monkeypatch)
    _same(result, slow)


def _declined(data: bytes, monkeypatch) -> None:
    assert event_list_fast.parse(data, "events/ns.json", objects.NAME) is None
    monkeypatch.setattr(event_list_fast, "MIN_BYTES", 0)
    result = objects.parse(data, "events/ns.json")
    slow = _reference(data, monkeypatch)
    _same(result, slow)


def test_event_list_fast_path_declines_other_layouts(monkeypatch):
    events = [_event(i) for i in range(4)]
    good = _event_list(events)
    assert event_list_fast.parse(good, "e.json", objects.NAME) is not None
    for indent in (1, 3, 8):  # any indent of spaces is Go's layout
        fast = event_list_fast.parse(_event_list(events, indent=indent), "events/ns.json", objects.NAME)
        _same(fast, _reference(_event_list(events, indent=indent), monkeypatch))
    _declined(_event_list(events, indent="\t"), monkeypatch)
    _declined(_event_list(events, indent=4).replace(b"\n        {\n", b"\n       {\n", 1), monkeypatch)  # an item at 7
    _declined(good.replace(b"\n", b"\r\n"), monkeypatch)  # CR LF
    _declined(good[:-40], monkeypatch)  # cut short: invalid JSON
    _declined(good + b"\n{}", monkeypatch)  # a second document
    _declined(
        good.replace(b'"reason": "UpgradeSucceeded"', b'"reason": "UpgradeSucceeded", "reason": "x"', 1), monkeypatch
    )
    _declined(good.replace(b'"kind": "EventList"', b'"kind": "List"'), monkeypatch)  # items without their kind
    _declined(good.replace(b'"kind": "EventList"', b'"kind": "PodList"'), monkeypatch)
    kubectl = _kubectl_list(events)
    assert event_list_fast.parse(kubectl, "e.json", objects.NAME) is not None
    _declined(kubectl.replace(b'"kind": "Event"', b'"kind": "Pod"', 1), monkeypatch)  # not only Events
    _declined(kubectl.replace(b'"kind": "Event",\n', b"", 1), monkeypatch)  # an item of a List without its kind
    _declined(good.replace(b'"kind": "EventList",', b'"kind": "EventList", "kind": "PodList",'), monkeypatch)
    _declined(good.replace(b'"svc-1"', b'"svc-\xff"', 1), monkeypatch)  # invalid UTF-8


def test_event_list_fast_path_declines_items_not_ending_on_their_own_line(monkeypatch):
    """The lines look like the layout (`{` ... `},` `{` ... `}`), but the first item ends, and the
    second begins, in the middle of a line: the `},` line closes an object inside the second."""
    text = """{
  "kind": "EventList",
  "items": [
    {
      "message": "first",
      "a": [
{"x": 1}], "reason": "r1"}, {"message": "second", "reason": "r2", "b": [{
      "y": 2
    },
    {
      "z": 3}]
    }
  ]
}
"""
    data = text.encode()
    assert [item["message"] for item in json.loads(data)["items"]] == ["first", "second"]
    _declined(data, monkeypatch)


def test_event_list_fast_path_declines_a_nested_items_array(monkeypatch):
    """A `"items": [` line laid out as the list's, that is not the list's own `items`."""
    text = """{
  "kind": "EventList",
  "metadata": {
  "items": [
    {
      "message": "not an event",
      "reason": "r"
    }
  ]
  },
  "items": [{"message": "the event", "reason": "r"}]
}
"""
    data = text.encode()
    assert [item["message"] for item in json.loads(data)["items"]] == ["the event"]
    _declined(data, monkeypatch)


def test_event_list_fast_path_declines_nesting_near_the_decoders_limit(monkeypatch):
    deep: object = []
    for _ in range(750):
        deep = [deep]
    events = [_event(i) for i in range(3)]
    events[1]["extra"] = deep
    _declined(_event_list(events), monkeypatch)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_event_list_fast_path_on_a_large_random_list(layout, monkeypatch):
    rng = random.Random(11)
    events = []
    for i in range(3000):
        change = rng.choice(ODD_EVENTS) if rng.random() < 0.3 else {}
        if layout == "kubectl-o-json":
            change = {key: value for key, value in change.items() if key != "kind"}
        events.append(_event(i, **change))
    data = LAYOUTS[layout](events)
    assert len(data) >= event_list_fast.MIN_BYTES
    fast = objects.parse(data, "events/ns.json")
    slow = _reference(data, monkeypatch)
    assert_frame_equal(fast.frames["events"], slow.frames["events"])
    assert (fast.note, fast.problems) == (slow.note, slow.problems)
    assert event_list_fast.parse(data, "events/ns.json", objects.NAME) is not None


# --- kube.Locator over kube.Lines --------------------------------------------------------------

_WORDS = st.sampled_from(["", "a", "ab", "b", '"a"', "a:", "x y", "\t", "é", "\n", "ab\nb", " "])


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.text(alphabet='ab:"é \t', max_size=12), min_size=1, max_size=12),
    needles=st.lists(_WORDS, min_size=0, max_size=3),
    start=st.integers(-1, 14),
    end=st.integers(-1, 14),
    after=st.one_of(st.none(), st.integers(-2, 14)),
    before=st.one_of(st.none(), st.integers(-2, 14)),
)
def test_locator_find_over_lines_is_the_line_loop(lines, needles, start, end, after, before):
    text = "\n".join(lines)
    fast = kube.Locator(kube.Lines(text), start, end)
    slow = kube.Locator(text.split("\n"), start, end)
    try:
        expected = slow.find(*needles, after=after, before=before)
    except IndexError:
        return  # a span outside the member: the loop fails; no parser builds one
    assert fast.find(*needles, after=after, before=before) == expected


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.text(alphabet='ab:"é \t', max_size=12), min_size=1, max_size=12),
    needles=st.lists(_WORDS, min_size=1, max_size=2),
    start=st.integers(1, 12),
    end=st.integers(1, 12),
    after=st.one_of(st.none(), st.integers(0, 12)),
)
def test_locator_find_over_lines_skips_long_lines_as_the_loop(lines, needles, start, end, after):
    text = "\n".join(lines)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kube, "LONG_LINE", 4)
        slow = kube.Locator(text.split("\n"), start, min(end, len(lines)))
        fast = kube.Locator(kube.Lines(text), start, min(end, len(lines)))
        assert fast.find(*needles, after=after) == slow.find(*needles, after=after)


@settings(max_examples=400, deadline=None)
@given(
    lines=st.lists(st.text(alphabet="ab:- }]\t\r", max_size=8), min_size=1, max_size=14),
    number=st.integers(1, 14),
    column=st.integers(0, 4),
    last=st.integers(1, 14),
)
def test_block_end_over_lines_is_the_line_loop(lines, number, column, last):
    """A key's block found in the member's text (`helmrelease._block_end` over `kube.Lines`)
    ends where the line loop ends it, whatever the indentation, blank lines and list items."""
    from parsers import helmrelease

    last = min(max(last, number), len(lines))
    if number > len(lines):
        return
    text = "\n".join(lines)
    slow = helmrelease._block_end(kube.Locator(text.split("\n"), 1, last), number, column)
    fast = helmrelease._block_end(kube.Locator(kube.Lines(text), 1, last), number, column)
    assert fast == slow


# separators among other dashes and dots, items at three indentations, deeper lines, Unicode whitespace
_YAML_LINES = "---|--- a|---\x0b|...|- a|- b|-|  - a| b|  b|  c||# c|\t- a|\u2028b".split("|")


@settings(max_examples=400, deadline=None)
@given(
    lines=st.lists(
        st.sampled_from(_YAML_LINES),
        min_size=1,
        max_size=16,
    ),
    start=st.integers(1, 3),
    end=st.integers(1, 16),
    after=st.integers(0, 3),
)
def test_document_and_item_spans_over_lines_are_the_line_loops(lines, start, end, after):
    """YAML document separators and list items found in the member's text (over `kube.Lines`)
    are the line loops' (separators among other dashes and dots, items at several
    indentations, deeper lines skipped, comments and blank lines, Unicode whitespace)."""
    text = "\n".join(lines)
    plain, known = text.split("\n"), kube.Lines(text)
    assert kube._yaml_documents(known) == kube._yaml_documents(plain)
    end = min(max(end, start), len(plain))
    assert kube._yaml_items(known, start, end, after) == kube._yaml_items(plain, start, end, after)


def test_locator_does_not_search_a_long_line():
    """A minified list is one long line, never searched (`kubectl get -o json | jq -c`)."""
    import time

    lines = kube.Lines('{"items": [' + ",".join(['{"kind": "HelmRelease", "spec": {}}'] * 200_000) + "]}\n")
    where = kube.Locator(lines, 1, 2)
    started = time.monotonic()
    for _ in range(2000):
        assert where.key("status") is None
    assert time.monotonic() - started < 2


def test_locator_find_skips_long_lines(monkeypatch):
    monkeypatch.setattr(kube, "LONG_LINE", 5)
    text = "key abcdef\nkey a\nkey"
    for lines in (kube.Lines(text), text.split("\n")):
        assert kube.Locator(lines, 1, 3).find("key") == 2
        assert kube.Locator(lines, 1, 3).find("key", "a") == 2


# --- kube.load: bare arrays decoded once --------------------------------------------------------


def _reference_spans(text: str) -> list[tuple]:
    """`_load_json` for one bare array as it was: the whole array decoded, then its elements' ends."""
    starts = kube.Lines(text).offsets

    def line_of(offset):
        from bisect import bisect_right

        return bisect_right(starts, offset)

    pos = kube._skip_ws(text, 0)
    value, _ = kube._DECODER.raw_decode(text, pos)
    return [(o.doc, o.start, o.end) for o in kube._json_elements(text, pos, value, line_of)]


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(
            [{"kind": "HelmRelease", "metadata": {"name": "a"}}, {"kind": "HelmRelease", "metadata": {"name": "b"}}],
            indent=2,
        ),
        json.dumps([{"a": 1}, 2, "x", None, [], {"b": [1, {"c": 2}]}], indent=1),
        "[]",
        " [ ] ",
        '[{"a": 1}\n,\n\t{"b": 2}\r\n]\n',
        '[{"a": NaN}, {"b": 1e400}]',
        json.dumps([{"a": "ü\u2028"}], ensure_ascii=False),
    ],
)
def test_bare_array_spans_as_before(text):
    found, problems = kube.load(text)
    assert problems == []
    assert [(o.doc, o.start, o.end) for o in found] == _reference_spans(text)


@pytest.mark.parametrize(
    "text", ['[{"a": 1},]', '[{"a": 1} {"b": 2}]', '[{"a": 1}', '[{"a": 1},\ufeff{"b": 2}]', "[" * 5000 + "]" * 5000]
)
def test_bad_bare_arrays_report_the_decoders_error(text):
    found, problems = kube.load(text)
    try:
        json.loads(text)
    except RecursionError:
        assert problems and "nested deeper" in problems[0][1]
        return
    except ValueError as error:
        assert found == [] and problems and problems[0][1] == f"invalid JSON: {error}"
        return
    raise AssertionError("the text is valid JSON")


def test_bare_array_followed_by_more_documents():
    text = json.dumps([{"kind": "A"}], indent=2) + "\n" + json.dumps({"kind": "B"}) + "\n[]\n"
    found, problems = kube.load(text)
    assert problems == [] and [o.doc["kind"] for o in found] == ["A", "B"]
    assert [(o.start, o.end) for o in found] == [(2, 4), (6, 6)]


# --- objects._frame: timestamps as microseconds ------------------------------------------------


def test_frame_with_microsecond_timestamps_is_frame():
    from datetime import datetime, timedelta, timezone

    from parsers._base import SCHEMAS, frame

    utc = datetime(2024, 3, 12, 4, 0, 5, 123456, tzinfo=timezone.utc)
    odd_times = [
        utc,
        None,
        datetime(1, 1, 1, tzinfo=timezone.utc),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
    ]
    other_zone = [utc.astimezone(timezone(timedelta(hours=2))), utc.replace(tzinfo=None), None, utc]
    text = [utc, "2024-03-12T04:00:05Z", None, utc]
    for kind, schema in SCHEMAS.items():
        for times in (odd_times, other_zone, text, [None] * 4):
            rows = []
            for i, when in enumerate(times):
                row = {name: when if dtype == objects.TS else None for name, dtype in schema.items()}
                row.update(
                    {"source": f"s{i}", "line": i or None, "release": f"ns/r{i}", "depends_on": ["a/b"] if i else None}
                )
                rows.append(row)
            try:
                expected = frame(kind, rows)
            except Exception as error:  # noqa: BLE001 - the same failure either way
                with pytest.raises(type(error)):
                    objects._frame(kind, rows)
                continue
            assert_frame_equal(objects._frame(kind, rows), expected)
        assert_frame_equal(objects._frame(kind, []), frame(kind, []))
