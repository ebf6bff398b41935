"""Scenario 2, `v037-failures`: the story of each release, planted with its truth (`s.plant`).

See samples/SCENARIOS.md for the releases, their truth and the evidence lines.
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from scenarios.engine import SAMPLES, Rel, Scenario, backoff, helm_tail_v037
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
    cond,
    helmchart_object,
    hr_object,
    log_text,
    pod_object,
    write,
)
from scenarios.story import (
    V37,
    ann,
    delc,
    finish_status,
    helm_upgrade_lines,
    helm_wait_lines,
    run_queue,
    setc,
    v37_seed,
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


def _apps_search_api(shared):
    """apps/search-api: timeout + retries-exhausted."""
    API, C, cid, first, mk, s, v = shared.API, shared.C, shared.cid, shared.first, shared.mk, shared.s, shared.v
    sa_vals = {"replicaCount": 3, "resources": {"requests": {"memory": "12Gi", "cpu": "2"}}}
    sa_old = {"replicaCount": 3, "resources": {"requests": {"memory": "4Gi", "cpu": "1"}}}
    sa = mk("apps", "search-api", "search-api", "1.7.3", "acme-charts", sa_old, "2023-09-04T08:00:00Z", 9, timeout="5m")
    sa.spec_extra["upgrade"] = {"remediation": {"retries": 2}}
    v37_seed(
        sa,
        [("1.7.1", T("2024-01-30T10:12:00Z"), sa_old), ("1.7.3", T("2024-02-15T13:02:11Z"), sa_old)],
        T("2024-02-15T13:02:49Z"),
        base=3,
    )  # revisions 4..5
    sa.apply_time = T("2024-02-15T13:02:10Z")
    sa_commit = T("2024-02-20T15:20:03Z")
    sa_request = "2024-02-20T15:52:40.118263511Z"
    kinds = [
        ("PodDisruptionBudget", "search-api"),
        ("ServiceAccount", "search-api"),
        ("ConfigMap", "search-api"),
        ("Service", "search-api"),
        ("Deployment", "search-api"),
    ]
    sst = {"n": 0, "attempts": 0, "fails": []}

    def sa_h(t, kind):
        if kind == "periodic" and t < sa_commit:
            return v.healthy(t, sa), s.jitter(sa.interval_ns())
        if kind == "spec":
            sa.ver, sa.values, sa.gen = "1.8.0", sa_vals, sa.gen + 1
            t, rid = v.start(t, sa, "Configured")
            t = v.chart_not_ready(t, sa, rid, "latest generation of object has not been reconciled")
            sa.status_time = t
            return t, s.jitter(sa.interval_ns())
        t, rid = v.start(t, sa)
        v.clear_prereq(t, sa)
        v.attempt(sa, t)
        if kind == "request":
            sa.annotations = {"reconcile.fluxcd.io/requestedAt": sa_request}
            s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", sa, rid)
            t += s.ms(100, 160)
            setc(sa, "Stalled", "True", "RetriesExceeded", "Failed to upgrade after 3 attempt(s)", t)
            delc(sa, "Reconciling")
            sa.status["lastHandledReconcileAt"] = sa_request
            s.L(
                cid,
                t + s.ms(5, 15),
                "Reconciler error",
                sa,
                rid,
                level="error",
                error="terminal error: exceeded maximum retries: cannot upgrade release",
            )
            sa.status_time = t + s.ms(5, 15)
            return sa.status_time, None
        sst["attempts"] += 1
        if sst["attempts"] == 1:
            sa.status["failures"] = sa.status["upgradeFailures"] = 0  # resetting failure count (chart version differs)
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", sa, rid)
        t = v.run_action(t + s.ms(100, 150), sa, rid, "upgrade", "5m0s")
        sa.status["lastAttemptedReleaseAction"] = "upgrade"
        delc(sa, "TestSuccess")
        delc(sa, "Remediated")
        n_old = sa.history[0]["version"]
        n_new = sa.add_rev("pending-upgrade", "1.8.0", "", sa.revs[n_old]["first"], t + s.ms(10, 30), sa_vals)
        lines, tw = helm_upgrade_lines(s, sa, t, kinds, {("Deployment", "search-api")})
        until = tw + 5 * MIN
        lines += helm_wait_lines(s, sa, tw, 5, "5m0s", "search-api", 0, 3, until)
        lines.append((until + s.ms(1, 4), 'warning: Upgrade "search-api" failed: context deadline exceeded'))
        sa.revs[n_new]["status"] = "failed"
        sa.observe([n_new, n_old])
        tf = until + s.ms(8, 20)
        msg = "Helm upgrade failed for release apps/search-api with chart search-api@1.8.0: context deadline exceeded"
        s.hr_event(
            cid,
            tf,
            sa,
            "Warning",
            "UpgradeFailed",
            msg + "\n\nLast Helm logs:\n\n" + helm_tail_v037(lines),
            {"helm.toolkit.fluxcd.io/revision": "1.8.0", "helm.toolkit.fluxcd.io/token": sha256_digest(sa_vals)},
        )
        sst["fails"].append(tf)
        setc(sa, "Released", "False", "UpgradeFailed", msg, tf)
        sa.status["failures"] += 1
        sa.status["upgradeFailures"] += 1
        v.summarize(sa, tf)
        pod = f"search-api-6c8f7d9b5-{s.hex(5)}"
        s.other_event(
            tw + s.ms(40, 90),
            until - s.ms(20_000, 50_000),
            3,
            {
                "kind": "Pod",
                "namespace": "apps",
                "name": pod,
                "uid": s.uuid(),
                "apiVersion": "v1",
                "resourceVersion": s.rv(tw, 1),
            },
            "Warning",
            "FailedScheduling",
            "0/5 nodes are available: 5 Insufficient memory. preemption: 0/5 nodes are available: "
            "5 No preemption victims found for incoming pod..",
            "default-scheduler",
        )
        # Failed -> rollback remediation (HC 2.2 `release is in a failed state`)
        t = tf + s.ms(30, 60)
        s.L(cid, t, "release is in a failed state", sa, rid)
        sa.truncate()
        prev = sa.previous()
        t = v.run_action(t + s.ms(5, 15), sa, rid, "rollback", "5m0s", release_type=False)
        n_rb = sa.add_rev(
            "deployed",
            prev["chartVersion"],
            "",
            sa.revs[n_old]["first"],
            t + s.ms(10, 30),
            sa.revs[prev["version"]]["values"],
        )
        superseded = [n for n, x in sa.revs.items() if x["status"] == "deployed" and n != n_rb]
        for n in superseded:
            sa.revs[n]["status"] = "superseded"
        sa.observe([n_rb] + superseded)
        tr = t + s.ms(2600, 4100)
        rb_msg = f"Helm rollback to previous release {sa.full(prev['version'])} with chart search-api@{prev['chartVersion']} succeeded"
        s.hr_event(
            cid,
            tr,
            sa,
            "Normal",
            "RollbackSucceeded",
            rb_msg,
            {
                "helm.toolkit.fluxcd.io/revision": prev["chartVersion"],
                "helm.toolkit.fluxcd.io/token": sha256_digest(sa_vals),
            },
        )
        setc(sa, "Remediated", "True", "RollbackSucceeded", rb_msg, tr)
        v.summarize(sa, tr)
        end = tr + s.ms(20, 50)
        sa.status_time = end
        if sa.status["upgradeFailures"] <= 2:
            setc(sa, "Reconciling", "True", "ProgressingWithRetry", sa.conds["Ready"]["message"], tr)
            d = backoff(sst["n"])
            sst["n"] += 1
            return end, d
        # retries exhausted right after the last remediation (v0.37.1+, HC 8)
        setc(sa, "Stalled", "True", "RetriesExceeded", "Failed to upgrade after 3 attempt(s)", tr)
        delc(sa, "Reconciling")
        sa.status["observedGeneration"] = sa.gen
        s.L(cid, end, "Reconciler error", sa, rid, level="error", error="terminal error: exceeded maximum retries")
        return end, None

    run_queue(
        s,
        first + s.ms(0, 3000),
        C,
        sa_h,
        [
            (sa_commit + s.ms(150, 250), "spec"),
            (sa_commit + 2 * NS + s.ms(100, 400), "chart"),
            (T(sa_request) + s.ms(60, 120), "request"),
        ],
    )
    sa.managed.append(
        {
            "apiVersion": API,
            "fieldsType": "FieldsV1",
            "manager": "flux",
            "operation": "Update",
            "time": rfc3339(T(sa_request)),
            "fieldsV1": {"f:metadata": {"f:annotations": {".": {}, "f:reconcile.fluxcd.io/requestedAt": {}}}},
        }
    )
    sa.apply_time = sa_commit
    s.plant(
        sa,
        ["timeout", "retries-exhausted"],
        "Chart 1.8.0 requests 12Gi per pod: the pods stay Pending "
        "(FailedScheduling Insufficient memory). Upgrade remediation retries 2: three upgrades each time out after "
        "5m (`context deadline exceeded`, the 10-line Helm tail shows `Deployment is not ready: "
        "apps/search-api. 0 out of 3 expected pods are ready` with a duplicate counter), each is rolled back, then "
        "Stalled=True RetriesExceeded `Failed to upgrade after 3 attempt(s)` and `terminal error: exceeded maximum "
        "retries`; a later `flux reconcile hr` only gets `exceeded maximum retries: cannot upgrade release`.",
        [
            ("event", "Helm upgrade failed for release apps/search-api"),
            ("hr", "reason: RetriesExceeded"),
            ("log", "exceeded maximum retries: cannot upgrade release"),
        ],
    )
    shared.sa_commit = sa_commit


def _apps_cart_service(shared):
    """apps/cart-service: immutable-field, remediation retries -1 (retry forever)."""
    C, cid, first, mk, s, v = shared.C, shared.cid, shared.first, shared.mk, shared.s, shared.v
    cs_old = {"replicaCount": 2, "podLabels": {"app": "cart-service"}}
    cs_vals = {"replicaCount": 2}
    cs = mk("apps", "cart-service", "cart-service", "2.3.4", "acme-charts", cs_old, "2023-09-04T08:00:00Z", 14)
    cs.spec_extra["upgrade"] = {"remediation": {"retries": -1, "strategy": "rollback"}}
    v37_seed(
        cs,
        [("2.3.1", T("2024-01-22T10:00:00Z"), cs_old), ("2.3.4", T("2024-02-08T16:44:03Z"), cs_old)],
        T("2024-02-08T16:44:31Z"),
        base=2,
    )  # revisions 3..4
    cs.apply_time = T("2024-02-08T16:44:02Z")
    cs_commit = T("2024-02-20T15:48:21Z")
    immutable = (
        'cannot patch "cart-service" with kind Deployment: Deployment.apps "cart-service" is invalid: '
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app.kubernetes.io/'
        'instance":"cart-service", "app.kubernetes.io/name":"cart-service"}, MatchExpressions:[]v1.'
        "LabelSelectorRequirement(nil)}: field is immutable"
    )
    cst = {"n": 0, "cycles": 0, "first_fail": None}
    cs_kinds = [
        ("ServiceAccount", "cart-service"),
        ("ConfigMap", "cart-service"),
        ("Service", "cart-service"),
        ("Deployment", "cart-service"),
    ]

    def cs_h(t, kind):
        if kind == "periodic" and t < cs_commit:
            return v.healthy(t, cs), s.jitter(cs.interval_ns())
        if kind == "spec":
            cs.ver, cs.values, cs.gen = "3.0.0", cs_vals, cs.gen + 1
            t, rid = v.start(t, cs, "Configured")
            t = v.chart_not_ready(t, cs, rid, "latest generation of object has not been reconciled")
            cs.status_time = t
            return t, s.jitter(cs.interval_ns())
        t, rid = v.start(t, cs)
        v.clear_prereq(t, cs)
        v.attempt(cs, t)
        if cst["cycles"] == 0:
            cs.status["failures"] = cs.status["upgradeFailures"] = 0
        cst["cycles"] += 1
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", cs, rid)
        t = v.run_action(t + s.ms(100, 150), cs, rid, "upgrade", "5m0s")
        cs.status["lastAttemptedReleaseAction"] = "upgrade"
        delc(cs, "TestSuccess")
        delc(cs, "Remediated")
        n_old = cs.history[0]["version"]
        n_new = cs.add_rev("pending-upgrade", "3.0.0", "", cs.revs[n_old]["first"], t + s.ms(10, 30), cs_vals)
        lines, tu = helm_upgrade_lines(
            s, cs, t, cs_kinds, {("Service", "cart-service"), ("Deployment", "cart-service")}
        )
        lines.append((tu + s.ms(20, 60), f'error updating the resource "cart-service":\n\t {immutable}'))
        lines.append((lines[-1][0] + s.ms(2, 9), f'warning: Upgrade "cart-service" failed: {immutable}'))
        cs.revs[n_new]["status"] = "failed"
        cs.observe([n_new, n_old])
        tf = lines[-1][0] + s.ms(5, 15)
        msg = f"Helm upgrade failed for release apps/cart-service with chart cart-service@3.0.0: {immutable}"
        s.hr_event(
            cid,
            tf,
            cs,
            "Warning",
            "UpgradeFailed",
            msg + "\n\nLast Helm logs:\n\n" + helm_tail_v037(lines),
            {"helm.toolkit.fluxcd.io/revision": "3.0.0", "helm.toolkit.fluxcd.io/token": sha256_digest(cs_vals)},
        )
        cst["first_fail"] = cst["first_fail"] or tf
        setc(cs, "Released", "False", "UpgradeFailed", msg, tf)
        cs.status["failures"] += 1
        cs.status["upgradeFailures"] += 1
        v.summarize(cs, tf)
        t = tf + s.ms(30, 60)
        s.L(cid, t, "release is in a failed state", cs, rid)
        cs.truncate()
        prev = cs.previous()
        t = v.run_action(t + s.ms(5, 15), cs, rid, "rollback", "5m0s", release_type=False)
        n_rb = cs.add_rev("deployed", prev["chartVersion"], "", cs.revs[n_old]["first"], t + s.ms(10, 30), cs_old)
        superseded = [n for n, x in cs.revs.items() if x["status"] == "deployed" and n != n_rb]
        for n in superseded:
            cs.revs[n]["status"] = "superseded"
        cs.observe([n_rb] + superseded)
        tr = t + s.ms(2100, 3300)
        rb_msg = (
            f"Helm rollback to previous release {cs.full(prev['version'])} with chart "
            f"cart-service@{prev['chartVersion']} succeeded"
        )
        s.hr_event(
            cid,
            tr,
            cs,
            "Normal",
            "RollbackSucceeded",
            rb_msg,
            {
                "helm.toolkit.fluxcd.io/revision": prev["chartVersion"],
                "helm.toolkit.fluxcd.io/token": sha256_digest(cs_vals),
            },
        )
        setc(cs, "Remediated", "True", "RollbackSucceeded", rb_msg, tr)
        v.summarize(cs, tr)
        setc(cs, "Reconciling", "True", "ProgressingWithRetry", cs.conds["Ready"]["message"], tr)
        end = tr + s.ms(20, 50)
        cs.status_time = end
        d = backoff(cst["n"])
        cst["n"] += 1
        return end, d

    run_queue(
        s,
        first + s.ms(0, 3000),
        C,
        cs_h,
        [(cs_commit + s.ms(150, 250), "spec"), (cs_commit + 2 * NS + s.ms(100, 400), "chart")],
    )
    cs.apply_time = cs_commit
    # Helm keeps 5 revisions (v2beta2 default maxHistory 5)
    for n in sorted(cs.revs)[:-5]:
        del cs.revs[n]
    s.plant(
        cs,
        ["immutable-field"],
        "Chart 3.0.0 changes the Deployment selector labels: every upgrade is rejected "
        "by the API server (`spec.selector: ... field is immutable`) and rolled back; with "
        "upgrade.remediation.retries -1 the controller never stalls and retries with exponential backoff, so "
        "Ready=False RollbackSucceeded and Released=False UpgradeFailed carry the immutable-field message. "
        "Repeated UpgradeFailed events with different Helm-log stamps are combined by client-go "
        "(`(combined from similar events): ...`).",
        [("event", "field is immutable"), ("hr", "reason: UpgradeFailed")],
    )
    shared.cs = cs
    shared.cs_commit = cs_commit


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


def _apps_reviews(shared):
    """apps/reviews: test-failed (tests enabled, remediation ignores test failures)."""
    C, cid, first, mk, s, v = shared.C, shared.cid, shared.first, shared.mk, shared.s, shared.v
    rv_vals = {"replicaCount": 2, "ratings": {"enabled": True}}
    rvw = mk("apps", "reviews", "reviews", "1.4.0", "acme-charts", rv_vals, "2023-09-04T08:00:00Z", 11)
    rvw.spec_extra["test"] = {"enable": True}
    rvw.spec_extra["upgrade"] = {"remediation": {"ignoreTestFailures": True}}
    v37_seed(
        rvw,
        [("1.3.7", T("2024-01-25T10:00:00Z"), rv_vals), ("1.4.0", T("2024-02-09T11:20:00Z"), rv_vals)],
        T("2024-02-09T11:20:41Z"),
        base=5,
    )  # revisions 6..7
    # the 1.4.0 release had passed its test
    hooks_ok = {
        "reviews-test-connection": {
            "lastCompleted": rfc3339(T("2024-02-09T11:20:53Z")),
            "lastStarted": rfc3339(T("2024-02-09T11:20:44Z")),
            "phase": "Succeeded",
        }
    }
    rvw.history[0]["testHooks"] = hooks_ok
    msg_t = (
        f"Helm test succeeded for release {rvw.full(7)} with chart reviews@1.4.0: 1 test hook completed successfully"
    )
    setc(rvw, "TestSuccess", "True", "TestSucceeded", msg_t, T("2024-02-09T11:20:53Z"))
    setc(rvw, "Ready", "True", "TestSucceeded", msg_t, T("2024-02-09T11:20:53Z"))
    rvw.apply_time = T("2024-02-09T11:19:58Z")
    rv_commit = T("2024-02-20T16:09:12Z")
    rvs = {}

    def rv_h(t, kind):
        if kind == "spec":
            rvw.ver, rvw.gen = "1.5.0", rvw.gen + 1
            t, rid = v.start(t, rvw, "Configured")
            t = v.chart_not_ready(t, rvw, rid, "latest generation of object has not been reconciled")
            rvw.status_time = t
            return t, s.jitter(rvw.interval_ns())
        if kind == "chart":
            t, rid = v.start(t, rvw)
            v.clear_prereq(t, rvw)
            v.attempt(rvw, t)
            s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", rvw, rid)
            t = v.run_action(t + s.ms(100, 150), rvw, rid, "upgrade", "5m0s")
            delc(rvw, "TestSuccess")
            n_old = rvw.history[0]["version"]
            n = rvw.add_rev("deployed", "1.5.0", "", rvw.revs[n_old]["first"], t + s.ms(10, 30), rv_vals)
            rvw.revs[n_old]["status"] = "superseded"
            rvw.observe([n, n_old])
            rvw.history[1]["testHooks"] = hooks_ok
            t += s.ms(24_000, 29_000)
            ok = f"Helm upgrade succeeded for release {rvw.full(n)} with chart reviews@1.5.0"
            s.hr_event(cid, t, rvw, "Normal", "UpgradeSucceeded", ok, ann(rvw, n, False))
            setc(rvw, "Released", "True", "UpgradeSucceeded", ok, t)
            setc(
                rvw,
                "TestSuccess",
                "Unknown",
                "AwaitingTests",
                f"Helm release {rvw.full(n)} with chart reviews@1.5.0 is awaiting tests",
                t,
            )
            v.summarize(rvw, t, tests=True)
            rvw.status["lastAttemptedReleaseAction"] = "upgrade"
            t += s.ms(30, 70)
            s.L(cid, t, "release has not been tested", rvw, rid)
            t = v.run_action(t + s.ms(5, 10), rvw, rid, "test", "5m0s", release_type=False)
            started = t + s.ms(60, 200)
            t = started + s.ms(17_000, 21_000)
            rvw.history[0]["testHooks"] = {
                "reviews-test-connection": {
                    "lastCompleted": rfc3339(t),
                    "lastStarted": rfc3339(started),
                    "phase": "Failed",
                }
            }
            fail = (
                f"Helm test failed for release {rvw.full(n)} with chart reviews@1.5.0: "
                f"pod reviews-test-connection failed"
            )
            s.hr_event(cid, t + s.ms(2, 8), rvw, "Warning", "TestFailed", fail, ann(rvw, n, False))
            setc(rvw, "TestSuccess", "False", "TestFailed", fail, t)
            rvw.status["failures"] = rvw.status.get("failures", 0) + 1
            v.summarize(rvw, t, tests=True)
            rvs["fail"] = t
            return v.done_insync(t + s.ms(40, 90), rvw, rid, tests=True), s.jitter(rvw.interval_ns())
        t, rid = v.start(t, rvw)
        v.attempt(rvw, t)
        return v.done_insync(t + s.ms(60, 700), rvw, rid, tests=True), s.jitter(rvw.interval_ns())

    run_queue(
        s,
        first + s.ms(0, 3000),
        C,
        rv_h,
        [(rv_commit + s.ms(150, 250), "spec"), (rv_commit + 2 * NS + s.ms(100, 400), "chart")],
    )
    rvw.apply_time = rv_commit
    s.plant(
        rvw,
        ["test-failed"],
        "Upgrade to 1.5.0 succeeded but its Helm test hook reviews-test-connection failed "
        "(TestFailed event, TestSuccess=False, history testHooks phase Failed). upgrade.remediation."
        "ignoreTestFailures=true keeps the controller from rolling back or stalling, so the release is in-sync "
        "and Ready=False TestFailed stays.",
        [("event", "Helm test failed for release"), ("hr", "reason: TestFailed")],
    )
    shared.rv_commit = rv_commit
    shared.rvw = rvw


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
