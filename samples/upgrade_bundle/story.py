"""The story of the upgrade sample: its clock, the releases and pods it tells of, and the small
formatters (times, ids, digests, Go durations) the controller and the objects share."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from datetime import datetime, timezone


RNG = random.Random(20240115)


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


def old_state(r):
    """Chart version and values the v0.36 controller last released."""
    ch = r.get("change") or {}
    ver = ch["old"] if ch.get("kind") == "chart" else r["ver"]
    values = ch["old"] if ch.get("kind") == "values" else r["values"]
    return ver, values
