"""A hostile-bundle corpus, generated (never committed as binaries).

Each `build_*` function writes one hostile input under a folder and returns its path. Every
bundle also holds one good controller log (`GOOD_LOG`), so a case can show that the rest of
the bundle is still analysed (its records counted) next to the problem it reports.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, settings

# The property tests' profiles (tests/hostile/test_*.py): `ci` by default, `long` on demand.
settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long",
    max_examples=2000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

RECORD = {
    "level": "info",
    "ts": "2024-01-15T09:02:41.127Z",
    "logger": "helm-controller",
    "msg": "release in-sync with desired state",
    "controller": "helmrelease",
    "controllerKind": "HelmRelease",
    "HelmRelease": {"name": "web", "namespace": "apps"},
    "namespace": "apps",
    "name": "web",
    "reconcileID": "0b6e0c8e-3d7c-4bd9-a4b1-6b2f1e6c3a11",
}
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


def tar(path: Path, entries: list[tuple], compression: str = "gz", level: int = 1) -> Path:
    """entries: (name, kind, payload) with kind file | symlink | hardlink | fifo | chr | blk | zeros."""
    mode = f"w:{compression}" if compression else "w"
    with tarfile.open(path, mode, **({"compresslevel": level} if compression == "gz" else {})) as archive:
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
        info.external_attr = 0o120777 << 16
        archive.writestr(info, target)
    return path


def zip_bomb(path: Path, size: int = 40 * MIB) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(GOOD, GOOD_LOG)
        with archive.open(
            "cluster-resources/pods/logs/flux-system/helm-controller-1/bomb.log", "w", force_zip64=True
        ) as out:
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
    lines = [
        "apiVersion: helm.toolkit.fluxcd.io/v2beta2",
        f"kind: {kind}",
        "metadata: {name: lol, namespace: apps}",
        "x:",
        '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
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


# --- secrets of every shape -------------------------------------------------------------------
# Each shape: (name, a function of a random body -> (text holding a secret, the fragments of
# it that must not reach any output)). Token prefixes are assembled at run time, so that this
# file holds no string that looks like a credential. The bodies are letters and digits.


def _tail(body: str, size: int, alphabet: str = "") -> str:
    """`body` stretched or cut to `size` characters (of `alphabet` when given)."""
    text = (body * (size // max(len(body), 1) + 1))[:size]
    return "".join(alphabet[ord(c) % len(alphabet)] for c in text) if alphabet else text


HEX = "0123456789abcdef"
SECRET_SHAPES = [
    ("bearer", lambda s: (f"Authorization: Bearer {s}", [s])),
    ("url-password", lambda s: (f"failed to clone https://deploy:{s}@git.example.com/org/repo.git", [s])),
    ("url-empty-user", lambda s: (f"dial redis://:{s}@redis.apps:6379/0 failed", [s])),
    (
        "url-password-slash",
        lambda s: (f"GET https://robot:{s[:4]}/{s[4:]}@registry.example.com/v2/ 401", [s[:4] + "/", s[4:]]),
    ),
    (
        "url-password-at",
        lambda s: (f"pull https://robot:{s[:4]}@{s[4:]}@registry.example.com/v2/ failed", [s[:4] + "@", s[4:]]),
    ),
    ("mysql-dsn", lambda s: (f"open app:{s}@tcp(mysql.apps:3306)/app?parseTime=true: refused", [s])),
    ("password-flag", lambda s: (f"exec helm registry login --username robot --password {s} ghcr.io", [s])),
    ("token-flag", lambda s: (f"args: [--token={s} --verbose]", [s])),
    (
        "docker-auth",
        lambda s: (
            '{"auths":{"ghcr.io":{"auth":"' + base64.b64encode(f"robot:{s}".encode()).decode() + '"}}}',
            [base64.b64encode(f"robot:{s}".encode()).decode()],
        ),
    ),
    ("gitlab-deploy-token", lambda s: (f"clone with {'gl' + 'dt-'}{_tail(s, 20)} failed", [_tail(s, 20)])),
    ("gitlab-runner-token", lambda s: (f"runner {'gl' + 'rt-'}{_tail(s, 20)} registered", [_tail(s, 20)])),
    ("google-api-key", lambda s: (f"maps key {'AI' + 'za'}{_tail(s, 35)} rejected", [_tail(s, 35)])),
    ("stripe-live-key", lambda s: (f"stripe key {'sk_' + 'live_'}{_tail(s, 24)}", [_tail(s, 24)])),
    ("vault-token", lambda s: (f"vault login {'hv' + 's.'}{_tail(s, 90)}", [_tail(s, 90)])),
    ("npm-token", lambda s: (f"//registry.npmjs.org/:_authToken={'np' + 'm_'}{_tail(s, 36)}", [_tail(s, 36)])),
    (
        "sendgrid-key",
        lambda s: (f"SENDGRID={'S' + 'G.'}{_tail(s, 22)}.{_tail(s[::-1], 43)}", [_tail(s, 22), _tail(s[::-1], 43)]),
    ),
    ("json-pass", lambda s: (f'{{"user":"robot","pass":"{s}"}}', [s])),
    ("pwd-pair", lambda s: (f"Server=db;Uid=app;Pwd={s};", [s])),
    ("cookie", lambda s: (f"request header Cookie: session={s}; theme=dark", [s])),
    (
        "slack-app-token",
        lambda s: (
            f"socket mode {'xa' + 'pp-'}1-A0{_tail(s, 9).upper()}-1234567890123-{_tail(s, 64, HEX)}",
            [_tail(s, 64, HEX)],
        ),
    ),
    (
        "discord-webhook",
        lambda s: (f"notify https://discord.com/api/webhooks/123456789012345678/{_tail(s, 68)} failed", [_tail(s, 68)]),
    ),
    (
        "azure-sas",
        lambda s: (
            f"GET https://acct.blob.core.windows.net/charts/index.yaml?sv=2022-11-02&sr=b&sig={s}%3D&se=2030-01-01 403",
            [s],
        ),
    ),
    ("password-pair", lambda s: (f"db connect password={s} failed", [s])),
    ("token-yaml", lambda s: (f"token: {s}", [s])),
    ("api-key-json", lambda s: (f'"apiKey": "{s}"', [s])),
    ("quoted-two-words", lambda s: (f'password: "{s[:5]} {s[5:]}"', [s[:5], s[5:]])),
    ("private-key", lambda s: (f"-----BEGIN OPENSSH PRIVATE KEY-----\n{s}\n-----END OPENSSH PRIVATE KEY-----", [s])),
    ("client-secret", lambda s: (f"client_secret={s}&grant_type=client_credentials", [s])),
    ("aws-key-id", lambda s: (f"invalid AWS key {'AK' + 'IA'}{_tail(s, 16).upper()}", [_tail(s, 16).upper()])),
]


def all_outputs(bundle: Path, out: Path, release: str, code: int) -> dict[str, str]:
    """Every output of the CLI for `bundle`, as text by name: the HTML, JSON and Markdown
    reports, the terminal triage table, `release`'s timeline and the inventory, the
    Timesketch JSONL and CSV exports and every Parquet frame (`code`: analyze's exit code)."""
    import polars as pl
    from click.testing import CliRunner

    from forensics.cli import main

    runner = CliRunner()
    texts: dict[str, str] = {}
    for fmt in ("html", "json", "md"):
        result = runner.invoke(main, ["analyze", str(bundle), "-f", fmt, "-o", str(out / f"report.{fmt}")])
        assert result.exit_code == code, result.output
        texts[fmt] = (out / f"report.{fmt}").read_text()
    texts["terminal"] = runner.invoke(main, ["analyze", str(bundle), "-f", "terminal"], env={"COLUMNS": "400"}).output
    timeline = runner.invoke(
        main, ["timeline", str(bundle), "--release", release, "--limit", "1000"], env={"COLUMNS": "400"}
    )
    assert timeline.exit_code == 0, timeline.output
    texts["terminal timeline"] = timeline.output
    inventory = runner.invoke(main, ["inventory", str(bundle)])
    assert inventory.exit_code == 0
    texts["inventory"] = inventory.output
    export = runner.invoke(
        main, ["export", str(bundle), "--timesketch", str(out / "t.jsonl"), "--parquet", str(out / "pq")]
    )
    assert export.exit_code == 0, export.output
    assert runner.invoke(main, ["export", str(bundle), "--timesketch", str(out / "t.csv")]).exit_code == 0
    texts["timesketch jsonl"] = (out / "t.jsonl").read_text()
    texts["timesketch csv"] = (out / "t.csv").read_text()
    for parquet in sorted((out / "pq").glob("*.parquet")):
        df = pl.read_parquet(parquet)
        texts[f"parquet {parquet.stem}"] = "\n".join(str(v) for c in df.columns for v in df[c].to_list())
    return texts


def sparse_tar(path: Path, name: str, size: int, data: bytes = b"hello\n") -> Path:
    """An uncompressed tar whose one member is a GNU sparse file of `size` bytes storing only
    `data` (the old GNU format: the sparse map and the real size in the header)."""
    info = tarfile.TarInfo(name)
    info.type = tarfile.GNUTYPE_SPARSE
    info.size = len(data)  # what the archive stores
    header = bytearray(info.tobuf(format=tarfile.GNU_FORMAT))
    header[386:398] = b"%011o\0" % 0  # one sparse block: `data` at offset 0
    header[398:410] = b"%011o\0" % len(data)
    header[483:495] = b"%011o\0" % size  # the real size
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    padding = bytes(-len(data) % 512)
    path.write_bytes(bytes(header) + data + padding + _tar_member(GOOD, GOOD_LOG) + bytes(1024))
    return path


def _tar_member(name: str, payload: bytes) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    return info.tobuf(format=tarfile.GNU_FORMAT) + payload + bytes(-len(payload) % 512)


def zip_salvage_bomb(path: Path, size: int = 40 * MIB) -> Path:
    """A zip bomb whose central directory is cut off and whose local header gives no sizes (a
    data descriptor's), so that only the recovery path reads it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(GOOD, GOOD_LOG)
        archive.writestr("cluster-resources/pods/logs/flux-system/helm-controller-1/bomb.log", bytes(size))
    data = bytearray(buffer.getvalue()[: buffer.getvalue().find(b"PK\x01\x02")])
    at = data.find(b"PK\x03\x04", 4)  # the bomb's local header
    data[at + 6] |= 0x08  # sizes in a data descriptor
    data[at + 18 : at + 26] = bytes(8)  # compressed and uncompressed size: unknown
    path.write_bytes(bytes(data))
    return path
