"""The entries of one archive of a bundle: a folder, a tar (plain, gzip, bzip2 or xz), a zip
(from its central directory, or from its local headers when that is unreadable), or a single
file. Each entry is judged by the one safety check (`forensics.bundle.safety.check`) before a
byte of it is read; nothing is extracted to disk. A damaged archive gives what could be read
and a problem row; an archive that cannot be read at all raises BundleError.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from forensics.bundle.safety import (
    RATIO_FLOOR,
    BundleError,
    CapExceeded,
    Caps,
    Entry,
    Member,
    bytes_cap,
    check,
    ratio_cap,
)
from forensics.bundle.streams import CHUNK, DAMAGE, GZIP_READ, ZIP_DAMAGE, tar_stream
from parsers._base import FileData

STREAM_BYTES = 96 * 1024**2  # a folder's file bigger than this is handed to its parser unread (FileData)
# A tar member bigger than this is copied to the spool as it is read and handed over as a
# file too: the line store then reads its log lines again from disk instead of holding them.
SPOOL_BYTES = 16 * 1024**2
_LINK_BYTES = 4096  # what a zip symlink's target may take


def unread(filename: str, size: int) -> bool:
    """A folder's file handed to its parser unread (FileData): big, and not gzipped (inflated
    in memory)."""
    return size > STREAM_BYTES and not filename.endswith(".gz")


class Archive:
    """One archive of a bundle: its bytes (the file at `path`, or `memory`: standard input, a
    pipe, an archive read inside another), how problems name it (`label`), how many archives
    it sits in (`depth`), and the bundle's caps, problem rows and spool (`spool_open(count)`:
    a new spool file's path and handle, or (None, None))."""

    def __init__(
        self,
        path: Path,
        *,
        memory: bytes | None,
        label: str,
        caps: Caps,
        problems: list[dict],
        spool_open: Callable,
        depth: int = 0,
    ):
        self.path, self.memory, self.label, self.depth = path, memory, label, depth
        self.caps, self.problems, self.spool_open = caps, problems, spool_open
        self.read_bytes = 0  # bytes of members read from this archive (counted by the reader)

    def problem(self, source: str, reason: str) -> None:
        self.problems.append({"source": source, "line": None, "reason": reason, "excerpt": ""})

    def too_many(self, count: int) -> bool:
        if count <= self.caps.max_members:
            return False
        self.problem(
            self.label,
            f"more than {self.caps.max_members} entries: the rest is not read (raise the cap with --max-members)",
        )
        return True

    def entries(self) -> Iterator[tuple[Member, bytes | FileData]]:
        """The members of this archive as (Member, its bytes; b"" for what is not a file)."""
        if self.memory is None and self.path.is_dir():
            return self._folder()
        if self._is(tarfile.is_tarfile):
            return self._tar()
        if self._is(zipfile.is_zipfile):
            return self._zip()
        if self._head(4) == b"PK\x03\x04":
            return self._zip_salvage()
        if self._looks_compressed():
            raise BundleError(f"{self.label}: compressed archive that cannot be read (truncated or corrupt)")
        return self._single_file()

    # --- the input --------------------------------------------------------------------------

    def fileobj(self):
        """What the archive modules open: the path, or the bytes as a file object."""
        return io.BytesIO(self.memory) if self.memory is not None else self.path

    def open(self):
        return io.BytesIO(self.memory) if self.memory is not None else open(self.path, "rb")

    def size(self) -> int:
        return len(self.memory) if self.memory is not None else self.path.stat().st_size

    def _head(self, size: int) -> bytes:
        with self.open() as handle:
            return handle.read(size)

    def _is(self, test) -> bool:
        try:
            return bool(test(self.fileobj()))
        except ZIP_DAMAGE:
            return False

    def _looks_compressed(self) -> bool:
        """A gzip stream that is not a readable tar, and not a gzipped single file either."""
        if self._head(2) != b"\x1f\x8b":
            return False
        try:
            with gzip.open(self.fileobj()) as stream:
                stream.read(1)
            if self.memory is not None:
                return False  # a gzipped single file on stdin or a pipe: inflated as `<name>.gz`
            return not self.path.name.endswith(".gz") or self.path.name.endswith((".tar.gz", ".tgz"))
        except DAMAGE:
            return True

    # --- a folder and a single file -----------------------------------------------------------

    def _folder(self) -> Iterator[tuple[Member, bytes | FileData]]:
        """A folder's files. Its links are resolved on disk: one that leaves the folder is refused.
        (Paths as strings: pathlib would intern every file name for the life of the process.)"""
        root = str(self.path.resolve())
        count = 0
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            folder = os.path.relpath(dirpath, root)
            prefix = "" if folder == os.curdir else folder.replace(os.sep, "/") + "/"
            for filename in sorted(filenames):
                count += 1
                if self.too_many(count):
                    return
                full, rel = os.path.join(dirpath, filename), prefix + filename
                try:
                    mode = os.lstat(full)  # link, file or other; a file gone since the walk is refused
                except OSError as error:
                    yield Member(rel, 0, "refused", note=f"cannot be read: {error.strerror or error}"), b""
                    continue
                if stat.S_ISLNK(mode.st_mode):
                    target = os.readlink(full)
                    try:
                        inside = Path(os.path.normpath(os.path.join(dirpath, target))).relative_to(root).as_posix()
                    except ValueError:
                        yield Member(rel, 0, "refused", note=f"symlink leaves the bundle: {target}"), b""
                        continue
                    yield Member(rel, 0, "symlink", target=inside), b""
                elif stat.S_ISREG(mode.st_mode):
                    yield self._folder_file(full, rel, mode.st_size)
                else:
                    yield Member(rel, 0, "refused", note=kind_of_special(mode.st_mode)), b""

    def _folder_file(self, full: str, rel: str, size: int) -> tuple[Member, bytes | FileData]:
        refused = self.caps.over_budget(rel, size)
        if refused:
            return refused, b""
        try:
            if unread(rel.rsplit("/", 1)[-1], size):  # a big file is read by its parser piece by piece (bounded memory)
                data = FileData(full, size)
            else:
                data = _read_whole(full, size)
        except OSError as error:
            return Member(rel, size, "refused", note=f"cannot be read: {error.strerror or error}"), b""
        return Member(rel, size, "file", disk=full), data

    def _single_file(self) -> Iterator[tuple[Member, bytes]]:
        if self.memory is not None:  # stdin or a pipe
            data = self.memory
            name = self.path.name + (".gz" if data[:2] == b"\x1f\x8b" else "")  # a gzipped single file is inflated
            yield Member(name, len(data), "file"), data
            return
        size = self.path.stat().st_size
        refused = self.caps.over_budget(self.path.name, size)
        if refused:
            raise BundleError(f"{self.label}: {refused.note}")
        yield Member(self.path.name, size, "file"), self.path.read_bytes()

    # --- tar --------------------------------------------------------------------------------

    def _tar(self) -> Iterator[tuple[Member, bytes | FileData]]:
        raw = self.open()
        stream, counted = tar_stream(raw, self.caps)
        compressed = self.size() if counted.max_ratio else None  # a compressed archive's own size

        def damage(error: Exception) -> Exception:
            return counted.damage or error

        try:
            archive = tarfile.open(fileobj=stream, mode="r|")
        except CapExceeded as error:
            raw.close()
            raise BundleError(f"{self.label}: {error}") from error
        except DAMAGE as error:
            raw.close()
            raise BundleError(f"{self.label}: not a readable tar archive: {damage(error)}") from error
        read: set[str] = set()
        with archive, raw:
            count = 0
            while True:
                try:
                    info = archive.next()
                except CapExceeded as error:
                    self.problem(self.label, f"stopped reading after {count} entries: {error}")
                    return
                except DAMAGE as error:
                    self.problem(self.label, f"archive truncated or corrupt after {count} entries: {damage(error)}")
                    return
                if info is None:
                    return
                count += 1
                if self.too_many(count):
                    return
                member = check(_tar_entry(info, compressed), self.caps, read)
                if member is None:  # a directory
                    continue
                if member.type != "file":  # a link, or refused
                    yield member, b""
                    continue
                data, stopped = self._tar_member(archive, info, member, count, damage)
                if data is not None:
                    read.add(member.path)
                    yield member, data
                if stopped:  # damage or a cap: the rest of the stream is not read
                    return

    def _tar_member(
        self, archive: tarfile.TarFile, info: tarfile.TarInfo, member: Member, count: int, damage: Callable
    ):
        """A member's bytes, read in small steps (damage keeps what came before it); a big one
        copied to the spool as it is read and handed over as FileData (`member.disk`). Returns
        (its bytes, None when nothing of it is analysed; whether the archive stops there)."""
        big = info.size > SPOOL_BYTES and not member.path.endswith(".gz")
        copy = _Copy(self, member.path, count if big else None)
        try:
            handle = archive.extractfile(info)
            left = info.size
            while handle and left > 0:
                chunk = handle.read(min(65_536, left))  # small steps: a truncation keeps what came before
                if not chunk:
                    raise EOFError("unexpected end of data")
                copy.add(chunk)
                left -= len(chunk)
        except (CapExceeded,) + DAMAGE as error:
            capped = isinstance(error, CapExceeded)
            data = copy.close(keep=not capped)  # a bomb's output is not analysed: its copy goes at once
            member.disk = copy.path
            what = "stopped reading" if capped else "entry truncated or corrupt"
            self.problem(member.path, f"{what} after {copy.done} of {info.size} bytes: {damage(error)}")
            return (data if copy.done and not capped else None), True
        member.disk = copy.path
        return copy.close(), False

    # --- zip --------------------------------------------------------------------------------

    def _zip(self) -> Iterator[tuple[Member, bytes]]:
        try:
            archive = zipfile.ZipFile(self.fileobj())
        except ZIP_DAMAGE as error:  # the central directory is unreadable: the local headers may not be
            yield from self._zip_salvage(f"central directory unreadable: {error}")
            return
        compressed = self.size()
        with archive:
            infos = archive.infolist()
            if len(infos) > self.caps.max_members:
                self.too_many(len(infos))
                infos = infos[: self.caps.max_members]
            for count, info in enumerate(infos, 1):
                member = check(_zip_entry(archive, info), self.caps)
                if member is None:  # a directory
                    continue
                if member.type != "file":  # a link, or refused
                    yield member, b""
                    continue
                total = self.read_bytes + info.file_size
                if self.read_bytes > RATIO_FLOOR and total > self.caps.max_ratio * max(compressed, 1):
                    over = ratio_cap(self.caps.max_ratio)
                    self.problem(
                        self.label,
                        f"stopped reading: {total} bytes out of {compressed} compressed bytes is over {over}",
                    )
                    return
                # a big entry copied to the spool as it is read and handed over as FileData, as a tar's
                big = info.file_size > SPOOL_BYTES and not member.path.endswith(".gz")
                copy = _Copy(self, member.path, count if big else None)
                try:
                    with archive.open(info) as handle:
                        while copy.done <= info.file_size:  # one byte more than it says: the check sees it
                            chunk = handle.read(min(1 << 20, info.file_size + 1 - copy.done))
                            if not chunk:
                                break
                            copy.add(chunk)
                except ZIP_DAMAGE as error:
                    copy.close(keep=False)
                    self.problem(member.path, f"entry corrupt: {error}")
                    continue
                member.disk = copy.path
                yield member, copy.close()

    def _zip_salvage(self, why: str = "no central directory") -> Iterator[tuple[Member, bytes]]:
        """A zip without a readable central directory (truncated): its local entries in order."""
        with self.open() as handle:
            data = handle.read(self.caps.max_bytes + 1)
        self.problem(self.label, f"zip archive truncated or corrupt ({why}): entries read from their local headers")
        pos, count = 0, 0
        while True:
            pos = data.find(b"PK\x03\x04", pos)
            if pos < 0 or pos + 30 > len(data):
                return
            count += 1
            if self.too_many(count):
                return
            _, _, _, method, _, _, _, csize, usize, nlen, elen = struct.unpack("<IHHHHHIIIHH", data[pos : pos + 30])
            name = data[pos + 30 : pos + 30 + nlen].decode("utf-8", errors="replace")
            start = pos = pos + 30 + nlen + elen
            unsupported = f"unsupported zip compression method {method}" if method not in (0, 8) else ""
            entry = Entry(
                name, usize, "dir" if name.endswith("/") else "file", refused=unsupported, stored=csize or None
            )
            member = check(entry, self.caps)
            if member is None:  # a directory
                continue
            if member.type != "file":  # refused: its data is passed over
                yield member, b""
                pos = start + csize
                continue
            if method == 0:
                body, end = data[start : start + csize] if csize else b"", start + csize
                if len(body) < csize:
                    self.problem(member.path, f"entry truncated after {len(body)} of {csize} bytes")
            else:
                body, end, why = self._inflate_entry(data, start, member.path)
                if body is None:  # corrupt (reported): the next entry is looked for from here
                    continue
                if why:
                    yield Member(member.path, len(body), "refused", note=f"not read: {why}"), b""
                    pos = end
                    continue
                if end is None:
                    self.problem(member.path, f"entry truncated after {len(body)} decompressed bytes")
            if body:
                member.size = len(body)
                yield member, body
            pos = min(end, len(data)) if end is not None else len(data)

    def _inflate_entry(self, data: bytes, start: int, path: str) -> tuple[bytes | None, int | None, str | None]:
        """A salvaged zip entry's deflate data from `start`, inflated a piece at a time and
        judged on its own ratio (what came out against the compressed bytes it took, once
        past RATIO_FLOOR) and on the rest of --max-bytes: (what came out, None when it is
        corrupt; where its data ends, None when the archive ends first; why it was stopped)."""
        inflater = zlib.decompressobj(-15)
        out: list[bytes] = []
        total, at = 0, start
        view = memoryview(data)
        caps = self.caps
        while at < len(data) and not inflater.eof:
            piece = view[at : at + GZIP_READ]
            try:
                chunk = inflater.decompress(piece, CHUNK)  # at most a MiB a step: judged before the next
            except zlib.error as error:
                self.problem(path, f"entry corrupt: {error}")
                return None, None, None
            at += len(piece) - len(inflater.unused_data if inflater.eof else inflater.unconsumed_tail)
            out.append(chunk)
            total += len(chunk)
            if total > caps.max_bytes - caps.used:
                return b"", at, f"more than {total} bytes: over {bytes_cap(caps.max_bytes)}"
            if total > RATIO_FLOOR and total > caps.max_ratio * (at - start):
                return b"", at, f"{total} bytes out of {at - start} compressed bytes: over {ratio_cap(caps.max_ratio)}"
        return b"".join(out), (at if inflater.eof else None), None


class _Copy:
    """Where an archive member's bytes go as they are read: memory, or for a big member (`count`
    given) a spool file, which goes on in memory when the disk fills or no spool can be made."""

    def __init__(self, archive: Archive, path: str, count: int | None):
        self.archive, self.member = archive, path
        self.path, self.out = archive.spool_open(count) if count is not None else (None, None)
        self.chunks: list[bytes] = []
        self.done = 0

    def add(self, chunk: bytes) -> None:
        if self.out:
            try:
                self.out.write(chunk)
            except OSError as error:  # the spool is full or gone: on in memory
                self.archive.problem(
                    self.member, f"could not be copied to disk ({error.strerror or error}); read into memory"
                )
                self.out.close()
                self.chunks = [Path(self.path).read_bytes()[: self.done], chunk] if self.done else [chunk]
                _remove(self.path)
                self.path, self.out = None, None
        else:
            self.chunks.append(chunk)
        self.done += len(chunk)

    def close(self, keep: bool = True) -> bytes | FileData:
        """What was read: the spool file's (removed unless `keep`), or the bytes in memory."""
        if not self.out:
            return b"".join(self.chunks)
        self.out.close()
        if not keep:
            _remove(self.path)
        return FileData(self.path, self.done)


def _remove(path: str | None) -> None:
    """A spool file removed (it may be gone already)."""
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


def _tar_entry(info: tarfile.TarInfo, compressed: int | None) -> Entry:
    """A tar entry as the safety check reads it (a sparse file judged by the data it stores)."""
    kind, refused = "file", ""
    if info.isdir():
        kind = "dir"
    elif info.issym():
        kind = "symlink"
    elif info.islnk():
        kind = "hardlink"
    elif not info.isreg():
        kinds = {tarfile.CHRTYPE: "character device", tarfile.BLKTYPE: "block device", tarfile.FIFOTYPE: "fifo"}
        kind, refused = "special", f"{kinds.get(info.type, 'special entry')} refused (not a regular file)"
    stored = sum(size for _, size in info.sparse) if info.sparse else None
    return Entry(info.name, info.size, kind, info.linkname, refused, stored, bool(info.sparse), compressed)


def _zip_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Entry:
    """A zip entry as the safety check reads it: its Unix mode tells links and special files."""
    mode = info.external_attr >> 16 if info.create_system == 3 else 0
    name, size = info.filename, info.file_size
    if info.is_dir():
        return Entry(name, size, "dir")
    if stat.S_ISLNK(mode):
        try:
            with archive.open(info) as handle:  # the target is the entry's data: its first bytes only
                link = handle.read(_LINK_BYTES).decode("utf-8", errors="replace")
        except ZIP_DAMAGE as error:
            return Entry(name, size, "symlink", refused=f"unreadable symlink: {error}")
        return Entry(name, size, "symlink", link)
    if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        return Entry(name, size, "special", refused=kind_of_special(mode))
    return Entry(name, size, stored=info.compress_size)


def kind_of_special(mode: int) -> str:
    tests = (
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISSOCK, "socket"),
    )
    for test, name in tests:
        if test(mode):
            return f"{name} refused (not a regular file)"
    return "not a regular file"


_READ_ONLY = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # (no translation of line ends on Windows)


def _read_whole(path: str, size: int) -> bytes:
    """A file's bytes, read first as the size `lstat` gave, then to its end (it may have
    grown). Four system calls where `open().read()` makes nine, each giving up the GIL: a
    folder of 200,000 small files is read while a log is parsed (bench/README.md)."""
    handle = os.open(path, _READ_ONLY)
    try:
        chunks = []
        while chunk := os.read(handle, size + 1 if not chunks else 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(handle)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
