"""The fast path of the log parsers (`parsers._logs_stream`: a big log decoded by Polars'
streaming engine) gives the reference's rows, problems and note (`parsers._logs`: the whole
member at once), or declines; `raw` read again from the offsets is each record's line."""

from __future__ import annotations

import json
import random

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from forensics.lines import LineStore
import parsers
from parsers import (
    _logs,
    _logs_stream,
    cri_log,
    dump_logs,
    event_list_fast,
    kubectl_log,
    kubectl_prefix_log,
    logcli_log,
    objects,
    stern_log,
    zap_log,
)
from parsers._base import FileData
from tests.parsers.test_object_fast_paths import _event, _event_list

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
        record = {
            "level": "info",
            "ts": f"2024-03-12T10:{i % 60:02d}:{i % 59:02d}.{i % 1000:03d}Z",
            "msg": f"m {i} é",
            "controllerKind": "HelmRelease",
            "HelmRelease": {"name": f"r{i % 7}", "namespace": "ns"},
            "namespace": "ns",
            "name": f"r{i % 7}",
            "reconcileID": str(i),
        }
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
            out.append(
                '{"level":"info","ts":"2024-03-12 10:%02d:00.5 +0000 UTC","msg":"a Go time","namespace":"ns","name":"r1"}'
                % (i % 60)
            )
        elif roll < 0.055:
            out.append(
                '{"level":"info","ts":"2024-03-12T10:00:00.000Z","msg":"only the object","HelmRelease":{"name":"o","namespace":"ns"}}'
            )
        elif roll < 0.06:  # the event recorder's line of 2020-2022: the text in `message`
            out.append(
                '{"level":"debug","ts":"2024-03-12T10:00:01.000Z","logger":"events","msg":"Normal","object":'
                '{"kind":"HelmRelease","namespace":"ns","name":"e%d"},"reason":"%s","message":"Helm upgrade failed: x"}'
                % (i % 3, rng.choice(["error", "info"]))
            )
    return ("\n".join(out) + "\n").encode()


def _reference(parser, data: bytes):
    """The parser's result with the reference path alone (the fast path never tried)."""
    original = _logs_stream.MIN_BYTES
    _logs_stream.MIN_BYTES = 1 << 60
    try:
        return parser.parse(data, SOURCE)
    finally:
        _logs_stream.MIN_BYTES = original


def _fast(parser, data, rows: int):
    """The parser's result with the fast path tried on any size, in runs of `rows` rows; and
    whether the fast path gave it."""
    taken = []
    real = _logs_stream.parse
    original = _logs_stream.MIN_BYTES, _logs_stream.STREAM_ROWS, _logs_stream.parse
    _logs_stream.MIN_BYTES, _logs_stream.STREAM_ROWS = 0, rows
    _logs_stream.parse = lambda *a, **k: taken.append(real(*a, **k)) or taken[-1]
    try:
        return parser.parse(data, SOURCE), taken
    finally:
        _logs_stream.MIN_BYTES, _logs_stream.STREAM_ROWS, _logs_stream.parse = original


def _same(result, reference) -> None:
    assert result.frames.keys() == reference.frames.keys()
    for kind, df in reference.frames.items():  # the logs, and the objects of cluster-info dump's stdout
        assert_frame_equal(result.frames[kind], df)
    assert result.problems == reference.problems
    assert result.note == reference.note


def _fast_both_ways(parser, data: bytes, path, rows: int):
    """The parser's reference result; the fast path, from memory and from disk (`path`), in
    runs of `rows`, gives the same."""
    path.write_bytes(data)
    reference = _reference(parser, data)
    for given_data in (data, FileData(str(path), len(data))):
        result, taken = _fast(parser, given_data, rows)
        assert taken == [True]
        _same(result, reference)
    return reference


@pytest.mark.parametrize("rows", [7, 37, 500, 1 << 16])
def test_the_fast_path_gives_the_reference_rows_from_disk_and_from_memory(tmp_path, rows):
    data = _log()
    path = tmp_path / "manager.log"
    reference = _fast_both_ways(zap_log, data, path, rows)
    logs = reference.frames["logs"]
    assert logs["raw"].null_count() == logs.height  # nothing held twice
    store = LineStore()
    store.add(SOURCE, str(path))
    physical = data.decode().split("\n")
    filled = store.fill(logs)
    assert filled["raw"].to_list() == [physical[n - 1] for n in filled["line"].to_list()]
    assert filled.filter(pl.col("extra").is_not_null()).height > 0  # traces were attached


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
def test_the_fast_path_of_odd_files_gives_the_reference_rows(tmp_path, change):
    data = change(_log(1500))
    path = tmp_path / "manager.log"
    path.write_bytes(data)
    result, taken = _fast(zap_log, FileData(str(path), len(data)), 100)
    assert taken == [True]
    _same(result, _reference(zap_log, data))


@pytest.mark.parametrize(
    "change",
    [
        lambda data: data.replace(b"\n", b"\r\n"),  # CRLF: offsets are not kept
        lambda data: data.replace(b"m 7 ", b"m 7 \r ", 1),  # a carriage return inside a line
        lambda data: data.replace(b"m 9 \xc3\xa9", b"m 9 \xff", 1),  # invalid UTF-8
        lambda data: data.replace(
            b'{"level":"info","ts":"2024-03-12T10:00:00.000Z"', b'{"level":info,"ts":"2024-03-12T10:00:00.000Z"', 1
        ),
    ],
    ids=["crlf", "lone-cr", "invalid-utf8", "plain-line-not-json"],
)
def test_the_fast_path_declines_what_it_cannot_read_as_the_reference(tmp_path, change):
    """Carriage returns, invalid UTF-8, a `{...}` line that is no JSON: the fast path adds
    nothing and says so; the parser then gives the reference's rows."""
    data = change(_log(1500))
    path = tmp_path / "manager.log"
    path.write_bytes(data)
    result, taken = _fast(zap_log, FileData(str(path), len(data)), 100)
    assert taken == [False]
    _same(result, _reference(zap_log, data))


def _prefixed(data: bytes, cri: bool) -> bytes:
    lines = data.decode().split("\n")[:-1]
    stamp = "2024-03-12T10:00:%02d.123456789Z"
    return (
        "\n".join((stamp % (i % 60)) + (" stderr F " if cri else " ") + line for i, line in enumerate(lines)) + "\n"
    ).encode()


@pytest.mark.parametrize("parser", [cri_log, kubectl_log], ids=["cri", "kubectl-timestamps"])
def test_the_fast_path_of_prefixed_logs_gives_the_reference_rows(tmp_path, parser):
    """CRI files and `kubectl logs --timestamps`: the engine decodes the record after the
    prefix; text lines keep the prefix time, as in the reference."""
    reference = _fast_both_ways(parser, _prefixed(_log(2500), parser is cri_log), tmp_path / "0.log", 300)
    assert reference.frames["logs"].filter(pl.col("encoding") == "text").height > 0


def test_a_cri_log_with_partial_lines_takes_the_reference(tmp_path):
    lines = _prefixed(_log(800), cri=True).decode().split("\n")
    lines[10] = lines[10].replace(" stderr F ", " stderr P ", 1)
    data = "\n".join(lines).encode()
    result, taken = _fast(cri_log, data, 100)
    assert taken == [False]
    _same(result, _reference(cri_log, data))
    assert "1 partial lines joined" in result.note


_LINES = st.sampled_from(
    ["record", "record", "record", "object", "trace", "junk", "blank", "cut", "notjson", "untimed", "spaced"]
)


@given(kinds=st.lists(_LINES, min_size=1, max_size=300), rows=st.integers(1, 120))
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_log_gives_the_reference_rows_or_is_declined(tmp_path_factory, kinds, rows):
    """Whatever the mix of records, traces, junk and blank lines and however the runs are
    cut, the fast path (from memory and from disk) gives the reference's rows, problems and
    note, or declines."""
    text = {
        "trace": TRACE[1],
        "junk": "I0312 10:00:00.000000       1 leaderelection.go:250] attempting to acquire leader lease",
        "blank": "",
        "notjson": "{not json}",
        "untimed": '{"level":"info","ts":"soon","msg":"no time"}',
        "object": '{"level":"debug","ts":"2024-03-12T10:00:00Z","msg":"o","HelmRelease":{"name":"x","namespace":"y"}}',
    }
    lines = []
    for i, kind in enumerate(kinds):
        record = json.dumps(
            {
                "level": "info",
                "ts": f"2024-03-12T10:00:{i % 60:02d}.000Z",
                "msg": f"m {i}",
                "controllerKind": "HelmRelease",
                "HelmRelease": {"name": "r", "namespace": "ns"},
                "namespace": "ns",
                "name": "r",
            },
            separators=(",", ":"),
        )
        lines.append(
            record
            if kind == "record"
            else record[: len(record) // 2]
            if kind == "cut"
            else "  " + record
            if kind == "spaced"
            else text[kind]
        )
    data = ("\n".join(lines) + "\n").encode()
    path = tmp_path_factory.mktemp("log") / "manager.log"
    path.write_bytes(data)
    reference = _reference(zap_log, data)
    for given_data in (data, FileData(str(path), len(data))):
        result, taken = _fast(zap_log, given_data, rows)
        assert taken == [True] or "notjson" in kinds  # only a `{...}` line that is no JSON declines
        _same(result, reference)


def test_each_run_gives_its_problem_rows_in_one_chunk(tmp_path):
    """The problem rows of a run (lines that are no record) come as one chunk per column."""
    data = _log()
    path = tmp_path / "manager.log"
    path.write_bytes(data)
    result, taken = _fast(zap_log, FileData(str(path), len(data)), 500)
    assert taken == [True]
    parts = [part for part in result._problem_parts if isinstance(part, pl.DataFrame)]
    assert parts and sum(part.height for part in parts) > 1
    assert {part[name].n_chunks() for part in parts for name in part.columns} == {1}


def test_every_run_is_built_on_one_chunk(tmp_path, monkeypatch):
    """The engine hands its batches over in many chunks; each run, the first one too, is
    joined into one chunk before its rows are built."""
    data = _log(20_000)
    path = tmp_path / "manager.log"
    path.write_bytes(data)
    chunks = []
    real = _logs.build_rows

    def build_rows(lines, *args, **kwargs):
        chunks.append({lines[name].n_chunks() for name in ("line", "raw", "offset")})
        return real(lines, *args, **kwargs)

    monkeypatch.setattr(_logs, "build_rows", build_rows)
    result, taken = _fast(zap_log, FileData(str(path), len(data)), 8_000)
    assert taken == [True] and len(chunks) > 1
    assert all(counts == {1} for counts in chunks)


@pytest.mark.parametrize(
    "odd",
    [
        '2024-03-12T10:00:00.5Z stdout F{"level":"info","ts":"2024-03-12T10:00:00.5Z","msg":"no space after the tag"}',
        "2024-03-12T10:00:00.5Z stdout F",
        '2024-03-12T10:00:00.5Z stdout P{"level":"info",',
        'not a prefix {"level":"info","ts":"2024-03-12T10:00:00.5Z","msg":"x"}',
        '{"level":"info","ts":"2024-03-12T10:00:00.5Z","msg":"no prefix at all"}',
    ],
    ids=["tag-without-space", "empty-content", "partial-without-space", "other-prefix", "bare-record"],
)
def test_the_fast_path_of_cri_lines_cut_otherwise_gives_the_reference_rows(odd):
    """The fast path cuts the CRI prefix by its spaces; where that is not the reference's
    cut (a tag without a space after it, no prefix), the reference's body is used or the
    member declined (a partial line)."""
    lines = _prefixed(_log(600), cri=True).decode().split("\n")
    lines[40] = odd
    data = "\n".join(lines).encode()
    result, taken = _fast(cri_log, data, 50)
    assert taken == ([False] if " stdout P" in odd else [True])
    _same(result, _reference(cri_log, data))


def test_shared_columns_keep_every_value_and_hold_only_repeated_ones():
    """Runs with templated messages and one-off lines: the values are unchanged, the templated
    ones point into one set of distinct values, the one-off lines are not added to it."""
    repeats = _logs_stream.Repeats()
    for run in range(3):
        values = [f"template {i % 5}" for i in range(200)] + [f"one-off line {run}-{i}" for i in range(20)] + [None]
        frame = pl.DataFrame({"msg": values}, schema={"msg": pl.String})
        shared = _logs_stream.share(frame, repeats, ("msg",))
        assert shared["msg"].to_list() == values and shared.schema == frame.schema
    distinct = set(repeats._known["msg"][0].to_list())
    assert distinct == {f"template {i}" for i in range(5)}


def test_a_column_of_mostly_new_values_is_not_shared():
    values = [f"reconcile-{i}" for i in range(400)]
    frame = pl.DataFrame({"reconcile_id": values})
    repeats = _logs_stream.Repeats()
    assert _logs_stream.share(frame, repeats, ("reconcile_id",))["reconcile_id"].to_list() == values
    assert "reconcile_id" not in repeats._known


def test_event_recorder_lines_name_their_object_and_an_error_event_is_an_error_line():
    lines = [
        # 2020-2022: the type in `msg`, the text in `message`
        '{"level":"debug","ts":"2021-02-27T09:40:37.584Z","logger":"events","msg":"Normal","object":{"kind":'
        '"HelmRelease","namespace":"apps","name":"web","uid":"u"},"reason":"error","message":"Helm upgrade failed: '
        'another operation (install/upgrade/rollback) is in progress"}',
        '{"level":"debug","ts":"2021-02-27T09:40:37.480Z","logger":"events","msg":"Normal","object":{"kind":'
        '"HelmRelease","namespace":"apps","name":"web"},"reason":"info","message":"Helm upgrade has started"}',
        # 2023: the text in `msg`
        '{"level":"debug","ts":"2023-06-15T23:21:29.644Z","logger":"events","msg":"reconciliation failed: install '
        'retries exhausted","type":"Warning","object":{"kind":"HelmRelease","namespace":"default","name":"api"},'
        '"reason":"error"}',
    ]
    logs = _reference(zap_log, ("\n".join(lines) + "\n").encode()).frames["logs"]
    assert logs.select("release", "msg", "error").rows() == [
        (
            "apps/web",
            "Helm upgrade failed: another operation (install/upgrade/rollback) is in progress",
            "Helm upgrade failed: another operation (install/upgrade/rollback) is in progress",
        ),
        ("apps/web", "Helm upgrade has started", None),
        (
            "default/api",
            "reconciliation failed: install retries exhausted",
            "reconciliation failed: install retries exhausted",
        ),
    ]


def _block(container: str, pod: str, body: bytes, end: bool = True) -> bytes:
    where = f"container {container} of pod flux-system/{pod}"
    return (
        f"==== START logs for {where} ====\n".encode()
        + body
        + (f"==== END logs for {where} ====\n".encode() if end else b"")
    )


_POD = "helm-controller-5d8b9c7f4-x2x9k"
_TWO = _block("manager", _POD, _log(900, seed=5)) + _block("sidecar", _POD, _log(700, seed=6))


@pytest.mark.parametrize(
    "data",
    [
        _block("manager", _POD, _log(1500)),
        _block("manager", _POD, _log(1500), end=False),  # the dump cut short
        _TWO,
        _TWO.rstrip(b"\n"),
        _block("manager", _POD, _log(900, seed=5), end=False) + _block("sidecar", _POD, _log(700, seed=6)),
    ],
    ids=["one-block", "no-end", "two-containers", "no-final-newline", "start-after-start"],
)
def test_the_fast_path_of_cluster_info_dump_logs_gives_the_reference_rows(tmp_path, data):
    """`<ns>/<pod>/logs.txt` of `kubectl cluster-info dump`: every line inside a container's
    block; the engine decodes the records, each line takes its block's container."""
    reference = _fast_both_ways(dump_logs, data, tmp_path / "logs.txt", 200)
    assert reference.frames["logs"]["container"].null_count() == 0


_FETCH = b"Request log error: the server rejected our request\n"  # kubectl's line for a log it could not fetch


def _kubectl_stdout(namespaces: int = 3) -> bytes:
    """`kubectl cluster-info dump` without `--output-directory`: each namespace's lists as
    kubectl prints them (indented by four spaces), then its pods' logs between the markers."""
    out = b""
    for n in range(namespaces):
        events = [_event(n * 100 + i) for i in range(40 + n)]
        pods = {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": []}
        out += _event_list(events, indent=4) + b"\n" + json.dumps(pods, indent=4).encode() + b"\n"
        out += _block("manager", f"{_POD}-{n}", _log(300 + n, seed=n))
    return out


@pytest.mark.parametrize(
    "data",
    [
        _kubectl_stdout(),
        _kubectl_stdout(1) + b"\n\n",
        _block("manager", _POD, _log(600)) + b"not in a block\n",
        _block("manager", _POD, _log(600)) + b"\n" + _block("sidecar", _POD, _log(300)),
        b"before the block\n" + _block("manager", _POD, _log(600)),
        b'{"kind": "PodList", "apiVersion": "v1", "items": []}\n' + _block("manager", _POD, _log(600)),
        _kubectl_stdout(2).replace(b'"reason": "UpgradeSucceeded"', b'"reason": 7', 1),
        _block("manager", _POD, _log(600)) + _block("wait", _POD, _FETCH),
        _kubectl_stdout(2) + _block("wait", _POD, _FETCH) + _FETCH + _kubectl_stdout(1),
        _kubectl_stdout(1).replace(b"        {\n", b"        {\n" + _block("manager", _POD, _log(50)), 1),
        _kubectl_stdout(2).replace(b'    "items": [\n', b'    "items": [\n\n', 1),
        _kubectl_stdout(1) + b"a line between the documents\n" + _kubectl_stdout(1),
    ],
    ids=[
        "stdout-form",
        "blank-after",
        "after-the-end",
        "between-blocks",
        "before-the-first",
        "one-line-object",
        "odd-event",
        "fetch-error",
        "stdout-fetch-errors",
        "block-in-a-document",
        "blank-in-a-document",
        "line-between-documents",
    ],
)
@pytest.mark.parametrize("list_bytes", [1 << 20, 1024])
def test_the_fast_path_of_cluster_info_dumps_stdout_form_gives_the_reference_rows(
    tmp_path, monkeypatch, data, list_bytes
):
    """The stdout form: the engine decodes the blocks' records; the lines outside every block
    are objects, read a document at a time (an EventList column-wise from `list_bytes`)."""
    monkeypatch.setattr(event_list_fast, "MIN_BYTES", list_bytes)
    reference = _fast_both_ways(dump_logs, data, tmp_path / "dump.txt", 200)
    assert reference.frames["logs"].height


def test_a_stdout_dumps_objects_are_read_a_document_at_a_time(monkeypatch):
    """kubectl's documents, one after the other: each read alone (a big EventList by Arrow), not
    the one text with the log lines blanked that the reference reads."""
    read = []
    real = objects.parse
    monkeypatch.setattr(objects, "parse", lambda data, source: read.append(data) or real(data, source))
    result, taken = _fast(dump_logs, _kubectl_stdout(), 200)
    assert taken == [True]
    assert len(read) == 6 and all(data.startswith(b"{\n") for data in read)
    assert result.note.endswith("objects between the blocks: Event×123")


@pytest.mark.parametrize(
    "data",
    [
        _block("manager", _POD, _log(300) + b"==== a line that only begins like a marker\n" + _log(300)),
        _block("manager", _POD, _log(600).replace(b"m 9 \xc3\xa9", b"m 9 \xff", 1)),
        _block("manager", _POD, _log(600)).replace(b"\n", b"\r\n"),
        _kubectl_stdout(2).replace(b"\n", b"\r\n"),
    ],
    ids=["marker-like", "invalid-utf8", "crlf", "stdout-crlf"],
)
def test_cluster_info_dump_logs_the_engine_cannot_read_take_the_reference(tmp_path, data):
    """A line that only looks like a marker, what the engine cannot read: the reference reads
    it."""
    path = tmp_path / "logs.txt"
    path.write_bytes(data)
    result, taken = _fast(dump_logs, FileData(str(path), len(data)), 200)
    assert taken in ([], [False])
    _same(result, _reference(dump_logs, data))


def _stern(data: bytes, namespace: bool, stamp: bool, colour: bool) -> bytes:
    """stern's lines of two pods tailed at once (`-A`, `--timestamps`, colours as chosen)."""
    out = []
    for i, line in enumerate(data.decode().split("\n")[:-1]):
        pod = f"helm-controller-5d8b9c7f4-{'ab'[i % 2]}x9k"
        if colour:
            pod = f"\x1b[3{i % 7}m{pod}\x1b[0m"
        prefix = ("flux-system " if namespace else "") + f"{pod} manager "
        out.append(prefix + (f"2024-03-12T10:00:{i % 60:02d}.5+01:00 " if stamp else "") + line)
    return ("\n".join(out) + "\n").encode()


@pytest.mark.parametrize(
    "namespace,stamp,colour", [(True, False, False), (False, True, False), (True, True, True), (False, False, True)]
)
def test_the_fast_path_of_stern_output_gives_the_reference_rows(tmp_path, namespace, stamp, colour):
    """stern's prefix (namespace, pod, container, timestamp, colours) changes from line to
    line: the engine computes it on every line, the record after it is decoded."""
    reference = _fast_both_ways(stern_log, _stern(_log(2500), namespace, stamp, colour), tmp_path / "stern.log", 300)
    assert reference.frames["logs"]["pod"].n_unique() == 2


@pytest.mark.parametrize("stamp", [False, True])
def test_the_fast_path_of_kubectl_prefix_output_gives_the_reference_rows(tmp_path, stamp):
    """`kubectl logs --prefix`: each line's pod and container (two of each) in its prefix."""
    lines = _log(2500).decode().split("\n")[:-1]
    data = "".join(
        f"[pod/{_POD}-{i % 2}/{'manager' if i % 3 else 'sidecar'}] "
        + (f"2024-03-12T10:{i % 60:02d}:00.000000000Z " if stamp else "")
        + line
        + "\n"
        for i, line in enumerate(lines)
    ).encode()
    reference = _fast_both_ways(kubectl_prefix_log, data, tmp_path / "prefix.log", 300)
    assert reference.frames["logs"]["pod"].n_unique() == reference.frames["logs"]["container"].n_unique() == 2


def _logcli(data: bytes) -> bytes:
    """`logcli query -o jsonl` of the lines: the labels of two pods (the `*_name` variants on
    one), the Loki time; blank lines are not Loki entries and stay as they are."""
    out = []
    for i, line in enumerate(data.decode().split("\n")[:-1]):
        if not line:
            out.append(line)
            continue
        labels = (
            {"container": "manager", "namespace": "flux-system", "pod": "helm-controller-a"}
            if i % 3
            else {"container_name": "manager", "namespace_name": "flux-system", "pod_name": "helm-controller-b"}
        )
        entry = {
            "labels": labels,
            "line": line + ("\n" if i % 5 == 0 else ""),
            "timestamp": f"2024-03-12T10:{i % 60:02d}:00Z",
        }
        out.append(json.dumps(entry, separators=(",", ":"), ensure_ascii=False))
    return ("\n".join(out) + "\n").encode()


def test_the_fast_path_of_logcli_entries_gives_the_reference_rows(tmp_path):
    """Loki entries: the engine decodes each entry and the record in its `line`; lines that
    are no record are text records at the Loki time, as in the reference."""
    reference = _fast_both_ways(logcli_log, _logcli(_log(2500)), tmp_path / "logcli.jsonl", 300)
    assert reference.frames["logs"]["pod"].n_unique() == 2
    assert reference.frames["logs"].filter(pl.col("encoding") == "text").height > 0


def test_a_logcli_line_that_is_no_entry_takes_the_reference(tmp_path):
    lines = _logcli(_log(600)).decode().split("\n")
    lines[40] = '{"labels":{"pod":"x"},"line":"cut'
    data = "\n".join(lines).encode()
    result, taken = _fast(logcli_log, data, 100)
    assert taken == [False]
    _same(result, _reference(logcli_log, data))


def test_a_stdout_dump_on_disk_is_routed_to_its_parser_without_being_read(tmp_path, monkeypatch):
    data = _kubectl_stdout()
    path = tmp_path / "dump.txt"
    path.write_bytes(data)
    expected = parsers.parse_member("dump.txt", data)
    monkeypatch.setattr(_logs_stream, "MIN_BYTES", 0)
    given, real = [], dump_logs.parse
    monkeypatch.setattr(dump_logs, "parse", lambda data, source: given.append(data) or real(data, source))
    result = parsers.parse_member("dump.txt", FileData(str(path), len(data)))
    assert [type(data) for data in given] == [FileData]
    _same(result, expected)


@pytest.mark.parametrize(
    "data",
    [
        _kubectl_stdout(1),
        _block("manager", _POD, b"{}\n"),  # a START on the first line only
        b"{}\n" + _block("manager", _POD, b"{}\n").replace(b" ====\n", b" ===\n", 1),  # begins like one
        b"{}\n" + _block("manager", _POD, b"{}\n").replace(b"\n", b"\r\n"),
        b"{}\n" + _block("manager", _POD, b"\xff\n"),
        b'{"kind": "PodList"}\n',
    ],
)
def test_a_start_marker_is_found_alike_on_disk_and_in_memory(tmp_path, data):
    path = tmp_path / "dump.txt"
    path.write_bytes(data)
    assert dump_logs.holds_blocks(FileData(str(path), len(data))) == dump_logs.holds_blocks(data)


def test_objects_after_a_fetch_error_are_cited_at_their_own_lines():
    """The fetch error's line is no log line, but the lines after it keep their numbers."""
    fetched = _block("wait", _POD, _FETCH) + _kubectl_stdout(1)
    logged = _block("wait", _POD, _log(1)) + _kubectl_stdout(1)
    assert fetched.count(b"\n") == logged.count(b"\n")
    events = [_reference(dump_logs, data).frames["events"]["line"] for data in (fetched, logged)]
    assert events[0].to_list() == events[1].to_list()


def test_a_stdout_dump_of_very_many_documents_is_read_as_one_text(monkeypatch):
    """Past MAX_DOCUMENTS (each document costs a parse of its own), the reference's one text."""
    monkeypatch.setattr(dump_logs, "MAX_DOCUMENTS", 5)
    read = []
    real = objects.parse
    monkeypatch.setattr(objects, "parse", lambda data, source: read.append(data) or real(data, source))
    data = _kubectl_stdout()
    result, taken = _fast(dump_logs, data, 200)
    assert taken == [True] and len(read) == 1
    monkeypatch.setattr(objects, "parse", real)
    _same(result, _reference(dump_logs, data))
