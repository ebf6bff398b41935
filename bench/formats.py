"""Each log format the parsers read, made from the same controller lines, parsed alone.

    python bench/formats.py                 # 400,000 lines of the base bundle's log in every format
    python bench/formats.py --lines 100000  # fewer
    python bench/formats.py --reference     # beside each, the reference path alone (no engine, no slices)

The lines are the first LINES of the helm-controller log of `bench/run.py`'s base bundle
(made first when missing), written as each tool writes them: zap JSON as it is, CRI and
`kubectl logs --timestamps` prefixes, stern's `-A` prefix, Loki's `logcli query -o jsonl`
entries, `kubectl cluster-info dump`'s logs.txt, `flux logs`, zap's console encoder,
helm-operator's logfmt; and the zap JSON log with one line ending in a carriage return
(declined.log: the engine declines it, the reference reads it). Each file is parsed in a child process as the bundle reader hands it
over (`parsers.parse_member`: unread when bigger than a folder file read whole); wall time,
CPU and peak memory from that child. Files go to bench/data/formats-LINES/ (git-ignored).
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
from pathlib import Path

from run import DATA, PY, SHAPES, machine, measure, shape_bundle

POD = "helm-controller-7f9c8d5b6-k4m2p"

CHILD = """
import os, sys, time
from forensics.bundle.archives import unread
from parsers import _logs_slices, _logs_stream, parse_member
from parsers._base import FileData
path, reference = sys.argv[1], sys.argv[2] == "1"
if reference:
    _logs_stream.MIN_BYTES = _logs_slices.SLICE_BYTES = 1 << 62
size = os.path.getsize(path)
data = FileData(path, size) if unread(os.path.basename(path), size) else open(path, "rb").read()
result = parse_member(os.path.basename(path), data)
print(result.parser, sum(df.height for df in result.frames.values()), result.problem_count())
"""


def _record(line: str) -> dict | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _writers(line: str, stamp: str, record: dict | None) -> dict[str, str]:
    """The line in each format (a line that is no record stays as it is where the format
    would carry it as text)."""
    out = {
        "manager.log": line,
        "0.log": f"{stamp} stderr F {line}",
        "timestamps.log": f"{stamp} {line}",
        "stern.log": f"flux-system {POD} manager {line}",
        "logcli.jsonl": json.dumps(
            {
                "labels": {"container": "manager", "namespace": "flux-system", "pod": POD},
                "line": line,
                "timestamp": stamp,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ),
        "logs.txt": line,
    }
    if record is None:
        return {**out, "flux-logs.txt": line, "console.log": line, "helm-operator.log": line}
    name, namespace = record.get("name"), record.get("namespace")
    kind = record.get("controllerKind", "HelmRelease")
    context = {key: value for key, value in record.items() if key not in ("ts", "level", "msg", "logger")}
    message = str(record.get("msg", "")).replace('"', '\\"')
    return {
        **out,
        "flux-logs.txt": f"{stamp} {record.get('level', 'info')} {kind}{f'/{name}.{namespace}' if name else ''} - "
        f"{record.get('msg', '')} {record.get('error', '')}",
        "console.log": f"{stamp}\t{str(record.get('level', 'info')).upper()}\t{record.get('msg', '')}\t"
        + json.dumps(context, ensure_ascii=False),
        "helm-operator.log": f"ts={stamp} caller=release.go:85 component=release release={name} "
        f'targetNamespace={namespace} resource={namespace}:helmrelease/{name} msg="{message}"',
    }


def make(lines: int) -> Path:
    folder = DATA / f"formats-{lines}"
    done = folder / "done.json"
    if done.exists():
        _declined(folder)
        return folder
    root, _ = shape_bundle("base", 2_000_000, SHAPES["base"][0])
    (log,) = root.glob(f"cluster-resources/pods/logs/flux-system/{POD}/manager.log")
    print(f"writing {lines} lines in every format ...", file=sys.stderr)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    try:
        with log.open(encoding="utf-8") as source:
            for line in itertools.islice(source, lines):
                line = line.rstrip("\n")
                record = _record(line)
                stamp = str(record.get("ts")) if record and record.get("ts") else "2024-03-10T00:00:00.000Z"
                for name, text in _writers(line, stamp, record).items():
                    if name not in files:
                        files[name] = (folder / name).open("w", encoding="utf-8")
                        if name == "logs.txt":
                            files[name].write(f"==== START logs for container manager of pod flux-system/{POD} ====\n")
                    files[name].write(text + "\n")
        files["logs.txt"].write(f"==== END logs for container manager of pod flux-system/{POD} ====\n")
    finally:
        for handle in files.values():
            handle.close()
    _declined(folder)
    done.write_text(json.dumps({"lines": lines}) + "\n")
    return folder


def _declined(folder: Path) -> None:
    """declined.log: manager.log with a carriage return before its 1,000th newline."""
    path = folder / "declined.log"
    if not path.exists():
        data = (folder / "manager.log").read_bytes()
        cut = -1
        for _ in range(1000):
            cut = data.index(b"\n", cut + 1)
        path.write_bytes(data[:cut] + b"\r" + data[cut:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=400_000, help="controller lines in each format (default 400,000)")
    parser.add_argument("--reference", action="store_true", help="also measure the reference path alone")
    args = parser.parse_args(argv)
    folder = make(args.lines)
    print(f"machine: {machine()}\n")
    print("| file | parser | MB | path | wall s | CPU s | MB/s | peak MB | rows | problems |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for path in sorted(p for p in folder.iterdir() if p.name != "done.json"):
        size = path.stat().st_size / 1e6
        for reference in (False, True) if args.reference else (False,):
            m = measure([PY, "-c", CHILD, str(path), "1" if reference else "0"], stdout=subprocess.PIPE)
            if m["rc"]:
                print(f"| {path.name} | failed: {m['stderr'][-300:]} |")
                continue
            name, rows, problems = m["stdout"].split()
            print(
                f"| {path.name} | {name} | {size:.0f} | {'reference' if reference else 'as shipped'} | "
                f"{m['seconds']:.2f} | {m['cpu']:.2f} | {size / m['seconds']:.1f} | {m['peak_mb']:.0f} | {rows} | {problems} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
