"""Scenario 3, `v1-controller-crash`: the story of each release, planted with its truth (`s.plant`).

See samples/SCENARIOS.md for the releases, their truth and the evidence lines.
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from scenarios.engine import SAMPLES, Rel, Scenario, backoff, helm_tail_v037
from scenarios.formats import HOUR, NS, T, rfc3339, sha256_digest
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
    ann,
    delc,
    finish_status,
    helm_upgrade_lines,
    helm_wait_lines,
    run_queue,
    setc,
    v37_seed,
)

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


def _apps_redis_apps_frontend(shared):
    """apps/redis + apps/frontend: one commit changes both; frontend waits ~30s for redis (recovered)."""
    V, mk, per_container, s = shared.V, shared.mk, shared.per_container, shared.s
    commit = T("2024-06-12T13:47:30Z")
    rd_old = {"architecture": "replication", "replica": {"replicaCount": 2}}
    rd = mk("apps", "redis", "redis", "19.5.2", "bitnami", rd_old, "2023-10-16T10:03:44Z", 7)
    v37_seed(
        rd,
        [("19.3.2", T("2024-05-08T10:00:00Z"), rd_old), ("19.5.2", T("2024-06-03T12:30:05Z"), rd_old)],
        T("2024-06-03T12:30:38Z"),
        v1=True,
        app="7.2.5",
        base=8,
    )
    rd.apply_time = T("2024-06-03T12:30:04Z")
    rds = {}

    def rd_h(cid, t, kind):
        v = V[cid]
        if kind != "spec":
            return v.healthy(t, rd), s.jitter(rd.interval_ns())
        rd.values, rd.gen = {"architecture": "replication", "replica": {"replicaCount": 3}}, rd.gen + 1
        t, rid = v.start(t, rd)
        v.attempt(rd, t)
        end = v.upgrade_ok(t, rd, rid, s.ms(24_000, 27_000), "release config values changed", n_app="7.2.5")
        rds["done"] = end
        return v.done_insync(end, rd, rid), s.jitter(rd.interval_ns())

    per_container(rd, rd_h, [(commit + s.ms(150, 250), "spec")])
    rd.apply_time = commit
    s.plant(rd, [], "Healthy: values change at 13:47:30 upgraded in ~25s.")

    fe_old = {"replicaCount": 3, "redis": {"host": "redis-master"}}
    fe = mk(
        "apps", "frontend", "frontend", "5.8.1", "acme-charts", fe_old, "2023-10-16T10:03:44Z", 31, deps=["apps/redis"]
    )
    v37_seed(
        fe,
        [("5.7.0", T("2024-05-08T10:00:00Z"), fe_old), ("5.8.1", T("2024-06-07T16:12:30Z"), fe_old)],
        T("2024-06-07T16:13:01Z"),
        v1=True,
        base=40,
    )
    fe.apply_time = T("2024-06-07T16:12:29Z")

    def fe_h(cid, t, kind):
        v = V[cid]
        if kind == "spec":
            fe.values, fe.gen = {"replicaCount": 3, "redis": {"host": "redis-master", "db": 2}}, fe.gen + 1
        if t >= commit and fe.values is not fe_old and fe.status.get("lastAttemptedGeneration") != fe.gen:
            t, rid = v.start(t, fe)
            if t < rds["done"]:
                t = v.deps(t, fe, rid, blocked_by="dependency 'apps/redis' is not ready")
                fe.status_time = t
                return t, 30 * NS
            t = v.deps(t, fe, rid)
            v.attempt(fe, t)
            end = v.upgrade_ok(t, fe, rid, s.ms(30_000, 36_000), "release config values changed")
            return v.done_insync(end, fe, rid), s.jitter(fe.interval_ns())
        return v.healthy(t, fe), s.jitter(fe.interval_ns())

    per_container(fe, fe_h, [(commit + s.ms(180, 300), "spec")])
    fe.apply_time = commit
    s.plant(
        fe,
        [],
        "Recovered: the same commit changed apps/redis, so the first reconcile saw "
        "`dependency 'apps/redis' is not ready` (redis mid-upgrade); 30s later it upgraded and is Ready.",
        [("event", "dependency 'apps/redis' is not ready"), ("event", "Helm upgrade succeeded for release")],
    )


def _monitoring_kube_prometheus_stack(shared):
    """monitoring/kube-prometheus-stack: the upgrade that OOM-kills the controller."""
    API, V, mk, per_container, s, spans = shared.API, shared.V, shared.mk, shared.per_container, shared.s, shared.spans
    kvals = {"crds": {"enabled": True}, "prometheus": {"prometheusSpec": {"retention": "15d"}}}
    kps = mk(
        "monitoring",
        "kube-prometheus-stack",
        "kube-prometheus-stack",
        "58.7.2",
        "prometheus-community",
        kvals,
        "2023-08-02T09:20:44Z",
        21,
        interval="30m",
        timeout="10m",
    )
    kps.spec_extra["install"] = {"crds": "CreateReplace"}
    kps.spec_extra["upgrade"] = {"crds": "CreateReplace"}
    v37_seed(
        kps,
        [("58.2.2", T("2024-05-02T10:00:00Z"), kvals), ("58.7.2", T("2024-06-03T09:40:18Z"), kvals)],
        T("2024-06-03T09:41:52Z"),
        v1=True,
        app="v0.73.2",
        base=12,
    )  # revisions 13..14
    kps.apply_time = T("2024-06-03T09:40:17Z")
    kcommit = T("2024-06-12T13:12:05Z")
    suspend_at = T("2024-06-12T13:14:58.402Z")
    ks = {}

    def kps_h(cid, t, kind):
        v = V[cid]
        if kind == "spec":
            kps.ver, kps.gen = "60.0.1", kps.gen + 1
            t, rid = v.start(t, kps, "Configured")
            t = v.chart_not_ready(t, kps, rid, "latest generation of object has not been reconciled")
            kps.status_time = t
            return t, s.jitter(kps.interval_ns())
        if kind == "suspend" or (cid == "c4"):
            if kind == "suspend":
                return t + s.ms(5, 10), None  # handled by the container that sees it (c4 start)
            s.L(cid, t + s.ms(3, 9), "reconciliation is suspended for this object", kps, s.uuid())
            kps.status["observedGeneration"] = kps.gen
            kps.status_time = t + s.ms(10, 20)
            return kps.status_time, None
        if t < kcommit:
            return v.healthy(t, kps), s.jitter(kps.interval_ns())
        t, rid = v.start(t, kps)
        v.clear_prereq(t, kps)
        v.attempt(kps, t)
        last = kps.revs[kps.last_rev()]
        if last["status"] == "pending-upgrade":
            n = kps.last_rev()
            s.L(cid, t + s.ms(40, 90), "release locked: release with status 'pending-upgrade'", kps, rid)
            t = v.run_action(t + s.ms(100, 150), kps, rid, "unlock", "10m0s", release_type=False)
            last["status"] = "failed"
            last["desc"] = "Release unlocked from stale 'pending-upgrade' state"
            kps.observe([n], True, prepend_new=False)
            t += s.ms(30, 80)
            msg = (
                f"Unlocked Helm release {kps.full(n)} with chart kube-prometheus-stack@60.0.1 in pending-upgrade state"
            )
            s.hr_event(cid, t, kps, "Normal", "PendingRelease", msg, ann(kps, n, True))
            setc(kps, "Released", "False", "PendingRelease", msg, t)
            v.summarize(kps, t)
            ks.setdefault("unlocks", []).append((cid, t))
            reason = (
                "found existing release in storage" if not kps.history else "release not observed to be made for object"
            )
            t += s.ms(20, 60)
            s.L(cid, t, f"release not managed by controller: {reason}", kps, rid)
            kps.history = []  # ClearHistory
        else:
            s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", kps, rid)
        t = v.run_action(t + s.ms(100, 150), kps, rid, "upgrade", "10m0s")
        kps.status["lastAttemptedReleaseAction"] = "upgrade"
        kps.add_rev("pending-upgrade", "60.0.1", "v0.74.0", kps.revs[min(kps.revs)]["first"], t + s.ms(60, 200), kvals)
        ks["running"] = (cid, t)
        kps.status_time = t - s.ms(15, 40)
        return spans[cid][1], None  # the container is OOM-killed before the upgrade returns

    per_container(
        kps,
        kps_h,
        [
            (kcommit + s.ms(150, 250), "spec"),
            (kcommit + 2 * NS + s.ms(600, 900), "chart"),
            (suspend_at + s.ms(50, 90), "suspend"),
        ],
    )
    kps.gen += 1  # `flux suspend hr` (flux v2.3.0)
    kps.status["observedGeneration"] = kps.gen
    kps.spec_extra["suspend"] = True
    kps.managed.append(
        {
            "apiVersion": API,
            "fieldsType": "FieldsV1",
            "manager": "flux",
            "operation": "Update",
            "time": rfc3339(suspend_at),
            "fieldsV1": {"f:spec": {"f:suspend": {}}},
        }
    )
    kps.apply_time = kcommit
    s.plant(
        kps,
        ["controller-restart", "stuck-pending", "suspended"],
        "The 58.7.2 -> 60.0.1 upgrade (CRDs "
        "CreateReplace) drives helm-controller past its 512Mi limit: the container is OOMKilled three times "
        "(restartCount 3, lastState OOMKilled exit 137). Each restart unlocks the pending revision "
        "(PendingRelease `Unlocked Helm release ...`), finds the release unmanaged and starts the upgrade again; "
        "manager-previous.log ends with `running 'upgrade' action with timeout of 10m0s` and no outcome. An SRE "
        "then ran `flux suspend hr` (manager `flux`): the current container only logs `reconciliation is "
        "suspended for this object`, so revision 17 stays pending-upgrade: the release-specific helm collector "
        "file shows it `isPending`, the all-releases helm/monitoring.json omits the release (helm list shows only "
        "deployed/failed), and status still says Ready=Unknown `Running 'upgrade' action` with no history.",
        [
            ("prevlog", "running 'upgrade' action with timeout of 10m0s"),
            ("event", "Unlocked Helm release"),
            ("log", "reconciliation is suspended for this object"),
            ("pod", "OOMKilled"),
            ("hr", "Running 'upgrade' action with timeout of 10m0s"),
            ("file", "helm/monitoring/kube-prometheus-stack.json", '"isPending": true'),
        ],
    )
    shared.kcommit = kcommit
    shared.kps = kps


def _apps_keycloak(shared):
    """apps/keycloak: install-failed (a Secret of the chart already exists without Helm metadata)."""
    C, V, mk, s = shared.C, shared.V, shared.mk, shared.s
    kc_vals = {"auth": {"adminUser": "admin", "existingSecret": "keycloak"}, "production": True}
    kc = mk("apps", "keycloak", "keycloak", "21.4.1", "bitnami", kc_vals, "2024-06-12T13:40:02Z", 1)
    kc.apply_time = kc.created
    kc.fin_time = kc.created + s.ms(200, 400)
    conflict = (
        'Unable to continue with install: Secret "keycloak" in namespace "apps" exists and cannot be imported '
        "into the current release: invalid ownership metadata; label validation error: missing key "
        '"app.kubernetes.io/managed-by": must be set to "Helm"; annotation validation error: missing key '
        '"meta.helm.sh/release-name": must be set to "keycloak"; annotation validation error: missing key '
        '"meta.helm.sh/release-namespace": must be set to "apps"'
    )
    kst = {"n": 0, "fail": 0}
    kc.status = {}

    def kc_h(t, kind):
        v = V["c4"]
        if kind == "create":  # finalizer added, Requeue: true (no log line)
            return t + s.ms(20, 40), backoff(0)
        if kind == "periodic" and "helmChart" not in kc.status:
            t, rid = v.start(t, kc, "Created")
            kc.status["helmChart"] = "flux-system/apps-keycloak"
            t = v.chart_not_ready(t, kc, rid, "latest generation of object has not been reconciled")
            kc.status_time = t
            return t, s.jitter(kc.interval_ns())
        t, rid = v.start(t, kc)
        v.clear_prereq(t, kc)
        v.attempt(kc, t)
        s.L("c4", t + s.ms(40, 90), "release not installed: no release in storage for object", kc, rid)
        t = v.run_action(t + s.ms(100, 150), kc, rid, "install", "5m0s")
        kc.status["lastAttemptedReleaseAction"] = "install"
        t += s.ms(180, 420)  # render + ownership check, before the release is stored
        msg = f"Helm install failed for release apps/keycloak with chart keycloak@21.4.1: {conflict}"
        s.hr_event(
            "c4",
            t,
            kc,
            "Warning",
            "InstallFailed",
            msg,
            {
                "helm.toolkit.fluxcd.io/revision": "21.4.1",
                "helm.toolkit.fluxcd.io/token": sha256_digest(kc_vals),
                "helm.toolkit.fluxcd.io/app-version": "24.0.5",
            },
        )
        setc(kc, "Released", "False", "InstallFailed", msg, t)
        kst["fail"] += 1
        kc.status["failures"] = kst["fail"]
        v.summarize(kc, t)
        end = t + s.ms(20, 50)
        s.L("c4", end, "Reconciler error", kc, rid, level="error", error=conflict)
        kc.status_time = end
        d = backoff(kst["n"])
        kst["n"] += 1
        return end, d

    run_queue(
        s, None, C, kc_h, [(kc.created + s.ms(150, 300), "create"), (kc.created + 2 * NS + s.ms(500, 900), "chart")]
    )
    s.plant(
        kc,
        ["ownership-conflict", "install-failed"],
        "New release: Helm refuses the install because Secret apps/keycloak already "
        "exists without Helm ownership metadata (`Unable to continue with install: ... invalid ownership "
        "metadata`). No release is stored, so installFailures never grows and the controller retries with "
        "exponential backoff (`Reconciler error`, InstallFailed events aggregated).",
        [
            ("event", "Helm install failed for release apps/keycloak"),
            ("log", "Unable to continue with install"),
            ("hr", "Helm install failed for release apps/keycloak"),
        ],
    )
    shared.kc = kc


def _apps_orders(shared):
    """apps/orders: post-upgrade hook fails, the rollback fails too, remediation exhausted."""
    V, mk, per_container, s = shared.V, shared.mk, shared.per_container, shared.s
    or_old = {"replicaCount": 2, "worker": {"enabled": True}}
    or_vals = {"replicaCount": 2, "worker": {"enabled": False}, "migrations": {"enabled": True}}
    od = mk(
        "apps",
        "orders",
        "orders",
        "1.8.3",
        "acme-charts",
        or_old,
        "2023-10-16T10:03:44Z",
        18,
        timeout="5m",
        interval="1h",
    )
    od.spec_extra["upgrade"] = {"remediation": {"remediateLastFailure": True}}
    v37_seed(
        od,
        [("1.8.1", T("2024-05-21T10:00:00Z"), or_old), ("1.8.3", T("2024-06-04T11:20:41Z"), or_old)],
        T("2024-06-04T11:21:13Z"),
        v1=True,
        base=4,
    )  # revisions 5..6
    od.apply_time = T("2024-06-04T11:20:40Z")
    # interval 1h: the next periodic requeue (leftover AddAfter of the 13:15 start-up reconcile) is due after
    # collection; that reconcile would find the release Failed and, with remediateLastFailure, try a rollback again.
    ocommit = T("2024-06-12T13:31:10Z")
    ost = {}

    def od_h(cid, t, kind):
        v = V[cid]
        if kind == "spec":
            od.ver, od.values, od.gen = "1.9.0", or_vals, od.gen + 1
            t, rid = v.start(t, od, "Configured")
            t = v.chart_not_ready(t, od, rid, "latest generation of object has not been reconciled")
            od.status_time = t
            return t, s.jitter(od.interval_ns())
        if kind != "chart":
            assert "end" not in ost, "orders: a reconcile after the stall is not modelled"
            return v.healthy(t, od), s.jitter(od.interval_ns())
        t, rid = v.start(t, od)
        v.clear_prereq(t, od)
        v.attempt(od, t)
        od.status["failures"] = od.status["upgradeFailures"] = 0
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", od, rid)
        t = v.run_action(t + s.ms(100, 150), od, rid, "upgrade", "5m0s")
        delc(od, "TestSuccess")
        delc(od, "Remediated")
        od.status["lastAttemptedReleaseAction"] = "upgrade"
        n_old = od.history[0]["version"]
        n_new = od.add_rev("pending-upgrade", "1.9.0", "", od.revs[n_old]["first"], t + s.ms(10, 30), or_vals)
        kinds = [("ServiceAccount", "orders"), ("ConfigMap", "orders"), ("Service", "orders"), ("Deployment", "orders")]
        lines, tu = helm_upgrade_lines(s, od, t, kinds, {("ConfigMap", "orders"), ("Deployment", "orders")})
        tu += s.ms(20, 60)
        lines += [
            (tu, 'Deleting Deployment "orders-worker" in namespace apps...'),
            (tu + s.ms(5, 20), 'Skipping delete of "orders-worker" due to annotation [helm.sh/resource-policy=keep]'),
        ]
        tw = tu + s.ms(30, 60)
        lines += helm_wait_lines(s, od, tw, 4, "5m0s", "orders", 1, 2, tw + 38 * NS)
        th = tw + 40 * NS
        lines += [
            (th, 'Starting delete for "orders-db-migrate" Job'),
            (
                th + s.ms(20, 60),
                'Ignoring delete failure for "orders-db-migrate" batch/v1, Kind=Job: '
                'jobs.batch "orders-db-migrate" not found',
            ),
            (th + s.ms(70, 120), "beginning wait for 1 resources to be deleted with timeout of 5m0s"),
            (th + s.ms(130, 200), "Watching for changes to Job orders-db-migrate with timeout of 5m0s"),
            (th + s.ms(250, 400), "Add/Modify event for orders-db-migrate: ADDED"),
            (th + s.ms(400, 500), "orders-db-migrate: Jobs active: 1, jobs failed: 0, jobs succeeded: 0"),
        ]
        tj = th + 11 * NS
        for failed in (1, 2):
            lines += [
                (tj, "Add/Modify event for orders-db-migrate: MODIFIED"),
                (tj + s.ms(1, 5), f"orders-db-migrate: Jobs active: 1, jobs failed: {failed}, jobs succeeded: 0"),
            ]
            tj += (21 if failed == 1 else 41) * NS
        lines.append((tj, "Add/Modify event for orders-db-migrate: MODIFIED"))
        hook_err = "post-upgrade hooks failed: job orders-db-migrate failed: BackoffLimitExceeded"
        lines.append((tj + s.ms(2, 8), f'warning: Upgrade "orders" failed: {hook_err}'))
        od.revs[n_new]["status"] = "failed"
        od.observe([n_new, n_old], True)
        tf = lines[-1][0] + s.ms(5, 15)
        msg = f"Helm upgrade failed for release apps/orders with chart orders@1.9.0: {hook_err}"
        s.hr_event(
            cid,
            tf,
            od,
            "Warning",
            "UpgradeFailed",
            msg + "\n\nLast Helm logs:\n\n" + helm_tail_v037(lines),
            {"helm.toolkit.fluxcd.io/revision": "1.9.0", "helm.toolkit.fluxcd.io/token": sha256_digest(or_vals)},
        )
        setc(od, "Released", "False", "UpgradeFailed", msg, tf)
        od.status["failures"] += 1
        od.status["upgradeFailures"] += 1
        v.summarize(od, tf)
        s.other_event(
            tj - s.ms(300, 500),
            tj - s.ms(300, 500),
            1,
            {
                "kind": "Job",
                "namespace": "apps",
                "name": "orders-db-migrate",
                "uid": s.uuid(),
                "apiVersion": "batch/v1",
                "resourceVersion": s.rv(tj, 1),
            },
            "Warning",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
            "job-controller",
        )
        # Failed -> remediateLastFailure -> rollback, which fails (HC 2.2, rollback_remediation.go)
        t = tf + s.ms(30, 60)
        s.L(cid, t, "release is in a failed state", od, rid)
        od.truncate()
        prev = od.previous()
        t = v.run_action(t + s.ms(5, 15), od, rid, "rollback", "5m0s", release_type=False)
        rb = [(t + s.ms(5, 15), "preparing rollback of orders")]
        rb.append((rb[-1][0] + s.ms(10, 30), f"rolling back orders (current: v{n_new}, target: v{prev['version']})"))
        rb.append((rb[-1][0] + s.ms(5, 15), "creating rolled back release for orders"))
        n_rb = od.add_rev(
            "pending-rollback",
            prev["chartVersion"],
            "",
            od.revs[n_old]["first"],
            rb[-1][0],
            od.revs[prev["version"]]["values"],
        )
        rb.append((rb[-1][0] + s.ms(10, 30), "performing rollback of orders"))
        rb.append((rb[-1][0] + s.ms(40, 80), "checking 5 resources for changes"))
        for kind_, name_ in (("ServiceAccount", "orders"), ("ConfigMap", "orders"), ("Service", "orders")):
            rb.append(
                (
                    rb[-1][0] + s.ms(5, 25),
                    f'Looks like there are no changes for {kind_} "{name_}"'
                    if kind_ != "ConfigMap"
                    else f'Patch {kind_} "{name_}" in namespace apps',
                )
            )
        rb.append((rb[-1][0] + s.ms(5, 25), 'Patch Deployment "orders" in namespace apps'))
        rb_err = 'no Deployment with the name "orders-worker" found'
        rb.append((rb[-1][0] + s.ms(10, 30), f'warning: Rollback "orders" failed: {rb_err}'))
        od.revs[n_new]["status"] = "superseded"
        od.revs[n_rb]["status"] = "failed"
        od.revs[n_rb]["desc"] = f'Rollback "orders" failed: {rb_err}'
        od.observe([n_rb, n_new], True)
        tr = rb[-1][0] + s.ms(5, 15)
        rb_msg = (
            f"Helm rollback to previous release {od.full(prev['version'])} with chart "
            f"orders@{prev['chartVersion']} failed: {rb_err}"
        )
        s.hr_event(
            cid,
            tr,
            od,
            "Warning",
            "RollbackFailed",
            rb_msg + "\n\nLast Helm logs:\n\n" + helm_tail_v037(rb),
            {
                "helm.toolkit.fluxcd.io/revision": prev["chartVersion"],
                "helm.toolkit.fluxcd.io/token": sha256_digest(or_vals),
            },
        )
        setc(od, "Remediated", "False", "RollbackFailed", rb_msg, tr)
        od.status["failures"] += 1
        v.summarize(od, tr)
        setc(od, "Stalled", "True", "RetriesExceeded", "Failed to upgrade after 1 attempt(s)", tr)
        delc(od, "Reconciling")
        od.status["observedGeneration"] = od.gen
        end = tr + s.ms(20, 50)
        s.L(cid, end, "Reconciler error", od, rid, level="error", error="terminal error: exceeded maximum retries")
        od.status_time = end
        ost["end"] = end
        return end, None

    per_container(od, od_h, [(ocommit + s.ms(150, 250), "spec"), (ocommit + 2 * NS + s.ms(200, 500), "chart")])
    od.apply_time = ocommit
    s.plant(
        od,
        ["upgrade-failed", "rollback-failed", "retries-exhausted"],
        "Chart 1.9.0 drops the orders-worker "
        "Deployment (annotated helm.sh/resource-policy: keep, so Helm skips deleting it) and adds a post-upgrade "
        "migration Job that fails (`post-upgrade hooks failed: job orders-db-migrate failed: "
        "BackoffLimitExceeded`). remediateLastFailure triggers a rollback to v6, which fails because the kept "
        'Deployment is not in the current release manifest (`no Deployment with the name "orders-worker" '
        "found`). With upgrade retries 0 the release is then Stalled RetriesExceeded `Failed to upgrade after 1 "
        "attempt(s)` (`terminal error: exceeded maximum retries`), Ready=False RollbackFailed.",
        [
            ("event", "Helm upgrade failed for release apps/orders"),
            ("event", "Helm rollback to previous release"),
            ("hr", "Failed to upgrade after 1 attempt(s)"),
            ("log", "terminal error: exceeded maximum retries"),
        ],
    )
    shared.ocommit = ocommit
    shared.od = od


def _apps_reporting(shared):
    """apps/reporting: evidence-gap (its dependency is served by a shard controller outside the bundle)."""
    V, mk, per_container, s = shared.V, shared.mk, shared.per_container, shared.s
    rp_vals = {"replicaCount": 1, "database": {"host": "postgres-ha-pgpool.data.svc"}}
    rp = mk(
        "apps",
        "reporting",
        "reporting",
        "0.14.2",
        "acme-charts",
        rp_vals,
        "2024-01-08T09:00:00Z",
        6,
        deps=["data/postgres-ha"],
    )
    v37_seed(
        rp,
        [("0.14.0", T("2024-05-13T10:00:00Z"), rp_vals), ("0.14.2", T("2024-06-06T10:02:55Z"), rp_vals)],
        T("2024-06-06T10:03:31Z"),
        v1=True,
        base=11,
    )
    rp.apply_time = T("2024-06-06T10:02:54Z")
    sharded = T("2024-06-11T16:20:14Z")
    gone = "unable to get 'data/postgres-ha' dependency: HelmRelease.helm.toolkit.fluxcd.io \"postgres-ha\" not found"

    def rp_h(cid, t, kind):
        v = V[cid]
        if t < sharded:
            return v.healthy(t, rp), s.jitter(rp.interval_ns())
        t, rid = v.start(t, rp)
        t = v.deps(t, rp, rid, blocked_by=gone)
        rp.status_time = t
        return t, 30 * NS

    per_container(rp, rp_h)
    s.plant(
        rp,
        ["evidence-gap"],
        "Depends on data/postgres-ha, which was moved to a sharded helm-controller "
        "(label sharding.fluxcd.io/key) on 2024-06-11; v1.0.1 reads dependencies from its label-filtered cache, "
        "so the main controller reports `unable to get 'data/postgres-ha' dependency: ... not found` every 30s. "
        "The bundle was collected for namespaces apps, flux-system, infra, monitoring only and has no shard "
        "logs: whether postgres-ha exists or is Ready cannot be told from the bundle.",
        [("log", "unable to get 'data/postgres-ha' dependency"), ("hr", "unable to get 'data/postgres-ha'")],
    )


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
