"""A hostile-bundle corpus, generated (never committed as binaries).

Each `build_*` function writes one hostile input under a folder and returns its path. Every
bundle also holds one good controller log (`GOOD_LOG`), so a case can show that the rest of
the bundle is still analysed (its records counted) next to the problem it reports.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

RECORD = {"level": "info", "ts": "2024-01-15T09:02:41.127Z", "logger": "helm-controller", "msg": "release in-sync with desired state",
          "controller": "helmrelease", "controllerKind": "HelmRelease", "HelmRelease": {"name": "web", "namespace": "apps"},
          "namespace": "apps", "name": "web", "reconcileID": "0b6e0c8e-3d7c-4bd9-a4b1-6b2f1e6c3a11"}
LINE = json.dumps(RECORD, separators=(",", ":")).encode() + b"\n"
GOOD_LOG = LINE * 3
GOOD = "cluster-resources/pods/logs/flux-system/helm-controller-1/manager.log"
MIB = 1024**2


class Zeros(io.RawIOBase):
    """`size` zero bytes, streamed (a bomb's payload without holding it in memory)."""

    def __init__(self, size: int):
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = min(len(buffer), self.left)
        buffer[:size] = bytes(size)
        self.left -= size
        return size


def tar(path: Path, entries: list[tuple], compression: str = "gz") -> Path:
    """entries: (name, kind, payload) with kind file | symlink | hardlink | fifo | chr | blk | zeros."""
    mode = f"w:{compression}" if compression else "w"
    with tarfile.open(path, mode, **({"compresslevel": 1} if compression == "gz" else {})) as archive:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                archive.addfile(info, io.BytesIO(payload))
            elif kind == "zeros":
                info.size = payload
                archive.addfile(info, io.BufferedReader(Zeros(payload)))
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, payload
                archive.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, payload
                archive.addfile(info)
            else:
                info.type = {"fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE, "blk": tarfile.BLKTYPE}[kind]
                archive.addfile(info)
    return path


def zip_(path: Path, entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, payload in entries:
            archive.writestr(zipfile.ZipInfo(name) if name.startswith(("/", "..")) else name, payload)
    return path


def zip_symlink(path: Path, name: str, target: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(GOOD, GOOD_LOG)
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, target)
    return path


def zip_bomb(path: Path, size: int = 40 * MIB) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(GOOD, GOOD_LOG)
        with archive.open("cluster-resources/pods/logs/flux-system/helm-controller-1/bomb.log", "w", force_zip64=True) as out:
            chunk = bytes(MIB)
            for _ in range(size // MIB):
                out.write(chunk)
    return path


def gz_member_bomb(folder: Path, size: int = 40 * MIB) -> Path:
    target = folder / "cluster-resources/pods/logs/flux-system/helm-controller-1/manager-previous.log.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(target, "wb", compresslevel=9) as out:
        chunk = bytes(MIB)
        for _ in range(size // MIB):
            out.write(chunk)
    (folder / GOOD).write_bytes(GOOD_LOG)
    return folder


def folder(root: Path, files: dict[str, bytes]) -> Path:
    """A bundle folder with the good log and these files."""
    for name, payload in {GOOD: GOOD_LOG, **files}.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(payload)
    return root


def billion_laughs(kind: str = "HelmRelease") -> bytes:
    lines = ["apiVersion: helm.toolkit.fluxcd.io/v2beta2", f"kind: {kind}", "metadata: {name: lol, namespace: apps}",
             "x:", '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    lines += ["spec:", "  chart: {spec: {chart: *i}}", "  dependsOn: *i"]
    return ("\n".join(lines) + "\n").encode()


def deep_json(depth: int = 100_000) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_json_line(depth: int = 100_000) -> bytes:
    return LINE[:-2] + b',"x":' + b"[" * depth + b"]" * depth + b"}\n"


def long_line(size: int = 5 * MIB) -> bytes:
    return LINE[:-2] + b',"blob":"' + b"x" * size + b'"}\n'
