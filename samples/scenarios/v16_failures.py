"""Scenario 5, `v16-failures`: the story of each release, planted with its truth (`s.plant`).

See samples/SCENARIOS.md for the releases, their truth and the evidence lines.
Here: build() (the controller, the shared helpers) and the bundle it writes (_bundle); the
stories of the releases that fail or recover are in v16_refused.py and v16_waiting.py.
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from scenarios.engine import SAMPLES, Rel, Scenario, backoff
from scenarios.formats import (
    HOUR,
    MIN,
    NS,
    T,
    kubectl_list_yaml,
    rfc3339,
    sha256_digest,
)
from scenarios.objects import (
    chart_ready_conds,
    helmchart_object,
    hr_object,
    log_text,
    ocirepo_object,
    pod_object,
    write,
)
from scenarios.story import V37, finish_status, run_queue, setc, v37_seed

from scenarios.v16_refused import _apps_auth, _apps_ceph, _apps_gateway, _apps_policy, _monitoring_exporter
from scenarios.v16_waiting import _apps_frontend, _apps_search, _apps_web, _apps_worker


NAME = "v16-failures"
LAYOUT = "loose folder: `kubectl get hr -A -o yaml --show-managed-fields`, `kubectl get events -A -o yaml`, `kubectl logs deploy/helm-controller -n flux-system --since=2h`, `kubectl get helmcharts,ocirepositories -A -o yaml` (two files), `kubectl get pods -n flux-system -o yaml`, Helm storage Secrets of apps/ceph (`kubectl get secrets -n apps -l owner=helm,name=ceph -o yaml`, data removed)"
CONTROLLER = (
    "helm-controller v1.6.2 (Flux v2.9.2), API v2, Helm v4.2.2; `--feature-gates=CancelHealthCheckOnNewRevision=true`"
)


def build():
    s = Scenario(NAME, 20260804, T("2026-08-04T09:31:40Z"))
    C, API = s.C, "helm.toolkit.fluxcd.io/v2"
    POD = "helm-controller-6b9d7c4f8-vx2mq"
    POD_START = T("2026-07-28T14:02:11Z")  # Flux upgraded to v2.9.2 that day
    RUN = POD_START + 3 * NS + 211_000_000
    cid = "hc"
    s.procs[cid] = (C - 2 * HOUR, C)  # kubectl logs --since=2h
    v = V37(s, cid, v1=True, v14=True)
    s.L(cid, RUN + 380_000_000, "starting manager", logger="setup")
    start = C - 2 * HOUR - 9 * MIN

    def mk(ns, name, chart, ver, repo, values, created, gen, **kw):
        r = Rel(s, ns, name, chart, ver, repo, values, T(created), gen, event_api=API, **kw)
        r.apply_api = r.status_api = API
        return r

    def healthy_loop(r, first=None):
        run_queue(
            s,
            first or start + s.ms(0, r.interval_ns() // 1_000_000),
            C,
            lambda t, kind: (v.healthy(t, r), s.jitter(r.interval_ns())),
        )

    def start_ref(t, r):
        """Reconcile() of a chartRef release: no HelmChart template line (HC 10.2)."""
        rid = s.uuid()
        t += s.ms(6, 30)
        setc(r, "Reconciling", "True", "Progressing", "Fulfilling prerequisites", t)
        return t + s.ms(5, 20), rid

    def healthy_ref(t, r):
        t, rid = start_ref(t, r)
        v.attempt(r, t)
        return v.done_insync(t + s.ms(60, 700), r, rid)

    def events_meta(r, ver, values, app, oci=None):
        a = {"helm.toolkit.fluxcd.io/revision": ver, "helm.toolkit.fluxcd.io/token": sha256_digest(values)}
        if app:
            a["helm.toolkit.fluxcd.io/app-version"] = app
        if oci:
            a["helm.toolkit.fluxcd.io/oci-digest"] = oci
        return a

    def refused(t, r, rid, action, msg_err, app, kst, retry=None):
        """An action Helm refuses before storing a release (upgrade.go/install.go: failure(), no
        failure counted for remediation, the error returned): Reconciler error + backoff."""
        t += s.ms(150, 420)
        verb = "Upgrade" if action == "upgrade" else "Install"
        msg = f"Helm {action} failed for release {r.ns}/{r.name} with chart {r.chart}@{r.ver}: {msg_err}"
        s.hr_event(cid, t, r, "Warning", f"{verb}Failed", msg, events_meta(r, r.ver, r.values, app))
        setc(r, "Released", "False", f"{verb}Failed", msg, t)
        r.status["failures"] = r.status.get("failures", 0) + 1
        v.summarize(r, t)
        end = t + s.ms(20, 50)
        s.L(cid, end, "Reconciler error", r, rid, level="error", error=msg_err)
        r.status_time = end
        d = backoff(kst["n"])
        kst["n"] += 1
        return end, d

    # what the story sections below share, and what each leaves to the next
    shared = SimpleNamespace(
        API=API,
        C=C,
        POD=POD,
        POD_START=POD_START,
        RUN=RUN,
        cid=cid,
        events_meta=events_meta,
        healthy_loop=healthy_loop,
        healthy_ref=healthy_ref,
        mk=mk,
        refused=refused,
        s=s,
        start=start,
        start_ref=start_ref,
        v=v,
    )
    _healthy(shared)
    _healthy_(shared)
    _apps_policy(shared)
    _apps_gateway(shared)
    _apps_auth(shared)
    _monitoring_exporter(shared)
    _apps_ceph(shared)
    _apps_web(shared)
    _apps_worker(shared)
    _apps_frontend(shared)
    _apps_search(shared)
    return _bundle(shared)


def _healthy(shared):
    """healthy: infra/cert-manager (HelmRepository chart)."""
    healthy_loop, mk, s = shared.healthy_loop, shared.mk, shared.s
    cm = mk(
        "infra",
        "cert-manager",
        "cert-manager",
        "v1.19.2",
        "jetstack",
        {"crds": {"enabled": True}},
        "2024-02-02T09:14:10Z",
        31,
        interval="1h",
    )
    v37_seed(
        cm,
        [("v1.19.1", T("2026-06-02T10:00:00Z"), cm.values), ("v1.19.2", T("2026-07-14T09:12:44Z"), cm.values)],
        T("2026-07-14T09:13:20Z"),
        v1=True,
        app="v1.19.2",
        base=22,
    )
    cm.apply_time = T("2026-07-14T09:12:43Z")
    healthy_loop(cm)
    s.plant(cm, [], "Healthy.")


def _healthy_(shared):
    """healthy: apps/podinfo, chartRef OCIRepository (digest-suffixed chart version, no HelmChart)."""
    C, healthy_ref, mk, s, start = shared.C, shared.healthy_ref, shared.mk, shared.s, shared.start
    pi_digest = hashlib.sha256(b"podinfo-6.9.2").hexdigest()
    pi = mk(
        "apps",
        "podinfo",
        "podinfo",
        f"6.9.2+{pi_digest[:12]}",
        "podinfo",
        {"replicaCount": 2},
        "2025-03-11T08:00:12Z",
        11,
    )
    pi.chart_ref = {"kind": "OCIRepository", "name": "podinfo", "namespace": "apps"}
    v37_seed(
        pi,
        [
            (f"6.9.1+{hashlib.sha256(b'podinfo-6.9.1').hexdigest()[:12]}", T("2026-06-11T10:00:00Z"), pi.values),
            (pi.ver, T("2026-07-21T13:37:02Z"), pi.values),
        ],
        T("2026-07-21T13:37:21Z"),
        v1=True,
        app="6.9.2",
        base=9,
    )
    pi.status.pop("helmChart")
    pi.status["lastAttemptedRevisionDigest"] = "sha256:" + pi_digest
    pi.apply_time = T("2026-07-21T13:37:01Z")
    run_queue(s, start + s.ms(0, 600_000), C, lambda t, kind: (healthy_ref(t, pi), s.jitter(pi.interval_ns())))
    s.plant(
        pi,
        [],
        "Healthy; spec.chartRef to OCIRepository apps/podinfo: no HelmChart object exists for it, and its "
        "chart version carries the digest (`6.9.2+<12 hex>`, DisableChartDigestTracking off).",
    )
    shared.pi_digest = pi_digest


def _bundle(shared):
    """the loose folder."""
    (
        API,
        C,
        POD,
        POD_START,
        RUN,
        au,
        ccommit,
        ce,
        cid,
        gcommit,
        pcommit,
        pi_digest,
        pushed,
        s,
        se,
        wcommit,
        wk_digest,
    ) = (
        shared.API,
        shared.C,
        shared.POD,
        shared.POD_START,
        shared.RUN,
        shared.au,
        shared.ccommit,
        shared.ce,
        shared.cid,
        shared.gcommit,
        shared.pcommit,
        shared.pi_digest,
        shared.pushed,
        shared.s,
        shared.se,
        shared.wcommit,
        shared.wk_digest,
    )
    for r in s.releases.values():
        finish_status(r)
    hc_api = "source.toolkit.fluxcd.io/v1"
    pulled = {
        "apps/policy": pcommit + 2 * NS,
        "apps/gateway": gcommit + 2 * NS,
        "apps/web": wcommit + 2 * NS,
        "apps/ceph": ccommit + 2 * NS,
        "apps/auth": au.created + 2 * NS,
    }
    charts = []
    for r in sorted(s.releases.values(), key=lambda r: r.hc_name):
        if getattr(r, "chart_ref", None) or r is se:
            continue
        at = pulled.get(r.key, r.apply_time + 2 * NS)
        gen = 1 if r is au else 2 + len(r.revs)
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
    ocis = [
        ocirepo_object(
            s,
            "apps",
            "podinfo",
            "oci://ghcr.io/stefanprodan/charts/podinfo",
            "6.9.2",
            pi_digest,
            T("2025-03-11T08:00:10Z"),
            C - s.ms(60_000, 240_000),
        ),
        ocirepo_object(
            s,
            "apps",
            "worker",
            "oci://registry.acme.example.com/charts/worker",
            "1.4.1",
            wk_digest,
            T("2025-05-14T09:59:58Z"),
            pushed,
        ),
    ]
    secrets = []
    for r in (ce,):
        for n, rv in sorted(r.revs.items()):
            secrets.append(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "type": "helm.sh/release.v1",
                    "metadata": {
                        "creationTimestamp": rfc3339(rv["first"] if n == min(r.revs) else rv["last"]),
                        "labels": {
                            "modifiedAt": str(rv["last"] // NS),
                            "name": r.name,
                            "owner": "helm",
                            "status": rv["status"],
                            "version": str(n),
                        },
                        "name": f"sh.helm.release.v1.{r.name}.v{n}",
                        "namespace": r.ns,
                        "resourceVersion": s.rv(rv["last"], 9),
                        "uid": s.uuid(),
                    },
                }
            )
    node = "ip-10-42-17-203.eu-west-1.compute.internal"
    pods = [
        pod_object(
            s,
            POD,
            "helm-controller",
            "ghcr.io/fluxcd/helm-controller:v1.6.2",
            node,
            POD_START,
            RUN,
            extra_args=["--feature-gates=CancelHealthCheckOnNewRevision=true"],
        ),
        pod_object(
            s,
            "source-controller-58d9c7b6f4-h7kqp",
            "source-controller",
            "ghcr.io/fluxcd/source-controller:v1.9.3",
            node,
            POD_START + 1 * NS,
            POD_START + 4 * NS,
        ),
        pod_object(
            s,
            "kustomize-controller-7f6c9d8b5c-2xw9l",
            "kustomize-controller",
            "ghcr.io/fluxcd/kustomize-controller:v1.9.3",
            node,
            POD_START + 1 * NS,
            POD_START + 4 * NS,
        ),
        pod_object(
            s,
            "notification-controller-6d8b7c9f5d-qz4tn",
            "notification-controller",
            "ghcr.io/fluxcd/notification-controller:v1.9.2",
            node,
            POD_START + 1 * NS,
            POD_START + 5 * NS,
        ),
    ]
    out = SAMPLES / s.name
    hrs = [hr_object(r, API) for r in sorted(s.releases.values(), key=lambda r: (r.ns, r.name)) if r is not se]
    # `kubectl get ... -o yaml` prints each item of a List with its apiVersion and kind
    events = sorted(
        (dict(e, apiVersion="v1", kind="Event") for e in s.correlate_events()),
        key=lambda e: (e["metadata"]["namespace"], e["metadata"]["name"]),
    )
    pods = [dict(p, apiVersion="v1", kind="Pod") for p in pods]
    s.loose_events = events
    write(out / "helmreleases.yaml", kubectl_list_yaml(hrs))
    write(out / "events.yaml", kubectl_list_yaml(events))
    write(out / "helm-controller.log", log_text(s, cid))
    write(out / "helmcharts.yaml", kubectl_list_yaml(charts))
    write(out / "ocirepositories.yaml", kubectl_list_yaml(ocis))
    write(out / "helm-secrets.yaml", kubectl_list_yaml(secrets))
    write(out / "flux-system-pods.yaml", kubectl_list_yaml(pods))
    s.layout = {
        "kind": "loose",
        "log": "helm-controller.log",
        "hr": "helmreleases.yaml",
        "events": "events.yaml",
        "helmchart": "helmcharts.yaml",
    }
    return s
