#!/usr/bin/env python3
"""Benchmark of `forensics fleet` over many small generated bundles.

    .venv/bin/python bench/fleet.py                 # 250, 500 and 1000 bundles, --workers = cores
    .venv/bin/python bench/fleet.py --sizes 50 --workers 2

Bundles: variants of samples/upgrade-2.1-to-2.2.tar.gz (releases renamed per bundle, so the
fleet has several charts and content hashes) plus a source-controller log that brings each
to about 1 MB of content (.tar.gz, ~0.1 MB on disk); one bundle in 100 is a corrupt archive.
They are generated once into bench/fleet-data/ (git-ignored) and reused.

For each size, a fresh output folder and one `forensics fleet` process (the real command, with
its worker pool); prints bundles per second and the peak resident memory of the whole process
tree (the command and its workers, sampled every 50 ms with psutil), the CPU seconds per bundle
of that tree and what they give on idle cores (the machine may be shared: the load average is
printed too), then the time of a re-run of the largest size (every bundle skipped by its hash).
Target on a 2-core machine: >= 10 bundles/s, memory flat in the number of bundles.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "upgrade-2.1-to-2.2.tar.gz"
DATA = ROOT / "bench" / "fleet-data"
GENERATOR = "fleet-bench-1"  # change when the bundles change, to regenerate them
PAD_BYTES = 700_000
RENAMES = ((b"frontend", 3), (b"backend", 2), (b"redis", 5))


def _sample_members() -> list[tuple[tarfile.TarInfo, bytes | None]]:
    with tarfile.open(SAMPLE) as source:
        return [(m, source.extractfile(m).read() if m.isfile() else None) for m in source.getmembers()]


def _source_controller_log(seed: int, size: int) -> bytes:
    """A source-controller zap JSON log of about `size` bytes (HelmRepository reconciles)."""
    rng = random.Random(seed)
    lines, total, second = [], 0, 0
    while total < size:
        second += rng.randint(1, 5)
        ts = f"2024-01-15T{7 + second // 3600 % 3:02d}:{second // 60 % 60:02d}:{second % 60:02d}.{rng.randint(0, 999):03d}Z"
        repo = rng.choice(("podinfo", "bitnami", "jetstack", "acme-charts", "grafana", "ingress-nginx"))
        record = {
            "level": "info",
            "ts": ts,
            "msg": f"no changes since last reconcilation: observed revision 'sha256:{rng.getrandbits(256):064x}'",
            "controller": "helmrepository",
            "controllerGroup": "source.toolkit.fluxcd.io",
            "controllerKind": "HelmRepository",
            "HelmRepository": {"name": repo, "namespace": "flux-system"},
            "namespace": "flux-system",
            "name": repo,
            "reconcileID": f"{rng.getrandbits(128):032x}",
        }
        line = json.dumps(record, separators=(",", ":")) + "\n"
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()


def corrupt(i: int) -> bool:
    """Bundle number `i` is a corrupt archive (one in 100)."""
    return i % 100 == 99


def make_bundle(i: int, target: Path, members) -> int:
    """Bundle number `i` as a .tar.gz; returns its uncompressed content size."""
    if corrupt(i):
        target.write_bytes(b"\x1f\x8b\x08\x00" + random.Random(i).randbytes(4096))
        return 4096
    content = 0
    top = "support-bundle"
    with tarfile.open(target, "w:gz", compresslevel=6) as out:
        for member, data in members:
            member = copy.copy(member)
            top = member.name.split("/", 1)[0]
            if data is None:
                out.addfile(member)
                continue
            for word, variants in RENAMES:
                data = data.replace(word, word + b"-v%d" % (i % variants))
            member.size = len(data)
            content += len(data)
            out.addfile(member, io.BytesIO(data))
        log = _source_controller_log(i, PAD_BYTES)
        info = tarfile.TarInfo(
            f"{top}/cluster-resources/pods/logs/flux-system/source-controller-6d9f8b7c5-q8w2z/manager.log"
        )
        info.size, info.mtime = len(log), 1705312110
        out.addfile(info, io.BytesIO(log))
        content += len(log)
    return content


def bundles(count: int) -> list[Path]:
    folder = DATA / "bundles"
    stamp = DATA / "generator.json"
    made = json.loads(stamp.read_text()) if stamp.exists() else {}
    paths = [folder / f"cluster-{i:04d}.tar.gz" for i in range(count)]
    if made.get("generator") == GENERATOR and made.get("count", 0) >= count:
        return paths
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    members = _sample_members()
    started = time.perf_counter()
    content = [make_bundle(i, path, members) for i, path in enumerate(paths)]
    on_disk = sum(p.stat().st_size for p in paths)
    stamp.write_text(
        json.dumps({"generator": GENERATOR, "count": count, "content_bytes": sum(content), "disk_bytes": on_disk})
    )
    print(
        f"generated {count} bundles in {time.perf_counter() - started:.0f}s: {sum(content) / count / 1e6:.2f} MB of content "
        f"each on average ({on_disk / count / 1e6:.2f} MB .tar.gz on disk)",
        flush=True,
    )
    return paths


class PeakMemory:
    """The peak resident memory of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.05):
        import psutil

        self.root, self.every, self.peak, self.peak_one, self.cpu = psutil.Process(pid), every, 0, 0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                tree = [self.root] + self.root.children(recursive=True)
                sizes = []
                for process in tree:
                    try:
                        sizes.append(process.memory_info().rss)
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, sum(sizes))
                self.peak_one = max(self.peak_one, max(sizes, default=0))
            except psutil.Error:
                pass
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_fleet(paths: list[Path], out: Path, workers: int | None) -> tuple[float, PeakMemory, str]:
    manifest = out.parent / f"{out.name}.manifest"
    manifest.write_text("".join(f"{p}\n" for p in paths))
    command = [
        str(ROOT / ".venv" / "bin" / "forensics"),
        "fleet",
        "--manifest",
        str(manifest),
        "--out",
        str(out),
        "--fail-on",
        "never",
    ]
    if workers:
        command += ["--workers", str(workers)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    memory = PeakMemory(process.pid)
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    memory.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and its workers, waited for
    memory.cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # exit 2 says that a bundle failed: the planted corrupt archives (one in 100), and no other
    failed = re.search(r"(\d+) failed", output)
    planted = sum(1 for p in paths if corrupt(int(re.search(r"(\d+)", p.name).group(1))))
    if process.returncode not in (0, 2) or (failed is not None and int(failed.group(1)) > planted):
        sys.exit(f"forensics fleet failed ({process.returncode}):\n{output}")
    return seconds, memory, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="250,500,1000", help="comma-separated fleet sizes (default: %(default)s)")
    parser.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    paths = bundles(max(sizes))
    print(f"{os.cpu_count()} cores; forensics fleet --workers {args.workers or os.cpu_count()}", flush=True)
    cores = args.workers or os.cpu_count() or 1
    print(
        f"{'bundles':>8} {'seconds':>8} {'bundles/s':>10} {'peak MB (tree)':>15} {'peak MB (1 process)':>20} "
        f"{'CPU s/bundle':>13} {'bundles/s on idle cores':>24} {'load avg':>9}",
        flush=True,
    )
    out = None
    for size in sizes:
        out = DATA / f"out-{size}"
        shutil.rmtree(out, ignore_errors=True)
        load = os.getloadavg()[0]
        seconds, memory, output = run_fleet(paths[:size], out, args.workers)
        per = memory.cpu / size
        load = max(load, os.getloadavg()[0])
        print(
            f"{size:>8} {seconds:>8.1f} {size / seconds:>10.1f} {memory.peak / 2**20:>15.0f} {memory.peak_one / 2**20:>20.0f} "
            f"{per:>13.3f} {min(cores, os.cpu_count() or 1) / per:>24.1f} {load:>9.1f}",
            flush=True,
        )
        last = [line for line in output.splitlines() if " bundles in " in line]
        print(f"         {last[-1].strip() if last else output.strip()[-200:]}", flush=True)
    seconds, memory, output = run_fleet(paths[: sizes[-1]], out, args.workers)
    print(
        f"re-run of {sizes[-1]} (all skipped): {seconds:.1f}s, {sizes[-1] / seconds:.0f} bundles/s, peak {memory.peak / 2**20:.0f} MB",
        flush=True,
    )


if __name__ == "__main__":
    main()
