"""Nothing lost: a bundle given as `/dev/stdin`, a named pipe or a process substitution
(`<(...)`) is read as `-` is; an archive inside an archive (a support bundle in a ticket's
`.tar.gz` or a portal's `.zip`) is read in place, a few archives deep, under the same caps.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics.cli import main

from ..conftest import SAMPLES
from . import GOOD, GOOD_LOG, MIB, tar

SAMPLE = SAMPLES / "upgrade-2.1-to-2.2.tar.gz"
TIME = "2024-01-15T12:00:00Z"


def _analysis(path: str, *args: str) -> dict:
    result = CliRunner().invoke(main, ["analyze", path, "-f", "json", "-o", "-", "--generated-at", TIME, *args])
    assert result.exit_code in (0, 3, 4), result.output
    return json.loads(result.stdout)


def _same(a: dict, b: dict) -> None:
    """The same findings, rows, time window and collection time."""
    assert sorted((f["release"], f["label"], f["rule"]) for f in a["findings"]) == sorted(
        (f["release"], f["label"], f["rule"]) for f in b["findings"]
    )
    assert a["bundle"]["rows"] == b["bundle"]["rows"]
    for key in ("window_start", "window_end", "collected_at"):
        assert a["bundle"][key] == b["bundle"][key], key


@pytest.fixture(scope="module")
def direct() -> dict:
    return _analysis(str(SAMPLE))


def _feed(path: str, data: bytes) -> threading.Thread:
    def write() -> None:
        with open(path, "wb") as out:
            out.write(data)

    writer = threading.Thread(target=write)
    writer.start()
    return writer


def test_a_named_pipe_is_read_like_standard_input(direct, tmp_path):
    fifo = tmp_path / "bundle"
    os.mkfifo(fifo)
    writer = _feed(str(fifo), SAMPLE.read_bytes())
    _same(_analysis(str(fifo)), direct)
    writer.join()


def test_a_process_substitution_is_read_like_standard_input(direct):
    read, write = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write, SAMPLE.read_bytes()), os.close(write)))
    writer.start()
    try:
        _same(_analysis(f"/dev/fd/{read}"), direct)  # what bash passes for <(cat bundle.tar.gz)
    finally:
        writer.join()
        os.close(read)


def test_dev_stdin_is_read_like_dash(direct):
    forensics = Path(sys.executable).parent / "forensics"
    result = subprocess.run(
        [str(forensics), "analyze", "/dev/stdin", "-f", "json", "-o", "-", "--generated-at", TIME],
        input=SAMPLE.read_bytes(),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 3, result.stderr
    _same(json.loads(result.stdout), direct)


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, payload in files.items():
            archive.writestr(name, payload)
    return path


def _tar_gz(path: Path, files: dict[str, bytes]) -> Path:
    return tar(path, [(name, "file", payload) for name, payload in files.items()])


def test_a_bundle_in_a_portal_zip_is_the_bundle(direct, tmp_path):
    portal = _zip(tmp_path / "attachments.zip", {SAMPLE.name: SAMPLE.read_bytes()})
    analysis = _analysis(str(portal))
    _same(analysis, direct)
    assert analysis["bundle"]["layout"] == "troubleshoot" and analysis["bundle"]["root"] == direct["bundle"]["root"]
    assert {
        "path": SAMPLE.name,
        "size": SAMPLE.stat().st_size,
        "parser": None,
        "rows": 0,
        "problems": 0,
        "note": "an archive: its entries are read in place",
    } in analysis["inventory"]


def test_a_bundle_in_a_ticket_tar_gz_is_read_in_its_folder(direct, tmp_path):
    ticket = _tar_gz(
        tmp_path / "ticket.tar.gz",
        {f"ticket-42/{SAMPLE.name}": SAMPLE.read_bytes(), "ticket-42/notes.txt": b"customer notes\n"},
    )
    analysis = _analysis(str(ticket))
    notes = [p for p in analysis["problems"] if p["source"] == "notes.txt"]
    assert len(notes) == 1  # the customer's notes: text, nothing known in it
    analysis["bundle"]["rows"]["problems"] -= 1
    _same(analysis, direct)
    paths = {i["path"] for i in analysis["inventory"]}
    assert any(path.startswith("support-bundle-2024-01-15T09_48_30/cluster-resources/") for path in paths), paths


def test_archives_are_read_a_few_deep_and_no_deeper(tmp_path):
    inner = _tar_gz(tmp_path / "inner.tar.gz", {GOOD: GOOD_LOG})
    middle = _zip(tmp_path / "middle.zip", {"inner.tar.gz": inner.read_bytes()})
    outer = _tar_gz(tmp_path / "outer.tar.gz", {"middle.zip": middle.read_bytes()})
    assert _analysis(str(outer))["bundle"]["rows"]["logs"] == 3  # two archives deep: read
    deepest = _zip(tmp_path / "deepest.zip", {"outer.tar.gz": outer.read_bytes(), "x/manager.log": GOOD_LOG})
    analysis = _analysis(str(deepest))
    assert analysis["bundle"]["rows"]["logs"] == 3  # the log beside it only
    assert any(
        p["source"] == "inner.tar.gz" and p["reason"] == "an archive 3 archives deep: not read inside"
        for p in analysis["problems"]
    )


def test_an_archive_inside_is_read_under_the_same_caps(tmp_path):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("bomb.log", bytes(40 * MIB))
    outer = _tar_gz(
        tmp_path / "outer.tar.gz", {GOOD: GOOD_LOG, "inner.zip": bomb.getvalue(), "big/manager.log": GOOD_LOG * 60}
    )
    reasons = {p["source"]: p["reason"] for p in _analysis(str(outer))["problems"]}
    assert "not read: compression ratio 1028:1 is over the compression ratio cap of 200:1" in reasons["bomb.log"]
    analysis = _analysis(str(outer), "--max-bytes", "50000")  # the zip fits, its bomb and the big log do not
    reasons = {p["source"]: p["reason"] for p in analysis["problems"]}
    assert "would pass the cap of 50000 decompressed bytes" in reasons["bomb.log"]
    assert "would pass the cap of 50000 decompressed bytes" in reasons["big/manager.log"]
    assert analysis["bundle"]["rows"]["logs"] == 3


def test_a_damaged_archive_inside_is_a_problem_not_the_end(tmp_path):
    outer = _zip(tmp_path / "outer.zip", {"broken.tar.gz": b"\x1f\x8b\x08\x00garbage", GOOD: GOOD_LOG})
    analysis = _analysis(str(outer))
    assert analysis["bundle"]["rows"]["logs"] == 3
    assert any(p["source"] == "broken.tar.gz" and "not read" in p["reason"] for p in analysis["problems"]), analysis[
        "problems"
    ]


def test_a_file_named_like_an_archive_that_is_none_is_an_ordinary_member(tmp_path):
    folder = tmp_path / "b"
    (folder / "x").mkdir(parents=True)
    (folder / "x" / "manager.log").write_bytes(GOOD_LOG)
    (folder / "notes.tar").write_bytes(b"not an archive\n")
    analysis = _analysis(str(folder))
    assert analysis["bundle"]["rows"]["logs"] == 3
    # an ordinary member: read as text (nothing known in it), not as an archive
    notes = next(i for i in analysis["inventory"] if i["path"] == "notes.tar")
    assert notes["rows"] == 0 and "archive" not in notes["note"] and notes["note"].startswith("nothing read")
