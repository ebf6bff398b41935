"""A big log on the reference path is built a slice at a time (`parsers._logs_slices`) and
gives what the reference gives for the whole member: the same rows, problems and note,
whatever the lines and wherever the slices are cut."""

from __future__ import annotations

import itertools
import json
import random

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from parsers import (
    _logs_slices,
    _logs_stream,
    cri_log,
    flux_logs,
    kubectl_log,
    kubectl_prefix_log,
    logcli_log,
    logfmt_log,
    zap_console_log,
    zap_log,
)
from parsers._base import FileData
from tests.parsers.test_logs_stream import TRACE

SOURCE = "cluster-resources/pods/logs/flux-system/helm-controller-5d8b9c7f4-x2x9k/manager.log"
JUNK = "I0312 10:00:00.000000       1 leaderelection.go:250] attempting to acquire leader lease"


def _time(i: int) -> str:
    return f"2024-03-12T10:{i % 60:02d}:{i % 59:02d}.{i % 1000:03d}Z"


def _record(i: int, form: str) -> str:
    """Record `i` as each encoding writes it."""
    name, message = f"r{i % 7}", f"m {i} é"
    context = {
        "controller": "helmrelease",
        "controllerKind": "HelmRelease",
        "HelmRelease": {"name": name, "namespace": "ns"},
        "namespace": "ns",
        "name": name,
        "reconcileID": str(i),
    }
    if form == "console":
        return f"{_time(i)}\tINFO\t{message}\t{json.dumps(context, ensure_ascii=False)}"
    if form == "flux":
        return f"{_time(i)} info HelmRelease/{name}.ns - {message} "
    line = json.dumps({"level": "info", "ts": _time(i), "msg": message, **context}, ensure_ascii=False)
    if form == "logcli":  # a Loki entry holding the record
        labels = {"container": "manager", "namespace": "flux-system", "pod": f"helm-controller-{i % 2}"}
        return json.dumps({"labels": labels, "line": line, "timestamp": _time(i)}, ensure_ascii=False)
    if form == "cri":
        return f"{_time(i)} stderr F {line}"
    if form == "prefix":
        return f"[pod/helm-controller-{i % 2}/manager] {line}"
    return f"{_time(i)} {line}" if form == "timestamps" else line


def _partial(record: str) -> list[str]:
    """A CRI record as the runtime writes a long line: its first part in a `P` line."""
    cut = record.index(" F ") + 3 + (len(record) - record.index(" F ")) // 2
    return [record[:cut].replace(" F ", " P ", 1), record[: record.index(" F ") + 3] + record[cut:]]


PARSERS = {
    "cri": cri_log,
    "json": zap_log,
    "console": zap_console_log,
    "flux": flux_logs,
    "timestamps": kubectl_log,
    "logcli": logcli_log,
    "prefix": kubectl_prefix_log,
}


def _log(form: str, n: int, seed: int = 5) -> bytes:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(_record(i, form))
        roll = rng.random()
        if roll < 0.05:
            out += TRACE  # attached to the record before it, wherever the slices are cut
        elif roll < 0.07:
            out.append("")
        elif roll < 0.09:
            out.append(JUNK)
        elif roll < 0.1:
            out.append(out[-1][: rng.randrange(1, len(out[-1]))])  # a record cut short
        elif roll < 0.2 and form == "cri":
            out[-1:] = _partial(out[-1])
    return ("\n".join(out) + "\n").encode()


def _whole(parser, data: bytes):
    """The reference's result for the whole member (neither the engine nor slices)."""
    original = _logs_stream.MIN_BYTES, _logs_slices.SLICE_BYTES
    _logs_stream.MIN_BYTES = _logs_slices.SLICE_BYTES = 1 << 60
    try:
        return parser.parse(data, SOURCE)
    finally:
        _logs_stream.MIN_BYTES, _logs_slices.SLICE_BYTES = original


def _sliced(parser, data, slice_bytes: int):
    """The parser's result with slices of about `slice_bytes` (the engine never tried), and
    the pieces the member was cut into."""
    pieces = []
    real = _logs_slices._slices

    def spy(*args):
        for piece in real(*args):
            pieces.append(piece)
            yield piece

    original = _logs_stream.MIN_BYTES, _logs_slices.SLICE_BYTES, _logs_slices._slices
    _logs_stream.MIN_BYTES, _logs_slices.SLICE_BYTES, _logs_slices._slices = 1 << 60, slice_bytes, spy
    try:
        return parser.parse(data, SOURCE), pieces
    finally:
        _logs_stream.MIN_BYTES, _logs_slices.SLICE_BYTES, _logs_slices._slices = original


def _same(result, reference) -> None:
    assert_frame_equal(result.frames.get("logs", pl.DataFrame()), reference.frames.get("logs", pl.DataFrame()))
    assert result.problems == reference.problems
    assert result.note == reference.note


def _sliced_both_ways(parser, data: bytes, path, slice_bytes: int) -> list:
    """From memory and from disk, the slices give the whole member's result; the pieces."""
    path.write_bytes(data)
    reference = _whole(parser, data)
    for given_data in (data, FileData(str(path), len(data))):
        result, pieces = _sliced(parser, given_data, slice_bytes)
        _same(result, reference)
    return pieces


@pytest.mark.parametrize("form", sorted(PARSERS))
@pytest.mark.parametrize("count", [3, 9])
def test_a_log_built_in_slices_gives_the_whole_members_rows(tmp_path, form, count):
    data = _log(form, 1500)
    pieces = _sliced_both_ways(PARSERS[form], data, tmp_path / "manager.log", len(data) // count)
    assert len(pieces) in (count - 1, count, count + 1)
    assert b"".join(piece for _, piece in pieces) == data
    assert [start for start, _ in pieces] == [0, *itertools.accumulate(len(piece) for _, piece in pieces[:-1])]


def test_each_slice_after_the_first_starts_at_a_record_and_none_outgrows_its_size_by_much(tmp_path):
    data = _log("console", 3000)
    size = len(data) // 12
    pieces = _sliced_both_ways(zap_console_log, data, tmp_path / "console.log", size)
    longest = max(len(line) for line in data.split(b"\n"))
    for _, piece in pieces[1:]:
        assert piece.split(b"\n", 1)[0].startswith(b"2024-03-12T")  # a console record, no trace line
    assert max(len(piece) for _, piece in pieces) <= size + 8 * (longest + 1)


def test_a_log_with_no_record_to_cut_at_is_read_in_one_piece(tmp_path):
    data = ("\n".join([JUNK, *TRACE] * 400) + "\n").encode()
    pieces = _sliced_both_ways(zap_log, data, tmp_path / "junk.log", len(data) // 8)
    assert len(pieces) == 1


@pytest.mark.parametrize("where", [10, 1400])
def test_invalid_utf8_or_a_carriage_return_anywhere_is_decided_for_the_whole_member(tmp_path, where):
    """One problem for the member and no offsets (the text changed on the way) though only
    one slice holds the byte."""
    for odd in (b"\xe2\x82", b"\r"):
        lines = _log("json", 1500).split(b"\n")
        lines[where] = lines[where][:20] + odd + lines[where][20:]
        data = b"\n".join(lines)
        _sliced_both_ways(zap_log, data, tmp_path / "odd.log", len(data) // 6)
        result, pieces = _sliced(zap_log, data, len(data) // 6)
        assert len(pieces) > 2
        assert result.frames["logs"]["offset"].null_count() == result.frames["logs"].height
        utf8 = [p for p in result.problems if p["reason"].startswith("invalid UTF-8")]
        assert len(utf8) == (odd != b"\r")


_KINDS = st.sampled_from(
    ["record", "record", "record", "trace", "junk", "blank", "cut", "notjson", "cr", "utf8", "partial", "lone-p"]
)


@given(
    kinds=st.lists(_KINDS, min_size=1, max_size=200),
    form=st.sampled_from(sorted(PARSERS)),
    count=st.integers(2, 8),
)
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_log_in_any_slices_gives_the_whole_members_rows(tmp_path_factory, kinds, form, count):
    lines = []
    for i, kind in enumerate(kinds):
        record = _record(i, form)
        if kind in ("partial", "lone-p") and form == "cri":  # a P line and its end, or a P line alone
            lines += _partial(record)[: 2 if kind == "partial" else 1]
            continue
        lines.append(
            {
                "record": record,
                "trace": TRACE[i % 3],
                "junk": JUNK,
                "blank": "",
                "cut": record[: len(record) // 2],
                "notjson": "{not json}",
                "cr": record + "\r",
            }.get(kind, record[:9])
        )
    data = "\n".join(lines).encode()  # the last line without its newline
    if "utf8" in kinds:
        at = kinds.index("utf8")
        data = data.replace(lines[at].encode(), lines[at].encode() + b"\xff", 1)
    _sliced_both_ways(PARSERS[form], data, tmp_path_factory.mktemp("log") / "x.log", max(1, len(data) // count))


def test_a_cri_line_after_a_partial_one_is_never_where_a_slice_starts(tmp_path):
    """The line that ends a partial line is joined to it, even after blank lines: no slice
    starts there though it decodes as a record of its own (the lines read before it are blank)."""
    first, end = _partial(_record(1, "cri"))
    before = "\n".join(_record(i, "cri") for i in range(2, 40)) + "\n" + first + "\n"
    after = "\n" * (_logs_slices.CONTEXT + 2) + end + "\n" + "\n".join(_record(i, "cri") for i in range(40, 90)) + "\n"
    data = (before + after).encode()
    # the first line tried as a slice's start is the end of the partial line
    pieces = _sliced_both_ways(cri_log, data, tmp_path / "0.log", len(before.encode()) + _logs_slices.CONTEXT + 2)
    assert pieces[1][1].startswith(_record(40, "cri").encode())


def test_a_logfmt_log_built_a_few_rows_at_a_time_gives_the_same_frame(monkeypatch):
    """helm-operator's logfmt is read in Python; its rows become frames FRAME_ROWS at a time."""
    lines = []
    for i in range(500):
        lines.append(
            f"ts=2020-06-01T10:{i % 60:02d}:00.{i % 1000:03d}Z caller=release.go:85 component=release "
            f'release=r{i % 7} targetNamespace=apps resource=apps:helmrelease/r{i % 7} msg="m {i}"'
        )
        if i % 50 == 0:
            lines += ['ts=2020-06-01T10:00:00Z component=release error="Helm upgrade', 'failed: boom"', "junk"]
    data = ("\n".join(lines) + "\n").encode()
    whole = logfmt_log.parse(data, SOURCE)
    monkeypatch.setattr(logfmt_log, "FRAME_ROWS", 7)
    _same(logfmt_log.parse(data, SOURCE), whole)
    assert whole.note == f"{whole.frames['logs'].height} logfmt records"
