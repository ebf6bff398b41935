"""The compressed streams of a bundle, inflated a step at a time under the caps: a gzip stream
(a `.gz` member, a `.tar.gz`), and a tar archive's decompressed stream counted against
--max-bytes and --max-ratio as it is read.

A truncated or corrupt stream gives what was inflated before the damage, then the error;
a stream over a cap raises CapExceeded where it passed it.
"""

from __future__ import annotations

import bz2
import io
import lzma
import struct
import tarfile
import zipfile
import zlib

from forensics.bundle.safety import DEFAULT_MAX_MEMBERS, RATIO_FLOOR, CapExceeded, Caps, bytes_cap, ratio_cap

CHUNK = 1024**2
TAR_OVERHEAD = 1024  # header + padding per entry, allowed on top of --max-bytes in a tar stream
try:  # ISA-L's inflate: a gzipped bundle read ~3x faster than with zlib, the same bytes out
    from isal.isal_zlib import decompressobj as _decompressobj
    from isal.isal_zlib import error as _isal_error
except ImportError:  # no wheel for this platform: zlib
    _decompressobj, _isal_error = zlib.decompressobj, zlib.error
GZIP_READ = 128 * 1024  # compressed bytes read at a time (as gzip's reader): the ratio cap judges each step
_FEED = 512  # compressed bytes a gzip member's inflation starts with (doubled up to GZIP_READ)
# Errors a damaged archive or compressed stream raises while being read.
DAMAGE = (tarfile.TarError, OSError, EOFError, zlib.error, _isal_error, lzma.LZMAError, ValueError, struct.error)
# ...and a zip archive (an unsupported version or method, an encrypted entry).
ZIP_DAMAGE = (zipfile.BadZipFile, NotImplementedError, RuntimeError) + DAMAGE


def gunzip(
    data: bytes, limit: int, max_ratio: int, max_bytes: int | None = None, max_members: int = DEFAULT_MAX_MEMBERS
) -> tuple[bytes, str | None]:
    """Inflate a (possibly multi-member) gzip stream; what came out and why it stopped early.

    Raises CapExceeded past `limit` bytes (the rest of --max-bytes), past `max_ratio` times
    the compressed size (once over RATIO_FLOOR) or past `max_members` gzip members; a
    truncated or corrupt stream keeps what was inflated before the damage, and data after the
    last member that is no gzip member is left alone.
    """
    ratio_limit = max(RATIO_FLOOR, max_ratio * len(data))
    cap = min(limit, ratio_limit)
    stream = GzipStream(io.BytesIO(data), max_members)
    out: list[bytes] = []
    total = 0
    while True:
        try:
            piece = stream.read1(min(CHUNK, cap - total + 1))
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
            why = bytes_cap(max_bytes or limit) if cap == limit else ratio_cap(max_ratio)
            raise CapExceeded(f"more than {cap} bytes when decompressed from {len(data)}: over {why}")
    return b"".join(out), None


class _NotGzip(OSError):
    """What follows a gzip member is no gzip member (the stream's data ends there)."""


class GzipStream:
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
        chunk = self.raw.read(GZIP_READ)
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
                self._step = min(self._step * 2, GZIP_READ)
            if data:
                return data


class Counted(io.RawIOBase):
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
        except DAMAGE as error:
            self.damage = error
            return 0
        size = len(data)
        buffer[:size] = data
        self.total += size
        if self.total > self.limit:
            raise CapExceeded(f"more than {self.total} bytes decompressed: over {bytes_cap(self.bytes_limit)}")
        if self.max_ratio and self.total > RATIO_FLOOR:
            consumed = max(self.raw.tell(), 1)
            if self.total > self.max_ratio * consumed:
                over = ratio_cap(self.max_ratio)
                raise CapExceeded(f"{self.total} bytes out of {consumed} compressed bytes: over {over}")
        return size


def tar_stream(raw, caps: Caps) -> tuple[io.BufferedReader, Counted]:
    """The decompressed stream of a tar archive (gzip, bzip2, xz or none, told by its first
    bytes), counted against the caps: --max-bytes (with room for each entry's header and
    padding) and, when compressed, --max-ratio."""
    magic = raw.read(6)
    raw.seek(0)
    if magic[:2] == b"\x1f\x8b":
        stream, ratio = GzipStream(raw, caps.max_members), caps.max_ratio
    elif magic[:3] == b"BZh":
        stream, ratio = bz2.BZ2File(raw), caps.max_ratio
    elif magic == b"\xfd7zXZ\x00":
        stream, ratio = lzma.LZMAFile(raw), caps.max_ratio
    else:
        stream, ratio = raw, None
    limit = caps.max_bytes + TAR_OVERHEAD * (caps.max_members + 10)
    counted = Counted(stream, raw, limit, ratio, caps.max_bytes)
    return io.BufferedReader(counted, buffer_size=CHUNK), counted
