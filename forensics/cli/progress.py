"""The progress of one analysis, on an interactive stderr: the phase (read, parse, rules,
report) and, while reading, a bar of the bytes read against the bundle's expected size."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rich.console import Console

from forensics.report.terminal import visible


def expected_bytes(path: str) -> int | None:
    """About how many bytes the members of the bundle at `path` hold, for a progress bar: a
    folder's files, a zip's entries, a gzip stream's own record of its size (modulo 4 GiB),
    a plain file's size; None when it cannot be known cheaply (standard input, bzip2, xz)."""
    import zipfile

    source = Path(path)
    try:
        if source.is_dir():
            return sum(
                entry.stat().st_size for entry in source.rglob("*") if entry.is_file() and not entry.is_symlink()
            )
        if not source.is_file():
            return None
        size = source.stat().st_size
        with source.open("rb") as handle:
            magic = handle.read(6)
            if magic[:2] == b"\x1f\x8b" and size > 18:
                handle.seek(-4, os.SEEK_END)
                inflated = int.from_bytes(handle.read(4), "little")
                return inflated + (1 << 32) * ((size - inflated) // (1 << 32) + 1) if inflated < size else inflated
            if magic[:3] == b"BZh" or magic == b"\xfd7zXZ\x00":
                return None
        if zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as archive:
                return sum(info.file_size for info in archive.infolist())
        return size
    except (OSError, ValueError, zipfile.BadZipFile):
        return None


class PhaseProgress:
    """The phases of one analysis (read, parse, rules, report) and how long each took; on an
    interactive stderr, a transient line naming the phase, with a bar of the bytes read
    against `expected_bytes` while reading. Called as `forensics.run`'s `progress`."""

    def __init__(self, path: str, show: bool) -> None:
        self.timings: dict[str, float] = {}
        self._phase, self._started, self._named = "", time.monotonic(), 0.0
        self._bar = None
        if show:
            from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn

            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.fields[phase]:<7}"),
                BarColumn(),
                DownloadColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = self._bar.add_task("", total=expected_bytes(path), phase="read")

    def __enter__(self) -> PhaseProgress:
        if self._bar:
            self._bar.start()
        self.phase("read")
        return self

    def __exit__(self, *exc) -> None:
        self.phase("")
        if self._bar:
            self._bar.stop()

    def phase(self, name: str) -> None:
        now = time.monotonic()
        if self._phase:
            self.timings[self._phase] = self.timings.get(self._phase, 0.0) + now - self._started
        self._phase, self._started = name, now
        if self._bar and name:
            task = self._bar.tasks[0]
            self._bar.update(
                self._task,
                phase=name,
                description="",
                completed=task.total if name != "read" and task.total else task.completed,
            )

    def __call__(self, phase: str, member: str, size: int) -> None:
        if phase != self._phase:
            self.phase(phase)
        if not self._bar or phase != "read":
            return
        now = time.monotonic()
        if now - self._named < 0.2:  # the member's name is redacted and cleaned a few times a second, not per member
            self._bar.update(self._task, advance=size)
            return
        from rich.markup import escape

        from forensics.redact import redact_text

        self._named = now
        self._bar.update(self._task, advance=size, description=escape(visible(redact_text(member[-50:]))))

    def summary(self) -> str:
        return " · ".join(f"{name} {seconds:.2f} s" for name, seconds in self.timings.items())
