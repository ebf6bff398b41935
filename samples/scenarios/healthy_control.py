"""Scenario 4, `healthy-control`: the story of each release, planted with its truth (`s.plant`).

See samples/SCENARIOS.md for the releases, their truth and the evidence lines.
Here: build() (the controller, the shared helpers) and the bundle it writes (_bundle); the
stories of the releases that fail or recover are in healthy_control_releases.py.
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from scenarios.engine import SAMPLES, Rel, Scenario
from scenarios.formats import HOUR, MIN, NS, T
from scenarios.objects import (
    chart_ready_conds,
    helm_collector,
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

from scenarios.healthy_control_releases import (
    _apps_api,
    _apps_billing,
    _apps_podinfo,
    _apps_web,
    _apps_worker,
    _monitoring_grafana,
)


NAME = "healthy-control"
LAYOUT = "troubleshoot.sh support bundle (unpacked), `logs` collector with limits.maxAge 2h"
CONTROLLER = "helm-controller v1.4.1 (Flux v2.7.1), API v2, Helm v3.19.0"


def build():
    s = Scenario(NAME, 20251021, T("2025-10-21T09:47:15Z"))
    C, API = s.C, "helm.toolkit.fluxcd.io/v2"
    POD = "helm-controller-5c7b9d8f6d-mn8px"
    POD_START = T("2025-10-20T22:03:37Z")
    RUN = POD_START + 3 * NS + 407_000_000
    cid = "hc"
    s.procs[cid] = (C - 2 * HOUR, C)  # logs collector limits.maxAge: 2h
    v = V37(s, cid, v1=True, v14=True)
    s.L(cid, RUN + 402_000_000, "starting manager", logger="setup")

    def mk(ns, name, chart, ver, repo, values, created, gen, **kw):
        r = Rel(s, ns, name, chart, ver, repo, values, T(created), gen, event_api=API, **kw)
        r.apply_api = r.status_api = API
        return r

    start = C - 2 * HOUR - 11 * MIN

    def healthy_loop(r):
        run_queue(
            s,
            start + s.ms(0, r.interval_ns() // 1_000_000),
            C,
            lambda t, kind: (v.healthy(t, r), s.jitter(r.interval_ns())),
        )

    cm = mk(
        "infra",
        "cert-manager",
        "cert-manager",
        "v1.18.2",
        "jetstack",
        {"crds": {"enabled": True}},
        "2024-02-02T09:14:10Z",
        23,
        interval="1h",
    )
    v37_seed(
        cm,
        [("v1.18.1", T("2025-08-04T10:00:00Z"), cm.values), ("v1.18.2", T("2025-10-02T09:12:44Z"), cm.values)],
        T("2025-10-02T09:13:20Z"),
        v1=True,
        app="v1.18.2",
        base=16,
    )
    cm.apply_time = T("2025-10-02T09:12:43Z")
    healthy_loop(cm)
    s.plant(cm, [], "Healthy.")
    ing = mk(
        "infra",
        "ingress-nginx",
        "ingress-nginx",
        "4.13.3",
        "ingress-nginx",
        {"controller": {"replicaCount": 3}},
        "2024-02-02T09:14:10Z",
        19,
        interval="1h",
        deps=["infra/cert-manager"],
    )
    v37_seed(
        ing,
        [("4.13.2", T("2025-09-04T10:00:00Z"), ing.values), ("4.13.3", T("2025-10-01T08:03:11Z"), ing.values)],
        T("2025-10-01T08:03:50Z"),
        v1=True,
        app="1.13.3",
        base=12,
    )
    ing.apply_time = T("2025-10-01T08:03:10Z")
    healthy_loop(ing)
    s.plant(ing, [], "Healthy; depends on infra/cert-manager (Ready).")
    # what the story sections below share, and what each leaves to the next
    shared = SimpleNamespace(
        API=API,
        C=C,
        POD=POD,
        POD_START=POD_START,
        RUN=RUN,
        cid=cid,
        cm=cm,
        healthy_loop=healthy_loop,
        ing=ing,
        mk=mk,
        s=s,
        start=start,
        v=v,
    )
    _apps_podinfo(shared)
    _apps_api(shared)
    _apps_worker(shared)
    _apps_web(shared)
    _apps_billing(shared)
    _monitoring_grafana(shared)
    return _bundle(shared)


def _bundle(shared):
    """bundle."""
    API, C, POD, POD_START, RUN, acommit, cid, gready, pcommit, s = (
        shared.API,
        shared.C,
        shared.POD,
        shared.POD_START,
        shared.RUN,
        shared.acommit,
        shared.cid,
        shared.gready,
        shared.pcommit,
        shared.s,
    )
    for r in s.releases.values():
        finish_status(r)
    hc_api = "source.toolkit.fluxcd.io/v1"
    pulled = {"apps/podinfo": pcommit + 2 * NS, "apps/api": acommit + 2 * NS, "monitoring/grafana": gready}
    charts = []
    for r in sorted(s.releases.values(), key=lambda r: r.hc_name):
        at = pulled.get(r.key, r.apply_time + 2 * NS)
        gen = 2 + len(r.revs)
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
        "grafana": "https://grafana.github.io/helm-charts",
        "ingress-nginx": "https://kubernetes.github.io/ingress-nginx",
        "jetstack": "https://charts.jetstack.io",
        "podinfo": "https://stefanprodan.github.io/podinfo",
    }
    repo_objs = [
        helmrepo_object(
            s,
            n,
            u,
            hc_api,
            T("2024-02-02T09:10:00Z"),
            "sha256:" + hashlib.sha256(f"{n}-{C // HOUR}".encode()).hexdigest(),
            C - s.ms(60_000, 3_000_000),
            interval="1m" if n in ("grafana", "acme-charts") else "1h",
        )
        for n, u in sorted(repos.items())
    ]
    node = "aks-system-31337042-vmss000004"
    pods = [
        pod_object(s, POD, "helm-controller", "ghcr.io/fluxcd/helm-controller:v1.4.1", node, POD_START, RUN),
        pod_object(
            s,
            "source-controller-6f9b5d7c8-7nq4r",
            "source-controller",
            "ghcr.io/fluxcd/source-controller:v1.7.1",
            node,
            POD_START + 2 * NS,
            POD_START + 5 * NS,
        ),
        pod_object(
            s,
            "kustomize-controller-78d9f6c5b-hx2vw",
            "kustomize-controller",
            "ghcr.io/fluxcd/kustomize-controller:v1.7.0",
            node,
            POD_START + 2 * NS,
            POD_START + 5 * NS,
        ),
        pod_object(
            s,
            "notification-controller-5b8c7d6f9-dk7tm",
            "notification-controller",
            "ghcr.io/fluxcd/notification-controller:v1.7.2",
            node,
            POD_START + 2 * NS,
            POD_START + 6 * NS,
        ),
    ]
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
        ["apps", "flux-system", "infra", "kube-system", "monitoring"],
        crs,
        {"flux-system": pods},
        [(POD, "manager", log_text(s, cid))],
        s.correlate_events(),
        helm_collector(s, s.releases.values()),
        version="v0.121.1",
    )
    s.layout = {"kind": "troubleshoot", "log": f"cluster-resources/pods/logs/flux-system/{POD}/manager.log"}
    return s
