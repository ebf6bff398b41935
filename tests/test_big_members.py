"""Big members are parsed from disk piece by piece: a folder's file as it is, an archive's
member copied to a spool directory first. The analysis is the one of reading them in memory,
the cited log lines are read again from disk, and the spool goes away with the frames."""

from __future__ import annotations

import gc
import os
import shutil
import tarfile
from pathlib import Path

import pytest

import forensics
from forensics import bundle as bundle_module
from forensics.bundle import archives
from forensics.load import load
from parsers import _logs_stream

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "upgrade-2.1-to-2.2"


def _analysis(path) -> str:
    analysis = forensics.analyze(
        str(path), generated_at=forensics.datetime(2024, 3, 12, 12, tzinfo=forensics.timezone.utc)
    )
    return analysis.model_dump_json(exclude={"generated_at"})


@pytest.fixture()
def small_pieces(monkeypatch):
    """Every member over 4 KiB is "big", and logs are decoded by the streaming engine in runs."""
    monkeypatch.setattr(archives, "STREAM_BYTES", 4096)
    monkeypatch.setattr(archives, "SPOOL_BYTES", 4096)
    monkeypatch.setattr(_logs_stream, "MIN_BYTES", 2048)
    monkeypatch.setattr(_logs_stream, "STREAM_ROWS", 64)


def _archive(tmp_path, kind: str) -> Path:
    if kind == "folder":
        return SAMPLE
    if kind == "zip":
        return Path(shutil.make_archive(str(tmp_path / "bundle"), "zip", SAMPLE.parent, SAMPLE.name))
    archive = tmp_path / "bundle.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(SAMPLE, arcname=SAMPLE.name)
    return archive


@pytest.mark.parametrize("kind", ["folder", "tar.gz", "zip"])
def test_folder_and_archive_big_members_give_the_in_memory_analysis(tmp_path, monkeypatch, kind):
    """A folder's big file is handed over unread; an archive's big entry (a tar's, a zip's) is
    copied to the spool as it is inflated, not read into memory."""
    path = _archive(tmp_path, kind)
    reference = _analysis(path)
    monkeypatch.setattr(archives, "STREAM_BYTES", 4096)
    monkeypatch.setattr(archives, "SPOOL_BYTES", 4096)
    monkeypatch.setattr(_logs_stream, "MIN_BYTES", 2048)
    monkeypatch.setattr(_logs_stream, "STREAM_ROWS", 64)
    streamed = []
    parse = _logs_stream.parse
    monkeypatch.setattr(
        _logs_stream,
        "parse",
        lambda result, data, *a, **k: streamed.append(type(data).__name__) or parse(result, data, *a, **k),
    )
    assert _analysis(path) == reference
    assert "FileData" in streamed


def test_spool_directory_lives_with_the_frames(tmp_path, small_pieces):
    archive = tmp_path / "bundle.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(SAMPLE, arcname=SAMPLE.name)
    frames = load(str(archive))
    spool = frames.lines.keep.name
    assert os.listdir(spool)  # the big log members, copied
    logs = frames.with_raw(frames["logs"].head(3))
    assert logs["raw"].null_count() == 0 and logs["raw"][0].startswith("{")
    del frames, logs
    gc.collect()
    assert not os.path.exists(spool)


def test_a_spool_that_cannot_be_made_reads_in_memory(tmp_path, small_pieces, monkeypatch):
    archive = tmp_path / "bundle.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(SAMPLE, arcname=SAMPLE.name)
    reference = load(str(archive))
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryDirectory", refuse)
    frames = load(str(archive))
    assert frames.lines.keep is None  # nothing spooled
    assert frames["logs"].drop("raw").equals(reference["logs"].drop("raw"))
    assert frames.with_raw(frames["logs"])["raw"].equals(reference.with_raw(reference["logs"])["raw"])


def test_a_spool_that_fills_up_goes_on_in_memory(tmp_path, small_pieces, monkeypatch):
    """The disk fills while a member is copied: what was written is read back, the rest of the
    member is read into memory, the member is analysed whole and the problem is reported."""
    archive = tmp_path / "bundle.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(SAMPLE, arcname=SAMPLE.name)
    reference = load(str(archive))
    opened = bundle_module.Reader._spool_open

    class Full:
        def __init__(self, handle):
            self.handle, self.writes = handle, 0

        def write(self, chunk):
            self.writes += 1
            if self.writes > 1:
                raise OSError(28, "No space left on device")
            return self.handle.write(chunk)

        def close(self):
            self.handle.close()

    def spool_open(self, count):
        path, handle = opened(self, count)
        return path, Full(handle)

    monkeypatch.setattr(bundle_module.Reader, "_spool_open", spool_open)
    monkeypatch.setattr(tarfile.TarFile, "extractfile", _small_reads(tarfile.TarFile.extractfile))
    frames = load(str(archive))
    assert frames["logs"].drop("raw", "offset").equals(reference["logs"].drop("raw", "offset"))
    assert any("could not be copied to disk" in p for p in frames["problems"]["reason"].to_list())


def _small_reads(extractfile):
    """extractfile whose reads return at most 1 KiB (so a member is written in several steps)."""

    def wrapper(self, member):
        handle = extractfile(self, member)
        if handle is None:
            return None
        read = handle.read
        handle.read = lambda size=-1: read(min(size, 1024) if size and size > 0 else 1024)
        return handle

    return wrapper


def test_a_big_file_with_a_byte_order_mark_is_normalised_in_memory(tmp_path, small_pieces):
    """A file handed over unread is read whole when it starts with a byte-order mark, so the
    UTF-16 text is re-encoded as for a small file; its lines are read again from the
    re-encoded bytes, not from the UTF-16 file."""
    source = next(SAMPLE.glob("cluster-resources/pods/logs/flux-system/*/manager.log"))
    text = source.read_text()
    folder = tmp_path / "b" / "cluster-resources" / "pods" / "logs" / "flux-system" / source.parent.name
    folder.mkdir(parents=True)
    (folder / "manager.log").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    frames = load(str(tmp_path / "b"))
    logs = frames.with_raw(frames["logs"])
    lines = text.split("\n")
    assert logs.height > 0 and logs["raw"].to_list() == [lines[n - 1] for n in logs["line"].to_list()]


def test_a_folders_big_files_are_listed_biggest_first_and_only_when_no_cap_can_refuse_them(tmp_path, small_pieces):
    root = tmp_path / "bundle"
    (root / "logs").mkdir(parents=True)
    (root / "logs" / "a.log").write_bytes(b'{"msg":"a"}\n' * 600)  # 7 KB
    (root / "logs" / "b.log").write_bytes(b'{"msg":"b"}\n' * 900)  # 11 KB
    (root / "small.json").write_bytes(b"{}")
    (root / "bom.log").write_bytes(b"\xef\xbb\xbf" + b"x" * 5000)  # read into memory by files()
    (root / "link.log").symlink_to(root / "logs" / "b.log")
    listed = bundle_module.Reader(str(root)).big_files()
    assert [(path, data.size) for path, data in listed] == [("logs/b.log", 10800), ("logs/a.log", 7200)]
    handed = {member.path: data for member, data in bundle_module.Reader(str(root)).files()}
    assert all(type(handed[path]).__name__ == "FileData" and handed[path].path == data.path for path, data in listed)
    assert bundle_module.Reader(str(root), max_bytes=20_000).big_files() == []  # the folder is over the byte cap
    assert bundle_module.Reader(str(root), max_members=4).big_files() == []
    assert bundle_module.Reader(str(root / "logs" / "a.log")).big_files() == []  # not a folder
    (root / "other.log.gz").write_bytes(b"\x1f\x8b")
    assert bundle_module.Reader(str(root)).big_files() == []  # inflated as read: its share of the cap is unknown


def test_big_files_started_early_give_the_same_frames(small_pieces, monkeypatch):
    """Started before their turn (and their runs built later while objects are parsed), the
    big logs give the frames of the members parsed in order."""
    started = load(str(SAMPLE))
    assert bundle_module.Reader(str(SAMPLE)).big_files()  # there were some
    monkeypatch.setattr(bundle_module.Reader, "big_files", lambda self: [])
    in_order = load(str(SAMPLE))
    for kind in in_order.data:
        assert started[kind].equals(in_order[kind]), kind
    assert [vars(item) for item in started.inventory] == [vars(item) for item in in_order.inventory]


def test_deferred_batches_come_out_all_and_in_order_and_wait_only_for_python_bound_work():
    from parsers._base import PYTHON_BOUND

    def batches(n, during=None):
        for i in range(n):
            if during is not None:
                during.append(i)
            yield i

    assert list(_logs_stream._deferred(batches(30))) == list(range(30))
    produced: list[int] = []
    out = []
    with PYTHON_BOUND:
        iterator = _logs_stream._deferred(batches(30, produced))
        out.append(next(iterator))
        # held back while the Python-bound work runs: the cap's worth was produced first
        assert len(produced) == _logs_stream.DEFERRED_BATCHES
    out += list(iterator)
    assert out == list(range(30))
