"""Reading a bundle: a folder, a tar/tar.gz/tgz, a zip, or a single file. [edge: I/O, safety]

Archives are read in memory, member by member, in one pass; nothing is extracted to disk.
Entries with absolute paths or `..` are refused (reported, never followed); symlinks are
resolved only inside the bundle (troubleshoot bundles link `.yaml` twins and collector
folders to the real files, which are read once, where they are); hard links are read as
links to the member they name when that member was read, else refused; device files,
fifos and links that leave the bundle are refused.

Caps (DESIGN.md §7), each named in its message with the option that raises it:
`--max-bytes` (total decompressed bytes read), `--max-members` (entries of an archive) and
`--max-ratio` (decompressed / compressed size, once more than `RATIO_FLOOR` bytes came out
of a compressed stream: tar.gz/bz2/xz, zip members, `.gz` members). A member over a cap is
refused and the rest is read; a compressed stream over a cap stops there. Truncated or
corrupt archives and `.gz` members give what could be read plus a problem row.

Paths (`Member.path`) are relative to the bundle root: when every entry sits under one top
folder (troubleshoot's `support-bundle-<time>/`), that folder is the root.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import posixpath
import re
import stat
import struct
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from parsers import layouts
from parsers._base import FileData

DEFAULT_MAX_BYTES = 8 * 1024**3
DEFAULT_MAX_MEMBERS = 200_000
MAX_MEMBERS = DEFAULT_MAX_MEMBERS  # kept for importers
DEFAULT_MAX_RATIO = 200
STREAM_BYTES = 96 * 1024**2  # a folder's file bigger than this is handed to its parser unread (FileData)
# A tar member bigger than this is copied to the spool as it is read and handed over as a
# file too: the line store then reads its log lines again from disk instead of holding them.
SPOOL_BYTES = 16 * 1024**2
RATIO_FLOOR = 32 * 1024**2  # a stream is judged on its ratio only once this much came out of it
# Times outside this range are no time a controller wrote (Go's zero time is year 1; an age of
# 5000y anchored on the collection time): they are not placed on the timeline (forensics.load).
TIME_RANGE = (datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2200, 1, 1, tzinfo=timezone.utc))
TAR_OVERHEAD = 1024  # header + padding per entry, allowed on top of --max-bytes in a tar stream
MAX_DEPTH = 2  # archives read inside archives: a bundle in a portal's zip in a ticket's tar.gz
_CHUNK = 1024**2
try:  # ISA-L's inflate: a gzipped bundle read ~3x faster than with zlib, the same bytes out
    from isal.isal_zlib import decompressobj as _decompressobj
    from isal.isal_zlib import error as _isal_error
except ImportError:  # no wheel for this platform: zlib
    _decompressobj, _isal_error = zlib.decompressobj, zlib.error
_GZIP_READ = 128 * 1024  # compressed bytes read at a time (as gzip's reader): the ratio cap judges each step
_FEED = 512  # compressed bytes a gzip member's inflation starts with (doubled up to _GZIP_READ)
# Errors a damaged archive or compressed stream raises while being read.
_DAMAGE = (tarfile.TarError, OSError, EOFError, zlib.error, _isal_error, lzma.LZMAError, ValueError, struct.error)
# ...and a zip archive (an unsupported version or method, an encrypted entry).
_ZIP_DAMAGE = (zipfile.BadZipFile, NotImplementedError, RuntimeError) + _DAMAGE


class BundleError(Exception):
    """The input cannot be read as a bundle at all (missing, unreadable, not an archive)."""


class CapExceeded(Exception):
    """A compressed stream went over --max-bytes or --max-ratio: reading stops there."""


@dataclass
class Member:
    """One entry of the bundle."""

    path: str
    size: int
    type: str  # "file", "symlink", "refused", "archive" (read in place: its entries are members)
    target: str | None = None  # symlink: the member path it points to
    note: str = ""
    disk: str | None = None  # a file of a folder bundle whose bytes are read as they are on disk


@dataclass
class Bundle:
    """What was read: its members, layout and collection time."""

    name: str
    origin: str
    root: str = ""
    layout: str = "loose"
    members: list[Member] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    collected_at: datetime | None = None
    redactions: int = 0  # secret-looking values replaced by forensics.redact (set by load)


def _safe_path(name: str) -> str | None:
    """The normalised relative path of an entry, or None when it is unsafe."""
    name = name.replace("\\", "/")
    if not name or name.startswith("/") or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def _bytes_cap(limit: int) -> str:
    return f"the cap of {limit} decompressed bytes (raise it with --max-bytes)"


def _ratio_cap(ratio: int) -> str:
    return f"the compression ratio cap of {ratio}:1 (raise it with --max-ratio)"


def gunzip(data: bytes, limit: int, max_ratio: int, max_bytes: int | None = None, max_members: int = DEFAULT_MAX_MEMBERS) -> tuple[bytes, str | None]:
    """Inflate a (possibly multi-member) gzip stream; what came out and why it stopped early.

    Raises CapExceeded past `limit` bytes (the rest of --max-bytes), past `max_ratio` times
    the compressed size (once over RATIO_FLOOR) or past `max_members` gzip members; a
    truncated or corrupt stream keeps what was inflated before the damage, and data after the
    last member that is no gzip member is left alone.
    """
    ratio_limit = max(RATIO_FLOOR, max_ratio * len(data))
    cap = min(limit, ratio_limit)
    stream = _GzipStream(io.BytesIO(data), max_members)
    out: list[bytes] = []
    total = 0
    while True:
        try:
            piece = stream.read1(min(_CHUNK, cap - total + 1))
        except _NotGzip:
            break
        except EOFError:
            return b"".join(out), f"gzip stream truncated after {total} decompressed bytes"
        except (zlib.error, _isal_error) as error:
            return b"".join(out), f"corrupt gzip data after {total} bytes: {error}"
        if not piece:
            break
        out.append(piece)
        total += len(piece)
        if total > cap:
            why = _bytes_cap(max_bytes or limit) if cap == limit else _ratio_cap(max_ratio)
            raise CapExceeded(f"more than {cap} bytes when decompressed from {len(data)}: over {why}")
    return b"".join(out), None


_UTF8_BOM = b"\xef\xbb\xbf"
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _has_bom(head: bytes) -> bool:
    """The text starts with a byte-order mark (`_normalise_text` would change it)."""
    return head.startswith(_UTF8_BOM) or any(head.startswith(bom) for bom, _ in _BOMS)


def _unread(filename: str, size: int) -> bool:
    """A folder's file handed to its parser unread (FileData): big, and not gzipped (inflated
    in memory). `files()` and `big_files()` decide alike."""
    return size > STREAM_BYTES and not filename.endswith(".gz")


def _normalise_text(data: bytes) -> tuple[bytes, str]:
    """A byte-order mark removed (UTF-8) or the text re-encoded as UTF-8 (UTF-16/32 with a BOM)."""
    if data[:3] == _UTF8_BOM:
        return data[3:], ""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(codec, errors="replace")
            return text.encode("utf-8"), f"{codec.upper()} text re-encoded as UTF-8"
    return data, ""


class _NotGzip(OSError):
    """What follows a gzip member is no gzip member (the stream's data ends there)."""


class _GzipStream:
    """A gzip stream (one member or several, zero padding between them skipped) inflated a
    step at a time, as the standard library's gzip reader does it (with ISA-L where it is
    installed): what was inflated before the input ends early or turns corrupt is returned
    first, the error raised by the next read (EOFError, or the inflater's error for corrupt
    data or a bad checksum, with the output of the step that found it; `_NotGzip` where data
    that is no gzip member follows a member).

    Members are counted against `max_members` (CapExceeded past it). Each member starts with
    a small piece of input, doubled while the member goes on: what a finished member leaves
    unused is at most one piece, so a stream of many tiny (or empty) members costs time in
    proportion to its size, not to its size times its members."""

    def __init__(self, raw, max_members: int = DEFAULT_MAX_MEMBERS) -> None:
        self.raw = raw
        self.max_members = max_members
        self.members = 1
        self._input = memoryview(b"")  # compressed bytes read, from `_at` on not yet used
        self._at = 0
        self._step = _FEED
        self._inflater = _decompressobj(31)

    def _fill(self) -> bool:
        """More compressed input when all of it was used; False at the end of the input."""
        if self._at < len(self._input):
            return True
        chunk = self.raw.read(_GZIP_READ)
        self._input, self._at = memoryview(chunk), 0
        return bool(chunk)

    def read1(self, size: int) -> bytes:
        while True:
            if self._inflater.eof:  # a member ended: another may follow, after zero padding
                while True:
                    if not self._fill():
                        return b""
                    head = bytes(self._input[self._at : self._at + 64])
                    padding = len(head) - len(head.lstrip(b"\x00"))
                    if padding == 0:
                        break
                    self._at += padding
                if self._input[self._at : self._at + 1] != b"\x1f":
                    raise _NotGzip("data after the last gzip member is no gzip member")
                self.members += 1
                if self.members > self.max_members:
                    raise CapExceeded(f"more than {self.max_members} gzip members (raise the cap with --max-members)")
                self._inflater, self._step = _decompressobj(31), _FEED
            if not self._fill():
                raise EOFError("Compressed file ended before the end-of-stream marker was reached")
            piece = self._input[self._at : self._at + self._step]
            data = self._inflater.decompress(piece, size)
            # What the step left: the next member's start (at the end of a member), or input
            # held back for want of room in `size` (taken again from `_input` next time).
            unused = len(self._inflater.unused_data) if self._inflater.eof else len(self._inflater.unconsumed_tail)
            self._at += len(piece) - unused
            if not self._inflater.eof and not unused:
                self._step = min(self._step * 2, _GZIP_READ)
            if data:
                return data


class _Counted(io.RawIOBase):
    """The decompressed stream of a tar archive, stopped past the byte or the ratio cap."""

    def __init__(self, stream, raw, limit: int, max_ratio: int | None, bytes_limit: int):
        self.stream, self.raw = stream, raw
        self.limit, self.max_ratio, self.bytes_limit = limit, max_ratio, bytes_limit
        self.total = 0
        self.damage: Exception | None = None  # why the stream ended early (truncated, corrupt)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.damage:
            return 0
        try:  # read1: one step at a time, so that damage loses at most one step's output
            data = self.stream.read1(len(buffer)) if hasattr(self.stream, "read1") else self.stream.read(len(buffer))
        except _DAMAGE as error:
            self.damage = error
            return 0
        size = len(data)
        buffer[:size] = data
        self.total += size
        if self.total > self.limit:
            raise CapExceeded(f"more than {self.total} bytes decompressed: over {_bytes_cap(self.bytes_limit)}")
        if self.max_ratio and self.total > RATIO_FLOOR:
            consumed = max(self.raw.tell(), 1)
            if self.total > self.max_ratio * consumed:
                raise CapExceeded(f"{self.total} bytes out of {consumed} compressed bytes: over {_ratio_cap(self.max_ratio)}")
        return size


class Reader:
    """Iterates the regular files of a bundle as (Member, bytes), recording everything else.

    Standard input (`-`), a named pipe, `/dev/stdin` and a process substitution (`<(...)`)
    are read into memory first (at most --max-bytes), as the bytes of an archive or a file.
    An archive inside the bundle (`.tar`, `.tar.gz`, `.tgz`, `.zip`; a support portal's zip
    around a support bundle) is read in place, to MAX_DEPTH archives deep, by a nested Reader
    under the same caps: its entries are members at the archive's folder (as if extracted
    there) and their bytes count against the one --max-bytes budget."""

    def __init__(
        self,
        path: str | os.PathLike,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_members: int = DEFAULT_MAX_MEMBERS,
        max_ratio: int = DEFAULT_MAX_RATIO,
        *,
        data: bytes | None = None,
        outer: Reader | None = None,
        label: str | None = None,
    ):
        self.path = Path(path)
        self.max_bytes = max_bytes or DEFAULT_MAX_BYTES
        self.max_members = max_members or DEFAULT_MAX_MEMBERS
        self.max_ratio = max_ratio or DEFAULT_MAX_RATIO
        self._memory: bytes | None = data  # the input's bytes, when it is read into memory
        if data is None and str(path) == "-":  # standard input: an archive or one file
            import sys

            self._memory = self._read_stream(sys.stdin.buffer, "stdin")
            self.path = Path("stdin")
        elif data is None and not self.path.exists():
            raise BundleError(f"{self.path}: no such file or folder")
        elif data is None and not self.path.is_dir() and not self.path.is_file():  # a pipe: it can be read once
            try:
                with open(self.path, "rb") as stream:
                    self._memory = self._read_stream(stream, self.path.name)
            except OSError as error:
                raise BundleError(f"{self.path}: cannot be read: {error.strerror or error}") from error
        # A nested reader shares the outermost one's bundle, byte budget, spool and stamp.
        self.outer = outer.outer if outer else self
        self.depth = outer.depth + 1 if outer else 0
        self.label = label or self.path.name  # how problems name this archive (a nested one: its member's path)
        self.bundle = outer.bundle if outer else Bundle(name=_display_name(self.path), origin=str(path))
        self._read_bytes = 0  # bytes of members read from this archive
        self._stamp: str | None = None  # the text of a layout's stamp file (crust-gather's collected.timestamp)
        # Big archive members are copied here as they are read (bounded memory) and parsed
        # from disk; the directory goes away with the last reference to it (load() hands it to
        # the line store, which reads those files again).
        self.spool: tempfile.TemporaryDirectory | None = None
        self._total = 0  # bytes of members read from the whole bundle (the outermost reader's count)

    def _read_stream(self, stream, name: str) -> bytes:
        data = stream.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise BundleError(f"{name}: more than {self.max_bytes} bytes (raise it with --max-bytes)")
        return data

    @property
    def _used(self) -> int:
        """Bytes read from the whole bundle so far (every nested archive included)."""
        return self.outer._total

    def _spool_open(self, count: int):
        """(path, open file) of a new spool file, or (None, None) when none can be made (the
        member is then read into memory)."""
        outer = self.outer
        try:
            if outer.spool is None:
                outer.spool = tempfile.TemporaryDirectory(prefix="forensics-spool-")
            handle, path = tempfile.mkstemp(suffix=f"-{count}.member", dir=outer.spool.name)  # nested archives count from 1 too
            return path, os.fdopen(handle, "wb")  # closed by the caller
        except OSError:
            return None, None

    def files(self) -> Iterator[tuple[Member, bytes]]:
        files: list[Member] = []
        for member, data in self._read(""):
            files.append(member)
            yield member, data
        self._finish(files)

    def _entries(self) -> Iterator[tuple[Member, bytes]]:
        if self._memory is None and self.path.is_dir():
            return self._dir_entries()
        if self._is(tarfile.is_tarfile):
            return self._tar_entries()
        if self._is(zipfile.is_zipfile):
            return self._zip_entries()
        if self._looks_zip():
            return self._zip_salvage()
        if self._looks_compressed():
            raise BundleError(f"{self.label}: compressed archive that cannot be read (truncated or corrupt)")
        return self._single_file()

    def _nested(self, member: Member, data) -> Reader | None:
        """A reader of the archive a member holds (by its name and its first bytes), unless it
        is MAX_DEPTH archives deep already."""
        name = member.path.lower()
        if not name.endswith((".tar", ".tgz", ".tar.gz", ".zip")):
            return None
        head = data.head(512) if isinstance(data, FileData) else data[:512]
        if not (head[257:262] == b"ustar" or head[:2] == b"\x1f\x8b" or head[:4] == b"PK\x03\x04"):
            return None
        if self.depth >= MAX_DEPTH:
            self._problem(member.path, f"an archive {MAX_DEPTH + 1} archives deep: not read inside")
            return None
        caps = (self.max_bytes, self.max_members, self.max_ratio)
        if isinstance(data, FileData):  # a folder's big archive: read from its file
            return Reader(data.path, *caps, outer=self, label=member.path)
        return Reader(member.path, *caps, data=bytes(data), outer=self, label=member.path)

    def _read(self, prefix: str) -> Iterator[tuple[Member, bytes]]:
        """This archive's files, named from the bundle root (`prefix`: the folder of this
        archive inside the bundle), nested archives read in place."""
        try:
            entries = self._entries()
        except BundleError as error:
            if self.depth == 0:
                raise
            self._problem(self.label, f"archive inside the bundle not read: {error}")
            return
        for member, data in entries:
            member.path = prefix + member.path
            if member.target:
                member.target = prefix + member.target
            if member.type != "file":
                self.bundle.members.append(member)
                continue
            if isinstance(data, FileData) and _has_bom(data.head(4)):
                data = data.read()  # a byte-order mark: the text is normalised in memory
            if member.path.endswith(".gz") and not member.path.endswith(".tar.gz") and data[:2] == b"\x1f\x8b":
                try:
                    out, why = gunzip(data, self.max_bytes - self._used, self.max_ratio, self.max_bytes, self.max_members)
                except CapExceeded as error:
                    self.bundle.members.append(Member(member.path, member.size, "refused", note=f"not read: {error}"))
                    continue
                if why and not out:
                    self.bundle.members.append(Member(member.path, member.size, "refused", note=f"cannot decompress: {why}"))
                    continue
                if why:
                    self._problem(member.path, f"{why}; the {len(out)} bytes before it are read")
                member.path, data = member.path[:-3], out
                member.disk = None
            nested = self._nested(member, data)
            if nested is not None:
                self.bundle.members.append(Member(member.path, member.size, "archive", note="an archive: its entries are read in place"))
                folder = member.path.rsplit("/", 1)[0] + "/" if "/" in member.path else ""
                yield from nested._read(folder)
                continue
            before = len(data)
            data, note = (data, "") if isinstance(data, FileData) else _normalise_text(data)
            if note:
                member.note = note
            if len(data) != before or note:
                member.disk = None
            self._read_bytes += len(data)
            self.outer._total += len(data)
            member.size = len(data)
            if member.path.rsplit("/", 1)[-1] in layouts.STAMP_FILES:
                self.outer._stamp = (data.head(200) if isinstance(data, FileData) else data[:200]).decode("utf-8", errors="replace").strip()
            self.bundle.members.append(member)
            yield member, data

    def big_files(self) -> list[tuple[str, FileData]]:
        """The folder's files that `files()` will hand over unread (FileData), biggest first,
        as (member path, data), so that a caller may start parsing them before `files()`
        reaches them. Only when no cap can refuse one of them first: the input is a folder,
        its files are within the member and byte caps all together, and none is a `.gz` file
        (inflated as it is read, its share of the byte cap is not known in advance); else
        empty. A file starting with a byte-order mark is left out (`files()` reads it into
        memory)."""
        if self._memory is not None or not self.path.is_dir():
            return []
        root = self.path.resolve()
        found, count, total = [], 0, 0
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            for filename in filenames:
                count += 1
                if filename.endswith((".gz", ".tgz", ".tar", ".zip")):
                    return []  # inflated or read inside as read: its size in the byte cap is not known yet
                full = Path(dirpath) / filename
                if full.is_symlink() or not full.is_file():
                    continue
                size = full.stat().st_size
                total += size
                if _unread(filename, size):
                    data = FileData(str(full), size)
                    if not _has_bom(data.head(4)):
                        found.append((size, full.relative_to(root).as_posix(), data))
        if count > self.max_members or total > self.max_bytes:
            return []
        return [(path, data) for size, path, data in sorted(found, key=lambda item: (-item[0], item[1]))]

    # --- caps -------------------------------------------------------------------------------

    def _over_budget(self, path: str, size: int) -> Member | None:
        """A refused member when reading `size` more bytes would pass --max-bytes."""
        if self._used + size <= self.max_bytes:
            return None
        return Member(path, size, "refused", note=f"not read: {size} bytes would pass {_bytes_cap(self.max_bytes)}")

    def _too_many(self, count: int) -> bool:
        if count <= self.max_members:
            return False
        self._problem(self.label, f"more than {self.max_members} entries: the rest is not read (raise the cap with --max-members)")
        return True

    # --- sniffing ---------------------------------------------------------------------------

    def _is(self, test) -> bool:
        try:
            return bool(test(self._source()))
        except _ZIP_DAMAGE:
            return False

    def _looks_zip(self) -> bool:
        with self._open() as handle:
            return handle.read(4) == b"PK\x03\x04"

    def _looks_compressed(self) -> bool:
        """A gzip stream that is not a readable tar, and not a gzipped single file either."""
        with self._open() as handle:
            magic = handle.read(2)
        if magic != b"\x1f\x8b":
            return False
        try:
            with gzip.open(self._source()) as stream:
                stream.read(1)
            if self._memory is not None:
                return False  # a gzipped single file on stdin or a pipe: inflated as `<name>.gz`
            return not self.path.name.endswith(".gz") or self.path.name.endswith((".tar.gz", ".tgz"))
        except _DAMAGE:
            return True

    # --- sources of entries ---------------------------------------------------------------

    def _dir_entries(self) -> Iterator[tuple[Member, bytes]]:
        root = self.path.resolve()
        count = 0
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for filename in sorted(filenames):
                count += 1
                if self._too_many(count):
                    return
                full = Path(dirpath) / filename
                rel = full.relative_to(root).as_posix()
                if full.is_symlink():
                    target = os.readlink(full)
                    resolved = Path(os.path.normpath(full.parent / target))
                    try:
                        inside = resolved.relative_to(root).as_posix()
                    except ValueError:
                        yield Member(rel, 0, "refused", note=f"symlink leaves the bundle: {target}"), b""
                        continue
                    yield Member(rel, 0, "symlink", target=inside), b""
                elif full.is_file():
                    size = full.stat().st_size
                    refused = self._over_budget(rel, size)
                    if refused:
                        yield refused, b""
                        continue
                    try:
                        # a big file is read by its parser piece by piece (bounded memory)
                        data = FileData(str(full), size) if _unread(filename, size) else full.read_bytes()
                    except OSError as error:
                        yield Member(rel, size, "refused", note=f"cannot be read: {error.strerror or error}"), b""
                        continue
                    yield Member(rel, size, "file", disk=str(full)), data
                else:
                    yield Member(rel, 0, "refused", note=_kind_of_special(full.lstat().st_mode)), b""

    def _tar_stream(self):
        """The decompressed tar stream, counted against the caps."""
        raw = self._open()
        magic = raw.read(6)
        raw.seek(0)
        if magic[:2] == b"\x1f\x8b":
            stream, ratio = _GzipStream(raw, self.max_members), self.max_ratio
        elif magic[:3] == b"BZh":
            stream, ratio = bz2.BZ2File(raw), self.max_ratio
        elif magic == b"\xfd7zXZ\x00":
            stream, ratio = lzma.LZMAFile(raw), self.max_ratio
        else:
            stream, ratio = raw, None
        limit = self.max_bytes + TAR_OVERHEAD * (self.max_members + 10)
        counted = _Counted(stream, raw, limit, ratio, self.max_bytes)
        return io.BufferedReader(counted, buffer_size=_CHUNK), raw, counted

    def _tar_entries(self) -> Iterator[tuple[Member, bytes]]:
        stream, raw, counted = self._tar_stream()
        compressed = self._size() if counted.max_ratio else None  # a compressed archive's own size

        def damage(error: Exception) -> Exception:
            return counted.damage or error

        try:
            archive = tarfile.open(fileobj=stream, mode="r|")
        except CapExceeded as error:
            raw.close()
            raise BundleError(f"{self.label}: {error}") from error
        except _DAMAGE as error:
            raw.close()
            raise BundleError(f"{self.label}: not a readable tar archive: {damage(error)}") from error
        files: set[str] = set()
        with archive, raw:
            count = 0
            while True:
                try:
                    info = archive.next()
                except CapExceeded as error:
                    self._problem(self.label, f"stopped reading after {count} entries: {error}")
                    return
                except _DAMAGE as error:
                    self._problem(self.label, f"archive truncated or corrupt after {count} entries: {damage(error)}")
                    return
                if info is None:
                    return
                count += 1
                if self._too_many(count):
                    return
                path = _safe_path(info.name)
                if path is None:
                    yield Member(info.name, info.size, "refused", note="absolute path or '..' in entry name"), b""
                    continue
                if info.isdir():
                    continue
                if info.issym():
                    target = _safe_path(posixpath.normpath(posixpath.join(posixpath.dirname(path), info.linkname)))
                    if target is None or info.linkname.startswith("/"):
                        yield Member(path, 0, "refused", note=f"symlink leaves the bundle: {info.linkname}"), b""
                    else:
                        yield Member(path, 0, "symlink", target=target), b""
                    continue
                if info.islnk():
                    target = _safe_path(info.linkname)
                    if target is None:
                        yield Member(path, 0, "refused", note=f"hard link leaves the bundle: {info.linkname}"), b""
                    elif target not in files:
                        yield Member(path, 0, "refused", note=f"hard link to {target}, which is not a file read from the bundle"), b""
                    else:
                        yield Member(path, 0, "symlink", target=target, note=f"hard link to {target} (read there)"), b""
                    continue
                if not info.isreg():
                    yield Member(path, info.size, "refused", note=_kind_of_tar(info)), b""
                    continue
                refused = self._over_budget(path, info.size) or self._tar_ratio(path, info, compressed)
                if refused:  # judged by its declared size, before any byte is read or written
                    yield refused, b""
                    continue
                chunks: list[bytes] = []
                spooled, out = self._spool_open(count) if info.size > SPOOL_BYTES and not path.endswith(".gz") else (None, None)
                done = 0
                try:
                    handle = archive.extractfile(info)
                    left = info.size
                    while handle and left > 0:
                        chunk = handle.read(min(65_536, left))  # small steps: a truncation keeps what came before
                        if not chunk:
                            raise EOFError("unexpected end of data")
                        if out:
                            try:
                                out.write(chunk)
                            except OSError as error:  # the spool is full or gone: on in memory
                                self._problem(path, f"could not be copied to disk ({error.strerror or error}); read into memory")
                                out.close()
                                chunks = [Path(spooled).read_bytes()[:done], chunk] if done else [chunk]
                                _remove(spooled)
                                spooled, out = None, None
                        else:
                            chunks.append(chunk)
                        done += len(chunk)
                        left -= len(chunk)
                except (CapExceeded,) + _DAMAGE as error:
                    if out:
                        out.close()
                        if isinstance(error, CapExceeded):  # not analysed: its copy goes at once
                            _remove(spooled)
                    data = FileData(spooled, done) if out else b"".join(chunks)
                    what = "stopped reading" if isinstance(error, CapExceeded) else "entry truncated or corrupt"
                    self._problem(path, f"{what} after {done} of {info.size} bytes: {damage(error)}")
                    if done and not isinstance(error, CapExceeded):  # a bomb's output is not analysed
                        files.add(path)
                        yield Member(path, info.size, "file", disk=spooled), data
                    return
                files.add(path)
                if out:
                    out.close()
                    yield Member(path, info.size, "file", disk=spooled), FileData(spooled, done)
                    continue
                yield Member(path, info.size, "file"), b"".join(chunks)

    def _tar_ratio(self, path: str, info: tarfile.TarInfo, compressed: int | None) -> Member | None:
        """A refused member when its declared size is over the ratio cap: against the bytes it
        stores (a sparse member is mostly holes that read as zeros), or, in a compressed
        archive, against the whole archive's size (more than it could ever inflate to)."""
        if info.size <= RATIO_FLOOR:
            return None
        stored = sum(size for _, size in info.sparse) if info.sparse else info.size
        if info.size > self.max_ratio * max(stored, 1):
            note = f"not read: a sparse entry of {info.size} bytes that stores {stored} is over {_ratio_cap(self.max_ratio)}"
        elif compressed is not None and info.size > self.max_ratio * max(compressed, 1):
            note = f"not read: {info.size} bytes declared in a {compressed}-byte archive is over {_ratio_cap(self.max_ratio)}"
        else:
            return None
        return Member(path, info.size, "refused", note=note)

    def _zip_entries(self) -> Iterator[tuple[Member, bytes]]:
        try:
            archive = zipfile.ZipFile(self._source())
        except _ZIP_DAMAGE as error:  # the central directory is unreadable: the local headers may not be
            yield from self._zip_salvage(f"central directory unreadable: {error}")
            return
        compressed = self._size()
        with archive:
            infos = archive.infolist()
            if len(infos) > self.max_members:
                self._too_many(len(infos))
                infos = infos[: self.max_members]
            for info in infos:
                path = _safe_path(info.filename)
                if path is None:
                    yield Member(info.filename, info.file_size, "refused", note="absolute path or '..' in entry name"), b""
                    continue
                if info.is_dir():
                    continue
                mode = info.external_attr >> 16 if info.create_system == 3 else 0
                if stat.S_ISLNK(mode):
                    try:
                        link = archive.read(info)[:4096].decode("utf-8", errors="replace")
                    except _ZIP_DAMAGE as error:
                        yield Member(path, 0, "refused", note=f"unreadable symlink: {error}"), b""
                        continue
                    target = _safe_path(posixpath.normpath(posixpath.join(posixpath.dirname(path), link)))
                    if target is None or link.startswith("/"):
                        yield Member(path, 0, "refused", note=f"symlink leaves the bundle: {link}"), b""
                    else:
                        yield Member(path, 0, "symlink", target=target), b""
                    continue
                if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                    yield Member(path, info.file_size, "refused", note=_kind_of_special(mode)), b""
                    continue
                refused = self._over_budget(path, info.file_size)
                if refused:
                    yield refused, b""
                    continue
                if info.file_size > RATIO_FLOOR and info.file_size > self.max_ratio * max(info.compress_size, 1):
                    ratio = info.file_size // max(info.compress_size, 1)
                    note = f"not read: compression ratio {ratio}:1 is over {_ratio_cap(self.max_ratio)}"
                    yield Member(path, info.file_size, "refused", note=note), b""
                    continue
                if self._read_bytes > RATIO_FLOOR and self._read_bytes + info.file_size > self.max_ratio * max(compressed, 1):
                    self._problem(self.label, f"stopped reading: {self._read_bytes + info.file_size} bytes out of {compressed} compressed bytes is over {_ratio_cap(self.max_ratio)}")
                    return
                try:
                    with archive.open(info) as handle:
                        data = handle.read(info.file_size + 1)
                except _ZIP_DAMAGE as error:
                    self._problem(path, f"entry corrupt: {error}")
                    continue
                yield Member(path, info.file_size, "file"), data

    def _zip_salvage(self, why: str = "no central directory") -> Iterator[tuple[Member, bytes]]:
        """A zip without a readable central directory (truncated): its local entries in order."""
        with self._open() as handle:
            data = handle.read(self.max_bytes + 1)
        self._problem(self.label, f"zip archive truncated or corrupt ({why}): entries read from their local headers")
        pos, count = 0, 0
        while True:
            pos = data.find(b"PK\x03\x04", pos)
            if pos < 0 or pos + 30 > len(data):
                return
            count += 1
            if self._too_many(count):
                return
            _, _, flags, method, _, _, _, csize, usize, nlen, elen = struct.unpack("<IHHHHHIIIHH", data[pos : pos + 30])
            name = data[pos + 30 : pos + 30 + nlen].decode("utf-8", errors="replace")
            start = pos + 30 + nlen + elen
            pos = start
            path = _safe_path(name)
            if path is None:
                yield Member(name, usize, "refused", note="absolute path or '..' in entry name"), b""
                continue
            if name.endswith("/"):
                continue
            if method == 0:
                body = data[start : start + csize] if csize else b""
                if len(body) < csize:
                    self._problem(path, f"entry truncated after {len(body)} of {csize} bytes")
                if body:
                    yield Member(path, len(body), "file"), body
                pos = start + len(body)
                continue
            if method != 8:
                yield Member(path, usize, "refused", note=f"unsupported zip compression method {method}"), b""
                continue
            if csize and usize > RATIO_FLOOR and usize > self.max_ratio * csize:
                yield Member(path, usize, "refused", note=f"not read: compression ratio {usize // csize}:1 is over {_ratio_cap(self.max_ratio)}"), b""
                pos = start + csize
                continue
            body, end, why = self._inflate_entry(data, start, path)
            if body is None:  # corrupt (reported): the next entry is looked for from here
                continue
            if why:
                yield Member(path, len(body), "refused", note=f"not read: {why}"), b""
                pos = end
                continue
            if end is None:
                self._problem(path, f"entry truncated after {len(body)} decompressed bytes")
            if body:
                yield Member(path, len(body), "file"), body
            pos = end if end is not None else len(data)

    def _inflate_entry(self, data: bytes, start: int, path: str) -> tuple[bytes | None, int | None, str | None]:
        """A salvaged zip entry's deflate data from `start`, inflated a piece at a time and
        judged on its own ratio (what came out against the compressed bytes it took, once
        past RATIO_FLOOR) and on the rest of --max-bytes: (what came out, None when it is
        corrupt; where its data ends, None when the archive ends first; why it was stopped)."""
        inflater = zlib.decompressobj(-15)
        out: list[bytes] = []
        total, at = 0, start
        view = memoryview(data)
        while at < len(data) and not inflater.eof:
            piece = view[at : at + _GZIP_READ]
            try:
                chunk = inflater.decompress(piece, _CHUNK)  # at most a MiB a step: judged before the next
            except zlib.error as error:
                self._problem(path, f"entry corrupt: {error}")
                return None, None, None
            at += len(piece) - len(inflater.unused_data if inflater.eof else inflater.unconsumed_tail)
            out.append(chunk)
            total += len(chunk)
            if total > self.max_bytes - self._used:
                return b"", at, f"more than {total} bytes: over {_bytes_cap(self.max_bytes)}"
            if total > RATIO_FLOOR and total > self.max_ratio * (at - start):
                return b"", at, f"{total} bytes out of {at - start} compressed bytes: over {_ratio_cap(self.max_ratio)}"
        return b"".join(out), (at if inflater.eof else None), None

    def _single_file(self) -> Iterator[tuple[Member, bytes]]:
        if self._memory is not None:  # stdin or a pipe
            data = self._memory
            name = self.path.name + (".gz" if data[:2] == b"\x1f\x8b" else "")  # a gzipped single file is inflated
            yield Member(name, len(data), "file"), data
            return
        size = self.path.stat().st_size
        refused = self._over_budget(self.path.name, size)
        if refused:
            raise BundleError(f"{self.label}: {refused.note}")
        yield Member(self.path.name, size, "file"), self.path.read_bytes()

    def _source(self):
        """What the archive modules open: the path, or the stdin bytes as a file object."""
        return io.BytesIO(self._memory) if self._memory is not None else self.path

    def _open(self):
        return io.BytesIO(self._memory) if self._memory is not None else open(self.path, "rb")

    def _size(self) -> int:
        return len(self._memory) if self._memory is not None else self.path.stat().st_size

    # --- after the pass -------------------------------------------------------------------

    def _problem(self, source: str, reason: str) -> None:
        self.bundle.problems.append({"source": source, "line": None, "reason": reason, "excerpt": ""})

    def _finish(self, files: list[Member]) -> None:
        bundle = self.bundle
        paths = [m.path for m in bundle.members if m.type != "archive"]  # an archive read in place holds members, it is none
        tops = {p.split("/", 1)[0] for p in paths}
        if len(tops) == 1 and all("/" in p for p in paths):
            bundle.root = tops.pop()
        for member in bundle.members:
            member.path = strip_root(member.path, bundle.root)
            if member.target:
                member.target = strip_root(member.target, bundle.root)
        known = {m.path for m in files}
        for member in bundle.members:
            if member.type == "symlink" and member.target not in known:
                member.note = f"symlink to {member.target}, which is not in the bundle"
        bundle.layout = detect_layout({m.path for m in bundle.members})
        bundle.collected_at = _stamp_time(self._stamp) or _collected_at(bundle, [strip_root(path, bundle.root) for path in paths])


def _remove(path: str | None) -> None:
    """A spool file removed (it may be gone already)."""
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


def _kind_of_tar(info: tarfile.TarInfo) -> str:
    kinds = {tarfile.CHRTYPE: "character device", tarfile.BLKTYPE: "block device", tarfile.FIFOTYPE: "fifo"}
    return f"{kinds.get(info.type, 'special entry')} refused (not a regular file)"


def _kind_of_special(mode: int) -> str:
    for test, name in ((stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"), (stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket")):
        if test(mode):
            return f"{name} refused (not a regular file)"
    return "not a regular file"


def strip_root(path: str, root: str) -> str:
    return path[len(root) + 1 :] if root and path.startswith(root + "/") else path


def _display_name(path: Path) -> str:
    name = path.name or path.resolve().name
    for suffix in (".tar.gz", ".tgz", ".tar", ".zip", ".gz"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def detect_layout(paths: set[str]) -> str:
    """The bundle layout from its paths (the table of `parsers.layouts`)."""
    return layouts.detect(paths)


_NAME_TIMES = [layout.name_time for layout in layouts.LAYOUTS if layout.name_time]


def _stamp_time(text: str | None) -> datetime | None:
    """The text of a layout's `stamp_file` (crust-gather's `collected.timestamp`): an RFC3339
    time (or epoch seconds)."""
    if not text:
        return None
    text = text.split()[0] if " " not in text.strip() else text.strip()
    try:
        if re.fullmatch(r"\d{9,11}(\.\d+)?", text):
            value = datetime.fromtimestamp(float(text), tz=timezone.utc)
        else:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return value if TIME_RANGE[0] <= value < TIME_RANGE[1] else None


def _collected_at(bundle: Bundle, paths: list[str]) -> datetime | None:
    """When the bundle was collected, if its name says so (a layout's `name_time`: troubleshoot
    names carry local time): the root folder, the input's name, or the top folders of its
    members (a support bundle read inside a ticket's archive)."""
    for text in (bundle.root, bundle.name, *sorted({path.split("/", 1)[0] for path in paths if "/" in path})):
        for pattern in _NAME_TIMES:
            found = pattern.search(text or "")
            if found:
                day, hh, mm, ss = found.groups()
                try:
                    value = datetime.fromisoformat(f"{day}T{hh}:{mm}:{ss}").replace(tzinfo=timezone.utc)
                except ValueError:  # `2024-13-45T99_99_99`: no time
                    continue
                return value if TIME_RANGE[0] <= value < TIME_RANGE[1] else None
    return None
