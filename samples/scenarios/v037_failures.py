"""Scenario 2, `v037-failures`: the story of each release, planted with its truth (`s.plant`).

See samples/SCENARIOS.md for the releases, their truth and the evidence lines.
Here: build() (the controller, the shared helpers) and the bundle it writes (_bundle); the
stories of the releases that fail or recover are in v037_upgrades.py and v037_sources.py.
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from scenarios.engine import SAMPLES, Rel, Scenario
from scenarios.formats import (
    HOUR,
    NS,
    T,
    kubectl_list_yaml,
)
from scenarios.objects import (
    chart_ready_conds,
    cond,
    helmchart_object,
    hr_object,
    log_text,
    pod_object,
    write,
)
from scenarios.story import (
    V37,
    finish_status,
    run_queue,
    v37_seed,
)

from scenarios.v037_upgrades import _apps_cart_service, _apps_reviews, _apps_search_api
from scenarios.v037_sources import (
    _apps_checkout_ui,
    _apps_payment_gateway,
    _apps_web_frontend,
    _drift_helpers,
    _monitoring_grafana,
)


NAME = "v037-failures"
LAYOUT = "loose folder: `kubectl get hr -A -o yaml --show-managed-fields`, `kubectl get events -A -o yaml`, `kubectl logs deploy/helm-controller -n flux-system`, `kubectl get helmcharts -A -o yaml`, `kubectl get pods -n flux-system -o yaml`"
CONTROLLER = "helm-controller v0.37.4 (Flux v2.2.3), API v2beta2, Helm v3.13.3"


def build():
    s = Scenario(NAME, 20240220, T("2024-02-20T16:31:08Z"))
    C, API = s.C, "helm.toolkit.fluxcd.io/v2beta2"
    POD = "helm-controller-6b5c9d8f47-q7m2x"
    POD_START = T("2024-02-20T14:02:14Z")
    RUN = POD_START + 3 * NS + 318_000_000
    cid = "hc"
    s.procs[cid] = (RUN, C)  # `kubectl logs deploy/helm-controller`: the whole container life
    v = V37(s, cid)
    s.L(cid, RUN + 433_000_000, "starting manager", logger="setup")
    s.L(cid, RUN + 1_912_000_000, "Starting Controller", extra={"_ctrl": True})
    s.L(cid, RUN + 1_913_000_000, "Starting workers", extra={"_ctrl": True, "worker count": 4})
    first = RUN + 2 * NS

    def mk(ns, name, chart, ver, repo, values, created, gen, **kw):
        r = Rel(s, ns, name, chart, ver, repo, values, T(created), gen, event_api=API, **kw)
        r.apply_api = r.status_api = API
        return r

    def healthy_loop(r, start=None, until=C):
        def h(t, kind):
            end = v.healthy(t, r)
            return end, s.jitter(r.interval_ns())

        run_queue(s, start or first + s.ms(0, 3000), until, h)

    # what the story sections below share, and what each leaves to the next
    shared = SimpleNamespace(
        API=API,
        C=C,
        POD=POD,
        POD_START=POD_START,
        RUN=RUN,
        cid=cid,
        first=first,
        healthy_loop=healthy_loop,
        mk=mk,
        s=s,
        v=v,
    )
    _healthy(shared)
    _apps_search_api(shared)
    _apps_cart_service(shared)
    _apps_payment_gateway(shared)
    _drift_helpers(shared)
    _apps_web_frontend(shared)
    _apps_checkout_ui(shared)
    _apps_reviews(shared)
    _monitoring_grafana(shared)
    return _bundle(shared)


def _healthy(shared):
    """healthy: infra/cert-manager, infra/ingress-nginx (depends on it), monitoring/kube-prometheus-stack."""
    healthy_loop, mk, s = shared.healthy_loop, shared.mk, shared.s
    cm = mk(
        "infra",
        "cert-manager",
        "cert-manager",
        "v1.14.2",
        "jetstack",
        {"installCRDs": True, "replicaCount": 2},
        "2023-08-02T09:14:10Z",
        9,
        interval="1h",
    )
    v37_seed(
        cm,
        [("v1.13.3", T("2024-01-09T10:00:00Z"), cm.values), ("v1.14.2", T("2024-02-13T09:21:40Z"), cm.values)],
        T("2024-02-13T09:22:15Z"),
        base=7,
    )
    cm.apply_time = T("2024-02-13T09:21:38Z")
    healthy_loop(cm)
    s.plant(cm, [], "Healthy (in-sync every hour).")

    ing = mk(
        "infra",
        "ingress-nginx",
        "ingress-nginx",
        "4.9.1",
        "ingress-nginx",
        {"controller": {"replicaCount": 2, "metrics": {"enabled": True}}},
        "2023-08-02T09:14:10Z",
        12,
        interval="1h",
        deps=["infra/cert-manager"],
    )
    v37_seed(
        ing,
        [("4.8.3", T("2023-12-01T10:00:00Z"), ing.values), ("4.9.1", T("2024-02-06T15:40:02Z"), ing.values)],
        T("2024-02-06T15:40:44Z"),
    )
    ing.apply_time = T("2024-02-06T15:40:01Z")
    healthy_loop(ing)
    s.plant(ing, [], "Healthy, its dependency infra/cert-manager is Ready (`all dependencies are ready`).")

    kps = mk(
        "monitoring",
        "kube-prometheus-stack",
        "kube-prometheus-stack",
        "56.6.2",
        "prometheus-community",
        {"grafana": {"enabled": False}, "prometheus": {"prometheusSpec": {"retention": "15d"}}},
        "2023-08-02T09:20:44Z",
        17,
        interval="30m",
        timeout="10m",
    )
    v37_seed(
        kps,
        [("56.0.1", T("2024-01-18T10:00:00Z"), kps.values), ("56.6.2", T("2024-02-12T11:05:31Z"), kps.values)],
        T("2024-02-12T11:07:19Z"),
    )
    kps.apply_time = T("2024-02-12T11:05:30Z")
    healthy_loop(kps)
    s.plant(kps, [], "Healthy (in-sync every 30 minutes).")


def _bundle(shared):
    """the loose folder (ECO 1d/1e)."""
    API, C, POD, POD_START, RUN, cid, cs_commit, gf_ready, pg_commit, rv_commit, s, sa_commit, stalled = (
        shared.API,
        shared.C,
        shared.POD,
        shared.POD_START,
        shared.RUN,
        shared.cid,
        shared.cs_commit,
        shared.gf_ready,
        shared.pg_commit,
        shared.rv_commit,
        shared.s,
        shared.sa_commit,
        shared.stalled,
    )
    for r in s.releases.values():
        finish_status(r)
    hc_api = "source.toolkit.fluxcd.io/v1beta2"
    pulled = {
        "apps/search-api": sa_commit + 2 * NS,
        "apps/cart-service": cs_commit + 2 * NS,
        "apps/reviews": rv_commit + 2 * NS,
        "monitoring/grafana": gf_ready,
    }
    charts = []
    for r in sorted(s.releases.values(), key=lambda r: r.hc_name):
        gen = 2 + len(r.revs)
        idx = "sha256:" + hashlib.sha256(f"{r.repo}-{C // HOUR}".encode()).hexdigest()
        if r.key == "apps/payment-gateway":
            at = pg_commit + s.ms(900, 1400)
            old_at = T("2024-02-14T10:30:56Z")
            conds = [
                cond("Ready", "False", "InvalidChartReference", stalled, at, gen),
                cond(
                    "ArtifactInStorage",
                    "True",
                    "ChartPullSucceeded",
                    "pulled 'payment-gateway' chart with version '3.1.4'",
                    old_at,
                    gen - 1,
                ),
                cond("FetchFailed", "True", "InvalidChartReference", stalled, at, gen),
                cond("Stalled", "True", "InvalidChartReference", stalled, at, gen),
            ]
            charts.append(helmchart_object(s, r, hc_api, gen, gen, "3.1.4", conds, r.created + NS, idx, old_at))
            charts[-1]["metadata"]["resourceVersion"] = s.rv(at, 6)
            continue
        at = pulled.get(r.key, r.apply_time + 2 * NS)
        charts.append(
            helmchart_object(
                s, r, hc_api, gen, gen, r.ver, chart_ready_conds(r, r.ver, at, gen), r.created + NS, idx, at
            )
        )
    node = "gke-prod-pool-3-8c1e2f4a-k2vd"
    pods = [
        pod_object(s, POD, "helm-controller", "ghcr.io/fluxcd/helm-controller:v0.37.4", node, POD_START, RUN),
        pod_object(
            s,
            "source-controller-7c8f9b6d4-wq5hz",
            "source-controller",
            "ghcr.io/fluxcd/source-controller:v1.2.4",
            node,
            POD_START + 1 * NS,
            POD_START + 4 * NS,
        ),
        pod_object(
            s,
            "kustomize-controller-5f6d8c7b9f-zt8rn",
            "kustomize-controller",
            "ghcr.io/fluxcd/kustomize-controller:v1.2.2",
            "gke-prod-pool-3-8c1e2f4a-m9qs",
            T("2024-02-20T14:01:50Z"),
            T("2024-02-20T14:01:53Z"),
        ),
        pod_object(
            s,
            "notification-controller-6d9f8b7c5d-4hxjd",
            "notification-controller",
            "ghcr.io/fluxcd/notification-controller:v1.2.4",
            "gke-prod-pool-3-8c1e2f4a-m9qs",
            T("2024-02-20T14:01:50Z"),
            T("2024-02-20T14:01:54Z"),
        ),
    ]
    out = SAMPLES / s.name
    hrs = [hr_object(r, API) for r in sorted(s.releases.values(), key=lambda r: (r.ns, r.name))]
    events = sorted(s.correlate_events(), key=lambda e: (e["metadata"]["namespace"], e["metadata"]["name"]))
    s.loose_events = events
    write(out / "helmreleases.yaml", kubectl_list_yaml(hrs))
    write(out / "events.yaml", kubectl_list_yaml(events))
    write(out / "helm-controller.log", log_text(s, cid))
    write(out / "helmcharts.yaml", kubectl_list_yaml(charts))
    write(out / "flux-system-pods.yaml", kubectl_list_yaml(pods))
    s.layout = {
        "kind": "loose",
        "log": "helm-controller.log",
        "hr": "helmreleases.yaml",
        "events": "events.yaml",
        "helmchart": "helmcharts.yaml",
    }
    return s
