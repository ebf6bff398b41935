#!/usr/bin/env python3
"""Deterministic generator of large, realistic troubleshoot.sh bundles for the benchmark.

    python bench/generate.py --lines 2000000             # the full bundle (~700 MB of logs)
    python bench/generate.py --lines 2500 --events 250 --releases 30 --out bench/data/small

Layout (as samples/upgrade-2.1-to-2.2/, ECO 1a): `<out>/support-bundle-<time>/` with
version.yaml, cluster-resources/{namespaces.json, pods/flux-system.json,
deployments/flux-system.json, events/<ns>.json (EventList), custom-resources/
helmreleases.helm.toolkit.fluxcd.io/<ns>.json (bare JSON arrays, `.yaml` symlink twins),
pods/logs/flux-system/<pod>/manager[-previous].log} and the logs collector's
helm-controller/<pod>/*.log symlinks.

Story: helm-controller v0.37.4 (previous container) upgraded in place to v1.0.1 (current
container); `--releases` HelmReleases (v2 status shape: history with appVersion, managed
fields) reconciled every 10m; zap JSON logs with `--noise` non-JSON lines (klog lines of
client-go, records cut short at a rotation) and Go stack traces after some errors;
`--events` core/v1 Events (helm-controller and kubelet) spread over the namespaces.
Planted problems (when there are at least 10 releases; printed in `<out>/truth.json`):
a drift-correction loop (DR001), a release stuck in pending-upgrade (HR008), an upgrade
timeout (HR005), a false dependency block (DP001) and a failed install (HR001).

Standard library only; one seeded random.Random, so reruns are byte-identical. The
strings are the ones of samples/generate.py (reference/helm-controller.md).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tarfile
import time
from pathlib import Path

from gen_base import COLLECTED, HC_POD, NS, REPOS, TOP
from gen_events import EventWriter
from gen_logs import LogWriter
from gen_objects import ObjectWriter

HERE = Path(__file__).resolve().parent


class Gen(LogWriter, EventWriter, ObjectWriter):
    """One bundle: its releases and planted problems (here), its logs, Events and objects (the parts)."""

    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.out = Path(args.out)
        self.root = self.out / TOP
        self.truth: dict[str, dict] = {}
        n = args.releases
        self.namespaces = [f"team-{i:02d}" for i in range(args.namespaces or max(3, (n + 99) // 100))]
        self.releases = []
        for i in range(n):
            ns = self.namespaces[i % len(self.namespaces)]
            self.releases.append(
                {
                    "i": i,
                    "ns": ns,
                    "name": f"svc-{i:04d}",
                    "repo": REPOS[i % len(REPOS)],
                    "ver": f"{1 + i % 4}.{i % 17}.{i % 7}",
                    "deps": None,
                    "uid": self.uuid(),
                    "label": None,
                }
            )
        # 10% of the releases depend on the release before them in the same namespace
        for r in self.releases:
            if r["i"] % 10 == 7 and r["i"] >= len(self.namespaces):
                r["deps"] = self.releases[r["i"] - len(self.namespaces)]
        self.planted = {}
        if n >= 10:
            self.planted = {
                "drift": self.releases[1],
                "stuck": self.releases[2],
                "timeout": self.releases[3],
                "dep_ok": self.releases[4],
                "dep_stale": self.releases[4 + len(self.namespaces)]
                if n > 4 + len(self.namespaces)
                else self.releases[5],
                "install": self.releases[6],
            }
            self.planted["dep_stale"]["deps"] = self.planted["dep_ok"]
            for label, key in (
                ("drift", "drift"),
                ("stuck-pending", "stuck"),
                ("timeout", "timeout"),
                ("dependency-stale", "dep_stale"),
                ("install-failed", "install"),
            ):
                self.planted[key]["label"] = label
        self.span = args.hours * 3600 * NS
        self.start = COLLECTED - self.span
        self.upgrade = self.start + self.span * 15 // 100  # previous container: 15% of the window

    def run(self) -> dict:
        shutil.rmtree(self.out, ignore_errors=True)
        self.root.mkdir(parents=True)
        began = time.perf_counter()
        self.write_workloads()
        counts = self.write_logs()
        events = self.write_events()
        self.write_releases()
        size = sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file() and not p.is_symlink())
        log_bytes = sum(
            (self.root / "cluster-resources/pods/logs/flux-system" / HC_POD / f).stat().st_size
            for f in ("manager.log", "manager-previous.log")
        )
        truth = {
            "bundle": str(self.root),
            "args": vars(self.args),
            "log_lines": counts[False] + counts[True],
            "log_bytes": log_bytes,
            "bytes": size,
            "events": events,
            "releases": len(self.releases),
            "planted": {f"{r['ns']}/{r['name']}": r["label"] for r in self.releases if r["label"]},
            "seconds": round(time.perf_counter() - began, 1),
        }
        if self.args.tar:
            archive = self.out / "bundle.tar.gz"
            with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
                tar.add(self.root, arcname=TOP)
            truth["tar_bytes"] = archive.stat().st_size
        (self.out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
        return truth

    def write_hr_yaml(self, path: Path) -> int:
        """`kubectl get hr -A -o yaml`: a `List` of the HelmReleases, as kubectl writes it."""
        lines = ["apiVersion: v1", "items:"]
        for r in self.releases:
            lines += yaml_lines(self.helmrelease(r), 0, first="- ")
        lines += ["kind: List", "metadata:", '  resourceVersion: ""']
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path.stat().st_size


# Plain scalars as go-yaml (sigs.k8s.io/yaml) leaves them unquoted: words, paths, images, versions.
_PLAIN = re.compile(
    r"[A-Za-z/_][\w./@()+=\-]*(?: [\w./@()+=,'\-]+)*|\d+(?:\.\d+){2,}[\w.+\-]*|\d+[smh][\dsmh.]*|[fkv]:.*|\."
)
_RESOLVING = {
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "null",
    "Null",
    "NULL",
    "~",
}


def yaml_scalar(value) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if _PLAIN.fullmatch(value) and value not in _RESOLVING and ": " not in value and " #" not in value:
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def yaml_lines(value, indent: int, first: str = "") -> list[str]:
    """The block YAML of a JSON value, keys sorted, sequences not indented under their key
    (go-yaml's layout); `first` prefixes the first line (`- ` of a sequence item)."""
    pad = " " * indent
    lead = pad + first
    rest = " " * (indent + len(first))
    if isinstance(value, dict) and value:
        out = []
        for i, key in enumerate(sorted(value)):
            prefix = lead if i == 0 else rest
            child = value[key]
            name = yaml_scalar(key)
            if isinstance(child, dict) and child:
                out.append(f"{prefix}{name}:")
                out += yaml_lines(child, len(rest) + 2)
            elif isinstance(child, list) and child:
                out.append(f"{prefix}{name}:")
                for item in child:
                    out += yaml_lines(item, len(rest), first="- ")
            elif _literal(child):  # go-yaml writes a text of several lines as a literal block
                out.append(f"{prefix}{name}: |-")
                out += [" " * (len(rest) + 2) + line if line else "" for line in child.split("\n")]
            else:
                out.append(f"{prefix}{name}: {yaml_inline(child)}")
        return out
    if isinstance(value, list) and value:
        out = []
        for i, item in enumerate(value):
            out += yaml_lines(item, len(rest) if i else indent, first="- " if i == 0 and not first else "- ")
        return out
    return [lead + yaml_inline(value)]


def _literal(value) -> bool:
    """A string go-yaml writes as a literal block (`|-`): several lines, none with spaces at
    either end, no line break at its end."""
    return (
        isinstance(value, str)
        and "\n" in value
        and not value.endswith("\n")
        and all(line == line.strip(" ") for line in value.split("\n"))
    )


def yaml_inline(value) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, str) and "\n" in value:
        return json.dumps(value, ensure_ascii=False)
    return yaml_scalar(value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lines", type=int, default=2_000_000, help="physical log lines in all (default 2,000,000: ~700 MB)"
    )
    parser.add_argument("--events", type=int, help="Event objects (default: lines / 10, at most 200,000)")
    parser.add_argument("--releases", type=int, help="HelmReleases (default: lines / 666, 30 to 3,000)")
    parser.add_argument("--noise", type=float, default=0.02, help="share of non-JSON noise lines (default 0.02)")
    parser.add_argument("--hours", type=int, default=72, help="time span of the logs (default 72)")
    parser.add_argument("--seed", type=int, default=20240312)
    parser.add_argument(
        "--namespaces", type=int, help="namespaces (EventLists, HelmRelease files; default: releases / 100, at least 3)"
    )
    parser.add_argument(
        "--debug",
        type=float,
        default=0.0,
        help="share of reconciles logged at debug level (two more lines each; default 0)",
    )
    parser.add_argument(
        "--blank-share", type=float, default=0.0, help="share of the noise lines that are blank (default 0)"
    )
    parser.add_argument(
        "--wrap",
        choices=("none", "cri", "timestamps"),
        default="none",
        help="log lines as written (none), in CRI files, or with the kubelet `--timestamps` prefix",
    )
    parser.add_argument(
        "--tar", action="store_true", help="also write <out>/bundle.tar.gz of the bundle (gzip level 1)"
    )
    parser.add_argument(
        "--hr-yaml",
        type=int,
        metavar="N",
        help="instead of a bundle: <out>/helmreleases.yaml, `kubectl get hr -A -o yaml` of N HelmReleases",
    )
    parser.add_argument("--out", help="output folder (default bench/data/<lines>); the bundle is <out>/" + TOP)
    args = parser.parse_args(argv)
    if args.events is None:
        args.events = min(200_000, max(50, args.lines // 10))
    if args.releases is None:
        args.releases = min(3000, max(30, args.lines // 666))
    args.out = args.out or str(HERE / "data" / f"lines-{args.lines}")
    if args.hr_yaml:
        args.releases = args.hr_yaml
        gen = Gen(args)
        gen.fail_times = {}
        size = gen.write_hr_yaml(Path(args.out) / "helmreleases.yaml")
        print(json.dumps({"file": str(Path(args.out) / "helmreleases.yaml"), "bytes": size, "releases": args.hr_yaml}))
        return 0
    truth = Gen(args).run()
    print(json.dumps({k: v for k, v in truth.items() if k != "args"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
