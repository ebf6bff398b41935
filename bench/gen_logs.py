"""The helm-controller log of a generated bundle: zap JSON records of each reconcile, klog noise,
records cut at a rotation and Go stack traces (LogWriter, a part of generate.Gen)."""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timezone

from gen_base import COLLECTED, HC_POD, NS, kubelet_ts, zap_ts


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


class LogWriter:
    """Gen's ids and its manager[-previous].log files (the logs collector's symlinks too)."""

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
