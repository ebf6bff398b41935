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
import hashlib
import json
import os
import random
import re
import shutil
import sys
import tarfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
NS = 1_000_000_000
COLLECTED = int(datetime(2024, 3, 12, 10, 0, 0, tzinfo=timezone.utc).timestamp()) * NS
TOP = "support-bundle-2024-03-12T10_00_00"
HC_POD = "helm-controller-7f9c8d5b6-k4m2p"
OLD_IMAGE = "ghcr.io/fluxcd/helm-controller:v0.37.4"
NEW_IMAGE = "ghcr.io/fluxcd/helm-controller:v1.0.1"
REPOS = ("charts", "bitnami", "jetstack", "grafana", "prometheus-community", "acme-charts")

KLOG = (
    "E{md} {hms}.{us:06d}       1 reflector.go:147] k8s.io/client-go@v0.29.2/tools/cache/reflector.go:229: Failed to watch *v1.Secret: the server has asked for the client to provide credentials",
    'W{md} {hms}.{us:06d}       1 reflector.go:539] k8s.io/client-go@v0.29.2/tools/cache/reflector.go:229: watch of *v2.HelmRelease ended with: an error on the server ("unable to decode an event from the watch stream: http2: client connection lost") has prevented the request from succeeding',
    "I{md} {hms}.{us:06d}       1 leaderelection.go:250] attempting to acquire leader lease flux-system/helm-controller-leader-election...",
    'E{md} {hms}.{us:06d}       1 leaderelection.go:332] error retrieving resource lock flux-system/helm-controller-leader-election: Get "https://10.96.0.1:443/apis/coordination.k8s.io/v1/namespaces/flux-system/leases/helm-controller-leader-election": context deadline exceeded',
)

STACK = (
    "goroutine {g} [running]:",
    "runtime/debug.Stack()",
    "\t/usr/local/go/src/runtime/debug/stack.go:24 +0x5e",
    "sigs.k8s.io/controller-runtime/pkg/log.eventuallyFulfillRoot()",
    "\t/go/pkg/mod/sigs.k8s.io/controller-runtime@v0.17.2/pkg/log/log.go:60 +0xcd",
    "github.com/fluxcd/helm-controller/internal/reconcile.(*AtomicRelease).Reconcile(0xc000a1e2d0, {0x2b1c6e8, 0xc0012f4e10}, 0xc000f3a000)",
    "\t/workspace/internal/reconcile/atomic_release.go:214 +0x6a5",
    "github.com/fluxcd/helm-controller/internal/controller.(*HelmReleaseReconciler).reconcileRelease(0xc0003b2000, {0x2b1c6e8, 0xc0012f4e10}, 0xc000d4c240, 0xc000f3a000)",
    "\t/workspace/internal/controller/helmrelease_controller.go:412 +0x1b25",
    "sigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller).reconcileHandler(0xc000264b40, {0x2b1c720, 0xc0005a2c30}, {0x2403a40, 0xc000b1e040})",
    "\t/go/pkg/mod/sigs.k8s.io/controller-runtime@v0.17.2/pkg/internal/controller/controller.go:316 +0x3c5",
    "created by sigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller).Start.func2.2 in goroutine {p}",
    "\t/go/pkg/mod/sigs.k8s.io/controller-runtime@v0.17.2/pkg/internal/controller/controller.go:223 +0x565",
)


def zap_ts(ns: int) -> str:
    dt = datetime.fromtimestamp(ns // NS, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ns % NS // 1_000_000)


def kubelet_ts(ns: int) -> str:
    """The kubelet's RFC3339Nano prefix of a log line (CRI files, `kubectl logs --timestamps`)."""
    dt = datetime.fromtimestamp(ns // NS, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % (ns % NS)


def rfc3339(ns: int) -> str:
    return datetime.fromtimestamp(ns // NS, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def go_json(obj, sort_keys=False) -> str:
    return json.dumps(obj, indent=2, sort_keys=sort_keys, ensure_ascii=False)


class Gen:
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

    # --- helpers ---------------------------------------------------------------------------
    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex(self, n: int) -> str:
        return "%0*x" % (n, self.rng.getrandbits(4 * n))

    # --- logs ------------------------------------------------------------------------------
    def record(self, ts: int, msg: str, r=None, rid=None, level="info", error=None, logger=None) -> str:
        head = f'{{"level":"{level}","ts":"{zap_ts(ts)}",'
        if logger:
            head += f'"logger":"{logger}",'
        body = f'"msg":{json.dumps(msg)}'
        if r is not None:
            body += (
                f',"controller":"helmrelease","controllerGroup":"helm.toolkit.fluxcd.io","controllerKind":"HelmRelease",'
                f'"HelmRelease":{{"name":"{r["name"]}","namespace":"{r["ns"]}"}},"namespace":"{r["ns"]}","name":"{r["name"]}",'
                f'"reconcileID":"{rid}"'
            )
        if error is not None:
            body += f',"error":{json.dumps(error)}'
        return head + body + "}"

    def chart(self, r) -> str:
        return f"HelmChart/flux-system/{r['ns']}-{r['name']} with SourceRef 'HelmRepository/flux-system/{r['repo']}' is in-sync"

    def reconcile(self, r, ts: int, late: bool) -> list[tuple[int, str]]:
        """One reconcile of `r` starting at ts: [(ts, line)]."""
        rid = self.uuid()
        out, now = [], ts
        add = lambda msg, **kw: out.append((now, self.record(now, msg, r, rid, **kw)))  # noqa: E731
        add(self.chart(r))
        now += self.rng.randrange(5, 40) * 1_000_000
        if (
            self.args.debug and self.rng.random() < self.args.debug
        ):  # --log-level=debug: the atomic release's own lines (v0.37+)
            add("determining current state of Helm release", level="debug")
            now += self.rng.randrange(1, 5) * 1_000_000
            add("determining next Helm action based on current state", level="debug")
            now += self.rng.randrange(1, 5) * 1_000_000
        kind = r["label"]
        if r["deps"] is not None:
            add("checking 1 dependencies")
            now += self.rng.randrange(2, 9) * 1_000_000
            if kind == "dependency-stale" and late:
                dep = f"{r['deps']['ns']}/{r['deps']['name']}"
                add(f"dependencies do not meet ready condition (dependency '{dep}' is not ready): retrying in 30s")
                return out
            add("all dependencies are ready")
            now += self.rng.randrange(5, 15) * 1_000_000
        if kind == "drift" and late:
            add("detected changes in cluster state: removed: 0, changed: 1, excluded: 0")
            now += self.rng.randrange(10, 30) * 1_000_000
            add("running 'correct cluster drift' action with timeout of 5m0s")
            self.drift_times.append(now)
            return out
        if kind == "stuck-pending" and late:
            add("release locked: release with status 'pending-upgrade'")
            now += 100_000_000
            add("running 'unlock' action with timeout of 5m0s")
            now += 300 * NS
            err = f"Unlock of Helm release {r['ns']}/{r['name']}.v5 with chart {r['name']}@{r['ver']} in pending-upgrade state failed: timed out waiting for the condition"
            add("Reconciler error", level="error", error=err)
            self.fail_times.setdefault(r["name"], now)
            return out
        if kind == "timeout" and late:
            add("release out-of-sync with desired state: release chart changed")
            now += 40_000_000
            add("running 'upgrade' action with timeout of 5m0s")
            now += 300 * NS
            err = f"Helm upgrade failed for release {r['ns']}/{r['name']} with chart {r['name']}@{r['ver']}: context deadline exceeded"
            add("Reconciler error", level="error", error=err)
            self.fail_times.setdefault(r["name"], now)
            return out
        if kind == "install-failed" and late:
            add("release not installed: no release in storage for object")
            now += 40_000_000
            add("running 'install' action with timeout of 5m0s")
            now += 12 * NS
            err = f'Helm install failed for release {r["ns"]}/{r["name"]} with chart {r["name"]}@{r["ver"]}: Service "{r["name"]}" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'
            add("Reconciler error", level="error", error=err)
            self.fail_times.setdefault(r["name"], now)
            return out
        if self.rng.random() < 0.02:  # an ordinary upgrade
            add("release out-of-sync with desired state: release config values changed")
            now += 40_000_000
            add("running 'upgrade' action with timeout of 5m0s")
            now += self.rng.randrange(5, 60) * NS
        add("release in-sync with desired state")
        if self.rng.random() < 0.0004:  # a transient error with a stack trace (zap stacktrace on error)
            now += 2_000_000
            err = f'failed to get last release revision: query: failed to query with labels: Get "https://10.96.0.1:443/api/v1/namespaces/{r["ns"]}/secrets?labelSelector=name%3D{r["name"]}%2Cowner%3Dhelm": http2: client connection lost'
            out.append((now, self.record(now, "Reconciler error", r, rid, level="error", error=err)))
            g = self.rng.randrange(100, 9000)
            p = self.rng.randrange(90, 200)
            out += [(now, line.replace("{g}", str(g)).replace("{p}", str(p))) for line in STACK]
        return out

    def noise(self, ts: int, line: str) -> str:
        roll = self.rng.random()
        if roll < self.args.blank_share:
            return ""
        if roll < 0.5:
            dt = datetime.fromtimestamp(ts // NS, timezone.utc)
            return self.rng.choice(KLOG).format(md=dt.strftime("%m%d"), hms=dt.strftime("%H:%M:%S"), us=ts % NS // 1000)
        return line[: self.rng.randrange(20, max(21, len(line) - 5))]  # a record cut short

    def write_logs(self):
        """Both containers' logs, `--lines` physical lines in all, in time order."""
        target = self.args.lines
        releases = self.releases
        per_reconcile = 2.3
        reconciles = max(1, int(target / per_reconcile))
        step = self.span / reconciles
        self.drift_times, self.fail_times = [], {}
        late_from = COLLECTED - 2 * 3600 * NS  # planted problems: the last two hours
        logdir = self.root / "cluster-resources" / "pods" / "logs" / "flux-system" / HC_POD
        logdir.mkdir(parents=True, exist_ok=True)
        files = {
            False: open(logdir / "manager-previous.log", "w", encoding="utf-8"),
            True: open(logdir / "manager.log", "w", encoding="utf-8"),
        }
        wrap = self.args.wrap
        counts = {False: 0, True: 0}
        current = False
        written = 0
        buf: list[str] = []

        def put(text: str, ts: int):
            # the line as the log file holds it: as written, or behind a CRI / kubelet prefix
            if wrap == "cri":
                text = f"{kubelet_ts(ts)} stderr F {text}"
            elif wrap == "timestamps":
                text = f"{kubelet_ts(ts)} {text}"
            buf.append(text)

        def emit(text: str, ts: int):
            nonlocal written
            if self.rng.random() < self.args.noise:
                put(self.noise(ts, text), ts)
                written += 1
            put(text, ts)
            written += 1

        emit(self.record(self.start, "starting manager", logger="setup"), self.start)
        order = list(range(len(releases)))
        k = 0
        now = self.start + NS
        while written < target:
            if not current and now >= self.upgrade:
                files[current].write("\n".join(buf) + "\n")
                counts[current] += len(buf)
                buf = []
                current = True
                emit(self.record(now, "starting manager", logger="setup"), now)
                emit(
                    self.record(
                        now + 2_000_000,
                        "attempting to acquire leader lease flux-system/helm-controller-leader-election...",
                        logger="runtime",
                    ),
                    now,
                )
            if k % len(order) == 0:
                self.rng.shuffle(order)
            r = releases[order[k % len(order)]]
            k += 1
            for ts, text in self.reconcile(r, int(now), now >= late_from):
                if text.startswith("{"):
                    emit(text, ts)
                else:
                    put(text, ts)
                    written += 1
            now += step
            if len(buf) > 50_000:
                files[current].write("\n".join(buf) + "\n")
                counts[current] += len(buf)
                buf = []
        files[current].write("\n".join(buf) + "\n")
        counts[current] += len(buf)
        for f in files.values():
            f.close()
        self.log_end = int(now)
        collector = self.root / "helm-controller" / HC_POD
        collector.mkdir(parents=True, exist_ok=True)
        for name in ("manager.log", "manager-previous.log"):
            (collector / name).symlink_to(os.path.relpath(logdir / name, collector))
        return counts

    # --- events ----------------------------------------------------------------------------
    def event(self, ns, involved, reason, message, etype, component, first, last=None, count=1, annotations=None):
        meta = {
            "name": f"{involved['name']}.{first:x}"[:63],
            "namespace": ns,
            "uid": self.uuid(),
            "resourceVersion": str(50_000_000 + self.rng.randrange(10_000_000)),
            "creationTimestamp": rfc3339(first),
        }
        if annotations:
            meta["annotations"] = dict(sorted(annotations.items()))
        return {
            "metadata": meta,
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": {"component": component}
            if component != "kubelet"
            else {"component": "kubelet", "host": "worker-node-3"},
            "firstTimestamp": rfc3339(first),
            "lastTimestamp": rfc3339(last or first),
            "count": count,
            "type": etype,
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        }

    def hr_involved(self, r):
        return {
            "kind": "HelmRelease",
            "namespace": r["ns"],
            "name": r["name"],
            "uid": r["uid"],
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "resourceVersion": str(40_000_000 + r["i"]),
        }

    def write_events(self):
        n = self.args.events
        by_ns: dict[str, list] = {ns: [] for ns in self.namespaces + ["flux-system"]}
        window = 6 * 3600 * NS
        p = self.planted
        if p:  # the planted problems' events
            r = p["drift"]
            obj = f"Deployment/{r['ns']}/{r['name']}"
            first, last = (
                (min(self.drift_times), max(self.drift_times))
                if self.drift_times
                else (COLLECTED - 3600 * NS, COLLECTED - 60 * NS)
            )
            count = max(3, len(self.drift_times))
            release = f"{r['ns']}/{r['name']}.v4"
            by_ns[r["ns"]].append(
                self.event(
                    r["ns"],
                    self.hr_involved(r),
                    "DriftDetected",
                    f"Cluster state of release {release} has drifted from the desired state:\n{obj} changed (0 additions, 1 changes, 0 removals)",
                    "Warning",
                    "helm-controller",
                    first - NS,
                    last - NS,
                    count,
                )
            )
            by_ns[r["ns"]].append(
                self.event(
                    r["ns"],
                    self.hr_involved(r),
                    "DriftCorrected",
                    f"Cluster state of release {release} has been corrected:\n{obj} configured",
                    "Normal",
                    "helm-controller",
                    first,
                    last,
                    count,
                    {
                        "helm.toolkit.fluxcd.io/revision": r["ver"],
                        "helm.toolkit.fluxcd.io/token": "sha256:" + self.hex(64),
                    },
                )
            )
            r = p["timeout"]
            at = self.fail_times.get(r["name"], COLLECTED - 1800 * NS)
            by_ns[r["ns"]].append(
                self.event(
                    r["ns"],
                    self.hr_involved(r),
                    "UpgradeFailed",
                    f"Helm upgrade failed for release {r['ns']}/{r['name']} with chart {r['name']}@{r['ver']}: context deadline exceeded\n\nLast Helm logs:\n\n"
                    f"{zap_ts(at - 300 * NS)}: beginning wait for 4 resources with timeout of 5m0s\n{zap_ts(at - 2 * NS)}: Deployment is not ready: {r['ns']}/{r['name']}. 0 out of 2 expected pods are ready",
                    "Warning",
                    "helm-controller",
                    at,
                    COLLECTED - 120 * NS,
                    6,
                )
            )
            r = p["stuck"]
            at = self.fail_times.get(r["name"], COLLECTED - 1800 * NS)
            by_ns[r["ns"]].append(
                self.event(
                    r["ns"],
                    self.hr_involved(r),
                    "PendingRelease",
                    f"Unlock of Helm release {r['ns']}/{r['name']}.v5 with chart {r['name']}@{r['ver']} in pending-upgrade state failed: timed out waiting for the condition",
                    "Warning",
                    "helm-controller",
                    at,
                    COLLECTED - 300 * NS,
                    5,
                )
            )
            r = p["install"]
            at = self.fail_times.get(r["name"], COLLECTED - 1800 * NS)
            by_ns[r["ns"]].append(
                self.event(
                    r["ns"],
                    self.hr_involved(r),
                    "InstallFailed",
                    f'Helm install failed for release {r["ns"]}/{r["name"]} with chart {r["name"]}@{r["ver"]}: Service "{r["name"]}" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
                    "Warning",
                    "helm-controller",
                    at,
                    COLLECTED - 200 * NS,
                    4,
                )
            )
        # the controller's own pod: the in-place upgrade
        pod = {
            "kind": "Pod",
            "namespace": "flux-system",
            "name": HC_POD,
            "uid": self.pod_uid,
            "apiVersion": "v1",
            "resourceVersion": "49000000",
            "fieldPath": "spec.containers{manager}",
        }
        for dt, reason, msg in (
            (-2, "Killing", "Container manager definition changed, will be restarted"),
            (-1, "Pulling", f'Pulling image "{NEW_IMAGE}"'),
            (0, "Pulled", f'Successfully pulled image "{NEW_IMAGE}" in 1.212s (1.212s including waiting)'),
            (0, "Created", "Created container manager"),
            (1, "Started", "Started container manager"),
        ):
            by_ns["flux-system"].append(
                self.event("flux-system", dict(pod), reason, msg, "Normal", "kubelet", self.upgrade + dt * NS)
            )
        made = sum(len(v) for v in by_ns.values())
        kubelet = (
            ("Pulled", "Normal", 'Container image "{img}" already present on machine'),
            ("Created", "Normal", "Created container {c}"),
            ("Started", "Normal", "Started container {c}"),
            (
                "Unhealthy",
                "Warning",
                'Readiness probe failed: Get "http://10.244.{a}.{b}:8080/readyz": dial tcp 10.244.{a}.{b}:8080: connect: connection refused',
            ),
            ("BackOff", "Warning", "Back-off restarting failed container {c} in pod {pod}_{ns}({uid})"),
            ("Scheduled", "Normal", "Successfully assigned {ns}/{pod} to worker-node-{a}"),
        )
        while made < n:
            r = self.releases[self.rng.randrange(len(self.releases))]
            first = COLLECTED - self.rng.randrange(window)
            roll = self.rng.random()
            if roll < 0.45 and r["label"] is None:  # helm-controller events about the release
                if self.rng.random() < 0.5:
                    ev = self.event(
                        r["ns"],
                        self.hr_involved(r),
                        "UpgradeSucceeded",
                        f"Helm upgrade succeeded for release {r['ns']}/{r['name']}.v{self.rng.randrange(2, 40)} with chart {r['name']}@{r['ver']}",
                        "Normal",
                        "helm-controller",
                        first,
                        annotations={
                            "helm.toolkit.fluxcd.io/revision": r["ver"],
                            "helm.toolkit.fluxcd.io/token": "sha256:" + self.hex(64),
                        },
                    )
                else:
                    ev = self.event(
                        r["ns"],
                        self.hr_involved(r),
                        "HelmChartConfigured",
                        f"Configured HelmChart/flux-system/{r['ns']}-{r['name']} with SourceRef 'HelmRepository/flux-system/{r['repo']}'",
                        "Normal",
                        "helm-controller",
                        first,
                    )
            else:  # kubelet events of the release's pods
                reason, etype, text = kubelet[self.rng.randrange(len(kubelet))]
                pod_name = f"{r['name']}-{self.hex(9)}-{self.hex(5)}"
                involved = {
                    "kind": "Pod",
                    "namespace": r["ns"],
                    "name": pod_name,
                    "uid": self.uuid(),
                    "apiVersion": "v1",
                    "resourceVersion": str(40_000_000 + self.rng.randrange(9_000_000)),
                    "fieldPath": "spec.containers{app}",
                }
                count = self.rng.randrange(1, 30) if etype == "Warning" else 1
                ev = self.event(
                    r["ns"],
                    involved,
                    reason,
                    text.format(
                        img=f"registry.example.com/{r['name']}:{r['ver']}",
                        c="app",
                        pod=pod_name,
                        ns=r["ns"],
                        uid=involved["uid"],
                        a=self.rng.randrange(1, 9),
                        b=self.rng.randrange(2, 250),
                    ),
                    etype,
                    "kubelet",
                    first,
                    min(COLLECTED, first + count * 30 * NS),
                    count,
                )
            by_ns[r["ns"]].append(ev)
            made += 1
        d = self.root / "cluster-resources" / "events"
        d.mkdir(parents=True, exist_ok=True)
        for ns, items in by_ns.items():
            items.sort(key=lambda e: (e["lastTimestamp"], e["metadata"]["name"]))
            (d / f"{ns}.json").write_text(
                go_json(
                    {
                        "kind": "EventList",
                        "apiVersion": "v1",
                        "metadata": {"resourceVersion": "59999999"},
                        "items": items,
                    }
                ),
                encoding="utf-8",
            )
        return made

    # --- HelmReleases ----------------------------------------------------------------------
    def helmrelease(self, r):
        created = self.start - (30 + r["i"] % 200) * 86400 * NS
        gen = 2 + r["i"] % 9
        values = {"replicaCount": 1 + r["i"] % 3, "image": {"tag": r["ver"]}}
        digest = "sha256:" + hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
        history = []
        revs = 1 + r["i"] % 5
        last = self.start + (r["i"] * 7919 % 1000) * self.span // 1000
        for k in range(revs, 0, -1):
            deployed = last - (revs - k) * 86400 * NS
            history.append(
                {
                    "appVersion": r["ver"],
                    "chartName": r["name"],
                    "chartVersion": r["ver"],
                    "configDigest": digest,
                    "digest": "sha256:" + hashlib.sha256(f"{r['ns']}/{r['name']}.v{k}".encode()).hexdigest(),
                    "firstDeployed": rfc3339(created + 60 * NS),
                    "lastDeployed": rfc3339(deployed),
                    "name": r["name"],
                    "namespace": r["ns"],
                    "status": "deployed" if k == revs else "superseded",
                    "version": k,
                }
            )
        ready_at = last + 30 * NS
        ok = f"Helm upgrade succeeded for release {r['ns']}/{r['name']}.v{revs} with chart {r['name']}@{r['ver']}"
        conditions = [
            {
                "lastTransitionTime": rfc3339(ready_at),
                "message": ok,
                "observedGeneration": gen,
                "reason": "UpgradeSucceeded",
                "status": "True",
                "type": "Ready",
            },
            {
                "lastTransitionTime": rfc3339(ready_at),
                "message": ok,
                "observedGeneration": gen,
                "reason": "UpgradeSucceeded",
                "status": "True",
                "type": "Released",
            },
        ]
        status = {
            "conditions": conditions,
            "helmChart": f"flux-system/{r['ns']}-{r['name']}",
            "history": history,
            "lastAttemptedConfigDigest": digest,
            "lastAttemptedGeneration": gen,
            "lastAttemptedReleaseAction": "upgrade",
            "lastAttemptedRevision": r["ver"],
            "lastAttemptedRevisionDigest": "sha256:" + self.hex(64),
            "observedGeneration": gen,
            "observedPostRenderersDigest": "sha256:" + self.hex(64),
            "storageNamespace": r["ns"],
        }
        label = r["label"]
        fail_at = self.fail_times.get(r["name"], COLLECTED - 1800 * NS)
        if label == "stuck-pending":
            msg = f"Unlock of Helm release {r['ns']}/{r['name']}.v5 with chart {r['name']}@{r['ver']} in pending-upgrade state failed: timed out waiting for the condition"
            for c in conditions:
                c.update(status="False", reason="PendingRelease", message=msg, lastTransitionTime=rfc3339(fail_at))
            history[0]["status"] = "pending-upgrade"
        elif label == "timeout":
            msg = f"Helm upgrade failed for release {r['ns']}/{r['name']} with chart {r['name']}@{r['ver']}: context deadline exceeded"
            for c in conditions:
                c.update(status="False", reason="UpgradeFailed", message=msg, lastTransitionTime=rfc3339(fail_at))
            status["upgradeFailures"] = 3
            status["failures"] = 3
        elif label == "install-failed":
            msg = f'Helm install failed for release {r["ns"]}/{r["name"]} with chart {r["name"]}@{r["ver"]}: Service "{r["name"]}" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'
            for c in conditions:
                c.update(status="False", reason="InstallFailed", message=msg, lastTransitionTime=rfc3339(fail_at))
            status["installFailures"] = 1
            status["failures"] = 1
            status["history"] = []
        elif label == "dependency-stale":
            dep = f"{r['deps']['ns']}/{r['deps']['name']}"
            conditions[0].update(
                status="False",
                reason="DependencyNotReady",
                message=f"dependency '{dep}' is not ready",
                lastTransitionTime=rfc3339(COLLECTED - 5400 * NS),
            )
        spec = {
            "chart": {
                "spec": {
                    "chart": r["name"],
                    "interval": "1h",
                    "reconcileStrategy": "ChartVersion",
                    "sourceRef": {"kind": "HelmRepository", "name": r["repo"], "namespace": "flux-system"},
                    "version": r["ver"],
                }
            },
            "interval": "10m",
            "values": values,
        }
        if r["deps"] is not None:
            spec["dependsOn"] = [{"name": r["deps"]["name"], "namespace": r["deps"]["ns"]}]
        if label == "drift":
            spec["driftDetection"] = {"mode": "enabled"}
        labels = {"kustomize.toolkit.fluxcd.io/name": r["ns"], "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
        managed = [
            {
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "fieldsType": "FieldsV1",
                "manager": "kustomize-controller",
                "operation": "Apply",
                "time": rfc3339(last - 60 * NS),
                "fieldsV1": {
                    "f:metadata": {"f:labels": {f"f:{k}": {} for k in labels}},
                    "f:spec": {f"f:{k}": {} for k in spec},
                },
            },
            {
                "apiVersion": "helm.toolkit.fluxcd.io/v2beta1",
                "fieldsType": "FieldsV1",
                "manager": "helm-controller",
                "operation": "Update",
                "time": rfc3339(created + NS),
                "fieldsV1": {"f:metadata": {"f:finalizers": {".": {}, 'v:"finalizers.fluxcd.io"': {}}}},
            },
            {
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "fieldsType": "FieldsV1",
                "manager": "helm-controller",
                "operation": "Update",
                "subresource": "status",
                "time": rfc3339(ready_at),
                "fieldsV1": {"f:status": {".": {}, **{f"f:{k}": {} for k in status}}},
            },
        ]
        meta = {
            "creationTimestamp": rfc3339(created),
            "finalizers": ["finalizers.fluxcd.io"],
            "generation": gen,
            "labels": labels,
            "managedFields": managed,
            "name": r["name"],
            "namespace": r["ns"],
            "resourceVersion": str(45_000_000 + r["i"]),
            "uid": r["uid"],
        }
        return {
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": meta,
            "spec": spec,
            "status": status,
        }

    def write_releases(self):
        d = self.root / "cluster-resources" / "custom-resources" / "helmreleases.helm.toolkit.fluxcd.io"
        d.mkdir(parents=True, exist_ok=True)
        for ns in self.namespaces:
            objs = [self.helmrelease(r) for r in self.releases if r["ns"] == ns]
            (d / f"{ns}.json").write_text(go_json(objs, sort_keys=True), encoding="utf-8")
            (d / f"{ns}.yaml").symlink_to(f"{ns}.json")

    # --- workloads -------------------------------------------------------------------------
    def write_workloads(self):
        cr = self.root / "cluster-resources"
        self.pod_uid = self.uuid()
        cs = {
            "name": "manager",
            "state": {"running": {"startedAt": rfc3339(self.upgrade)}},
            "lastState": {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": rfc3339(self.start),
                    "finishedAt": rfc3339(self.upgrade - 3 * NS),
                    "containerID": f"containerd://{self.hex(64)}",
                }
            },
            "ready": True,
            "restartCount": 1,
            "image": NEW_IMAGE,
            "imageID": f"ghcr.io/fluxcd/helm-controller@sha256:{self.hex(64)}",
            "containerID": f"containerd://{self.hex(64)}",
            "started": True,
        }
        pod = {
            "metadata": {
                "name": HC_POD,
                "namespace": "flux-system",
                "uid": self.pod_uid,
                "creationTimestamp": rfc3339(self.start - NS),
                "labels": {"app": "helm-controller", "pod-template-hash": "7f9c8d5b6"},
            },
            "spec": {
                "containers": [
                    {
                        "name": "manager",
                        "image": NEW_IMAGE,
                        "args": ["--watch-all-namespaces=true", "--log-level=info", "--log-encoding=json"],
                    }
                ]
            },
            "status": {"phase": "Running", "startTime": rfc3339(self.start), "containerStatuses": [cs]},
        }
        (cr / "pods").mkdir(parents=True, exist_ok=True)
        (cr / "pods" / "flux-system.json").write_text(
            go_json({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [pod]}), encoding="utf-8"
        )
        dep = {
            "metadata": {
                "name": "helm-controller",
                "namespace": "flux-system",
                "uid": self.uuid(),
                "generation": 4,
                "creationTimestamp": "2023-08-28T09:05:41Z",
            },
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "manager", "image": NEW_IMAGE}]}}},
            "status": {"observedGeneration": 4, "replicas": 1, "readyReplicas": 1},
        }
        (cr / "deployments").mkdir(parents=True, exist_ok=True)
        (cr / "deployments" / "flux-system.json").write_text(
            go_json({"kind": "DeploymentList", "apiVersion": "apps/v1", "metadata": {}, "items": [dep]}),
            encoding="utf-8",
        )
        nss = [
            {
                "metadata": {"name": n, "uid": self.uuid(), "creationTimestamp": "2023-08-28T09:05:12Z"},
                "status": {"phase": "Active"},
            }
            for n in ["flux-system"] + self.namespaces
        ]
        (cr / "namespaces.json").write_text(
            go_json({"kind": "NamespaceList", "apiVersion": "v1", "metadata": {}, "items": nss}), encoding="utf-8"
        )
        (self.root / "version.yaml").write_text(
            "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.78.1\n",
            encoding="utf-8",
        )

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
            else:
                out.append(f"{prefix}{name}: {yaml_inline(child)}")
        return out
    if isinstance(value, list) and value:
        out = []
        for i, item in enumerate(value):
            out += yaml_lines(item, len(rest) if i else indent, first="- " if i == 0 and not first else "- ")
        return out
    return [lead + yaml_inline(value)]


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
