"""Scenario 1, `v036-failures`: the story of each release, planted with its truth (`s.plant`).

See samples/SCENARIOS.md for the releases, their truth and the evidence lines.
Here: build() (the controller, the shared helpers) and the bundle it writes (_bundle); the
stories of the releases that fail or recover are in v036_upgrades.py and v036_others.py.
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from scenarios.engine import SAMPLES, Rel, Scenario
from scenarios.formats import HOUR, NS, T
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
    run_queue,
    seed_history,
    v36_finished,
    v36_healthy_status,
)

from scenarios.v036_upgrades import _apps_cart, _apps_checkout, _apps_recommender
from scenarios.v036_others import _apps_catalog, _apps_frontend, _apps_payments_api, _infra_velero


NAME = "v036-failures"
LAYOUT = "troubleshoot.sh support bundle (unpacked), `logs` collector with limits.maxAge 2h"
CONTROLLER = "helm-controller v0.36.2 (Flux v2.1.2), HelmRelease API v2beta1, Helm v3.12.3"


def build():
    s = Scenario(NAME, 20231121, T("2023-11-21T10:42:37Z"))
    C, API = s.C, "helm.toolkit.fluxcd.io/v2beta1"
    POD = "helm-controller-865b9b77c-9x4lm"
    POD_START = T("2023-11-19T03:14:21Z")  # rescheduled after its node failed at ~03:09 (5m NotReady eviction)
    RUN = POD_START + 3 * NS + 212_000_000
    cid = "hc"
    # troubleshoot `logs` collector with limits.maxAge: 2h -> only the last two hours of manager.log (ECO 1a)
    s.procs[cid] = (C - 2 * HOUR, C)
    s.L(cid, RUN + 401_000_000, "starting manager", logger="setup")
    ev = dict(event_api=API)

    def mk(ns, name, chart, ver, repo, values, created, gen, **kw):
        r = Rel(s, ns, name, chart, ver, repo, values, T(created), gen, **kw, **ev)
        r.apply_api = r.status_api = API
        return r

    # what the story sections below share, and what each leaves to the next
    shared = SimpleNamespace(API=API, C=C, POD=POD, POD_START=POD_START, RUN=RUN, cid=cid, ev=ev, mk=mk, s=s)
    _healthy_periodic_reconciler(shared)
    _infra_velero(shared)
    _apps_cart(shared)
    _apps_checkout(shared)
    _apps_recommender(shared)
    _apps_payments_api(shared)
    _apps_frontend(shared)
    _apps_catalog(shared)
    return _bundle(shared)


def _healthy_periodic_reconciler(shared):
    """healthy periodic reconciler (v0.36: deps line + `reconciliation finished ... next run in`)."""
    C, cid, mk, s = shared.C, shared.cid, shared.mk, shared.s

    def healthy_loop(r, first):
        def h(t, kind):
            rid = s.uuid()
            now = t + s.ms(5, 30)
            if r.deps:
                s.L(cid, now, "all dependencies are ready, proceeding with release", r, rid)
            end = now + s.ms(90, 1400)
            nxt = s.jitter(r.interval_ns())
            v36_finished(s, cid, t, end, r, rid, nxt)
            return end, nxt

        run_queue(s, first, C, h)

    # infra/cert-manager, infra/ingress-nginx (depends on cert-manager), monitoring/kube-prometheus-stack
    cm = mk(
        "infra",
        "cert-manager",
        "cert-manager",
        "v1.13.2",
        "jetstack",
        {"installCRDs": True, "replicaCount": 2},
        "2023-08-02T09:14:10Z",
        6,
        interval="1h",
    )
    seed_history(
        cm,
        [
            ("v1.12.3", T("2023-08-02T09:14:22Z"), cm.values),
            ("v1.13.1", T("2023-10-05T13:01:40Z"), cm.values),
            ("v1.13.2", T("2023-11-02T08:47:19Z"), cm.values),
        ],
    )
    v36_healthy_status(cm, T("2023-11-02T08:47:51Z"))
    cm.apply_time = T("2023-11-02T08:47:18Z")
    healthy_loop(cm, C - 2 * HOUR - s.ms(0, 3_500_000))
    s.plant(cm, [], "Healthy: periodic `reconciliation finished` every ~1h, Ready=True ReconciliationSucceeded.")

    ing = mk(
        "infra",
        "ingress-nginx",
        "ingress-nginx",
        "4.8.3",
        "ingress-nginx",
        {"controller": {"replicaCount": 2, "metrics": {"enabled": True}}},
        "2023-08-02T09:14:10Z",
        9,
        interval="1h",
        deps=["infra/cert-manager"],
    )
    seed_history(
        ing, [("4.7.1", T("2023-08-02T09:15:02Z"), ing.values), ("4.8.3", T("2023-11-07T10:22:05Z"), ing.values)]
    )
    v36_healthy_status(ing, T("2023-11-07T10:22:41Z"))
    ing.apply_time = T("2023-11-07T10:22:04Z")
    healthy_loop(ing, C - 2 * HOUR - s.ms(0, 3_500_000))
    s.plant(
        ing,
        [],
        "Healthy, depends on infra/cert-manager which is Ready: "
        "`all dependencies are ready, proceeding with release` each hour.",
    )

    kps = mk(
        "monitoring",
        "kube-prometheus-stack",
        "kube-prometheus-stack",
        "52.1.0",
        "prometheus-community",
        {"grafana": {"enabled": False}, "prometheus": {"prometheusSpec": {"retention": "15d"}}},
        "2023-08-02T09:20:44Z",
        11,
        interval="30m",
        timeout="10m",
    )
    seed_history(
        kps, [("51.0.3", T("2023-09-12T07:30:09Z"), kps.values), ("52.1.0", T("2023-11-14T16:05:33Z"), kps.values)]
    )
    v36_healthy_status(kps, T("2023-11-14T16:07:02Z"))
    kps.apply_time = T("2023-11-14T16:05:31Z")
    healthy_loop(kps, C - 2 * HOUR - s.ms(0, 1_800_000))
    s.plant(kps, [], "Healthy: periodic reconciles every ~30m.")


def _bundle(shared):
    """bundle."""
    API, C, POD, POD_START, RUN, ca_commit, cid, co_commit, fe_ready, rec_commit, s = (
        shared.API,
        shared.C,
        shared.POD,
        shared.POD_START,
        shared.RUN,
        shared.ca_commit,
        shared.cid,
        shared.co_commit,
        shared.fe_ready,
        shared.rec_commit,
        shared.s,
    )
    repos = {
        "acme-charts": "https://charts.acme.example.com",
        "jetstack": "https://charts.jetstack.io",
        "ingress-nginx": "https://kubernetes.github.io/ingress-nginx",
        "prometheus-community": "https://prometheus-community.github.io/helm-charts",
        "vmware-tanzu": "https://vmware-tanzu.github.io/helm-charts",
    }
    pulled = {
        "apps/frontend": fe_ready,
        "apps/recommender": rec_commit + 2 * NS,
        "apps/checkout": co_commit + 2 * NS,
        "apps/catalog": ca_commit + 2 * NS,
    }
    charts = []
    for r in sorted(s.releases.values(), key=lambda r: r.hc_name):
        at = pulled.get(r.key, r.apply_time + 2 * NS)
        gen = 3 + len(r.revs)
        charts.append(
            helmchart_object(
                s,
                r,
                "source.toolkit.fluxcd.io/v1beta2",
                gen,
                gen,
                r.ver,
                chart_ready_conds(r, r.ver, at, gen),
                r.created + NS,
                "sha256:" + hashlib.sha256(f"{r.repo}-{at // HOUR}".encode()).hexdigest(),
                at,
            )
        )
    repo_objs = [
        helmrepo_object(
            s,
            n,
            u,
            "source.toolkit.fluxcd.io/v1beta2",
            T("2023-05-09T10:20:00Z"),
            "sha256:" + hashlib.sha256(f"{n}-{C // HOUR}".encode()).hexdigest(),
            C - s.ms(60_000, 3_000_000),
            interval="1m" if n == "acme-charts" else "1h",
        )
        for n, u in sorted(repos.items())
    ]
    node = "ip-10-0-42-17.eu-west-1.compute.internal"
    pods = [
        pod_object(s, POD, "helm-controller", "ghcr.io/fluxcd/helm-controller:v0.36.2", node, POD_START, RUN),
        pod_object(
            s,
            "source-controller-6d597849c8-2qk7w",
            "source-controller",
            "ghcr.io/fluxcd/source-controller:v1.1.2",
            node,
            POD_START + 2 * NS,
            POD_START + 5 * NS,
        ),
        pod_object(
            s,
            "kustomize-controller-57c7ff5596-8d9vb",
            "kustomize-controller",
            "ghcr.io/fluxcd/kustomize-controller:v1.1.1",
            "ip-10-0-17-203.eu-west-1.compute.internal",
            T("2023-10-12T14:01:55Z"),
            T("2023-10-12T14:01:58Z"),
        ),
        pod_object(
            s,
            "notification-controller-858996fc54-xkm2b",
            "notification-controller",
            "ghcr.io/fluxcd/notification-controller:v1.1.0",
            "ip-10-0-17-203.eu-west-1.compute.internal",
            T("2023-10-12T14:01:55Z"),
            T("2023-10-12T14:01:59Z"),
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
    )
    s.layout = {"kind": "troubleshoot", "log": f"cluster-resources/pods/logs/flux-system/{POD}/manager.log"}
    return s
