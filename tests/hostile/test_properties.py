"""Property-based tests (hypothesis): random and mutated bytes into every parser and into the
bundle reader, and random secrets planted in a bundle, through every output format.

Bounded in CI (profile `ci`: 50 examples per test, no deadline). The longer run:

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest -q tests/hostile/test_properties.py

Properties: no exception escapes a parser (`parse` never raises) nor the reader (only
`BundleError`, for unusable input); every physical line of a log member is accounted for (a
row, a problem, or blank); nothing is written outside the temporary folder; no planted
secret of any shape of `SECRET_SHAPES` (in a log line, an event, a condition, a member's
name) reaches HTML, JSON, Markdown, the terminal, the inventory, the Timesketch export or
Parquet; no control character reaches the terminal. Timestamps and ages:
`test_times.py`.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import parsers
from forensics.bundle import BundleError
from forensics.load import load

from forensics.report.terminal import CONTROLS

from ..conftest import ROOT, SAMPLES
from . import SECRET_SHAPES


CORPUS = ROOT / "tests" / "corpus"
SAMPLE = SAMPLES / "upgrade-2.1-to-2.2" / "cluster-resources"
SEEDS = [
    path.read_bytes()[:6000]
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in (".py", ".md"))
] + [
    (SAMPLE / "custom-resources/helmreleases.helm.toolkit.fluxcd.io/infra.json").read_bytes()[:6000],
    (SAMPLE / "events/apps.json").read_bytes()[:4000],
    (SAMPLES / "ticket-flux-get-hr" / "flux-get-hr.txt").read_bytes()
    if (SAMPLES / "ticket-flux-get-hr" / "flux-get-hr.txt").exists()
    else b"",
]
SEEDS = [seed for seed in SEEDS if seed]
NOISE = [
    b"\x00",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\n\n",
    b"{",
    b"}",
    b"[",
    b'"',
    b"\t",
    b"- ",
    b"&a ",
    b"*a",
    b"---\n",
    b"panic: x\n",
    b"\x1b[31m",
    b"\xc3",
    b"==== START logs for container manager of pod flux-system/x ====\n",
]


@st.composite
def mutated(draw) -> bytes:
    """A real member of some format, cut, spliced, with bytes flipped or noise inserted."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["insert", "delete", "flip", "truncate", "duplicate", "noise"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.binary(max_size=40))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif op == "flip" and data:
            data[min(at, len(data) - 1)] ^= draw(st.integers(1, 255))
        elif op == "truncate":
            del data[at:]
        elif op == "duplicate":
            data[at:at] = data[max(0, at - 300) : at]
        else:
            data[at:at] = draw(st.sampled_from(NOISE))
    return bytes(data)


member_bytes = st.one_of(st.binary(max_size=3000), mutated())
LOG_PARSERS = [
    p for p in parsers.PARSERS if p.KIND == "logs"
]  # the dump parser also reads the objects around its blocks


def _accounted(result, data: bytes) -> list[int]:
    """Physical lines (as the log pipeline counts them) that are neither in a row nor a problem, nor blank."""
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    covered: set[int] = {p["line"] for p in result.problems if p["line"]}
    if any(p["line"] is None and "failed" in p["reason"] for p in result.problems):
        return []  # the whole member was reported
    logs = result.frames.get("logs")
    if logs is not None:
        for start, end in logs.select("line", pl.coalesce("line_end", "line")).iter_rows():
            covered.update(range(start, end + 1))
    return [
        n
        for n, line in enumerate(lines, start=1)
        if n not in covered and line.replace("\x00", "").strip() and not line.startswith("==== ")
    ]


@pytest.mark.parametrize("parser", parsers.PARSERS, ids=[p.NAME for p in parsers.PARSERS])
@given(data=member_bytes)
def test_no_parser_raises_on_any_bytes(parser, data):
    result = parser.parse(data, "cluster-resources/pods/logs/flux-system/helm-controller-1/manager.log")
    assert isinstance(result, parsers.ParseResult)
    for kind, df in result.frames.items():
        assert df.schema == pl.Schema(parsers.SCHEMAS[kind]), kind
    if parser in LOG_PARSERS:
        assert _accounted(result, data) == []


def _archive(kind: str, files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, payload in files.items():
                archive.writestr(name, payload)
    else:
        with tarfile.open(fileobj=buffer, mode="w:gz" if kind == "tar.gz" else "w") as archive:
            for name, payload in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(payload)
                archive.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


@st.composite
def archives(draw) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["tar.gz", "tar", "zip", "log.gz", "log", "tar.gz in zip", "zip in tar.gz"]))
    members = draw(
        st.dictionaries(
            st.sampled_from(["a/manager.log", "a/hr.yaml", "a/events.json", "../x.log", "/abs", "a/b/../../c"]),
            member_bytes,
            max_size=3,
        )
    )
    if kind in ("tar.gz in zip", "zip in tar.gz"):  # an archive read in place (a portal's zip around a bundle)
        inner, outer = kind.split(" in ")
        data = _archive(outer, {f"bundle.{inner}": _archive(inner, members), "notes.txt": b"x"})
        kind = outer
    elif kind == "log.gz":
        import gzip

        data = gzip.compress(next(iter(members.values()), b"x"))
    elif kind == "log":
        data = next(iter(members.values()), b"")
    else:
        data = _archive(kind, members)
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 3))):  # damage
        if data:
            at = draw(st.integers(0, len(data) - 1))
            if draw(st.booleans()):
                data[at] ^= draw(st.integers(1, 255))
            else:
                del data[at:]
    return kind, bytes(data)


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@given(archive=st.one_of(archives(), st.tuples(st.sampled_from(["tar.gz", "zip", "bin"]), st.binary(max_size=2000))))
def test_the_reader_survives_any_archive_and_writes_nothing(archive, tmp_path_factory):
    kind, data = archive
    folder = tmp_path_factory.mktemp("reader")
    path = folder / f"bundle.{kind}"
    path.write_bytes(data)
    cwd = os.getcwd()
    before_cwd, before = set(os.listdir(cwd)), _tree(folder.parent)
    try:
        frames = load(str(path))
    except BundleError:
        pass
    else:
        assert set(frames.data) >= set(parsers.FRAME_NAMES)
    assert set(os.listdir(cwd)) == before_cwd
    assert _tree(folder.parent) == before


# --- planted secrets through every output --------------------------------------------------

_secret = st.from_regex(r"S3c[A-Za-z0-9]{9,20}", fullmatch=True)
# Text around the secrets, with the escape sequences a terminal would act on now and then.
_ESCAPES = ["\x1b]0;title\x07", "\x1b[2J", "\x9b31m", "\x1bP1$r\x1b\\", "\r", "\u202e"]
_filler = st.one_of(
    st.text(alphabet="abcdefghij klmnop-", max_size=60),
    st.sampled_from(_ESCAPES).map(lambda escape: f"see {escape} here"),
)


FIRST = json.dumps(
    {"level": "info", "ts": "2024-01-15T08:59:00Z", "msg": "starting manager"}
)  # so the log is read as zap JSON


@st.composite
def planted_bundles(draw) -> tuple[dict[str, bytes], list[str], int]:
    """(files, the fragments no output may hold, how many secrets were planted where they are read)."""
    secrets, records, stray, event_msg, cond_msg = [], [], [], "ok", "ok"
    planted = draw(st.integers(1, 4))
    for i in range(planted):
        secret = draw(_secret)
        shaped, fragments = draw(st.sampled_from([make for _, make in SECRET_SHAPES]))(secret)
        text = f"{draw(_filler)} {shaped} {draw(_filler)}"
        secrets += fragments
        where = draw(st.sampled_from(["msg", "error", "stray", "event", "condition"]))
        if where in ("msg", "error"):
            record = {
                "level": "error",
                "ts": f"2024-01-15T09:0{i}:00Z",
                "msg": "reconcile",
                "controllerKind": "HelmRelease",
                "HelmRelease": {"name": "web", "namespace": "apps"},
                "namespace": "apps",
                "name": "web",
            }
            record[where] = text
            records.append(json.dumps(record))
        elif where == "stray":
            stray.append(text.replace("\n", " "))
        elif where == "event":
            event_msg = text if event_msg == "ok" else f"{event_msg} | {text}"
        else:
            cond_msg = text if cond_msg == "ok" else f"{cond_msg} | {text}"
    hr = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2beta2",
        "kind": "HelmRelease",
        "metadata": {"name": "web", "namespace": "apps", "generation": 2},
        "spec": {
            "interval": "5m",
            "chart": {"spec": {"chart": "web", "sourceRef": {"kind": "HelmRepository", "name": "r"}}},
            "values": {"password": "S3cValuesNeverRead1"},
        },
        "status": {
            "observedGeneration": 2,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "UpgradeFailed",
                    "message": cond_msg,
                    "lastTransitionTime": "2024-01-15T09:00:00Z",
                }
            ],
        },
    }
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web.1", "namespace": "apps", "uid": "u1"},
        "involvedObject": {"kind": "HelmRelease", "namespace": "apps", "name": "web"},
        "reason": "UpgradeFailed",
        "message": event_msg,
        "type": "Warning",
        "count": 1,
        "firstTimestamp": "2024-01-15T09:00:00Z",
        "lastTimestamp": "2024-01-15T09:00:00Z",
        "source": {"component": "helm-controller"},
    }
    token = "gh" + "p_" + draw(st.from_regex(r"[A-Za-z0-9]{36}", fullmatch=True))  # in a member's name
    secrets.append(token[4:])
    files = {
        f"notes/{token}{draw(st.sampled_from(_ESCAPES)).replace('/', '_')}.txt": b"notes\n",
        "hr.json": json.dumps(hr, indent=2).encode(),
        "events.json": json.dumps({"kind": "EventList", "apiVersion": "v1", "items": [event]}, indent=2).encode(),
        "pods/logs/flux-system/helm-controller-1/manager.log": ("\n".join([FIRST] + records + stray) + "\n").encode(),
    }
    return files, secrets + ["S3cValuesNeverRead1"], planted + 1


@settings(
    max_examples=min(settings().max_examples, 25)
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci"
    else settings().max_examples
)
@given(bundle=planted_bundles())
def test_no_planted_secret_reaches_any_output(bundle, tmp_path_factory):
    from click.testing import CliRunner
    from rich.console import Console

    import forensics
    from forensics.cli import main
    from forensics.report import print_timeline, print_triage, render

    files, secrets, planted = bundle
    root = tmp_path_factory.mktemp("planted")
    for name, payload in files.items():
        (root / "b" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "b" / name).write_bytes(payload)
    run = forensics.run(str(root / "b"))
    outputs = {fmt: render(run.analysis, fmt) for fmt in ("html", "json", "md")}
    console = Console(record=True, width=500, file=io.StringIO())
    print_triage(run.analysis, console)
    print_timeline(run.analysis, run.timeline, "apps/web", 500, console)
    outputs["terminal"] = console.export_text()
    inventory = CliRunner().invoke(main, ["inventory", str(root / "b")])
    assert inventory.exit_code == 0
    outputs["inventory"] = inventory.output
    for name in ("terminal", "inventory"):
        assert not [ch for ch in outputs[name] if ch in CONTROLS], name  # nothing a terminal would act on
    result = CliRunner().invoke(
        main, ["export", str(root / "b"), "--timesketch", str(root / "t.jsonl"), "--parquet", str(root / "pq")]
    )
    assert result.exit_code == 0, result.output
    outputs["timesketch"] = (root / "t.jsonl").read_text()
    for parquet in (root / "pq").glob("*.parquet"):
        df = pl.read_parquet(parquet)
        outputs[parquet.name] = "\n".join(str(v) for c in df.columns for v in df[c].to_list())
    leaks = [(name, secret) for name, text in outputs.items() for secret in secrets if secret in text]
    assert not leaks
    assert run.analysis.redactions >= planted  # every planted secret was read and redacted (values never read)


_RECORD = '{"level":"info","ts":"2024-03-12T10:00:00.%03dZ","msg":"m %d","controllerKind":"HelmRelease","HelmRelease":{"name":"r","namespace":"ns"},"namespace":"ns","name":"r","reconcileID":"%d"}'
_ODD_LINES = st.one_of(
    st.text(max_size=60),  # anything at all
    st.sampled_from(
        [
            '{"msg": 5}',
            '{"msg": {"a": 1}}',
            '{"a":1,}',
            "{not json}",
            '  {"msg":"x"}  ',
            '{"msg":"b{"}',
            '{"msg":"x"} trailing',
            "{",
            "}",
            "{}",
            "[1,2]",
            '{"HelmRelease":"x"}',
            '{"ts":1710237600.5}',
            "",
        ]
    ),
)


@given(odd=st.lists(st.tuples(st.integers(0, 1099), _ODD_LINES), max_size=30), cut=st.integers(0, 200))
def test_decode_json_many_lines_matches_the_exact_path(odd, cut):
    """decode_json (only the `{...}` lines decoded, in bulk) gives the rows and failures of
    decoding every line, chunk by chunk down to json.loads."""
    from polars.testing import assert_frame_equal

    from parsers import _log_bodies, _logs

    lines = [_RECORD % (i % 1000, i, i) for i in range(1100)]
    for at, text in odd:
        lines[at] = text.replace("\n", " ").replace("\r", " ")
    lines[cut] = lines[cut][: len(lines[cut]) // 2]  # a record cut short
    series = pl.Series("body", lines)
    fast, fast_failed = _logs.decode_json(series)
    exact, exact_failed = _log_bodies._decode_exact(series.str.strip_chars())
    assert fast_failed == exact_failed
    assert_frame_equal(fast, exact)
