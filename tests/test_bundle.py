import io
import tarfile
import zipfile

import pytest

from forensics.bundle import BundleError, Reader, detect_layout

LOG = b'{"level":"info","ts":"2024-01-15T09:02:41.127Z","msg":"release in-sync with desired state"}\n'


def build_tar(path, entries, gz=True):
    with tarfile.open(path, "w:gz" if gz else "w") as tar:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, payload
                tar.addfile(info)
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
                tar.addfile(info)
    return path


def read(path):
    return read_with(path)


def read_with(path, **caps):
    reader = Reader(path, **caps)
    pairs = list(reader.files())  # paths are final (root stripped) once the pass is over
    files = {m.path: data for m, data in pairs}
    return reader.bundle, files


def test_tar_root_is_stripped_and_symlinks_resolve_inside(tmp_path):
    top = "support-bundle-2024-01-15T09_48_30"
    path = build_tar(
        tmp_path / "b.tar.gz",
        [
            (f"{top}/version.yaml", "file", b"kind: SupportBundle\n"),
            (f"{top}/cluster-resources/pods/logs/flux-system/hc/manager.log", "file", LOG),
            (
                f"{top}/helm-controller/hc/manager.log",
                "symlink",
                "../../cluster-resources/pods/logs/flux-system/hc/manager.log",
            ),
        ],
    )
    bundle, files = read(path)
    assert bundle.root == top and bundle.layout == "troubleshoot"
    assert set(files) == {"version.yaml", "cluster-resources/pods/logs/flux-system/hc/manager.log"}
    link = next(m for m in bundle.members if m.type == "symlink")
    assert link.path == "helm-controller/hc/manager.log"
    assert link.target == "cluster-resources/pods/logs/flux-system/hc/manager.log"
    assert bundle.collected_at.isoformat() == "2024-01-15T09:48:30+00:00"


def test_unsafe_entries_are_refused_not_followed(tmp_path):
    path = build_tar(
        tmp_path / "evil.tar",
        [
            ("ok.log", "file", LOG),
            ("../escape.log", "file", LOG),
            ("/etc/passwd", "file", b"root:x:0:0\n"),
            ("link", "symlink", "/etc/shadow"),
            ("up", "symlink", "../../outside"),
            ("pipe", "fifo", b""),
        ],
        gz=False,
    )
    bundle, files = read(path)
    assert set(files) == {"ok.log"}
    refused = {m.path: m.note for m in bundle.members if m.type == "refused"}
    assert set(refused) == {"../escape.log", "/etc/passwd", "link", "up", "pipe"}
    assert not (tmp_path.parent / "escape.log").exists()


def test_folder_zip_and_single_file(tmp_path):
    folder = tmp_path / "dump"
    (folder / "logs").mkdir(parents=True)
    (folder / "logs" / "hc.log").write_bytes(LOG)
    (folder / "alias.log").symlink_to("logs/hc.log")
    bundle, files = read(folder)
    assert set(files) == {"logs/hc.log"}
    assert [m.target for m in bundle.members if m.type == "symlink"] == ["logs/hc.log"]

    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a/hc.log", LOG)
        zf.writestr("../evil.log", LOG)
    bundle, files = read(archive)
    assert set(files) == {"hc.log"} or set(files) == {"a/hc.log"}
    assert any(m.type == "refused" for m in bundle.members)

    bundle, files = read(folder / "logs" / "hc.log")
    assert set(files) == {"hc.log"}


def test_truncated_archive_keeps_what_was_read(tmp_path):
    path = build_tar(tmp_path / "t.tar", [("a.log", "file", LOG), ("b.log", "file", LOG * 2000)], gz=False)
    data = path.read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: 512 * 3 + 100])
    bundle, files = read(cut)
    assert "a.log" in files
    assert bundle.problems


def test_missing_and_capped_input(tmp_path):
    with pytest.raises(BundleError, match="no such file"):
        Reader(tmp_path / "nope.tar.gz")
    path = build_tar(tmp_path / "big.tar", [("a.log", "file", LOG * 100)], gz=False)
    bundle, files = read_with(path, max_bytes=1000)  # the member over the cap is refused, not read
    assert not files
    assert [m.note for m in bundle.members if m.type == "refused"] == [
        f"not read: {len(LOG) * 100} bytes would pass the cap of 1000 decompressed bytes (raise it with --max-bytes)"
    ]


@pytest.mark.parametrize(
    "paths, layout",
    [
        ({"version.yaml", "cluster-resources/events/apps.json"}, "troubleshoot"),
        ({"collected.timestamp", "namespaces/apps/v1/event/x.yaml"}, "crust-gather"),
        ({"namespaces/apps/core/events.yaml"}, "must-gather"),
        ({"apps/events.json", "apps/pod-1/logs.txt"}, "cluster-info-dump"),
        ({"helmreleases.yaml", "helm-controller.log"}, "loose"),
    ],
)
def test_layout_detection(paths, layout):
    assert detect_layout(paths) == layout


def _inflate(stream, step: int = 4096) -> tuple[bytes, Exception | None]:
    out = []
    try:
        while True:
            data = stream.read1(step)
            if not data:
                return b"".join(out), None
            out.append(data)
    except Exception as error:  # noqa: BLE001 - the caller compares it
        return b"".join(out), error


def _reference(data: bytes) -> tuple[bytes, Exception | None]:
    import gzip
    import io

    with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
        return _inflate(stream)


@pytest.mark.parametrize("inflater", ["isal", "zlib"])
def test_gzip_stream_inflates_as_the_standard_library(inflater, monkeypatch):
    """The tar stream's inflater gives gzip's bytes, and on damage what came before it."""
    import gzip
    import io
    import random
    import zlib

    from forensics.bundle import streams

    if inflater == "zlib":
        monkeypatch.setattr(streams, "_decompressobj", zlib.decompressobj)
    rng = random.Random(7)
    text = b"".join(b"line %d %s\n" % (i, bytes(rng.choice(b"abcdef") for _ in range(40))) for i in range(60_000))
    one, two = gzip.compress(text[:1_000_000]), gzip.compress(text[1_000_000:])
    crc = bytearray(one)
    crc[-6] ^= 0xFF
    cases = {
        "one member": one,
        "two members, zero padding between and after": one + b"\x00" * 9 + two + b"\x00" * 3,
        "truncated": (one + two)[: len(one) + len(two) // 2],
        "bad checksum": bytes(crc),
        "garbage after a member": one + b"not gzip at all",
    }
    for name, data in cases.items():
        expected, reference_error = _reference(data)
        got, error = _inflate(streams.GzipStream(io.BytesIO(data)))
        assert (error is None) == (reference_error is None), name
        if error is None:
            assert got == expected, name
        else:  # what came before the damage, up to the inflater's last step (deflate blocks)
            assert isinstance(error, streams.DAMAGE), name  # reported as damage, never a traceback
            assert text.startswith(got) and len(got) >= len(expected) - 65536, name


@pytest.mark.parametrize("inflater", ["isal", "zlib"])
def test_gunzip_keeps_what_came_before_damage_and_says_why(inflater, monkeypatch):
    import gzip
    import zlib

    from forensics import bundle
    from forensics.bundle import streams

    if inflater == "zlib":
        monkeypatch.setattr(streams, "_decompressobj", zlib.decompressobj)
    first, second = b"first member\n" * 1000, b"second member\n" * 1000
    data = gzip.compress(first) + b"\x00\x00" + gzip.compress(second)
    assert bundle.gunzip(data, 1 << 30, 1000) == (first + second, None)
    out, why = bundle.gunzip(data[:-30], 1 << 30, 1000)  # the second member cut short
    assert out.startswith(first) and why.startswith("gzip stream truncated after")
    broken = bytearray(data)
    broken[len(data) - 40 : len(data) - 30] = b"\xff" * 10  # inside the second member's deflate data
    out, why = bundle.gunzip(bytes(broken), 1 << 30, 1000)
    assert out == first and why.startswith("corrupt gzip data after 13000 bytes")
    with pytest.raises(bundle.CapExceeded):
        bundle.gunzip(data, 5000, 1000)


MIB = 1024**2


@pytest.mark.parametrize(
    "entry, expected",
    [
        (dict(name="../x.log", size=5), ("refused", "../x.log", None, "absolute path or '..' in entry name")),
        (dict(name="/etc/passwd", size=5), ("refused", "/etc/passwd", None, "absolute path or '..' in entry name")),
        (dict(name="a/", size=0, kind="dir"), None),
        (dict(name="a/b.log", size=0, kind="symlink", link="../c.log"), ("symlink", "a/b.log", "c.log", "")),
        (
            dict(name="a/b.log", size=0, kind="symlink", link="../../c.log"),
            ("refused", "a/b.log", None, "symlink leaves the bundle: ../../c.log"),
        ),
        (
            dict(name="a/b.log", size=0, kind="symlink", link="/c.log"),
            ("refused", "a/b.log", None, "symlink leaves the bundle: /c.log"),
        ),
        (
            dict(name="a/twin", size=0, kind="hardlink", link="a/read.log"),
            ("symlink", "a/twin", "a/read.log", "hard link to a/read.log (read there)"),
        ),
        (
            dict(name="a/twin", size=0, kind="hardlink", link="a/later.log"),
            ("refused", "a/twin", None, "hard link to a/later.log, which is not a file read from the bundle"),
        ),
        (
            dict(name="a/fifo", size=7, kind="special", refused="fifo refused (not a regular file)"),
            ("refused", "a/fifo", None, "fifo refused (not a regular file)"),
        ),
        (
            dict(name="a/big.log", size=2000),
            (
                "refused",
                "a/big.log",
                None,
                "not read: 2000 bytes would pass the cap of 1000 decompressed bytes (raise it with --max-bytes)",
            ),
        ),
        (
            dict(name="a/x.log", size=40 * MIB, stored=100_000),
            (
                "refused",
                "a/x.log",
                None,
                "not read: compression ratio 419:1 is over the compression ratio cap of 200:1 (raise it with --max-ratio)",
            ),
        ),
        (
            dict(name="a/x.log", size=40 * MIB, stored=6, sparse=True),
            (
                "refused",
                "a/x.log",
                None,
                f"not read: a sparse entry of {40 * MIB} bytes that stores 6 is over the compression ratio cap of 200:1 (raise it with --max-ratio)",
            ),
        ),
        (
            dict(name="a/x.log", size=40 * MIB, archive=100_000),
            (
                "refused",
                "a/x.log",
                None,
                f"not read: {40 * MIB} bytes declared in a 100000-byte archive is over the compression ratio cap of 200:1 (raise it with --max-ratio)",
            ),
        ),
        (
            dict(name="a/x.log", size=40 * MIB, stored=40 * MIB // 100, archive=40 * MIB // 100),
            ("file", "a/x.log", None, ""),
        ),
        (dict(name="./a//x.log", size=5), ("file", "a/x.log", None, "")),
    ],
)
def test_the_one_safety_check_of_archive_entries(entry, expected):
    from forensics.bundle.safety import Caps, Entry, check

    caps = Caps(max_bytes=1000 if entry["size"] < MIB else 1 << 40)
    member = check(Entry(**entry), caps, read={"a/read.log"})
    assert (member and (member.type, member.path, member.target, member.note)) == expected


def test_a_zip_symlink_is_read_no_further_than_a_link_target(tmp_path):
    """A zip entry marked as a symlink whose data is a bomb: its first bytes are the target, the
    rest is never inflated."""
    import tracemalloc

    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a/hc.log", LOG)
        info = zipfile.ZipInfo("a/link")
        info.create_system, info.external_attr = 3, 0o120777 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, b"hc.log" + bytes(64 * MIB))
    tracemalloc.start()
    try:
        bundle, files = read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert set(files) == {"hc.log"}
    assert [m.type for m in bundle.members if m.path == "link"] == ["refused"]  # its target holds NUL bytes
    assert peak < 16 * MIB


def test_a_file_gone_between_the_walk_and_its_reading_is_refused_and_the_rest_read(tmp_path, monkeypatch):
    import os

    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "hr.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    real = os.walk

    def walk(top, *args, **kwargs):  # the folder as listed a moment before `gone.log` was deleted
        for dirpath, dirnames, filenames in real(top, *args, **kwargs):
            yield dirpath, dirnames, [*filenames, "gone.log"]

    monkeypatch.setattr(os, "walk", walk)
    reader = Reader(str(tmp_path / "b"))
    assert [(member.path, member.type) for member, _ in reader.files()] == [("hr.yaml", "file")]
    (gone,) = [member for member in reader.bundle.members if member.path == "gone.log"]
    assert gone.type == "refused" and gone.note.startswith("cannot be read: ")


def test_a_folder_named_as_the_bundle_root_keeps_its_name_in_the_inventory_and_problems(tmp_path):
    """The root is taken off every path once: `sb/sb/notes.txt` is `sb/notes.txt` (the last
    members are taken after the reader has stripped the root off its own paths)."""
    import os
    import shutil
    from pathlib import Path

    from forensics.load import load

    root = tmp_path / "sb"
    shutil.copytree(Path(__file__).parent.parent / "samples" / "upgrade-2.1-to-2.2", root)
    (root / "sb").mkdir()
    (root / "sb" / "notes.txt").write_text("not a format of any parser\n")
    os.mkfifo(root / "sb" / "fifo")
    frames = load(str(tmp_path))
    assert frames.bundle.root == "sb"
    paths = {item.path for item in frames.inventory}
    assert {"sb/notes.txt", "sb/fifo"} <= paths and not {"notes.txt", "fifo"} & paths
    sources = set(frames["problems"]["source"])
    assert {"sb/notes.txt", "sb/fifo"} <= sources and not {"notes.txt", "fifo"} & sources


@pytest.mark.parametrize("told", [0, 5, 1 << 20])
@pytest.mark.parametrize("length", [0, 1, 3 << 20])
def test_a_folder_file_is_read_whole_whatever_size_lstat_gave(tmp_path, told, length):
    """A file grown or shrunk since its `lstat` is read to its end, as `open().read()` would."""
    from forensics.bundle.archives import _read_whole

    content = bytes(range(256)) * (length // 256) + b"x" * (length % 256)
    path = tmp_path / "member.yaml"
    path.write_bytes(content)
    assert _read_whole(str(path), told) == content


@pytest.mark.parametrize(
    "encoding,bom,note",
    [
        ("utf-8", b"\xef\xbb\xbf", ""),
        ("utf-16-le", b"\xff\xfe", "UTF-16-LE text re-encoded as UTF-8"),
        ("utf-16-be", b"\xfe\xff", "UTF-16-BE text re-encoded as UTF-8"),
        ("utf-32-le", b"\xff\xfe\x00\x00", "UTF-32-LE text re-encoded as UTF-8"),
        ("utf-32-be", b"\x00\x00\xfe\xff", "UTF-32-BE text re-encoded as UTF-8"),
        ("utf-8", b"", ""),
    ],
)
def test_a_small_file_with_a_byte_order_mark_is_read_as_utf8_text(tmp_path, encoding, bom, note):
    text = "apiVersion: v1\nkind: Event\nmessage: héllo\n"
    (tmp_path / "event.yaml").write_bytes(bom + text.encode(encoding))
    ((member, data),) = list(Reader(tmp_path).files())
    assert data == text.encode("utf-8")
    assert member.note == note
