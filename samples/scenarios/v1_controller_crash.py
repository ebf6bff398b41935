"""Scenario 3, `v1-controller-crash`: the story of each release, planted with its truth (`s.plant`).

See samples/SCENARIOS.md for the releases, their truth and the evidence lines.
Here: build() (the controller, the shared helpers) and the bundle it writes (_bundle); the
stories of the releases that fail or recover are in v1_upgrades.py and v1_blocked.py.
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from scenarios.engine import SAMPLES, Rel, Scenario
from scenarios.formats import HOUR, NS, T, rfc3339
from scenarios.objects import (
    chart_ready_conds,
    helm_collector,
    helm_collector_release,
    helmchart_object,
    helmrepo_object,
    hr_object,
    log_text,
    pod_object,
    write_troubleshoot,
)
from scenarios.story import (
    V37,
    finish_status,
    run_queue,
    v37_seed,
)

from scenarios.v1_upgrades import _apps_orders, _apps_redis_apps_frontend, _monitoring_kube_prometheus_stack
from scenarios.v1_blocked import _apps_keycloak, _apps_reporting


NAME = "v1-controller-crash"
LAYOUT = "troubleshoot.sh support bundle (unpacked), clusterResources scoped to apps, flux-system, infra, monitoring; manager.log + manager-previous.log"
CONTROLLER = "helm-controller v1.0.1 (Flux v2.3.0), API v2, Helm v3.14.4; container OOMKilled 3x"


def build():
    s = Scenario(NAME, 20240612, T("2024-06-12T13:58:40Z"))
    C, API = s.C, "helm.toolkit.fluxcd.io/v2"
    POD = "helm-controller-7f9d8c6b5-zk4tw"
    POD_START = T("2024-06-10T08:41:07Z")
    # container instances of `manager`: 1 (2 days), 2, 3 (manager-previous.log), 4 (manager.log, running)
    c1 = (POD_START + 3 * NS + 118_000_000, T("2024-06-12T13:12:41.604Z"))
    c2 = (T("2024-06-12T13:12:52.381Z"), T("2024-06-12T13:13:30.917Z"))
    c3 = (T("2024-06-12T13:13:52.209Z"), T("2024-06-12T13:14:31.236Z"))
    c4 = (T("2024-06-12T13:15:12.640Z"), C)
    s.procs = {"c1": (1, 0), "c2": (1, 0), "c3": c3, "c4": c4}  # only the last two logs exist
    V = {cid: V37(s, cid, v1=True) for cid in s.procs}
    spans = {"c1": c1, "c2": c2, "c3": c3, "c4": c4}
    for cid, (a, b) in spans.items():
        s.L(cid, a + 398_000_000, "starting manager", logger="setup")
        s.L(cid, a + 1_702_000_000, "Starting Controller", extra={"_ctrl": True})
        s.L(cid, a + 1_703_000_000, "Starting workers", extra={"_ctrl": True, "worker count": 4})

    def mk(ns, name, chart, ver, repo, values, created, gen, **kw):
        r = Rel(s, ns, name, chart, ver, repo, values, T(created), gen, event_api=API, **kw)
        r.apply_api = r.status_api = API
        return r

    def per_container(r, handler, triggers=()):
        """Every container start enqueues every object (controller-runtime initial list)."""
        for cid, (a, b) in spans.items():
            trig = [(t, k) for t, k in triggers if a <= t < b]
            run_queue(s, a + 1_800_000_000 + s.ms(0, 2500), b, lambda t, kind, cid=cid: handler(cid, t, kind), trig)

    def healthy(r):
        per_container(r, lambda cid, t, kind: (V[cid].healthy(t, r), s.jitter(r.interval_ns())))

    # what the story sections below share, and what each leaves to the next
    shared = SimpleNamespace(
        API=API,
        C=C,
        POD=POD,
        POD_START=POD_START,
        V=V,
        a=a,
        b=b,
        c1=c1,
        c2=c2,
        c3=c3,
        c4=c4,
        cid=cid,
        healthy=healthy,
        mk=mk,
        per_container=per_container,
        s=s,
        spans=spans,
    )
    _healthy_ones(shared)
    _apps_redis_apps_frontend(shared)
    _monitoring_kube_prometheus_stack(shared)
    _apps_keycloak(shared)
    _apps_orders(shared)
    _apps_reporting(shared)
    return _bundle(shared)


def _healthy_ones(shared):
    """healthy ones."""
    healthy, mk, s = shared.healthy, shared.mk, shared.s
    cm = mk(
        "infra",
        "cert-manager",
        "cert-manager",
        "v1.15.0",
        "jetstack",
        {"crds": {"enabled": True}},
        "2023-08-02T09:14:10Z",
        14,
        interval="1h",
    )
    v37_seed(
        cm,
        [("v1.14.5", T("2024-05-02T10:00:00Z"), cm.values), ("v1.15.0", T("2024-06-06T09:12:44Z"), cm.values)],
        T("2024-06-06T09:13:20Z"),
        v1=True,
        app="v1.15.0",
        base=11,
    )
    cm.apply_time = T("2024-06-06T09:12:43Z")
    healthy(cm)
    s.plant(cm, [], "Healthy; reconciled in-sync after each controller start.")
    ing = mk(
        "infra",
        "ingress-nginx",
        "ingress-nginx",
        "4.10.1",
        "ingress-nginx",
        {"controller": {"replicaCount": 2}},
        "2023-08-02T09:14:10Z",
        15,
        interval="1h",
        deps=["infra/cert-manager"],
    )
    v37_seed(
        ing,
        [("4.10.0", T("2024-04-22T10:00:00Z"), ing.values), ("4.10.1", T("2024-05-14T08:03:11Z"), ing.values)],
        T("2024-05-14T08:03:50Z"),
        v1=True,
        app="1.10.1",
        base=6,
    )
    ing.apply_time = T("2024-05-14T08:03:10Z")
    healthy(ing)
    s.plant(ing, [], "Healthy; its dependency infra/cert-manager is Ready.")
    loki = mk(
        "monitoring",
        "loki",
        "loki",
        "6.6.2",
        "grafana",
        {"deploymentMode": "SingleBinary"},
        "2023-08-02T09:20:44Z",
        9,
        interval="30m",
    )
    v37_seed(
        loki,
        [("6.5.2", T("2024-05-20T10:00:00Z"), loki.values), ("6.6.2", T("2024-06-05T14:41:09Z"), loki.values)],
        T("2024-06-05T14:42:01Z"),
        v1=True,
        app="3.0.0",
        base=20,
    )
    loki.apply_time = T("2024-06-05T14:41:08Z")
    healthy(loki)
    s.plant(loki, [], "Healthy.")


def _bundle(shared):
    """bundle."""
    API, C, POD, POD_START, c1, c2, c3, c4, kc, kcommit, kps, ocommit, od, s = (
        shared.API,
        shared.C,
        shared.POD,
        shared.POD_START,
        shared.c1,
        shared.c2,
        shared.c3,
        shared.c4,
        shared.kc,
        shared.kcommit,
        shared.kps,
        shared.ocommit,
        shared.od,
        shared.s,
    )
    for r, at in ((kps, kcommit + 2 * NS), (od, ocommit + 2 * NS), (kc, kc.created + 2 * NS)):
        s.chart_event(r, at, "source.toolkit.fluxcd.io/v1")
    for r in s.releases.values():
        finish_status(r)
    hc_api = "source.toolkit.fluxcd.io/v1"
    pulled = {
        "monitoring/kube-prometheus-stack": kcommit + 2 * NS,
        "apps/orders": ocommit + 2 * NS,
        "apps/keycloak": kc.created + 2 * NS,
    }
    charts = []
    for r in sorted(s.releases.values(), key=lambda r: r.hc_name):
        at = pulled.get(r.key, r.apply_time + 2 * NS)
        gen = 1 if r is kc else 2 + len(r.revs)
        charts.append(
            helmchart_object(
                s,
                r,
                hc_api,
                gen,
                gen,
                r.ver,
                chart_ready_conds(r, r.ver, at, gen),
                r.created + NS,
                "sha256:" + hashlib.sha256(f"{r.repo}-{C // HOUR}".encode()).hexdigest(),
                at,
            )
        )
    repos = {
        "acme-charts": "https://charts.acme.example.com",
        "bitnami": "https://charts.bitnami.com/bitnami",
        "grafana": "https://grafana.github.io/helm-charts",
        "ingress-nginx": "https://kubernetes.github.io/ingress-nginx",
        "jetstack": "https://charts.jetstack.io",
        "prometheus-community": "https://prometheus-community.github.io/helm-charts",
    }
    repo_objs = [
        helmrepo_object(
            s,
            n,
            u,
            hc_api,
            T("2023-08-02T09:10:00Z"),
            "sha256:" + hashlib.sha256(f"{n}-{C // HOUR}".encode()).hexdigest(),
            C - s.ms(60_000, 3_000_000),
        )
        for n, u in sorted(repos.items())
    ]
    node = "aks-system-38455710-vmss000002"
    last_state = {
        "terminated": {
            "exitCode": 137,
            "reason": "OOMKilled",
            "startedAt": rfc3339(c3[0]),
            "finishedAt": rfc3339(c3[1]),
            "containerID": f"containerd://{s.hex(64)}",
        }
    }
    main_args = ["--watch-label-selector=!sharding.fluxcd.io/key"]
    pods = [
        pod_object(
            s,
            POD,
            "helm-controller",
            "ghcr.io/fluxcd/helm-controller:v1.0.1",
            node,
            POD_START,
            c4[0],
            restarts=3,
            last_state=last_state,
            mem="512Mi",
            extra_args=main_args,
        ),
        pod_object(
            s,
            "helm-controller-shard1-6c7d9f8b5-rx2jp",
            "helm-controller-shard1",
            "ghcr.io/fluxcd/helm-controller:v1.0.1",
            "aks-system-38455710-vmss000001",
            T("2024-06-11T16:18:40Z"),
            T("2024-06-11T16:18:44Z"),
            mem="512Mi",
            extra_args=["--watch-label-selector=sharding.fluxcd.io/key in (shard1)"],
        ),
        pod_object(
            s,
            "source-controller-75c8d7f9c8-9wq4d",
            "source-controller",
            "ghcr.io/fluxcd/source-controller:v1.3.0",
            node,
            POD_START - 20 * NS,
            POD_START - 17 * NS,
        ),
        pod_object(
            s,
            "kustomize-controller-7b8d9c6f4d-jk2m7",
            "kustomize-controller",
            "ghcr.io/fluxcd/kustomize-controller:v1.3.0",
            node,
            POD_START - 20 * NS,
            POD_START - 16 * NS,
        ),
        pod_object(
            s,
            "notification-controller-6f8c7d9b4-lp5xv",
            "notification-controller",
            "ghcr.io/fluxcd/notification-controller:v1.3.0",
            node,
            POD_START - 20 * NS,
            POD_START - 15 * NS,
        ),
    ]
    pods[1]["metadata"]["labels"]["app"] = "helm-controller-shard1"
    pod_ref = {
        "kind": "Pod",
        "namespace": "flux-system",
        "name": POD,
        "uid": pods[0]["metadata"]["uid"],
        "apiVersion": "v1",
        "resourceVersion": s.rv(c4[0], 1),
        "fieldPath": "spec.containers{manager}",
    }
    for reason, msg in (
        ("Pulled", 'Container image "ghcr.io/fluxcd/helm-controller:v1.0.1" already present on machine'),
        ("Created", "Created container manager"),
        ("Started", "Started container manager"),
    ):
        s.other_event(
            c1[0] - s.ms(200, 900), c4[0] - s.ms(0, 200), 4, dict(pod_ref), "Normal", reason, msg, "kubelet", node
        )
    s.other_event(
        c2[1] + s.ms(400, 900),
        c3[1] + s.ms(400, 900),
        2,
        dict(pod_ref),
        "Warning",
        "BackOff",
        f"Back-off restarting failed container manager in pod {POD}_flux-system({pods[0]['metadata']['uid']})",
        "kubelet",
        node,
    )
    crs = {}
    for r in s.releases.values():
        crs.setdefault(("helmreleases.helm.toolkit.fluxcd.io", r.ns), []).append(hr_object(r, API))
    for k in crs:
        crs[k].sort(key=lambda o: o["metadata"]["name"])
    crs[("helmcharts.source.toolkit.fluxcd.io", "flux-system")] = charts
    crs[("helmrepositories.source.toolkit.fluxcd.io", "flux-system")] = repo_objs
    out = SAMPLES / s.name
    write_troubleshoot(
        s,
        out,
        ["apps", "data", "flux-system", "infra", "kube-system", "monitoring"],
        crs,
        {"flux-system": pods},
        [(POD, "manager", log_text(s, "c4")), (POD, "manager-previous", log_text(s, "c3"))],
        s.correlate_events(),
        dict(
            helm_collector(s, s.releases.values()),
            **{"monitoring/kube-prometheus-stack": helm_collector_release(s, kps)},
        ),
        version="v0.93.1",
    )
    s.layout = {
        "kind": "troubleshoot",
        "log": f"cluster-resources/pods/logs/flux-system/{POD}/manager.log",
        "prevlog": f"cluster-resources/pods/logs/flux-system/{POD}/manager-previous.log",
    }
    return s
