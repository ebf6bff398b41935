"""The one safety check of an archive's entries, shared by tar and zip: paths, links, sizes and
ratios, judged from what the archive declares before any byte of an entry is read.

An entry with an absolute path or `..` is refused; a directory is nothing to record; a
symbolic link is kept as a link to the member it names when that member is inside the bundle
(it is read once, where it is); a hard link likewise, when the file it names was read already;
a device, a fifo or a socket is refused. A file is refused when its declared size would pass
--max-bytes, or, past `RATIO_FLOOR` bytes, when it is more than --max-ratio times the bytes it
takes in the archive (compressed, or a sparse file's data) or in the compressed archive it
comes from. What passes is a file to read; the streams that read it keep the caps as they go
(`forensics.bundle.streams`).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

DEFAULT_MAX_BYTES = 8 * 1024**3
DEFAULT_MAX_MEMBERS = 200_000
MAX_MEMBERS = DEFAULT_MAX_MEMBERS  # kept for importers
DEFAULT_MAX_RATIO = 200
RATIO_FLOOR = 32 * 1024**2  # a stream is judged on its ratio only once this much came out of it


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


def bytes_cap(limit: int) -> str:
    return f"the cap of {limit} decompressed bytes (raise it with --max-bytes)"


def ratio_cap(ratio: int) -> str:
    return f"the compression ratio cap of {ratio}:1 (raise it with --max-ratio)"


def safe_path(name: str) -> str | None:
    """The normalised relative path of an entry, or None when it is unsafe."""
    name = name.replace("\\", "/")
    if not name or name.startswith("/") or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


@dataclass
class Caps:
    """The caps of one bundle and the bytes read against them (every archive read inside it
    included)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_members: int = DEFAULT_MAX_MEMBERS
    max_ratio: int = DEFAULT_MAX_RATIO
    used: int = 0

    def over_budget(self, path: str, size: int) -> Member | None:
        """A refused member when reading `size` more bytes would pass --max-bytes."""
        if self.used + size <= self.max_bytes:
            return None
        return Member(path, size, "refused", note=f"not read: {size} bytes would pass {bytes_cap(self.max_bytes)}")


@dataclass(frozen=True)
class Entry:
    """An archive entry as its archive declares it."""

    name: str  # as written in the archive
    size: int  # declared size
    kind: str = "file"  # file | dir | symlink | hardlink | special
    link: str = ""  # a link's target as written
    refused: str = ""  # why the archive's reader refuses it already: a special file's kind, a link it cannot read
    stored: int | None = None  # the bytes it takes in the archive, when its size can be judged against them
    sparse: bool = False  # `stored` is a sparse file's data (its holes read as zeros)
    archive: int | None = None  # the size of the compressed archive it comes from


def check(entry: Entry, caps: Caps, read: set[str] = frozenset()) -> Member | None:
    """What an entry is before any byte of it is read: a file to read (type "file"), a link
    (type "symlink", read where it points), refused (with the reason), or None for a directory.
    `read`: the files read from the archive so far (what a hard link may name)."""
    path = safe_path(entry.name)
    if path is None:
        return Member(entry.name, entry.size, "refused", note="absolute path or '..' in entry name")
    if entry.kind == "dir":
        return None
    if entry.refused:
        return Member(path, 0 if entry.kind in ("symlink", "hardlink") else entry.size, "refused", note=entry.refused)
    if entry.kind == "symlink":
        target = safe_path(posixpath.normpath(posixpath.join(posixpath.dirname(path), entry.link)))
        if target is None or entry.link.startswith("/"):
            return Member(path, 0, "refused", note=f"symlink leaves the bundle: {entry.link}")
        return Member(path, 0, "symlink", target=target)
    if entry.kind == "hardlink":
        target = safe_path(entry.link)
        if target is None:
            return Member(path, 0, "refused", note=f"hard link leaves the bundle: {entry.link}")
        if target not in read:
            return Member(path, 0, "refused", note=f"hard link to {target}, which is not a file read from the bundle")
        return Member(path, 0, "symlink", target=target, note=f"hard link to {target} (read there)")
    return (
        caps.over_budget(path, entry.size)
        or _over_ratio(path, entry, caps.max_ratio)
        or Member(path, entry.size, "file")
    )


def _over_ratio(path: str, entry: Entry, ratio: int) -> Member | None:
    """A refused member when the declared size is over the ratio cap: against the bytes the
    entry stores, or against the whole compressed archive (more than it could ever inflate to)."""
    size = entry.size
    if size <= RATIO_FLOOR:
        return None
    if entry.stored is not None and size > ratio * max(entry.stored, 1):
        stored = entry.stored
        what = (
            f"a sparse entry of {size} bytes that stores {stored}"
            if entry.sparse
            else f"compression ratio {size // max(stored, 1)}:1"
        )
    elif entry.archive is not None and size > ratio * max(entry.archive, 1):
        what = f"{size} bytes declared in a {entry.archive}-byte archive"
    else:
        return None
    return Member(path, size, "refused", note=f"not read: {what} is over {ratio_cap(ratio)}")
