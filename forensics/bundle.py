"""Reading a bundle: a folder, a tar/tar.gz/tgz, a zip, or a single file. [edge: I/O, safety]

Archives are read in memory, member by member, in one pass; nothing is extracted to disk.
Entries with absolute paths or `..` are refused (reported, never followed); symlinks are
resolved only inside the bundle (troubleshoot bundles link `.yaml` twins and collector
folders to the real files, which are read once, where they are); device files and links
that leave the bundle are refused. Total decompressed bytes are capped.

Paths (`Member.path`) are relative to the bundle root: when every entry sits under one top
folder (troubleshoot's `support-bundle-<time>/`), that folder is the root.
"""

from __future__ import annotations

import gzip
import io
import os
import posixpath
import re
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

DEFAULT_MAX_BYTES = 8 * 1024**3
MAX_MEMBERS = 200_000


class BundleError(Exception):
    """The input cannot be read as a bundle at all (missing, unreadable, not an archive)."""


@dataclass
class Member:
    """One entry of the bundle."""

    path: str
    size: int
    type: str  # "file", "symlink", "refused"
    target: str | None = None  # symlink: the member path it points to
    note: str = ""


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


def _safe_path(name: str) -> str | None:
    """The normalised relative path of an entry, or None when it is unsafe."""
    name = name.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def _maybe_gunzip(path: str, data: bytes, budget: int) -> tuple[str, bytes]:
    if path.endswith(".gz") and data[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(budget + 1)
        if len(out) > budget:
            raise BundleError(f"{path}: decompressed size exceeds the byte cap")
        return path[:-3], out
    return path, data


class Reader:
    """Iterates the regular files of a bundle as (Member, bytes), recording everything else."""

    def __init__(self, path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES):
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._stdin: bytes | None = None
        if str(path) == "-":  # standard input: an archive or one file, read into memory
            import sys

            self._stdin = sys.stdin.buffer.read(max_bytes + 1)
            if len(self._stdin) > max_bytes:
                raise BundleError(f"stdin: more than {max_bytes} bytes (raise it with --max-bytes)")
            self.path = Path("stdin")
        elif not self.path.exists():
            raise BundleError(f"{self.path}: no such file or folder")
        self.bundle = Bundle(name=_display_name(self.path), origin=str(path))
        self._read_bytes = 0
        self._stamp: str | None = None  # crust-gather's collected.timestamp

    def files(self) -> Iterator[tuple[Member, bytes]]:
        if self._stdin is None and self.path.is_dir():
            entries = self._dir_entries()
        elif self._is(tarfile.is_tarfile):
            entries = self._tar_entries()
        elif self._is(zipfile.is_zipfile):
            entries = self._zip_entries()
        elif self._looks_compressed():
            raise BundleError(f"{self.path.name}: compressed archive that cannot be read (truncated or corrupt)")
        else:
            entries = self._single_file()
        files: list[Member] = []
        for member, data in entries:
            if member.type != "file":
                self.bundle.members.append(member)
                continue
            self._read_bytes += len(data)
            if self._read_bytes > self.max_bytes:
                raise BundleError(f"{self.bundle.name}: more than {self.max_bytes} bytes decompressed (raise it with --max-bytes)")
            try:
                member.path, data = _maybe_gunzip(member.path, data, self.max_bytes - self._read_bytes)
            except (OSError, EOFError, BundleError) as error:
                self._problem(member.path, f"cannot decompress: {error}")
                continue
            member.size = len(data)
            if member.path.rsplit("/", 1)[-1] == "collected.timestamp":
                self._stamp = data[:200].decode("utf-8", errors="replace").strip()
            files.append(member)
            self.bundle.members.append(member)
            yield member, data
        self._finish(files)

    def _is(self, test) -> bool:
        try:
            return bool(test(self._source()))
        except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile):
            return False

    def _looks_compressed(self) -> bool:
        """A gzip stream that is not a readable tar, and not a gzipped single file either."""
        with self._open() as handle:
            magic = handle.read(2)
        if magic != b"\x1f\x8b":
            return False
        try:
            with gzip.open(self._source()) as stream:
                stream.read(1)
            if self._stdin is not None:
                return False  # a gzipped single file on stdin: inflated as `stdin.gz`
            return not self.path.name.endswith(".gz") or self.path.name.endswith((".tar.gz", ".tgz"))
        except (OSError, EOFError):
            return True

    # --- sources of entries ---------------------------------------------------------------

    def _dir_entries(self) -> Iterator[tuple[Member, bytes]]:
        root = self.path.resolve()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for filename in sorted(filenames):
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
                    yield Member(rel, full.stat().st_size, "file"), full.read_bytes()
                else:
                    yield Member(rel, 0, "refused", note="not a regular file"), b""

    def _tar_entries(self) -> Iterator[tuple[Member, bytes]]:
        try:
            archive = tarfile.open(fileobj=self._open(), mode="r:*")
        except (tarfile.TarError, OSError) as error:
            raise BundleError(f"{self.path.name}: not a readable tar archive: {error}") from error
        with archive:
            count = 0
            while True:
                try:
                    info = archive.next()
                except (tarfile.TarError, OSError, EOFError) as error:
                    self._problem(self.path.name, f"archive truncated or corrupt after {count} entries: {error}")
                    return
                if info is None:
                    return
                count += 1
                if count > MAX_MEMBERS:
                    self._problem(self.path.name, f"more than {MAX_MEMBERS} entries; the rest is not read")
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
                if not info.isfile():
                    yield Member(path, info.size, "refused", note="not a regular file (device, fifo or hard link)"), b""
                    continue
                if self._read_bytes + info.size > self.max_bytes:
                    raise BundleError(f"{self.bundle.name}: more than {self.max_bytes} bytes decompressed (raise it with --max-bytes)")
                try:
                    stream = archive.extractfile(info)
                    data = stream.read() if stream else b""
                except (tarfile.TarError, OSError, EOFError) as error:
                    self._problem(path, f"entry truncated or corrupt: {error}")
                    return
                yield Member(path, info.size, "file"), data

    def _zip_entries(self) -> Iterator[tuple[Member, bytes]]:
        try:
            archive = zipfile.ZipFile(self._source())
        except (zipfile.BadZipFile, OSError) as error:
            raise BundleError(f"{self.path.name}: not a readable zip archive: {error}") from error
        with archive:
            for info in archive.infolist()[:MAX_MEMBERS]:
                path = _safe_path(info.filename)
                if path is None:
                    yield Member(info.filename, info.file_size, "refused", note="absolute path or '..' in entry name"), b""
                    continue
                if info.is_dir():
                    continue
                if self._read_bytes + info.file_size > self.max_bytes:
                    raise BundleError(f"{self.bundle.name}: more than {self.max_bytes} bytes decompressed (raise it with --max-bytes)")
                try:
                    data = archive.read(info)
                except (zipfile.BadZipFile, OSError, EOFError) as error:
                    self._problem(path, f"entry corrupt: {error}")
                    continue
                yield Member(path, info.file_size, "file"), data

    def _single_file(self) -> Iterator[tuple[Member, bytes]]:
        if self._stdin is not None:
            data = self._stdin
            if data[:2] == b"\x1f\x8b":  # a gzipped single file on stdin
                yield Member("stdin.gz", len(data), "file"), data
                return
            yield Member("stdin", len(data), "file"), data
            return
        yield Member(self.path.name, self.path.stat().st_size, "file"), self.path.read_bytes()

    def _source(self):
        """What the archive modules open: the path, or the stdin bytes as a file object."""
        return io.BytesIO(self._stdin) if self._stdin is not None else self.path

    def _open(self):
        return io.BytesIO(self._stdin) if self._stdin is not None else open(self.path, "rb")

    # --- after the pass -------------------------------------------------------------------

    def _problem(self, source: str, reason: str) -> None:
        self.bundle.problems.append({"source": source, "line": None, "reason": reason, "excerpt": ""})

    def _finish(self, files: list[Member]) -> None:
        bundle = self.bundle
        paths = [m.path for m in bundle.members]
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
        bundle.collected_at = _stamp_time(self._stamp) or _collected_at(bundle)


def strip_root(path: str, root: str) -> str:
    return path[len(root) + 1 :] if root and path.startswith(root + "/") else path


def _display_name(path: Path) -> str:
    name = path.name or path.resolve().name
    for suffix in (".tar.gz", ".tgz", ".tar", ".zip", ".gz"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def detect_layout(paths: set[str]) -> str:
    """The bundle layout from its paths (ecosystem.md §1, "Auto-detection order")."""
    if "version.yaml" in paths and any(p.startswith("cluster-resources/") for p in paths):
        return "troubleshoot"
    if any(p.startswith("cluster-resources/") for p in paths):
        return "troubleshoot"
    if "collected.timestamp" in paths or any(re.match(r"namespaces/[^/]+/v1/event/", p) for p in paths):
        return "crust-gather"
    if any(re.match(r"(.*/)?namespaces/[^/]+/core/events\.yaml$", p) for p in paths) or any(
        "cluster-scoped-resources/" in p for p in paths
    ):
        return "must-gather"
    if any(re.search(r"(^|/)[^/]+/events\.json$", p) for p in paths) and any(p.endswith("/logs.txt") for p in paths):
        return "cluster-info-dump"
    return "loose"


_TROUBLESHOOT_NAME = re.compile(r"support-bundle-(\d{4}-\d{2}-\d{2})T(\d{2})_(\d{2})_(\d{2})")


def _stamp_time(text: str | None) -> datetime | None:
    """crust-gather's `collected.timestamp`: an RFC3339 time (or epoch seconds)."""
    if not text:
        return None
    text = text.split()[0] if " " not in text.strip() else text.strip()
    if re.fullmatch(r"\d{9,11}(\.\d+)?", text):
        return datetime.fromtimestamp(float(text), tz=timezone.utc)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _collected_at(bundle: Bundle) -> datetime | None:
    """When the bundle was collected, if it says so (troubleshoot names carry local time)."""
    for text in (bundle.root, bundle.name):
        found = _TROUBLESHOOT_NAME.search(text or "")
        if found:
            day, hh, mm, ss = found.groups()
            return datetime.fromisoformat(f"{day}T{hh}:{mm}:{ss}").replace(tzinfo=timezone.utc)
    return None
