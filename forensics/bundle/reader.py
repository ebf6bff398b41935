"""The pass over a bundle: its members in order, with the archives inside it read in place, its
`.gz` members inflated and its texts made UTF-8, under one set of caps (`safety.Caps`)."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from forensics.bundle.archives import Archive, unread
from forensics.bundle.layout import Bundle, display_name, finish
from forensics.bundle.safety import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_MEMBERS,
    DEFAULT_MAX_RATIO,
    BundleError,
    CapExceeded,
    Caps,
    Member,
)
from forensics.bundle.streams import gunzip
from parsers import layouts
from parsers._base import FileData

MAX_DEPTH = 2  # archives read inside archives: a bundle in a portal's zip in a ticket's tar.gz
_ARCHIVES = (".tar", ".tgz", ".tar.gz", ".zip")
_UTF8_BOM = b"\xef\xbb\xbf"
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_BOM_STARTS = frozenset(bom[:1] for bom in (_UTF8_BOM, *(bom for bom, _ in _BOMS)))


class Reader:
    """Iterates the regular files of a bundle as (Member, bytes), recording everything else.

    Standard input (`-`), a named pipe, `/dev/stdin` and a process substitution (`<(...)`)
    are read into memory first (at most --max-bytes), as the bytes of an archive or a file.
    An archive inside the bundle (`.tar`, `.tar.gz`, `.tgz`, `.zip`; a support portal's zip
    around a support bundle) is read in place, to MAX_DEPTH archives deep, under the same caps:
    its entries are members at the archive's folder (as if extracted there) and their bytes
    count against the one --max-bytes budget."""

    def __init__(
        self,
        path: str | os.PathLike,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_members: int = DEFAULT_MAX_MEMBERS,
        max_ratio: int = DEFAULT_MAX_RATIO,
    ):
        self.path = Path(path)
        self.caps = Caps(
            max_bytes or DEFAULT_MAX_BYTES, max_members or DEFAULT_MAX_MEMBERS, max_ratio or DEFAULT_MAX_RATIO
        )
        memory: bytes | None = None  # the input's bytes, when it is read into memory
        if str(path) == "-":  # standard input: an archive or one file
            memory = self._read_stream(sys.stdin.buffer, "stdin")
            self.path = Path("stdin")
        elif not self.path.exists():
            raise BundleError(f"{self.path}: no such file or folder")
        elif not self.path.is_dir() and not self.path.is_file():  # a pipe: it can be read once
            try:
                with open(self.path, "rb") as stream:
                    memory = self._read_stream(stream, self.path.name)
            except OSError as error:
                raise BundleError(f"{self.path}: cannot be read: {error.strerror or error}") from error
        self.bundle = Bundle(name=display_name(self.path), origin=str(path))
        # Big archive members are copied here as they are read (bounded memory) and parsed
        # from disk; the directory goes away with the last reference to it (load() hands it to
        # the line store, which reads those files again).
        self.spool: tempfile.TemporaryDirectory | None = None
        self._stamp: str | None = None  # the text of a layout's stamp file (crust-gather's collected.timestamp)
        self.archive = self._archive(self.path, memory, self.path.name, 0)

    def _read_stream(self, stream, name: str) -> bytes:
        data = stream.read(self.caps.max_bytes + 1)
        if len(data) > self.caps.max_bytes:
            raise BundleError(f"{name}: more than {self.caps.max_bytes} bytes (raise it with --max-bytes)")
        return data

    def _archive(self, path: Path, memory: bytes | None, label: str, depth: int) -> Archive:
        return Archive(
            path,
            memory=memory,
            label=label,
            caps=self.caps,
            problems=self.bundle.problems,
            spool_open=self._spool_open,
            depth=depth,
        )

    def _spool_open(self, count: int):
        """(path, open file) of a new spool file, or (None, None) when none can be made (the
        member is then read into memory)."""
        try:
            if self.spool is None:
                self.spool = tempfile.TemporaryDirectory(prefix="forensics-spool-")
            handle, path = tempfile.mkstemp(
                suffix=f"-{count}.member", dir=self.spool.name
            )  # nested archives count from 1 too
            return path, os.fdopen(handle, "wb")  # closed by the caller
        except OSError:
            return None, None

    def files(self) -> Iterator[tuple[Member, bytes | FileData]]:
        files: list[Member] = []
        for member, data in self._read(self.archive, ""):
            files.append(member)
            yield member, data
        finish(self.bundle, files, self._stamp)

    def _read(self, archive: Archive, prefix: str) -> Iterator[tuple[Member, bytes | FileData]]:
        """An archive's files, named from the bundle root (`prefix`: the folder of the archive
        inside the bundle), archives inside it read in place."""
        try:
            entries = archive.entries()
        except BundleError as error:
            if archive.depth == 0:
                raise
            archive.problem(archive.label, f"archive inside the bundle not read: {error}")
            return
        for member, data in entries:
            member.path = prefix + member.path
            if member.target:
                member.target = prefix + member.target
            if member.type == "file":
                member, data = self._unpacked(member, data)
            if member.type != "file":
                self.bundle.members.append(member)
                continue
            nested = self._nested(archive, member, data)
            if nested is not None:
                self.bundle.members.append(
                    Member(member.path, member.size, "archive", note="an archive: its entries are read in place")
                )
                yield from self._read(nested, member.path.rsplit("/", 1)[0] + "/" if "/" in member.path else "")
                continue
            yield member, self._take(archive, member, data)

    def _unpacked(self, member: Member, data: bytes | FileData) -> tuple[Member, bytes | FileData]:
        """A file as its parser or the pass reads it: a big file with a byte-order mark read into
        memory (its text is normalised there), a `.gz` member inflated and named without `.gz`;
        a refused member when the inflation passes a cap or gives nothing."""
        if isinstance(data, FileData) and _has_bom(data.head(4)):
            data = data.read()
        if not member.path.endswith(".gz") or member.path.endswith(".tar.gz") or data[:2] != b"\x1f\x8b":
            return member, data
        caps = self.caps
        try:
            out, why = gunzip(data, caps.max_bytes - caps.used, caps.max_ratio, caps.max_bytes, caps.max_members)
        except CapExceeded as error:
            return Member(member.path, member.size, "refused", note=f"not read: {error}"), b""
        if why and not out:
            return Member(member.path, member.size, "refused", note=f"cannot decompress: {why}"), b""
        if why:
            reason = f"{why}; the {len(out)} bytes before it are read"
            self.bundle.problems.append({"source": member.path, "line": None, "reason": reason, "excerpt": ""})
        member.path, member.disk = member.path[:-3], None
        return member, out

    def _nested(self, archive: Archive, member: Member, data: bytes | FileData) -> Archive | None:
        """The archive a member holds (by its name and its first bytes), unless it is
        MAX_DEPTH archives deep already."""
        if not member.path.lower().endswith(_ARCHIVES):
            return None
        head = data.head(512) if isinstance(data, FileData) else data[:512]
        if not (head[257:262] == b"ustar" or head[:2] == b"\x1f\x8b" or head[:4] == b"PK\x03\x04"):
            return None
        if archive.depth >= MAX_DEPTH:
            archive.problem(member.path, f"an archive {MAX_DEPTH + 1} archives deep: not read inside")
            return None
        if isinstance(data, FileData):  # a folder's big archive: read from its file
            return self._archive(Path(data.path), None, member.path, archive.depth + 1)
        return self._archive(Path(member.path), bytes(data), member.path, archive.depth + 1)

    def _take(self, archive: Archive, member: Member, data: bytes | FileData) -> bytes | FileData:
        """A file's bytes as its parser gets them (text made UTF-8), counted against the caps."""
        if not isinstance(data, FileData):
            before = len(data)
            data, note = _normalise_text(data)
            if note:
                member.note = note
            if len(data) != before or note:
                member.disk = None
        archive.read_bytes += len(data)
        self.caps.used += len(data)
        member.size = len(data)
        if member.path.rsplit("/", 1)[-1] in layouts.STAMP_FILES:
            self._stamp = (
                (data.head(200) if isinstance(data, FileData) else data[:200]).decode("utf-8", errors="replace").strip()
            )
        self.bundle.members.append(member)
        return data

    def big_files(self) -> list[tuple[str, FileData]]:
        """The folder's files that `files()` will hand over unread (FileData), biggest first,
        as (member path, data), so that a caller may start parsing them before `files()`
        reaches them. Only when no cap can refuse one of them first: the input is a folder,
        its files are within the member and byte caps all together, and none is a `.gz` file
        (inflated as it is read, its share of the byte cap is not known in advance); else
        empty. A file starting with a byte-order mark is left out (`files()` reads it into
        memory)."""
        if self.archive.memory is not None or not self.path.is_dir():
            return []
        root = str(self.path.resolve())
        found, count, total = [], 0, 0
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            for filename in filenames:
                count += 1
                if filename.endswith((".gz", ".tgz", ".tar", ".zip")):
                    return []  # inflated or read inside as read: its size in the byte cap is not known yet
                full = os.path.join(dirpath, filename)  # not pathlib: it interns every name it sees
                try:
                    mode = os.lstat(full)
                except OSError:
                    continue  # `files()` says why
                if not stat.S_ISREG(mode.st_mode):  # a link, a folder, a device
                    continue
                size = mode.st_size
                total += size
                if unread(filename, size):
                    data = FileData(full, size)
                    if not _has_bom(data.head(4)):
                        found.append((size, os.path.relpath(full, root).replace(os.sep, "/"), data))
        if count > self.caps.max_members or total > self.caps.max_bytes:
            return []
        return [(path, data) for size, path, data in sorted(found, key=lambda item: (-item[0], item[1]))]


def _has_bom(head: bytes) -> bool:
    """The text starts with a byte-order mark (`_normalise_text` would change it)."""
    return head.startswith(_UTF8_BOM) or any(head.startswith(bom) for bom, _ in _BOMS)


def _normalise_text(data: bytes) -> tuple[bytes, str]:
    """A byte-order mark removed (UTF-8) or the text re-encoded as UTF-8 (UTF-16/32 with a BOM)."""
    if data[:1] not in _BOM_STARTS:  # most files
        return data, ""
    if data[:3] == _UTF8_BOM:
        return data[3:], ""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(codec, errors="replace")
            return text.encode("utf-8"), f"{codec.upper()} text re-encoded as UTF-8"
    return data, ""
