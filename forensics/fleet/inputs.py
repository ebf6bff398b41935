"""Which bundles a fleet run reads: folders, archives, globs, URLs (fsspec) and manifest files,
and the names a bundle is known by (its stem, the slug of its dataset key)."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

_ARCHIVE = re.compile(r"(\.tar\.gz|\.tgz|\.tar|\.zip|\.gz)$", re.IGNORECASE)
_GLOB = re.compile(r"[*?[]")


def _is_url(source: str) -> bool:
    return "://" in source and not source.startswith("file://")


def expand(paths: Iterable[str], manifests: Iterable[str] = ()) -> tuple[list[str], list[dict]]:
    """The bundle sources named by PATH arguments (folders, archives, files, globs, URLs,
    `@MANIFEST`) and manifest files (one source per line, `#` comments; relative lines are
    relative to the manifest). Returns (sources in order, without duplicates; unmatched
    arguments as failure rows)."""
    sources: list[str] = []
    missing: list[dict] = []
    items = [(p, None) for p in paths] + [("@" + m, None) for m in manifests]
    for item, base in items:
        if item.startswith("@"):
            manifest = item[1:]
            try:
                text = Path(manifest).read_text(encoding="utf-8") if manifest != "-" else _stdin()
            except OSError as error:
                missing.append(unreadable(manifest, f"manifest not readable: {error.strerror or error}"))
                continue
            folder = Path(manifest).parent if manifest != "-" else Path.cwd()
            for line in text.splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    found, lost = _expand_one(line, folder)
                    sources += found
                    missing += lost
            continue
        found, lost = _expand_one(item, base)
        sources += found
        missing += lost
    seen: set[str] = set()
    unique = [s for s in sources if not (s in seen or seen.add(s))]
    return unique, missing


def _stdin() -> str:
    import sys

    return sys.stdin.read()


def _expand_one(item: str, base: Path | None) -> tuple[list[str], list[dict]]:
    if item.startswith("file://"):
        item = item[len("file://") :]
    if _is_url(item):
        if _GLOB.search(item.split("://", 1)[1]):
            fsspec = _fsspec()
            if fsspec is None:
                return [], [unreadable(item, "a URL glob needs fsspec (pip install fsspec)")]
            fs, pattern = fsspec.core.url_to_fs(item)
            protocol = item.split("://", 1)[0]
            found = [f"{protocol}://{p}" for p in sorted(fs.glob(pattern))]
            return found, [] if found else [unreadable(item, "no bundle matches this pattern")]
        return [item], []
    path = Path(item).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    if _GLOB.search(item):
        found = sorted(glob.glob(str(path)))
        return [os.path.abspath(p) for p in found], [] if found else [
            unreadable(item, "no bundle matches this pattern")
        ]
    if not path.exists():
        return [], [unreadable(item, "no such file or folder")]
    return [os.path.abspath(path)], []


def unreadable(source: str, error: str) -> dict:
    return {
        "source_path": source,
        "bundle_name": stem(source),
        "status": "failed",
        "error": error,
        "outcome": "failed",
    }


def _fsspec():
    try:
        import fsspec
    except ImportError:  # pragma: no cover - fsspec comes with dask
        return None
    return fsspec


def stem(source: str) -> str:
    name = source.rstrip("/").rsplit("/", 1)[-1] or "bundle"
    return _ARCHIVE.sub("", name) or name


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:60] or "bundle"


@contextlib.contextmanager
def local_copy(source: str) -> Iterator[str]:
    """A local path for the bundle: the path itself, or a private temporary copy of a URL
    (fsspec; the copy keeps the bundle's file name, which names the bundle)."""
    if not _is_url(source):
        yield source
        return
    fsspec = _fsspec()
    if fsspec is None:
        raise RuntimeError("reading a URL needs fsspec (pip install fsspec)")
    fs, remote = fsspec.core.url_to_fs(source)
    folder = tempfile.mkdtemp(prefix="forensics-fleet-")
    try:
        target = os.path.join(folder, stem(source) if fs.isdir(remote) else source.rstrip("/").rsplit("/", 1)[-1])
        fs.get(remote, target, recursive=fs.isdir(remote))
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)
