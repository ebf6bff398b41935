#!/usr/bin/env python3
"""Generate the deterministic sample inputs of flux-forensics (run: python3 samples/generate.py).

Outputs (each run rewrites only these): samples/upgrade-2.1-to-2.2/ (unpacked troubleshoot.sh
bundle), samples/upgrade-2.1-to-2.2.tar.gz, samples/ticket-flux-get-hr/flux-get-hr.txt and
samples/truth/{upgrade-2.1-to-2.2,ticket-flux-get-hr}.json.

Story: Flux v2.1.2 (helm-controller v0.36.2, API v2beta1) upgraded in place to Flux v2.2.2
(helm-controller v0.37.2, API v2beta2) at 2024-01-15T09:02:11Z; bundle collected at 09:48:30Z.

Every helm-controller log line, event and condition text is quoted from
  HC  = ../shared/reference/helm-controller.md  (comments cite sections as "HC 2.2"), and the
  bundle layout follows ECO = ../shared/reference/ecosystem.md ("ECO 1a", "ECO 1e").
Standard library only; all randomness comes from one seeded random.Random (byte-identical reruns).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import shutil
import tarfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

RNG = random.Random(20240115)
SAMPLES = Path(__file__).resolve().parent
BUNDLE_NAME = "upgrade-2.1-to-2.2"
BUNDLE_DIR = SAMPLES / BUNDLE_NAME
TAR_TOP = "support-bundle-2024-01-15T09_48_30"  # ECO 1a archive naming
TAR_MTIME = 1705312110  # 2024-01-15T09:48:30Z
TICKET_DIR = SAMPLES / "ticket-flux-get-hr"
TRUTH_DIR = SAMPLES / "truth"

NS = 1_000_000_000  # nanoseconds per second


def t(s: str) -> int:
    """'HH:MM:SS[.fff]' on 2024-01-15, or a full RFC3339 'YYYY-MM-DDTHH:MM:SS[.fff]Z', as epoch ns."""
    if "T" not in s:
        s = "2024-01-15T" + s
    s = s.rstrip("Z")
    whole, _, frac = s.partition(".")
    dt = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * NS + int((frac + "000000000")[:9])


UPGRADE = t("09:02:11")  # new `manager` container started (v0.37.2)
OLD_START = t("07:30:04")  # old container (v0.36.2) started
OLD_STOP = t("09:02:09")  # old container finished
COLLECTED = t("09:48:30")  # support bundle collected
EVENT_CUTOFF = COLLECTED - 3600 * NS  # kube-apiserver --event-ttl 1h (ECO 1e "Retention")

# ==== Data tables =========================================================================
# Helm repositories (HelmRepository objects in flux-system).
REPO = {
    "cert-manager": "jetstack",
    "ingress-nginx": "ingress-nginx",
    "external-dns": "external-dns",
    "sealed-secrets": "sealed-secrets",
    "podinfo": "podinfo",
    "backend": "acme-charts",
    "frontend": "acme-charts",
    "worker": "acme-charts",
    "redis": "bitnami",
    "kube-prometheus-stack": "prometheus-community",
    "grafana": "grafana",
    "loki": "grafana",
}

# One row per HelmRelease. Times are UTC. Fields:
#   ver      chart version now            rev     Helm revision when v0.37.2 took over (0 = new)
#   gen      metadata.generation then     created creationTimestamp   installed  Helm firstDeployed
#   last36   (start, end) of the last Helm action done by v0.36.2 (Helm lastDeployed = start)
#   first37  first reconcile by v0.37.2 (None = never reconciled by it: `migration-skip`)
#   change   spec change applied by kustomize-controller after the upgrade:
#            kind chart|values|create, at, old, chart_ready (HelmChart artifact), run (Helm action start),
#            done (Helm action end / event)
#   label    planted truth (None = healthy)
#   artifact_missing_until  v0.37 chart loads fail until then (`Chart not ready: artifact not found`):
#            keeps cert-manager not ready while apps/worker checks it (09:02:31 .. 09:03:31)
#   stale_after_deps  `dependency-stale`: after `all dependencies are ready` the release enters a
#            drift-correction loop (HPA on /spec/replicas) that never concludes the reconcile, so the
#            Ready=False DependencyNotReady of the earlier failed check stays (fixed in v0.37.4)
RELEASES = [
    dict(
        ns="infra",
        name="cert-manager",
        ver="v1.13.3",
        deps=None,
        label="stale-status",
        rev=4,
        gen=4,
        created="2023-09-04T11:20:31Z",
        installed="2023-09-04T11:20:40Z",
        last36=("2024-01-08T14:22:37Z", "2024-01-08T14:23:05Z"),
        first37="09:02:14.213",
        artifact_missing_until="09:03:40",
        values={"installCRDs": True, "replicaCount": 2},
    ),
    dict(
        ns="infra",
        name="ingress-nginx",
        ver="4.8.3",
        deps=None,
        label="migration-skip",
        rev=7,
        gen=7,
        created="2023-08-28T09:12:03Z",
        installed="2023-08-28T09:12:10Z",
        last36=("2024-01-10T10:41:17Z", "2024-01-10T10:41:52Z"),
        first37=None,
        values={"controller": {"replicaCount": 2, "metrics": {"enabled": True}}},
    ),
    dict(
        ns="infra",
        name="external-dns",
        ver="1.13.1",
        deps=None,
        label="migration-skip",
        rev=3,
        gen=3,
        created="2023-08-28T09:12:03Z",
        installed="2023-08-28T09:12:15Z",
        last36=("2024-01-09T16:05:44Z", "2024-01-09T16:05:58Z"),
        first37=None,
        values={"provider": "aws", "policy": "upsert-only"},
    ),
    dict(
        ns="infra",
        name="sealed-secrets",
        ver="2.13.2",
        deps=None,
        label=None,
        rev=0,
        gen=1,
        created="2024-01-15T09:20:05Z",
        installed=None,
        last36=None,
        first37=None,
        change=dict(
            kind="create", at="09:20:05.000", chart_ready="09:20:07.104", run="09:20:07.351", done="09:20:21.018"
        ),
        values={"fullnameOverride": "sealed-secrets-controller"},
    ),
    dict(
        ns="apps",
        name="podinfo",
        ver="6.5.4",
        deps=None,
        label=None,
        rev=5,
        gen=5,
        created="2023-10-02T08:00:12Z",
        installed="2023-10-02T08:00:19Z",
        last36=("2024-01-11T13:37:02Z", "2024-01-11T13:37:20Z"),
        first37="09:02:12.406",
        change=dict(
            kind="chart",
            at="09:10:02.000",
            old="6.5.3",
            chart_ready="09:10:03.020",
            run="09:10:03.262",
            done="09:10:31.043",
        ),
        values={"replicaCount": 2, "ui": {"message": "hello"}},
    ),
    dict(
        ns="apps",
        name="backend",
        ver="1.4.0",
        deps=None,
        label=None,
        rev=7,
        gen=5,
        created="2023-10-16T10:03:44Z",
        installed="2023-10-16T10:03:52Z",
        last36=("2024-01-12T15:48:11Z", "2024-01-12T15:49:01Z"),
        first37="09:02:12.517",
        change=dict(
            kind="chart",
            at="09:02:50.000",
            old="1.3.2",
            chart_ready="09:03:05.112",
            run="09:03:05.384",
            done="09:03:48.027",
        ),
        values={"replicaCount": 3, "env": {"LOG_LEVEL": "info"}},
    ),
    dict(
        ns="apps",
        name="frontend",
        ver="2.3.1",
        deps="apps/backend",
        label="dependency-stale",
        rev=12,
        gen=9,
        created="2023-10-16T10:03:44Z",
        installed="2023-10-16T10:03:58Z",
        last36=("2024-01-12T16:02:30Z", "2024-01-12T16:02:58Z"),
        first37="09:03:12.604",
        stale_after_deps=True,
        values={"replicaCount": 2, "ingress": {"enabled": True}},
    ),
    dict(
        ns="apps",
        name="worker",
        ver="0.9.2",
        deps="infra/cert-manager",
        label="dependency-stale",
        rev=6,
        gen=4,
        created="2023-11-20T12:30:00Z",
        installed="2023-11-20T12:30:09Z",
        last36=("2024-01-11T09:14:05Z", "2024-01-11T09:14:40Z"),
        first37="09:02:31.022",
        stale_after_deps=True,
        values={"concurrency": 4, "queue": "jobs"},
    ),
    dict(
        ns="apps",
        name="redis",
        ver="18.6.1",
        deps=None,
        label=None,
        rev=3,
        gen=3,
        created="2023-10-16T10:03:44Z",
        installed="2023-10-16T10:04:03Z",
        last36=("2023-12-18T11:00:09Z", "2023-12-18T11:00:41Z"),
        first37="09:02:12.913",
        change=dict(
            kind="values",
            at="09:15:20.000",
            old={"architecture": "replication", "replica": {"replicaCount": 2}},
            run="09:15:20.418",
            done="09:15:46.209",
        ),
        values={"architecture": "replication", "replica": {"replicaCount": 3}},
    ),
    dict(
        ns="monitoring",
        name="kube-prometheus-stack",
        ver="55.5.0",
        deps=None,
        label=None,
        rev=9,
        gen=8,
        created="2023-09-11T07:45:00Z",
        installed="2023-09-11T07:45:31Z",
        last36=("2024-01-04T10:10:10Z", "2024-01-04T10:11:36Z"),
        first37="09:02:13.208",
        timeout="10m",
        change=dict(
            kind="chart",
            at="09:25:09.000",
            old="55.4.1",
            chart_ready="09:25:10.031",
            run="09:25:10.247",
            done="09:26:02.118",
        ),
        values={"grafana": {"enabled": False}, "prometheus": {"prometheusSpec": {"retention": "15d"}}},
    ),
    dict(
        ns="monitoring",
        name="grafana",
        ver="7.0.19",
        deps="monitoring/kube-prometheus-stack",
        label=None,
        rev=11,
        gen=10,
        created="2023-09-11T07:45:00Z",
        installed="2023-09-11T07:46:12Z",
        last36=("2024-01-09T13:30:00Z", "2024-01-09T13:30:21Z"),
        first37="09:02:14.905",
        change=dict(
            kind="values",
            at="09:27:29.300",
            old={"persistence": {"enabled": True, "size": "10Gi"}},
            run="09:27:30.012",
            done="09:27:51.336",
        ),
        values={"persistence": {"enabled": True, "size": "20Gi"}},
    ),
    dict(
        ns="monitoring",
        name="loki",
        ver="5.41.4",
        deps=None,
        label=None,
        rev=12,
        gen=10,
        created="2023-09-11T07:45:00Z",
        installed="2023-09-11T07:46:40Z",
        last36=("08:55:10.611", "08:55:24.307"),
        first37="09:02:15.622",
        # v0.36.2 upgrade inside the event TTL: values change at 08:55:10 (generation 9 -> 10)
        change36=dict(at="08:55:10.000", old={"loki": {"limits_config": {"retention_period": "168h"}}}),
        change=dict(
            kind="chart",
            at="09:35:39.000",
            old="5.41.3",
            chart_ready="09:35:40.019",
            run="09:35:40.231",
            done="09:36:08.452",
        ),
        values={"loki": {"limits_config": {"retention_period": "336h"}}},
    ),
]
BY_KEY = {f"{r['ns']}/{r['name']}": r for r in RELEASES}

# Flux v2.2.2 controller images (HC 0.1 for helm-controller; brief for the others).
NODE = "worker-node-2"
PODS = [  # name, deployment, image now, previous image (None = no restart), pod startTime, container start
    (
        "helm-controller-5d8b9c7f4-x2x9k",
        "helm-controller",
        "ghcr.io/fluxcd/helm-controller:v0.37.2",
        "ghcr.io/fluxcd/helm-controller:v0.36.2",
        "07:30:01",
        "09:02:11",
    ),
    (
        "source-controller-7c9b5d6f8b-4wzrt",
        "source-controller",
        "ghcr.io/fluxcd/source-controller:v1.2.3",
        None,
        "09:02:03",
        "09:02:05",
    ),
    (
        "kustomize-controller-6bc5d8f7c9-jx7mq",
        "kustomize-controller",
        "ghcr.io/fluxcd/kustomize-controller:v1.2.1",
        None,
        "09:02:04",
        "09:02:06",
    ),
    (
        "notification-controller-5f4b8c6d9d-vt2lp",
        "notification-controller",
        "ghcr.io/fluxcd/notification-controller:v1.2.3",
        None,
        "09:02:04",
        "09:02:07",
    ),
]
HC_POD = PODS[0][0]


# ==== Small helpers =======================================================================
def rfc3339(ns: int) -> str:
    """metav1.Time: RFC3339 in seconds (ECO 1e)."""
    return datetime.fromtimestamp(ns // NS, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def zap_ts(ns: int) -> str:
    """zap ISO8601 encoder, millisecond precision (HC 1.1)."""
    dt = datetime.fromtimestamp(ns // NS, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ns % NS // 1_000_000)


def go_duration(ns: int) -> str:
    """Go time.Duration.String()."""
    if ns == 0:
        return "0s"
    if ns < 1000:
        return f"{ns}ns"
    if ns < NS:  # sub-second: µs or ms with a trimmed fraction
        unit, size, width = ("µs", 1000, 3) if ns < 1_000_000 else ("ms", 1_000_000, 6)
        f = ("%0*d" % (width, ns % size)).rstrip("0")
        return f"{ns // size}{'.' + f if f else ''}{unit}"
    h, rem = divmod(ns, 3600 * NS)
    m, rem = divmod(rem, 60 * NS)
    s, frac = divmod(rem, NS)
    f = ("%09d" % frac).rstrip("0")
    out = (f"{h}h" if h else "") + (f"{m}m" if h or m else "")
    return out + f"{s}{'.' + f if f else ''}s"


def rand_hex(n: int) -> str:
    return "".join(RNG.choice("0123456789abcdef") for _ in range(n))


def rand_uuid() -> str:
    return str(uuid.UUID(int=RNG.getrandbits(128), version=4))


def ms(lo: int, hi: int) -> int:
    """A random delay between lo and hi milliseconds, with ns precision."""
    return RNG.randrange(lo * 1_000_000, hi * 1_000_000)


def jitter_interval() -> int:
    """spec.interval 10m with --interval-jitter-percentage 5 (HC 1.2 note)."""
    return RNG.randrange(int(570 * NS), int(630 * NS))


def resource_version(ns: int, salt: int = 0) -> str:
    return str(40_000_000 + (ns // NS - 1_690_848_000) * 3 + salt)


def canon(values) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode()


def config_digest(values) -> str:
    """v0.37 `sha256:<hex>` config digest (HC 3.2, 5.1); plausible, not bit-exact with chartutil."""
    return "sha256:" + hashlib.sha256(canon(values)).hexdigest()


def values_checksum(values) -> str:
    """v0.36 lastAttemptedValuesChecksum / event token: 40-hex SHA1 (HC 3.1, 9)."""
    return hashlib.sha1(canon(values)).hexdigest()


def go_json(obj, sort_keys=False) -> str:
    """Go json.MarshalIndent(obj, "", "  "): typed objects keep struct field order; custom
    resources come from the dynamic client as maps, whose keys Go sorts (sort_keys=True)."""
    return json.dumps(obj, indent=2, sort_keys=sort_keys, ensure_ascii=False)


def hr_key(r) -> str:
    return f"{r['ns']}/{r['name']}"


def chart_name(r) -> str:
    return f"{r['ns']}-{r['name']}"  # HelmChart `<hr-namespace>-<hr-name>` (HC 2.2)


# ==== Controller strings (all quoted from HC; %-verbs filled in) ==========================
def msg_chart_in_sync(r):  # HC 2.2 HelmChart template
    return (
        f"HelmChart/flux-system/{chart_name(r)} with SourceRef "
        f"'HelmRepository/flux-system/{REPO[r['name']]}' is in-sync"
    )


def msg_chart_applied(r, verb):  # HC 2.2 "Created ..." / "Configured ..."; also Trace event HC 3.2
    return f"{verb} HelmChart/flux-system/{chart_name(r)} with SourceRef 'HelmRepository/flux-system/{REPO[r['name']]}'"


def msg_chart_not_ready(r):  # HC 2.2 `HelmChart '%s/%s' is not ready: %s`
    return f"HelmChart 'flux-system/{chart_name(r)}' is not ready: latest generation of object has not been reconciled"


MSG_ARTIFACT_MISSING = "Chart not ready: artifact not found. Retrying in 30s"  # HC 2.2, HC 4.2 ArtifactFailed
MSG_IN_SYNC = "release in-sync with desired state"  # HC 2.2 atomic_release.go
MSG_NOT_INSTALLED = "release not installed: no release in storage for object"  # HC 2.2 state reasons
MSG_DEPS_OK_37 = "all dependencies are ready"  # HC 2.2
MSG_DEPS_OK_36 = "all dependencies are ready, proceeding with release"  # HC 2.1
MSG_CHECKING = "checking 1 dependencies"  # HC 2.2 `checking %d dependencies`


def msg_dep_not_ready(dep):  # HC 2.2 `dependencies do not meet ready condition (%s): retrying in %s`
    return f"dependencies do not meet ready condition (dependency '{dep}' is not ready): retrying in 30s"


def msg_out_of_sync(kind):  # HC 2.2 `release out-of-sync with desired state: <reason>`
    reason = "release chart changed" if kind == "chart" else "release config values changed"
    return f"release out-of-sync with desired state: {reason}"


def msg_running(action, timeout):  # HC 2.2 `running '%s' action with timeout of %s`
    return f"running '{action}' action with timeout of {timeout}"


def msg_finished(dur, nxt):  # HC 2.1 `reconciliation finished in %s, next run in %s`
    return f"reconciliation finished in {go_duration(dur)}, next run in {go_duration(nxt)}"


def msg_release_success(action, r, rev):  # HC 3.2 / 4.2 long format
    return f"Helm {action} succeeded for release {r['ns']}/{r['name']}.v{rev} with chart {r['name']}@{r['ver']}"


# ==== Log records ===========================================================================
# HC 1.1 key order: level, ts, [logger], msg, controller, controllerGroup, controllerKind,
# HelmRelease, namespace, name, reconcileID.
def log_record(ns, msg, r=None, rid=None, logger=None):
    d = {"level": "info", "ts": zap_ts(ns)}
    if logger:
        d["logger"] = logger
    d["msg"] = msg
    if r is not None:
        d.update(
            controller="helmrelease",
            controllerGroup="helm.toolkit.fluxcd.io",
            controllerKind="HelmRelease",
            HelmRelease={"name": r["name"], "namespace": r["ns"]},
            namespace=r["ns"],
            name=r["name"],
            reconcileID=rid,
        )
    return json.dumps(d, separators=(",", ":"), ensure_ascii=False)


class Log(list):
    """(ns, text) records; lines() sorts them by ts (stable)."""

    def add(self, ns, msg, r=None, rid=None, logger=None):
        self.append((ns, log_record(ns, msg, r, rid, logger)))

    def lines(self):
        return [text for _, text in sorted(self, key=lambda x: x[0])]


EVENTS = []  # (namespace, event dict)


# ==== v0.36.2 era (previous container, 07:30:04 .. 09:02:09) ==============================
def simulate_v036(log: Log):
    log.add(OLD_START + ms(300, 500), "starting manager", logger="setup")  # HC 2.3 setup line
    old = [r for r in RELEASES if r["rev"] > 0]
    for i, r in enumerate(old):
        pending = OLD_START + 1 * NS + i * 400_000_000 + ms(0, 300)
        ch = r.get("change36")
        trigger = t(ch["at"]) + 200_000_000 if ch else None
        while True:
            use_trigger = trigger is not None and trigger < pending
            start = trigger if use_trigger else pending
            if start >= OLD_STOP:
                break
            rid = rand_uuid()
            if r["deps"]:  # HC 2.1 dependency line, logged before the release step
                log.add(start + ms(20, 60), MSG_DEPS_OK_36, r, rid)
            if use_trigger:  # the 08:55 values change: Helm upgrade by v0.36 (HC 3.1 events)
                end = t(r["last36"][1]) + ms(1, 30)
                tok = values_checksum(r["values"])
                v36_event(r, "Helm upgrade has started", t(r["last36"][0]) - ms(50, 90), tok)
                v36_event(r, "Helm upgrade succeeded", t(r["last36"][1]) - ms(20, 40), tok)
                trigger = None
            else:
                end = start + RNG.randrange(250_000_000, 2_400_000_000)
            nxt = jitter_interval()
            log.add(end, msg_finished(end - start, nxt), r, rid)
            pending = end + nxt if not use_trigger else min(pending, end + nxt)


def v36_event(r, message, ns_time, token):
    """v0.36 event: reason = severity `info`, token = 40-hex values checksum (HC 3.1)."""
    hr_event(
        r,
        "info",
        message,
        "Normal",
        ns_time,
        "helm.toolkit.fluxcd.io/v2beta1",
        {"helm.toolkit.fluxcd.io/revision": old_state(r)[0], "helm.toolkit.fluxcd.io/token": token},
    )


# ==== v0.37.2 era (current container, 09:02:11 .. collection) =============================
NOT_READY = {}  # release key -> [(from_ns, to_ns)] when dependents see it as not ready
FACTS = {}  # release key -> dict of times derived by the simulation (used by status/managedFields)


def dep_ready(dep_key, at):
    return not any(a <= at < b for a, b in NOT_READY.get(dep_key, []))


def reconcile_v037(r, start, kind, log, facts):
    """Emit one reconcile; return (end_ns, requeue_ns, clean)."""
    rid, now = rand_uuid(), start + ms(8, 40)
    ch = r.get("change", {})
    if kind == "create-wait":  # new object: HelmChart created, not yet reconciled by source-controller
        log.add(now, msg_chart_applied(r, "Created"), r, rid)
        hr_event(r, "HelmChartCreated", msg_chart_applied(r, "Created"), "Normal", now + ms(1, 5))
        log.add(now + ms(15, 40), msg_chart_not_ready(r), r, rid)
        return now + ms(50, 90), jitter_interval(), False
    if kind == "chart-wait":  # chart version bumped: HelmChart configured, not yet reconciled
        log.add(now, msg_chart_applied(r, "Configured"), r, rid)
        hr_event(r, "HelmChartConfigured", msg_chart_applied(r, "Configured"), "Normal", now + ms(1, 5))
        now += ms(10, 30)
        if r["deps"]:
            log.add(now, MSG_CHECKING, r, rid)
            log.add(now + ms(2, 8), MSG_DEPS_OK_37, r, rid)
            now += ms(10, 20)
        log.add(now, msg_chart_not_ready(r), r, rid)
        return now + ms(40, 80), jitter_interval(), False
    log.add(now, msg_chart_in_sync(r), r, rid)
    now += ms(8, 30)
    if r["deps"]:
        log.add(now, MSG_CHECKING, r, rid)
        now += ms(2, 9)
        if not dep_ready(r["deps"], now):
            log.add(now, msg_dep_not_ready(r["deps"]), r, rid)
            facts.setdefault("dep_fail", []).append(now)
            return now + ms(20, 40), 30 * NS, False
        log.add(now, MSG_DEPS_OK_37, r, rid)
        if r.get("stale_after_deps"):
            return drift_loop(r, now, rid, log, facts)
        now += ms(5, 15)
    if r.get("artifact_missing_until") and now < t(r["artifact_missing_until"]):
        # new source-controller pod rebuilds its artifacts after the rollout (HC 2.2 / 4.2)
        log.add(now + ms(60, 180), MSG_ARTIFACT_MISSING, r, rid)
        return now + ms(200, 260), 30 * NS, False
    if kind in ("upgrade", "install"):
        run = t(ch["run"])
        first = MSG_NOT_INSTALLED if kind == "install" else msg_out_of_sync(ch["kind"])
        log.add(run - ms(30, 60), first, r, rid)
        log.add(run, msg_running(kind, go_duration(int(r.get("timeout", "5m")[:-1]) * 60 * NS)), r, rid)
        done = t(ch["done"])
        rev = r["rev"] + 1
        action = "upgrade" if kind == "upgrade" else "install"
        hr_event(
            r,
            "UpgradeSucceeded" if kind == "upgrade" else "InstallSucceeded",
            msg_release_success(action, r, rev),
            "Normal",
            done,
            annotations={
                "helm.toolkit.fluxcd.io/revision": r["ver"],
                "helm.toolkit.fluxcd.io/token": config_digest(r["values"]),
            },
        )
        now = done + ms(60, 140)
        log.add(now, MSG_IN_SYNC, r, rid)
        facts["action_done"] = done
        return now + ms(20, 50), jitter_interval(), True
    log.add(now + ms(90, 700), MSG_IN_SYNC, r, rid)
    return now + ms(750, 900), jitter_interval(), True


def drift_loop(r, now, rid, log, facts):
    """`dependency-stale` mechanism (helm-controller commit 59c577a, fixed in v0.37.4): the
    dependency check passed, but the atomic release never concludes because an HPA keeps
    changing /spec/replicas of the chart's Deployment: drift detected, corrected, detected
    again -> stop, `ProgressingWithRetry`, rate-limited requeue (750ms doubling, max 15m).
    The Ready=False DependencyNotReady from the earlier failed check is never replaced (HC 6.2)."""
    n = facts["drift_n"] = facts.get("drift_n", 0) + 1
    release = f"{r['ns']}/{r['name']}.v{r['rev']}"
    obj = f"Deployment/{r['ns']}/{r['name']}"
    now += ms(300, 900)
    log.add(now, "detected changes in cluster state: removed: 0, changed: 1, excluded: 0", r, rid)  # HC 6.2
    hr_event(
        r,
        "DriftDetected",
        f"Cluster state of release {release} has drifted from the desired state:\n"
        f"{obj} changed (0 additions, 1 changes, 0 removals)",
        "Warning",
        now + ms(1, 4),
    )  # HC 3.2
    now += ms(10, 30)
    log.add(now, msg_running("correct cluster drift", "5m0s"), r, rid)
    now += ms(120, 400)
    hr_event(
        r,
        "DriftCorrected",
        f"Cluster state of release {release} has been corrected:\n{obj} configured",
        "Normal",
        now,
        annotations={
            "helm.toolkit.fluxcd.io/revision": r["ver"],
            "helm.toolkit.fluxcd.io/token": config_digest(r["values"]),
        },
    )
    facts["drift_last"] = now
    backoff = min(750_000_000 * 2 ** (n - 1), 900 * NS)
    return now + ms(20, 40), backoff, False


def simulate_v037_release(r, log):
    """Delaying-queue model: one pending periodic requeue (earliest wins) plus scripted triggers.
    Also records when dependents would see this release as not ready (HC 9 last bullet:
    Generation != ObservedGeneration or Ready != True)."""
    key, ch = hr_key(r), r.get("change")
    facts = FACTS.setdefault(key, {"reconciles": []})
    triggers = []
    if ch and ch["kind"] == "create":
        triggers = [(t(ch["at"]) + ms(150, 250), "create-wait"), (t(ch["chart_ready"]), "install")]
    elif ch and ch["kind"] == "chart":
        triggers = [(t(ch["at"]) + ms(150, 350), "chart-wait"), (t(ch["chart_ready"]), "upgrade")]
    elif ch and ch["kind"] == "values":
        triggers = [(t(ch["at"]) + ms(150, 250), "upgrade")]
    pending = t(r["first37"]) if r["first37"] else None
    busy_until, fail_from = 0, None
    windows = NOT_READY.setdefault(key, [])
    while pending or triggers:
        start, kind = min(([(pending, "periodic")] if pending else []) + triggers[:1])
        start = max(start, busy_until + ms(1, 3))  # one reconcile per object at a time
        if start >= COLLECTED:
            break
        if kind == "periodic":
            pending = None
        else:
            triggers.pop(0)
        end, requeue, clean = reconcile_v037(r, start, kind, log, facts)
        facts["reconciles"].append((start, end, kind, clean))
        busy_until = end
        if kind == "periodic" and not clean and fail_from is None:
            fail_from = end  # Ready=False patched at the end of the failed reconcile
        if clean and fail_from is not None:
            windows.append((fail_from, end))
            fail_from = None
        if clean and kind in ("upgrade", "install"):
            windows.append((t(ch["at"]), end))  # generation bumped until observed
        pending = end + requeue if pending is None else min(pending, end + requeue)


def simulate_v037(log: Log):
    log.add(UPGRADE + ms(550, 700), "starting manager", logger="setup")  # HC 2.3 setup line
    # dependencies first, so their not-ready windows are known to their dependents
    for r in sorted(RELEASES, key=lambda r: (r["deps"] is not None, r["first37"] or "99")):
        simulate_v037_release(r, log)


# ==== Kubernetes Events (core/v1, ECO 1e); client-go old-style recorder: eventTime null ====
HR_UID = {hr_key(r): rand_uuid() for r in RELEASES}


def make_event(ns, involved, reason, message, etype, source, ns_time, annotations=None):
    meta = {
        "name": f"{involved['name']}.{ns_time:x}",
        "namespace": ns,
        "uid": rand_uuid(),
        "resourceVersion": resource_version(ns_time, 7),
        "creationTimestamp": rfc3339(ns_time),
    }
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return {
        "metadata": meta,
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": rfc3339(ns_time),
        "lastTimestamp": rfc3339(ns_time),
        "count": 1,
        "type": etype,
        "eventTime": None,
        "reportingComponent": "",
        "reportingInstance": "",
    }


def hr_event(r, reason, message, etype, ns_time, api="helm.toolkit.fluxcd.io/v2beta2", annotations=None):
    if ns_time > COLLECTED:
        return  # after collection
    # client-go aggregates an identical event (object, reason, message) into one Event object:
    # count grows and lastTimestamp moves (ECO 1e "One Event object can stand for many occurrences").
    for ns, ev in EVENTS:
        inv = ev["involvedObject"]
        if (ns, inv["name"], inv["kind"], ev["reason"], ev["message"]) == (
            r["ns"],
            r["name"],
            "HelmRelease",
            reason,
            message,
        ):
            ev["count"] += 1
            ev["lastTimestamp"] = rfc3339(ns_time)
            return
    if ns_time < EVENT_CUTOFF:
        return  # expired (1h TTL)
    involved = {
        "kind": "HelmRelease",
        "namespace": r["ns"],
        "name": r["name"],
        "uid": HR_UID[hr_key(r)],
        "apiVersion": api,
        "resourceVersion": resource_version(ns_time - NS, 3),
    }
    EVENTS.append(
        (
            r["ns"],
            make_event(
                r["ns"], involved, reason, message, etype, {"component": "helm-controller"}, ns_time, annotations
            ),
        )
    )


def kubelet_events(pod_uid):
    """Kubelet events of the in-place restart of the `manager` container (brief)."""
    img = PODS[0][2]
    involved = {
        "kind": "Pod",
        "namespace": "flux-system",
        "name": HC_POD,
        "uid": pod_uid,
        "apiVersion": "v1",
        "resourceVersion": resource_version(t("09:02:09"), 1),
        "fieldPath": "spec.containers{manager}",
    }
    for when, reason, message in [
        ("09:02:09.104", "Killing", "Container manager definition changed, will be restarted"),
        ("09:02:09.337", "Pulling", f'Pulling image "{img}"'),
        ("09:02:11.389", "Pulled", f'Successfully pulled image "{img}" in 2.052s (2.052s including waiting)'),
        ("09:02:11.401", "Created", "Created container manager"),
        ("09:02:11.526", "Started", "Started container manager"),
    ]:
        EVENTS.append(
            (
                "flux-system",
                make_event(
                    "flux-system",
                    dict(involved),
                    reason,
                    message,
                    "Normal",
                    {"component": "kubelet", "host": NODE},
                    t(when),
                ),
            )
        )


# ==== HelmRelease objects (custom resources: bare JSON array, sorted keys; ECO 1a) ========
def snapshot(r, rev, ver, values, first, last, status):
    """status.history[] entry (HC 5.1 Snapshot; `deleted`/`apiVersion` unset by v0.37)."""
    return {
        "chartName": r["name"],
        "chartVersion": ver,
        "configDigest": config_digest(values),
        "digest": "sha256:" + hashlib.sha256(f"{hr_key(r)}.v{rev}".encode()).hexdigest(),
        "firstDeployed": rfc3339(first),
        "lastDeployed": rfc3339(last),
        "name": r["name"],
        "namespace": r["ns"],
        "status": status,
        "version": rev,
    }


def cond(ctype, status, reason, message, ltt, gen=None):
    c = {"lastTransitionTime": rfc3339(ltt), "message": message, "reason": reason, "status": status, "type": ctype}
    if gen is not None:  # v0.36 never writes condition observedGeneration (HC 4.1)
        c["observedGeneration"] = gen
    return c


def old_state(r):
    """Chart version and values the v0.36 controller last released."""
    ch = r.get("change") or {}
    ver = ch["old"] if ch.get("kind") == "chart" else r["ver"]
    values = ch["old"] if ch.get("kind") == "values" else r["values"]
    return ver, values


def build_status(r):
    facts = FACTS.get(hr_key(r), {})
    gen = r["gen"] + (1 if r.get("change") and r["change"]["kind"] != "create" else 0)
    old_ver, old_values = old_state(r)
    chart = f"flux-system/{chart_name(r)}"
    if r["rev"]:
        s36, e36 = t(r["last36"][0]), t(r["last36"][1])
        # v0.36.2 Released condition: short message (HC 3.1 `Helm %s succeeded`, HC 4.1)
        released36 = cond("Released", "True", "UpgradeSucceeded", "Helm upgrade succeeded", e36)
    if r["first37"] is None and r["rev"]:
        # `migration-skip`: exactly what v0.36.2 wrote (HC 4.1, 5.1, 5.2 last paragraph)
        return (
            gen,
            e36,
            {
                "conditions": [
                    cond("Ready", "True", "ReconciliationSucceeded", "Release reconciliation succeeded", e36),
                    released36,
                ],
                "helmChart": chart,
                "lastAppliedRevision": old_ver,
                "lastAttemptedRevision": old_ver,
                "lastAttemptedValuesChecksum": values_checksum(old_values),
                "lastReleaseRevision": r["rev"],
                "observedGeneration": gen,
            },
        )
    st = {
        "helmChart": chart,
        "lastAttemptedConfigDigest": config_digest(r["values"]),
        "lastAttemptedGeneration": gen,
        "lastAttemptedRevision": r["ver"],
        "observedGeneration": gen,
        "storageNamespace": r["ns"],
    }  # HC 5.1, 5.2 steps 3-5
    recs = facts["reconciles"]
    last_write = recs[-1][1]
    ch = r.get("change")
    if ch and "action_done" in facts:
        done, run, rev = facts["action_done"], t(ch["run"]), r["rev"] + 1
        action = "install" if ch["kind"] == "create" else "upgrade"
        first = run if action == "install" else t(r["installed"])
        hist = [snapshot(r, rev, r["ver"], r["values"], first, run, "deployed")]
        if r["rev"]:
            hist.append(snapshot(r, r["rev"], old_ver, old_values, t(r["installed"]), s36, "superseded"))
        reason = "InstallSucceeded" if action == "install" else "UpgradeSucceeded"
        msg = msg_release_success(action, r, rev)  # HC 3.2 / 4.2 long format
        st.update(
            conditions=[
                cond("Ready", "True", reason, msg, done, gen),
                cond("Released", "True", reason, msg, done, gen),
            ],
            history=hist,
            lastAppliedRevision=r["ver"],
            lastAttemptedReleaseAction=action,
        )
        return gen, last_write, st
    hist = [snapshot(r, r["rev"], old_ver, old_values, t(r["installed"]), s36, "deployed")]
    st.update(history=hist, lastAppliedRevision=old_ver)
    if r.get("stale_after_deps"):
        # `dependency-stale`: Ready=False DependencyNotReady kept from the failed check (HC 4.2, 9)
        first_fail, first_visit = facts["dep_fail"][0], recs[0][0]
        dep_msg = f"dependency '{r['deps']}' is not ready"
        # the drift loop ends each reconcile with Reconciling=True ProgressingWithRetry carrying a
        # copy of the Ready message (HC 4.2; helm-controller commit 59c577a)
        st["conditions"] = [
            cond("Ready", "False", "DependencyNotReady", dep_msg, first_fail, gen),
            released36,
            cond("Reconciling", "True", "ProgressingWithRetry", dep_msg, first_visit, gen),
        ]
        return gen, facts.get("drift_last", first_fail) + ms(20, 40), st
    # adopted without a Helm action: summarize() copies the old short Released message (HC 5.2 step 6)
    first_clean = next(e for _, e, _, c in recs if c)
    st["conditions"] = [
        cond("Ready", "True", "UpgradeSucceeded", "Helm upgrade succeeded", first_clean, gen),
        released36,
    ]
    return gen, last_write, st


def fields_v1(obj, dot=False):
    if isinstance(obj, dict):
        out = {".": {}} if dot else {}
        out.update({f"f:{k}": fields_v1(v) for k, v in obj.items()})
        return out
    return {}  # scalars and atomic lists (dependsOn, conditions, history)


def build_helmrelease(r):
    gen, status_time, status = build_status(r)
    ch = r.get("change")
    created = t(r["created"])
    chart_spec = {
        "chart": r["name"],
        "version": r["ver"],
        "interval": "1h",
        "sourceRef": {"kind": "HelmRepository", "name": REPO[r["name"]], "namespace": "flux-system"},
    }
    spec = {"chart": {"spec": chart_spec}, "interval": "10m", "values": r["values"]}
    if r["deps"]:
        dns, dname = r["deps"].split("/")
        spec["dependsOn"] = [{"name": dname, "namespace": dns}]
    if r.get("timeout"):
        spec["timeout"] = r["timeout"]
    if r.get("stale_after_deps"):
        spec["driftDetection"] = {"mode": "enabled"}  # HC 6.2; an HPA also scales the Deployment
    labels = {"kustomize.toolkit.fluxcd.io/name": r["ns"], "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
    if ch:
        apply_time, apply_api = t(ch["at"]), "helm.toolkit.fluxcd.io/v2beta2"
    elif r.get("change36"):
        apply_time, apply_api = t(r["change36"]["at"]), "helm.toolkit.fluxcd.io/v2beta1"
    else:
        apply_time, apply_api = t(r["last36"][0]) - NS, "helm.toolkit.fluxcd.io/v2beta1"
    status_api = (
        "helm.toolkit.fluxcd.io/v2beta1" if r["first37"] is None and r["rev"] else "helm.toolkit.fluxcd.io/v2beta2"
    )
    fin_api = "helm.toolkit.fluxcd.io/v2beta2" if ch and ch["kind"] == "create" else "helm.toolkit.fluxcd.io/v2beta1"
    managed = [
        {
            "apiVersion": apply_api,
            "fieldsType": "FieldsV1",
            "manager": "kustomize-controller",
            "operation": "Apply",
            "time": rfc3339(apply_time),
            "fieldsV1": {"f:metadata": {"f:labels": {f"f:{k}": {} for k in labels}}, "f:spec": fields_v1(spec)},
        },
        {
            "apiVersion": fin_api,
            "fieldsType": "FieldsV1",
            "manager": "helm-controller",
            "operation": "Update",
            "time": rfc3339(created + NS),
            "fieldsV1": {"f:metadata": {"f:finalizers": {".": {}, 'v:"finalizers.fluxcd.io"': {}}}},
        },
        {
            "apiVersion": status_api,
            "fieldsType": "FieldsV1",
            "manager": "helm-controller",
            "operation": "Update",
            "subresource": "status",
            "time": rfc3339(status_time),
            "fieldsV1": {"f:status": fields_v1(status, dot=True)},
        },
    ]
    chart_spec["reconcileStrategy"] = "ChartVersion"  # CRD default, served on read
    meta = {
        "name": r["name"],
        "namespace": r["ns"],
        "uid": HR_UID[hr_key(r)],
        "generation": gen,
        "creationTimestamp": r["created"],
        "resourceVersion": resource_version(status_time, 5),
        "labels": labels,
        "finalizers": ["finalizers.fluxcd.io"],
        "managedFields": managed,
    }
    # the client asked for the preferred version: apiVersion says nothing about the writer (HC 0.2)
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2beta2",
        "kind": "HelmRelease",
        "metadata": meta,
        "spec": spec,
        "status": status,
    }


# ==== flux-system workloads (PodList, DeploymentList, NamespaceList; typed => struct field order) ====
def controller_args(deploy):
    args = [
        "--events-addr=http://notification-controller.flux-system.svc.cluster.local./",
        "--watch-all-namespaces=true",
        "--log-level=info",
        "--log-encoding=json",
        "--enable-leader-election",
    ]
    return args[1:] if deploy == "notification-controller" else args


def container_spec(deploy, image):
    return {
        "name": "manager",
        "image": image,
        "args": controller_args(deploy),
        "ports": [
            {"name": "http-prom", "containerPort": 8080, "protocol": "TCP"},
            {"name": "healthz", "containerPort": 9440, "protocol": "TCP"},
        ],
        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "64Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }


def pod_conditions(start, ready_at):
    return [
        {"type": ty, "status": "True", "lastProbeTime": None, "lastTransitionTime": rfc3339(at)}
        for ty, at in (
            ("Initialized", start),
            ("Ready", ready_at),
            ("ContainersReady", ready_at),
            ("PodScheduled", start - NS),
        )
    ]


def build_pods():
    items, hc_uid = [], None
    for name, deploy, image, prev_image, start, cstart in PODS:
        uid, rs, ip = rand_uuid(), name.rsplit("-", 1)[0], f"10.244.2.{17 + len(items)}"
        hc_uid = hc_uid or uid
        ready_at = t(cstart) + 1 * NS
        last = (
            {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": rfc3339(OLD_START),
                    "finishedAt": rfc3339(OLD_STOP),
                    "containerID": f"containerd://{rand_hex(64)}",
                }
            }
            if prev_image
            else {}
        )  # brief: in-place restart of `manager`, restartCount 1
        cs = {
            "name": "manager",
            "state": {"running": {"startedAt": rfc3339(t(cstart))}},
            "lastState": last,
            "ready": True,
            "restartCount": 1 if prev_image else 0,
            "image": image,
            "imageID": f"{image.split(':')[0]}@sha256:{rand_hex(64)}",
            "containerID": f"containerd://{rand_hex(64)}",
            "started": True,
        }
        items.append(
            {
                "metadata": {
                    "name": name,
                    "generateName": rs + "-",
                    "namespace": "flux-system",
                    "uid": uid,
                    "resourceVersion": resource_version(ready_at, 2),
                    "creationTimestamp": rfc3339(t(start) - NS),
                    "labels": {"app": deploy, "pod-template-hash": rs.rsplit("-", 1)[1]},
                    "annotations": {"prometheus.io/port": "8080", "prometheus.io/scrape": "true"},
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "ReplicaSet",
                            "name": rs,
                            "uid": rand_uuid(),
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                },
                "spec": {
                    "containers": [container_spec(deploy, image)],
                    "restartPolicy": "Always",
                    "terminationGracePeriodSeconds": 600 if deploy == "helm-controller" else 60,
                    "dnsPolicy": "ClusterFirst",
                    "serviceAccountName": deploy,
                    "serviceAccount": deploy,
                    "nodeName": NODE,
                    "securityContext": {"fsGroup": 1337},
                    "schedulerName": "default-scheduler",
                    "priorityClassName": "system-cluster-critical",
                    "priority": 2000000000,
                },
                "status": {
                    "phase": "Running",
                    "conditions": pod_conditions(t(start), ready_at),
                    "hostIP": "10.0.12.34",
                    "podIP": ip,
                    "podIPs": [{"ip": ip}],
                    "startTime": rfc3339(t(start)),
                    "containerStatuses": [cs],
                    "qosClass": "Burstable",
                },
            }
        )
    return {
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": resource_version(COLLECTED)},
        "items": items,
    }, hc_uid


def build_deployments():
    items, at = [], rfc3339(t("09:02:12"))
    for name, deploy, image, _, _, _ in PODS:
        rs = name.rsplit("-", 1)[0]
        labels = {
            "app.kubernetes.io/component": deploy,
            "app.kubernetes.io/instance": "flux-system",
            "app.kubernetes.io/part-of": "flux",
            "app.kubernetes.io/version": "v2.2.2",
            "control-plane": "controller",
        }
        template = {
            "metadata": {
                "labels": {"app": deploy},
                "annotations": {"prometheus.io/port": "8080", "prometheus.io/scrape": "true"},
            },
            "spec": {
                "containers": [container_spec(deploy, image)],
                "serviceAccountName": deploy,
                "terminationGracePeriodSeconds": 600 if deploy == "helm-controller" else 60,
            },
        }
        conditions = [
            {
                "type": "Available",
                "status": "True",
                "lastUpdateTime": at,
                "lastTransitionTime": at,
                "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": at,
                "lastTransitionTime": "2023-08-28T09:05:41Z",
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{rs}" has successfully progressed.',
            },
        ]
        items.append(
            {
                "metadata": {
                    "name": deploy,
                    "namespace": "flux-system",
                    "uid": rand_uuid(),
                    "resourceVersion": resource_version(t("09:02:12"), 4),
                    "generation": 3,
                    "creationTimestamp": "2023-08-28T09:05:41Z",
                    "labels": labels,
                    "annotations": {"deployment.kubernetes.io/revision": "3"},
                },
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": deploy}},
                    "template": template,
                    "strategy": {"type": "RollingUpdate"},
                    "revisionHistoryLimit": 10,
                    "progressDeadlineSeconds": 600,
                },
                "status": {
                    "observedGeneration": 3,
                    "replicas": 1,
                    "updatedReplicas": 1,
                    "readyReplicas": 1,
                    "availableReplicas": 1,
                    "conditions": conditions,
                },
            }
        )
    return {
        "kind": "DeploymentList",
        "apiVersion": "apps/v1",
        "metadata": {"resourceVersion": resource_version(COLLECTED)},
        "items": items,
    }


def build_namespaces():
    items = [
        {
            "metadata": {
                "name": n,
                "uid": rand_uuid(),
                "resourceVersion": str(1200 + i),
                "creationTimestamp": "2023-08-28T09:05:12Z",
                "labels": {"kubernetes.io/metadata.name": n},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }
        for i, n in enumerate(["apps", "flux-system", "infra", "monitoring"])
    ]
    return {
        "kind": "NamespaceList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": resource_version(COLLECTED)},
        "items": items,
    }


# ==== Writers =============================================================================
def write(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def symlink(link: Path, target_file: Path):
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(target_file, link.parent))


def add_noise(lines):
    """Exactly one non-JSON line in manager.log: a record cut short (as after a partial write).
    It is synthetic noise for parser robustness, not a controller string of its own; the
    full record it stands for (a periodic HelmChart in-sync line of monitoring/loki) is lost."""
    target = msg_chart_in_sync(BY_KEY["monitoring/loki"])
    hits = [i for i, line in enumerate(lines) if f'"msg":"{target}"' in line]
    i = hits[1]
    lines[i] = lines[i][:131]
    return i + 1  # 1-based line number


def write_bundle():
    shutil.rmtree(BUNDLE_DIR, ignore_errors=True)
    BUNDLE_DIR.mkdir(parents=True)
    cr = BUNDLE_DIR / "cluster-resources"
    write(
        BUNDLE_DIR / "version.yaml",
        "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.78.1\n",
    )
    # logs
    old_log, new_log = Log(), Log()
    simulate_v036(old_log)
    simulate_v037(new_log)
    logdir = cr / "pods" / "logs" / "flux-system" / HC_POD
    new_lines = new_log.lines()
    noise_line = add_noise(new_lines)
    write(logdir / "manager-previous.log", "\n".join(old_log.lines()) + "\n")
    write(logdir / "manager.log", "\n".join(new_lines) + "\n")
    for f in ("manager.log", "manager-previous.log"):  # logs collector symlinks (ECO 1a)
        symlink(BUNDLE_DIR / "helm-controller" / HC_POD / f, logdir / f)
    # workloads and kubelet events
    pods, hc_uid = build_pods()
    kubelet_events(hc_uid)
    write(cr / "pods" / "flux-system.json", go_json(pods))
    write(cr / "deployments" / "flux-system.json", go_json(build_deployments()))
    write(cr / "namespaces.json", go_json(build_namespaces()))
    # HelmReleases, one bare array per namespace, plus the .yaml symlink twin (ECO 1a)
    crdir = cr / "custom-resources" / "helmreleases.helm.toolkit.fluxcd.io"
    for ns in ("apps", "infra", "monitoring"):
        objs = [build_helmrelease(r) for r in sorted(RELEASES, key=lambda r: r["name"]) if r["ns"] == ns]
        write(crdir / f"{ns}.json", go_json(objs, sort_keys=True))
        symlink(crdir / f"{ns}.yaml", crdir / f"{ns}.json")
    # events per namespace, sorted by lastTimestamp then name
    for ns in ("apps", "flux-system", "infra", "monitoring"):
        items = sorted((e for n, e in EVENTS if n == ns), key=lambda e: (e["lastTimestamp"], e["metadata"]["name"]))
        write(
            cr / "events" / f"{ns}.json",
            go_json(
                {
                    "kind": "EventList",
                    "apiVersion": "v1",
                    "metadata": {"resourceVersion": resource_version(COLLECTED)},
                    "items": items,
                }
            ),
        )
    return noise_line


def write_tar():
    """Deterministic tar.gz: sorted entries, fixed mtime/owner/modes, relative symlinks kept."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add(rel: str, path: Path):
            ti = tarfile.TarInfo(f"{TAR_TOP}/{rel}" if rel else TAR_TOP)
            ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = TAR_MTIME, 0, 0, "", ""
            if path.is_symlink():
                ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, os.readlink(path), 0o777
                tar.addfile(ti)
            elif path.is_dir():
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(ti)
            else:
                data = path.read_bytes()
                ti.size, ti.mode = len(data), 0o644
                tar.addfile(ti, io.BytesIO(data))

        add("", BUNDLE_DIR)
        for p in sorted(BUNDLE_DIR.rglob("*"), key=lambda p: p.relative_to(BUNDLE_DIR).as_posix()):
            add(p.relative_to(BUNDLE_DIR).as_posix(), p)
    out = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=out, mode="wb", mtime=0) as gz:
        gz.write(buf.getvalue())
    (SAMPLES / f"{BUNDLE_NAME}.tar.gz").write_bytes(out.getvalue())


# ==== Ticket fragment =======================================================================
# `flux get hr -A` (flux v2.2 CLI, tablewriter v0.0.5 settings of
# pkg/printers/table_printer.go: cells space-padded, TAB after each row cell, header's
# last cell padded + one space, upper-case headers). REVISION = lastAppliedRevision (HC 5.1).
TICKET_ROWS = [  # ns, name, revision, ready, message, label; rows after the 6th are not pasted
    (
        "apps",
        "backend",
        "1.4.0",
        "True",
        "Helm upgrade succeeded for release apps/backend.v8 with chart backend@1.4.0",
        None,
    ),
    ("apps", "frontend", "2.3.1", "False", "dependency 'apps/backend' is not ready", "dependency-stale"),
    (
        "apps",
        "podinfo",
        "6.5.4",
        "True",
        "Helm upgrade succeeded for release apps/podinfo.v6 with chart podinfo@6.5.4",
        None,
    ),
    ("apps", "redis2", "18.6.1", "True", "Helm upgrade succeeded", "stale-status"),
    ("infra", "cert-manager", "v1.13.3", "True", "Helm upgrade succeeded", "stale-status"),
    ("infra", "ingress-nginx", "4.8.3", "True", "Release reconciliation succeeded", "migration-skip"),
    (
        "monitoring",
        "kube-prometheus-stack",
        "55.5.0",
        "True",
        "Helm upgrade succeeded for release monitoring/kube-prometheus-stack.v10 with chart "
        "kube-prometheus-stack@55.5.0",
        None,
    ),
    (
        "monitoring",
        "loki",
        "5.41.4",
        "True",
        "Helm upgrade succeeded for release monitoring/loki.v13 with chart loki@5.41.4",
        None,
    ),
]
PASTED = 6


def write_ticket():
    shutil.rmtree(TICKET_DIR, ignore_errors=True)
    header = ["NAMESPACE", "NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"]
    rows = [[ns, n, rev, "False", ready, msg] for ns, n, rev, ready, msg, _ in TICKET_ROWS]
    widths = [max(len(x[i]) for x in [header] + rows) for i in range(len(header))]
    head = "".join(h.ljust(w) + ("\t" if i < len(header) - 1 else " ") for i, (h, w) in enumerate(zip(header, widths)))
    body = ["".join(c.ljust(w) + "\t" for c, w in zip(row, widths)) for row in rows[:PASTED]]
    write(TICKET_DIR / "flux-get-hr.txt", "\n".join([head] + body) + "\n")
    return {f"{ns}/{n}": label for ns, n, _, _, _, label in TICKET_ROWS[:PASTED]}


def write_truth(name, data):
    TRUTH_DIR.mkdir(parents=True, exist_ok=True)  # shared folder: only our two files are rewritten
    write(TRUTH_DIR / f"{name}.json", json.dumps(data, indent=2, sort_keys=True) + "\n")


def truth_entry(r):
    """null (healthy), or the primary label and every label that must be reported."""
    if r["label"] is None:
        return None
    labels = [r["label"]] + (["drift"] if r.get("stale_after_deps") else [])  # the drift loop itself
    return {"primary": r["label"], "labels": sorted(labels)}


def main():
    noise_line = write_bundle()
    write_tar()
    write_truth(
        BUNDLE_NAME,
        {
            "releases": {k: truth_entry(BY_KEY[k]) for k in sorted(BY_KEY)},
            "noise_lines": {f"cluster-resources/pods/logs/flux-system/{HC_POD}/manager.log": [noise_line]},
        },
    )
    write_truth("ticket-flux-get-hr", {"releases": write_ticket()})


if __name__ == "__main__":
    main()
