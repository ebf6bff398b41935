"""The hostile-bundle corpus through the CLI: each case's message and exit code.

A usable bundle (the good log is read) exits with the normal code (0: no finding) and lists
its problems in the report (checked in the JSON); an unusable one exits 2 with one line per
unusable member on stderr. Nothing is ever written next to the input, and no traceback.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from forensics.cli import main

from . import (
    GOOD,
    GOOD_LOG,
    LINE,
    MIB,
    billion_laughs,
    deep_json,
    deep_json_line,
    folder,
    gz_member_bomb,
    long_line,
    sparse_tar,
    tar,
    zip_,
    zip_bomb,
    zip_salvage_bomb,
    zip_symlink,
)


@dataclass
class Case:
    id: str
    build: Callable[[Path], Path]
    code: int
    messages: list[str]  # "source: reason" fragments (problems in the JSON, or lines on stderr for exit 2)
    logs: int | None = 3  # log rows read from the rest of the bundle
    args: list[str] = field(default_factory=list)


def _truncated(tmp: Path, suffix: str) -> Path:
    whole = tmp / f"whole{suffix}"
    big = b"".join(LINE.replace(b"in-sync", f"in-sync {i}".encode()) for i in range(4000))
    if suffix == ".zip":
        zip_(
            whole,
            [(GOOD, GOOD_LOG), ("cluster-resources/pods/logs/flux-system/helm-controller-1/manager-previous.log", big)],
        )
    else:
        tar(
            whole,
            [
                (GOOD, "file", GOOD_LOG),
                ("cluster-resources/pods/logs/flux-system/helm-controller-1/manager-previous.log", "file", big),
            ],
        )
    data = whole.read_bytes()
    cut = tmp / f"cut{suffix}"
    cut.write_bytes(data[: len(data) * 2 // 3])
    return cut


def _corrupt_zip(tmp: Path) -> Path:
    path = zip_(tmp / "corrupt.zip", [(GOOD, GOOD_LOG), ("other/manager.log", LINE * 50)])
    data = bytearray(path.read_bytes())
    start = data.find(b"other/manager.log") + len("other/manager.log")  # the local header's name, then the data
    for i in range(start + 10, start + 30):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def _minified_list(tmp: Path) -> Path:
    """1500 HelmReleases of the sample as one 5 MB line (`kubectl get hr -A -o json | jq -c`)."""
    from ..conftest import SAMPLES

    sample = json.loads(
        (
            SAMPLES
            / "upgrade-2.1-to-2.2/cluster-resources/custom-resources/helmreleases.helm.toolkit.fluxcd.io/apps.json"
        ).read_text()
    )
    text = json.dumps(sample, separators=(",", ":"))
    items = ",".join(text[1:-1].replace('"name":"frontend"', f'"name":"frontend-{i}"') for i in range(300))
    return folder(tmp / "b", {"hr.json": ('{"apiVersion":"v1","kind":"List","items":[' + items + "]}").encode()})


def _utf16(tmp: Path) -> Path:
    return folder(
        tmp / "b", {"utf16/manager.log": b"\xff\xfe" + GOOD_LOG.decode().replace("\n", "\r\n").encode("utf-16-le")}
    )


CASES = [
    # --- archives ---------------------------------------------------------------------------
    Case(
        "tar-traversal",
        lambda t: tar(
            t / "a.tar.gz", [(GOOD, "file", GOOD_LOG), ("../escape.log", "file", LINE), ("/etc/passwd", "file", b"x")]
        ),
        0,
        [
            "../escape.log: refused: absolute path or '..' in entry name",
            "/etc/passwd: refused: absolute path or '..' in entry name",
        ],
    ),
    Case(
        "zip-traversal",
        lambda t: zip_(t / "a.zip", [(GOOD, GOOD_LOG), ("../evil.log", LINE), ("/abs.log", LINE)]),
        0,
        [
            "../evil.log: refused: absolute path or '..' in entry name",
            "/abs.log: refused: absolute path or '..' in entry name",
        ],
    ),
    Case(
        "tar-symlink-outside",
        lambda t: tar(
            t / "s.tar",
            [(GOOD, "file", GOOD_LOG), ("up", "symlink", "../../outside"), ("abs", "symlink", "/etc/shadow")],
            compression="",
        ),
        0,
        [
            "up: refused: symlink leaves the bundle: ../../outside",
            "abs: refused: symlink leaves the bundle: /etc/shadow",
        ],
    ),
    Case(
        "zip-symlink-outside",
        lambda t: zip_symlink(t / "s.zip", "link.log", "../../../etc/passwd"),
        0,
        ["link.log: refused: symlink leaves the bundle: ../../../etc/passwd"],
    ),
    Case(
        "tar-devices",
        lambda t: tar(
            t / "d.tar",
            [(GOOD, "file", GOOD_LOG), ("pipe", "fifo", None), ("tty", "chr", None), ("disk", "blk", None)],
            compression="",
        ),
        0,
        [
            "pipe: refused: fifo refused (not a regular file)",
            "tty: refused: character device refused",
            "disk: refused: block device refused",
        ],
    ),
    Case(
        "tar-hard-links",
        lambda t: tar(
            t / "h.tar",
            [
                (GOOD, "file", GOOD_LOG),
                ("pipe", "fifo", None),
                ("out", "hardlink", "../../etc/passwd"),
                ("to-pipe", "hardlink", "pipe"),
                ("twin.log", "hardlink", GOOD),
            ],
            compression="",
        ),
        0,
        [
            "out: refused: hard link leaves the bundle: ../../etc/passwd",
            "to-pipe: refused: hard link to pipe, which is not a file read from the bundle",
        ],
    ),
    # random bytes after the bomb: the archive is big enough for the bomb's declared size, but
    # the stream's ratio when the bomb is read is over the cap
    Case(
        "tar-gz-bomb",
        lambda t: tar(
            t / "bomb.tar.gz",
            [(GOOD, "file", GOOD_LOG), ("bomb.log", "zeros", 40 * MIB), ("noise.bin", "file", os.urandom(400_000))],
            level=9,
        ),
        0,
        ["bomb.log: stopped reading after", "over the compression ratio cap of 200:1 (raise it with --max-ratio)"],
    ),
    Case(
        "tar-gz-bomb-alone",
        lambda t: tar(t / "bomb.tar.gz", [("bomb.log", "zeros", 40 * MIB)]),
        2,
        [
            "nothing usable found",
            "bomb.log: refused: not read: 41943040 bytes declared in a",
            "(raise it with --max-ratio)",
        ],
        logs=None,
    ),
    Case(
        "zip-bomb",
        lambda t: zip_bomb(t / "bomb.zip"),
        0,
        [
            "bomb.log: refused: not read: compression ratio 1028:1 is over the compression ratio cap of 200:1 (raise it with --max-ratio)"
        ],
    ),
    Case(
        "gz-member-bomb",
        lambda t: gz_member_bomb(t / "b"),
        0,
        [
            "manager-previous.log.gz: refused: not read: more than 33554432 bytes when decompressed",
            "(raise it with --max-ratio)",
        ],
    ),
    Case(
        "tar-sparse-member",
        lambda t: sparse_tar(t / "sparse.tar", "huge.log", 3 * 1024**3),
        0,
        [
            "huge.log: refused: not read: a sparse entry of 3221225472 bytes that stores 6 is over the compression ratio cap of 200:1"
        ],
    ),
    Case(
        "zip-recovery-bomb",
        lambda t: zip_salvage_bomb(t / "cut.zip"),
        0,
        [
            "cut.zip: zip archive truncated or corrupt",
            "bomb.log: refused: not read: ",
            "compressed bytes: over the compression ratio cap of 200:1",
        ],
    ),
    Case(
        "gz-empty-members",
        lambda t: folder(t / "b", {"x/manager.log.gz": gzip.compress(LINE) + gzip.compress(b"") * 500_000}),
        0,
        ["x/manager.log.gz: refused: not read: more than 200000 gzip members (raise the cap with --max-members)"],
    ),
    Case(
        "gz-members-over-the-cap",
        lambda t: folder(t / "b", {"x/manager.log.gz": gzip.compress(LINE) * 50}),
        0,
        ["x/manager.log.gz: refused: not read: more than 20 gzip members"],
        args=["--max-members", "20"],
    ),
    Case(
        "max-bytes",
        lambda t: folder(t / "b", {"big.log": LINE * 2000}),
        0,
        ["big.log: refused: not read: ", "would pass the cap of 100000 decompressed bytes (raise it with --max-bytes)"],
        args=["--max-bytes", "100000"],
    ),
    Case(
        "max-bytes-nothing-left",
        lambda t: tar(t / "b.tar.gz", [("big.log", "file", LINE * 2000)]),
        2,
        ["nothing usable found", "big.log: refused: not read:", "(raise it with --max-bytes)"],
        logs=None,
        args=["--max-bytes", "1000"],
    ),
    Case(
        "max-members",
        lambda t: tar(
            t / "m.tar", [(GOOD, "file", GOOD_LOG)] + [(f"n/{i}.txt", "file", b"x") for i in range(30)], compression=""
        ),
        0,
        ["m.tar: more than 10 entries: the rest is not read (raise the cap with --max-members)"],
        args=["--max-members", "10"],
    ),
    Case(
        "truncated-tar-gz",
        lambda t: _truncated(t, ".tar.gz"),
        0,
        ["manager-previous.log: entry truncated or corrupt after"],
        logs=None,
    ),
    Case(
        "truncated-zip",
        lambda t: _truncated(t, ".zip"),
        0,
        [
            "cut.zip: zip archive truncated or corrupt (no central directory)",
            "manager-previous.log: entry truncated after",
        ],
        logs=None,
    ),
    Case("corrupt-zip-entry", _corrupt_zip, 0, ["manager.log: entry corrupt:"]),
    Case(
        "corrupt-gz",
        lambda t: (t / "broken.tar.gz").write_bytes(b"\x1f\x8b\x08\x00garbage") and t / "broken.tar.gz",
        2,
        ["broken.tar.gz: compressed archive that cannot be read (truncated or corrupt)"],
        logs=None,
    ),
    Case(
        "not-a-bundle",
        lambda t: folder(t / "b", {}) and (t / "notes.txt").write_text("hello\n") and t / "notes.txt",
        2,
        ["nothing usable found in"],
        logs=None,
    ),
    # --- content ----------------------------------------------------------------------------
    Case(
        "billion-laughs",
        lambda t: folder(t / "b", {"hr.yaml": billion_laughs()}),
        0,
        ["hr.yaml:1: YAML document refused: its aliases expand to more than 1000000 nodes"],
    ),
    Case(
        "long-string-aliased",
        lambda t: folder(
            t / "b",
            {
                "hr.yaml": b"kind: HelmRelease\nmetadata: {name: a, namespace: b}\nx: &big "
                + b"y" * (2 * MIB)
                + b"\nspec: {values: ["
                + b", ".join([b"*big"] * 99)
                + b"]}\n"
            },
        ),
        0,
        [
            "hr.yaml:1: YAML document refused: its aliases expand to more than 1000000 nodes or 16777216 characters beyond its own"
        ],
    ),
    Case(
        "deep-json-object",
        lambda t: folder(t / "b", {"deep.json": deep_json()}),
        0,
        ["deep.json: JSON refused: nested deeper than the decoder's limit"],
    ),
    Case(
        "deep-json-log-line",
        lambda t: folder(t / "b", {"x/manager.log": LINE + deep_json_line() + LINE}),
        0,
        ["x/manager.log:2: not a JSON log record"],
        logs=5,
    ),
    Case(
        "five-mb-line",
        lambda t: folder(
            t / "b", {"x/manager.log": LINE + long_line() + LINE, "y/manager.log": LINE + b"y" * (5 * MIB) + b"\n"}
        ),
        0,
        ["y/manager.log:2: not a JSON log record"],
        logs=3 + 3 + 1,
    ),
    Case("five-mb-json-object-line", _minified_list, 3, []),  # the sample's findings, in about a second
    Case(
        "invalid-utf8",
        lambda t: folder(
            t / "b",
            {
                "x/manager.log": LINE.replace(b"in-sync", b"in-\xff\xfesync") + LINE,
                "hr.yaml": b"kind: HelmRelease\nmetadata: {name: \xff}\n",
            },
        ),
        0,
        ["x/manager.log: invalid UTF-8 replaced with U+FFFD", "hr.yaml: invalid UTF-8 replaced with U+FFFD"],
        logs=5,
    ),
    Case(
        "nul-crlf-bom",
        lambda t: folder(
            t / "b",
            {
                "x/manager.log": b"\xef\xbb\xbf"
                + LINE.replace(b"\n", b"\r\n") * 2
                + b"\x00\x00\r\n"
                + LINE.replace(b"in-sync", b"in\x00sync")
            },
        ),
        0,
        ["x/manager.log:3: not a JSON log record", "x/manager.log:4: not a JSON log record"],
        logs=5,
    ),  # a raw NUL is not JSON
    Case("utf16-bom", _utf16, 0, [], logs=6),
]


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_bundle(case: Case, tmp_path: Path, monkeypatch):
    inputs = tmp_path / "in"
    inputs.mkdir()
    path = case.build(inputs)
    before = _tree(tmp_path)
    runner = CliRunner()
    started = time.monotonic()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    result = runner.invoke(main, ["analyze", str(path), "-f", "json", "-o", "-", *case.args])
    assert not os.listdir(cwd), "nothing is written in the working folder"
    assert time.monotonic() - started < 15, "a hostile input must not stall the run"
    assert _tree(tmp_path) - before == {"cwd"}, "nothing is extracted or written anywhere"
    assert result.exit_code == case.code, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    if case.code == 2:
        for message in case.messages:
            assert message in result.stderr, (message, result.stderr)
        return
    data = json.loads(result.stdout)
    problems = [f"{p['source']}{':' + str(p['line']) if p['line'] else ''}: {p['reason']}" for p in data["problems"]]
    for message in case.messages:
        assert any(message in p for p in problems), (message, problems)
    if case.logs is not None:
        assert data["bundle"]["rows"]["logs"] == case.logs, problems
    assert data["bundle"]["rows"]["logs"] >= 1
