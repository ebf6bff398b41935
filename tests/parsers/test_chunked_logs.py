"""A big zap JSON log is parsed in pieces (from memory or straight from disk): the rows, the
problems and the note are those of the one-piece reference, and `raw` read again from the
offsets is each record's physical line."""

from __future__ import annotations

import json
import random

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from forensics.lines import LineStore
from parsers import _logs, parse_member, zap_log
from parsers._base import FileData

SOURCE = "cluster-resources/pods/logs/flux-system/helm-controller-5d8b9c7f4-x2x9k/manager.log"
TRACE = [
    "goroutine 1 [running]:",
    "sigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller).reconcileHandler(0xc000)",
    "\t/go/pkg/mod/sigs.k8s.io/controller-runtime@v0.17.2/pkg/internal/controller/controller.go:329 +0x1e5",
]


def _log(n: int = 4000, seed: int = 3) -> bytes:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        record = {"level": "info", "ts": f"2024-03-12T10:{i % 60:02d}:{i % 59:02d}.{i % 1000:03d}Z", "msg": f"m {i} é",
                  "controllerKind": "HelmRelease", "HelmRelease": {"name": f"r{i % 7}", "namespace": "ns"},
                  "namespace": "ns", "name": f"r{i % 7}", "reconcileID": str(i)}
        out.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        roll = rng.random()
        if roll < 0.02:
            out.append(out[-1][: rng.randrange(5, len(out[-1]))])  # a record cut short
        elif roll < 0.03:
            out += TRACE  # a stack trace attached to the record before it
        elif roll < 0.035:
            out.append("")
        elif roll < 0.04:
            out.append("I0312 10:00:00.000000       1 leaderelection.go:250] attempting to acquire leader lease")
        elif roll < 0.045:
            out.append('{"level":"info","ts":"not a time","msg":"a record without a readable timestamp"}')
        elif roll < 0.05:  # readable, not RFC 3339: Go's Time.String()
            out.append('{"level":"info","ts":"2024-03-12 10:%02d:00.5 +0000 UTC","msg":"a Go time","namespace":"ns","name":"r1"}' % (i % 60))
    return ("\n".join(out) + "\n").encode()


def _parse(data, monkeypatch, chunk: int):
    monkeypatch.setattr(_logs, "CHUNK_BYTES", chunk)
    result = zap_log.parse(data, SOURCE)
    monkeypatch.undo()
    return result


@pytest.mark.parametrize("chunk", [2048, 9000, 65536])
def test_pieces_from_memory_and_from_disk_match_one_piece(tmp_path, monkeypatch, chunk):
    data = _log()
    path = tmp_path / "manager.log"
    path.write_bytes(data)
    reference = _parse(data, monkeypatch, 1 << 40)
    for given in (data, FileData(str(path), len(data))):
        pieces = _parse(given, monkeypatch, chunk)
        assert_frame_equal(pieces.frames["logs"], reference.frames["logs"])
        assert pieces.problems == reference.problems
        assert pieces.note == reference.note
    logs = reference.frames["logs"]
    assert logs["raw"].null_count() == logs.height  # nothing held twice
    store = LineStore()
    store.add(SOURCE, str(path))
    physical = data.decode().split("\n")
    filled = store.fill(logs)
    assert filled["raw"].to_list() == [physical[n - 1] for n in filled["line"].to_list()]
    assert filled.filter(pl.col("extra").is_not_null()).height > 0  # traces were attached


def _streamed(path, data, monkeypatch, rows: int):
    """zap_log.parse of a file on disk with the streamed decode in runs of `rows` rows; also
    whether the streamed path took it."""
    taken = []
    real = _logs.build_streamed
    monkeypatch.setattr(_logs, "build_streamed", lambda *a, **k: taken.append(real(*a, **k)) or taken[-1])
    monkeypatch.setattr(_logs, "STREAM_ROWS", rows)
    monkeypatch.setattr(_logs, "CHUNK_BYTES", 4096)
    result = zap_log.parse(FileData(str(path), len(data)), SOURCE)
    monkeypatch.undo()
    return result, taken


@pytest.mark.parametrize("rows", [7, 37, 500, 1 << 16])
def test_the_streamed_decode_of_a_log_on_disk_gives_the_one_piece_rows(tmp_path, monkeypatch, rows):
    """A big log on disk is decoded by Polars' streaming engine and built in runs of rows; the
    rows, problems (cut records, klog lines, an untimed record) and note are the one-piece
    reference's, whatever the run length."""
    data = _log()
    path = tmp_path / "manager.log"
    path.write_bytes(data)
    reference = _parse(data, monkeypatch, 1 << 40)
    result, taken = _streamed(path, data, monkeypatch, rows)
    assert taken == [True]
    assert_frame_equal(result.frames["logs"], reference.frames["logs"])
    assert result.problems == reference.problems
    assert result.note == reference.note


@pytest.mark.parametrize(
    "change",
    [
        lambda data: data.rstrip(b"\n"),  # no newline at the end
        lambda data: data + b"\n\n   \n",  # blank and whitespace lines at the end
        lambda data: b"\n\nE0312 10:00:00.000000       1 klog.go:1] before any record\n" + data,
        lambda data: data.replace(b'{"level"', b'\t{"level"', 50),  # whitespace before records
        lambda data: b"E0312 10:00:00.000000       1 klog.go:1] only noise\n" * 3000,
    ],
    ids=["no-final-newline", "blank-end", "noise-first", "tabs-before", "only-noise"],
)
def test_the_streamed_decode_of_odd_files_gives_the_one_piece_rows(tmp_path, monkeypatch, change):
    data = change(_log(1500))
    path = tmp_path / "manager.log"
    path.write_bytes(data)
    reference = _parse(data, monkeypatch, 1 << 40)
    result, taken = _streamed(path, data, monkeypatch, 100)
    assert taken == [True]
    assert_frame_equal(result.frames.get("logs", pl.DataFrame()), reference.frames.get("logs", pl.DataFrame()))
    assert result.problems == reference.problems
    assert result.note == reference.note


@pytest.mark.parametrize(
    "change",
    [
        lambda data: data.replace(b"\n", b"\r\n"),  # CRLF: offsets are not kept
        lambda data: data.replace(b"m 7 ", b"m 7 \r ", 1),  # a carriage return inside a line
        lambda data: data.replace(b"m 9 \xc3\xa9", b"m 9 \xff", 1),  # invalid UTF-8
        lambda data: data.replace(b'{"level":"info","ts":"2024-03-12T10:00:00.000Z"', b'{"level":info,"ts":"2024-03-12T10:00:00.000Z"', 1),
    ],
    ids=["crlf", "lone-cr", "invalid-utf8", "plain-line-not-json"],
)
def test_the_streamed_decode_declines_what_it_cannot_read_as_the_reference(tmp_path, monkeypatch, change):
    """Carriage returns, invalid UTF-8, a `{...}` line that is no JSON: the streamed path
    declines and the member is read in pieces, with the rows of the pieces path."""
    data = change(_log(1500))
    assert data != _log(1500)
    path = tmp_path / "manager.log"
    path.write_bytes(data)
    monkeypatch.setattr(_logs, "build_streamed", lambda *a, **k: False)
    monkeypatch.setattr(_logs, "CHUNK_BYTES", 4096)
    reference = zap_log.parse(FileData(str(path), len(data)), SOURCE)
    monkeypatch.undo()
    result, taken = _streamed(path, data, monkeypatch, 100)
    assert taken == [False]
    assert_frame_equal(result.frames["logs"], reference.frames["logs"])
    assert result.problems == reference.problems


def test_a_piece_that_starts_with_no_record_falls_back_to_one_piece(tmp_path, monkeypatch):
    """Pieces end before a `{...}` line; when that line is no record after all, a trace after
    it would lose its owner at the piece start, so the whole member is read in one piece."""
    data = ("\n".join(["x" * 50] * 60 + ["{not json}"] + TRACE * 20) + "\n" + _log(300).decode()).encode()
    path = tmp_path / "manager.log"
    path.write_bytes(data)
    reference = _parse(data, monkeypatch, 1 << 40)
    whole = []
    build = _logs.build
    monkeypatch.setattr(_logs, "build", lambda *a, **k: whole.append(1) or build(*a, **k))
    chunked = _parse(FileData(str(path), len(data)), monkeypatch, 2048)
    assert whole == [1]  # the fallback ran
    assert_frame_equal(chunked.frames["logs"], reference.frames["logs"])
    assert chunked.problems == reference.problems


def test_parse_member_reads_file_data_whole_for_parsers_that_do_not_stream(tmp_path):
    events = b'{"kind": "EventList", "apiVersion": "v1", "items": []}\n'
    path = tmp_path / "events.json"
    path.write_bytes(events)
    from_disk = parse_member("cluster-resources/events/default.json", FileData(str(path), len(events)))
    in_memory = parse_member("cluster-resources/events/default.json", events)
    assert from_disk is not None and from_disk.parser == in_memory.parser
    assert from_disk.note == in_memory.note


@pytest.mark.parametrize("rows_per_seek", [0, 1 << 30], ids=["whole-member", "seek-per-line"])
def test_line_store_reads_whole_members_and_single_lines_alike(tmp_path, monkeypatch, rows_per_seek):
    """Many rows of one member are read with the whole member at once, few by seeking to
    each offset: both give each record's physical line, from a file or from bytes."""
    from forensics import lines as lines_module

    data = _log(1500, seed=5)
    path = tmp_path / "manager.log"
    path.write_bytes(data)
    logs = zap_log.parse(data, SOURCE).frames["logs"]
    physical = data.decode().split("\n")
    monkeypatch.setattr(lines_module, "ROWS_PER_SEEK", rows_per_seek)
    for where in (str(path), data):
        store = LineStore()
        store.add(SOURCE, where)
        filled = store.fill(logs.sample(fraction=0.5, seed=1))  # any rows, in any order
        assert filled["raw"].to_list() == [physical[n - 1] for n in filled["line"].to_list()]


_LINES = st.sampled_from(["record", "record", "record", "trace", "junk", "blank", "cut", "notjson", "untimed"])


@given(kinds=st.lists(_LINES, min_size=1, max_size=300), chunk=st.integers(64, 4096), rows=st.integers(1, 120))
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_cut_into_pieces_gives_the_one_piece_rows(tmp_path_factory, kinds, chunk, rows):
    """Whatever the mix of records, traces, junk and blank lines and wherever the pieces are
    cut, pieces from memory and from disk (the streamed decode, in runs of any number of
    rows) give the one-piece rows, problems and note."""
    text = {
        "trace": TRACE[1],
        "junk": "I0312 10:00:00.000000       1 leaderelection.go:250] attempting to acquire leader lease",
        "blank": "",
        "notjson": "{not json}",
        "untimed": '{"level":"info","ts":"soon","msg":"no time"}',
    }
    lines = []
    for i, kind in enumerate(kinds):
        record = json.dumps({"level": "info", "ts": f"2024-03-12T10:00:{i % 60:02d}.000Z", "msg": f"m {i}", "controllerKind": "HelmRelease",
                             "HelmRelease": {"name": "r", "namespace": "ns"}, "namespace": "ns", "name": "r"}, separators=(",", ":"))
        lines.append(record if kind == "record" else record[: len(record) // 2] if kind == "cut" else text[kind])
    data = ("\n".join(lines) + "\n").encode()
    path = tmp_path_factory.mktemp("log") / "manager.log"
    path.write_bytes(data)
    original = _logs.CHUNK_BYTES, _logs.STREAM_ROWS
    try:
        _logs.CHUNK_BYTES = 1 << 40
        reference = zap_log.parse(data, SOURCE)
        _logs.CHUNK_BYTES, _logs.STREAM_ROWS = chunk, rows
        for given_data in (data, FileData(str(path), len(data))):
            pieces = zap_log.parse(given_data, SOURCE)
            assert_frame_equal(pieces.frames.get("logs", pl.DataFrame()), reference.frames.get("logs", pl.DataFrame()))
            assert pieces.problems == reference.problems
            assert pieces.note == reference.note
    finally:
        _logs.CHUNK_BYTES, _logs.STREAM_ROWS = original


def test_each_run_gives_its_problem_rows_in_one_chunk(tmp_path, monkeypatch):
    """The problem rows of a run (lines that are no record) come as one chunk per column, not
    in the pieces a parallel filter cuts them into (a frame of thousands of tiny chunks)."""
    data = _log()
    path = tmp_path / "manager.log"
    path.write_bytes(data)
    result, taken = _streamed(path, data, monkeypatch, 500)
    assert taken == [True]
    parts = [part for part in result._problem_parts if isinstance(part, pl.DataFrame)]
    assert parts and sum(part.height for part in parts) > 1
    assert {part[name].n_chunks() for part in parts for name in part.columns} == {1}


def test_every_streamed_run_is_built_on_one_chunk(tmp_path, monkeypatch):
    """The engine hands its batches over in many chunks (one per read of ~512 KB); each run,
    the first one too, is joined into one chunk before its rows are built."""
    data = _log(20_000)
    path = tmp_path / "manager.log"
    path.write_bytes(data)
    chunks = []
    real = _logs._build

    def build(lines, *args, **kwargs):
        chunks.append({lines[name].n_chunks() for name in ("line", "raw", "offset")})
        return real(lines, *args, **kwargs)

    monkeypatch.setattr(_logs, "_build", build)
    engine = _logs._stream_query(str(path)).collect_batches(chunk_size=1 << 16, maintain_order=True)
    assert max(batch["line"].n_chunks() for batch in engine) > 1  # what the engine gives
    result, taken = _streamed(path, data, monkeypatch, 8_000)
    assert taken == [True] and len(chunks) > 1
    assert all(counts == {1} for counts in chunks)
