"""Scenario `v037-failures`: chart sources and drift (apps/payment-gateway chart not published and
apps/payment-worker waiting on it, apps/web-frontend and apps/checkout-ui drift, monitoring/grafana
chart late in its index)."""

from __future__ import annotations

from scenarios.formats import (
    NS,
    T,
)
from scenarios.story import (
    ann,
    delc,
    run_queue,
    setc,
    v37_seed,
)


def _apps_payment_gateway(shared):
    """apps/payment-gateway: chart-fetch (version not in the index); apps/payment-worker depends on it."""
    C, first, mk, s, v = shared.C, shared.first, shared.mk, shared.s, shared.v
    pg_vals = {"replicaCount": 2, "psp": {"endpoint": "https://psp.example.net"}}
    pg = mk(
        "apps",
        "payment-gateway",
        "payment-gateway",
        "3.1.4",
        "acme-charts",
        pg_vals,
        "2023-09-04T08:00:00Z",
        21,
        interval="5m",
    )
    v37_seed(
        pg,
        [("3.1.2", T("2024-01-30T10:00:00Z"), pg_vals), ("3.1.4", T("2024-02-14T10:30:55Z"), pg_vals)],
        T("2024-02-14T10:31:22Z"),
        base=9,
    )
    pg.apply_time = T("2024-02-14T10:30:54Z")
    pg_commit = T("2024-02-20T15:41:14Z")
    stalled = (
        "invalid chart reference: failed to get chart version for remote reference: no 'payment-gateway' "
        "chart with version matching '3.2.0' found"
    )
    pgs = {}

    def pg_h(t, kind):
        if t < pg_commit:
            return v.healthy(t, pg), s.jitter(pg.interval_ns())
        if kind == "spec":
            pg.ver, pg.gen = "3.2.0", pg.gen + 1
            t, rid = v.start(t, pg, "Configured")
            t = v.chart_not_ready(t, pg, rid, "latest generation of object has not been reconciled")
        else:  # HelmChart stalled: generation observed, Stalled=True (source-controller IsPersistentBuildErrorReason)
            t, rid = v.start(t, pg)
            t = v.chart_not_ready(t, pg, rid, stalled)
            pgs["last"] = t
        pg.status_time = t
        return t, s.jitter(pg.interval_ns())

    run_queue(s, first + s.ms(0, 3000), C, pg_h, [(pg_commit + s.ms(150, 250), "spec")])
    pg.status["observedGeneration"] = pg.gen - 1
    pg.apply_time = pg_commit
    s.plant(
        pg,
        ["chart-fetch"],
        "Chart version 3.2.0 is not published in acme-charts: the HelmChart is Stalled "
        "(InvalidChartReference, `no 'payment-gateway' chart with version matching '3.2.0' found`), so every "
        "reconcile stops at `HelmChart 'flux-system/apps-payment-gateway' is not ready: ...` "
        "(Ready=False HelmChartNotReady, observedGeneration behind; v0.37 records no event for it).",
        [
            ("log", "is not ready: invalid chart reference"),
            ("hr", "reason: HelmChartNotReady"),
            ("helmchart", "reason: InvalidChartReference"),
        ],
    )

    pw_vals = {"replicaCount": 2, "env": {"PSP_TIMEOUT": "20s"}}
    pw_old = {"replicaCount": 2, "env": {"PSP_TIMEOUT": "10s"}}
    pw = mk(
        "apps",
        "payment-worker",
        "payment-worker",
        "3.1.4",
        "acme-charts",
        pw_old,
        "2023-09-04T08:00:00Z",
        16,
        interval="5m",
        deps=["apps/payment-gateway"],
    )
    v37_seed(
        pw,
        [("3.1.2", T("2024-01-30T10:01:00Z"), pw_old), ("3.1.4", T("2024-02-14T10:31:40Z"), pw_old)],
        T("2024-02-14T10:32:09Z"),
        base=9,
    )
    pw.apply_time = T("2024-02-14T10:31:39Z")
    blocked = "dependency 'apps/payment-gateway' is not ready"
    pws = {}

    def pw_h(t, kind):
        if t < pg_commit:
            return v.healthy(t, pw), s.jitter(pw.interval_ns())
        if kind == "spec":
            pw.values, pw.gen = pw_vals, pw.gen + 1
        t, rid = v.start(t, pw)
        t = v.deps(t, pw, rid, blocked_by=blocked)
        pw.status_time = t
        pws["first"] = pws.get("first", t)
        return t, 30 * NS  # --requeue-dependency 30s

    run_queue(s, first + s.ms(0, 3000), C, pw_h, [(pg_commit + s.ms(160, 300), "spec")])
    pw.status["observedGeneration"] = pw.gen - 1
    pw.apply_time = pg_commit
    s.plant(
        pw,
        ["dependency-failed"],
        "Same commit changes its values, but it depends on apps/payment-gateway, which "
        "really fails (chart-fetch): `dependencies do not meet ready condition (dependency "
        "'apps/payment-gateway' is not ready): retrying in 30s` every 30s, Ready=False DependencyNotReady. "
        "v0.37 passes `info` as event type, so no DependencyNotReady Kubernetes event exists.",
        [("log", "dependencies do not meet ready condition"), ("hr", "reason: DependencyNotReady")],
    )
    shared.pg = pg
    shared.pg_commit = pg_commit
    shared.stalled = stalled


def _drift_helpers(shared):
    """drift helpers (HC 6.2; internal/reconcile/atomic_release.go, correct_cluster_drift.go)."""
    cid, s, v = shared.cid, shared.s, shared.v

    def drift_reconcile(t, r, obj, v1=False):
        t, rid = v.start(t, r)
        v.attempt(r, t)
        t += s.ms(250, 700)  # SSA dry-run diff of the release manifest
        s.L(cid, t, "detected changes in cluster state: removed: 0, changed: 1, excluded: 0", r, rid)
        cur = r.history[0]
        rel = r.full(cur["version"])
        s.hr_event(
            cid,
            t + s.ms(1, 4),
            r,
            "Warning",
            "DriftDetected",
            f"Cluster state of release {rel} has drifted from the desired state:\n"
            f"{obj} changed (0 additions, 1 changes, 0 removals)",
        )
        t = v.run_action(t + s.ms(5, 15), r, rid, "correct cluster drift", r.timeout_str(), release_type=False)
        if v1:
            setc(r, "Ready", "Unknown", "Progressing", "correcting cluster drift", t)
        t += s.ms(90, 300)
        s.hr_event(
            cid,
            t,
            r,
            "Normal",
            "DriftCorrected",
            f"Cluster state of release {rel} has been corrected:\n{obj} configured",
            ann(r, cur["version"], v1),
        )
        return v.done_insync(t + s.ms(200, 600), r, rid)

    shared.drift_reconcile = drift_reconcile


def _apps_web_frontend(shared):
    """apps/web-frontend: drift loop (an HPA owns /spec/replicas)."""
    C, drift_reconcile, first, mk, s, v = shared.C, shared.drift_reconcile, shared.first, shared.mk, shared.s, shared.v
    wf_vals = {"replicaCount": 2, "autoscaling": {"enabled": True, "minReplicas": 3, "maxReplicas": 10}}
    wf = mk(
        "apps",
        "web-frontend",
        "web-frontend",
        "4.2.1",
        "acme-charts",
        wf_vals,
        "2023-09-04T08:00:00Z",
        6,
        interval="5m",
    )
    v37_seed(
        wf,
        [("4.1.0", T("2024-01-25T10:00:00Z"), wf_vals), ("4.2.1", T("2024-02-16T09:12:30Z"), wf_vals)],
        T("2024-02-16T09:13:02Z"),
        base=10,
    )  # revisions 11..12
    wf.apply_time = T("2024-02-16T09:12:29Z")
    wf_commit = T("2024-02-20T14:30:55Z")
    wfs = {"drifts": 0}

    def wf_h(t, kind):
        if t < wf_commit:
            return v.healthy(t, wf), s.jitter(wf.interval_ns())
        if kind == "spec":
            wf.gen += 1
            wf.spec_extra["driftDetection"] = {"mode": "enabled"}
        wfs["drifts"] += 1
        return drift_reconcile(t, wf, "Deployment/apps/web-frontend"), s.jitter(wf.interval_ns())

    run_queue(s, first + s.ms(0, 3000), C, wf_h, [(wf_commit + s.ms(150, 250), "spec")])
    wf.apply_time = wf_commit
    s.plant(
        wf,
        ["drift"],
        f"driftDetection.mode enabled at 14:30:55 while an HPA (min 3) scales "
        f"Deployment/apps/web-frontend that the chart renders with 2 replicas: every 5m reconcile finds "
        f"/spec/replicas changed, corrects it by SSA and the HPA reverts it: {wfs['drifts']} "
        f"DriftDetected/DriftCorrected pairs for the same apps/web-frontend.v12 (growing event counts, logs "
        f"`detected changes in cluster state` up to the end). Ready stays True (v0.37 has no "
        f"`correcting cluster drift` condition).",
        [
            ("event", "has drifted from the desired state"),
            ("event", "has been corrected"),
            ("log", "detected changes in cluster state"),
        ],
    )


def _apps_checkout_ui(shared):
    """apps/checkout-ui: one manual `kubectl scale`, corrected once (healthy)."""
    C, drift_reconcile, first, mk, s, v = shared.C, shared.drift_reconcile, shared.first, shared.mk, shared.s, shared.v
    cu_vals = {"replicaCount": 2}
    cu = mk("apps", "checkout-ui", "checkout-ui", "1.6.0", "acme-charts", cu_vals, "2023-09-04T08:00:00Z", 8)
    cu.spec_extra["driftDetection"] = {"mode": "enabled"}
    v37_seed(
        cu,
        [("1.5.2", T("2024-01-25T10:00:00Z"), cu_vals), ("1.6.0", T("2024-02-12T14:03:40Z"), cu_vals)],
        T("2024-02-12T14:04:06Z"),
        base=4,
    )
    cu.apply_time = T("2024-02-12T14:03:39Z")
    scaled = T("2024-02-20T15:58:02Z")
    cus = {"done": False}

    def cu_h(t, kind):
        if t > scaled and not cus["done"]:
            cus["done"] = True
            return drift_reconcile(t, cu, "Deployment/apps/checkout-ui"), s.jitter(cu.interval_ns())
        return v.healthy(t, cu), s.jitter(cu.interval_ns())

    run_queue(s, first + s.ms(0, 3000), C, cu_h)
    s.plant(
        cu,
        [],
        "Healthy: someone scaled Deployment/apps/checkout-ui by hand at 15:58; the next reconcile "
        "detected and corrected it once (DriftDetected + DriftCorrected, count 1), then in-sync.",
        [("event", "has drifted from the desired state"), ("event", "has been corrected")],
    )


def _monitoring_grafana(shared):
    """monitoring/grafana: recovered, chart version missing from the index for ~50s."""
    C, cid, cs, cs_commit, first, mk, pg, pg_commit, rv_commit, rvw, s, stalled, v = (
        shared.C,
        shared.cid,
        shared.cs,
        shared.cs_commit,
        shared.first,
        shared.mk,
        shared.pg,
        shared.pg_commit,
        shared.rv_commit,
        shared.rvw,
        shared.s,
        shared.stalled,
        shared.v,
    )
    gf_vals = {"persistence": {"enabled": True, "size": "20Gi"}}
    gf = mk("monitoring", "grafana", "grafana", "7.2.4", "grafana", gf_vals, "2023-08-02T09:20:44Z", 10)
    v37_seed(
        gf,
        [("7.0.19", T("2024-01-11T10:00:00Z"), gf_vals), ("7.2.4", T("2024-02-05T08:40:10Z"), gf_vals)],
        T("2024-02-05T08:40:33Z"),
        base=13,
    )
    gf.apply_time = T("2024-02-05T08:40:09Z")
    gf_commit, gf_ready = T("2024-02-20T16:02:10Z"), T("2024-02-20T16:03:01.412Z")
    gfs = {}

    def gf_h(t, kind):
        if kind == "spec":
            gf.ver, gf.gen = "7.3.0", gf.gen + 1
            t, rid = v.start(t, gf, "Configured")
            t = v.chart_not_ready(t, gf, rid, "latest generation of object has not been reconciled")
            gf.status_time = t
            return t, s.jitter(gf.interval_ns())
        if kind == "chart":
            t, rid = v.start(t, gf)
            v.clear_prereq(t, gf)
            v.attempt(gf, t)
            s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", gf, rid)
            t = v.run_action(t + s.ms(100, 150), gf, rid, "upgrade", "5m0s")
            delc(gf, "TestSuccess")
            delc(gf, "Remediated")
            n_old = gf.history[0]["version"]
            n = gf.add_rev("deployed", "7.3.0", "", gf.revs[n_old]["first"], t + s.ms(10, 30), gf_vals)
            gf.revs[n_old]["status"] = "superseded"
            gf.observe([n, n_old])
            t += s.ms(25_000, 31_000)
            ok = f"Helm upgrade succeeded for release {gf.full(n)} with chart grafana@7.3.0"
            s.hr_event(cid, t, gf, "Normal", "UpgradeSucceeded", ok, ann(gf, n, False))
            setc(gf, "Released", "True", "UpgradeSucceeded", ok, t)
            gf.status["lastAttemptedReleaseAction"] = "upgrade"
            v.summarize(gf, t)
            gfs["done"] = t
            return v.done_insync(t + s.ms(60, 140), gf, rid), s.jitter(gf.interval_ns())
        return v.healthy(t, gf), s.jitter(gf.interval_ns())

    run_queue(
        s, first + s.ms(0, 3000), C, gf_h, [(gf_commit + s.ms(150, 250), "spec"), (gf_ready + s.ms(250, 400), "chart")]
    )
    gf.apply_time = gf_commit
    s.chart_event(
        gf,
        gf_commit + s.ms(900, 1400),
        "source.toolkit.fluxcd.io/v1beta2",
        failed="invalid chart reference: failed to get chart version for remote reference: no 'grafana' "
        "chart with version matching '7.3.0' found",
    )
    s.chart_event(gf, gf_ready - s.ms(60, 120), "source.toolkit.fluxcd.io/v1beta2")
    s.chart_event(pg, pg_commit + s.ms(900, 1400), "source.toolkit.fluxcd.io/v1beta2", failed=stalled)
    s.chart_event(cs, cs_commit + 2 * NS, "source.toolkit.fluxcd.io/v1beta2")
    s.chart_event(rvw, rv_commit + 2 * NS, "source.toolkit.fluxcd.io/v1beta2")
    s.plant(
        gf,
        [],
        "Recovered: chart 7.3.0 was missing from the grafana index for ~50s (HelmChart "
        "InvalidChartReference, HR `is not ready: latest generation of object has not been reconciled`); after "
        "the index refresh the upgrade succeeded, Ready=True.",
        [
            ("log", "is not ready: latest generation of object has not been reconciled"),
            ("event", "Helm upgrade succeeded for release"),
        ],
    )
    shared.gf_ready = gf_ready
