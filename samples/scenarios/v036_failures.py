"""Scenario 1, `v036-failures`: the story of each release, planted with its truth (`s.plant`).

See samples/SCENARIOS.md for the releases, their truth and the evidence lines.
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from scenarios.engine import SAMPLES, Rel, Scenario, backoff, helm_tail_v036
from scenarios.formats import HOUR, MIN, NS, T, rfc3339, sha1_checksum
from scenarios.objects import (
    chart_ready_conds,
    cond,
    helm_collector,
    helmchart_object,
    helmrepo_object,
    hr_object,
    log_text,
    pod_object,
    write_troubleshoot,
)
from scenarios.story import (
    helm_upgrade_lines,
    helm_wait_lines,
    run_queue,
    seed_history,
    v36_event,
    v36_finished,
    v36_healthy_status,
)

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


def _infra_velero(shared):
    """infra/velero: suspended by `flux suspend hr velero -n infra` (flux v2.1.2)."""
    API, C, cid, mk, s = shared.API, shared.C, shared.cid, shared.mk, shared.s
    vel = mk(
        "infra",
        "velero",
        "velero",
        "5.1.4",
        "vmware-tanzu",
        {"configuration": {"provider": "aws"}},
        "2023-09-20T12:00:03Z",
        5,
        interval="1h",
    )
    seed_history(
        vel, [("5.1.0", T("2023-09-20T12:00:19Z"), vel.values), ("5.1.4", T("2023-11-08T09:40:10Z"), vel.values)]
    )
    v36_healthy_status(vel, T("2023-11-08T09:40:38Z"))
    vel.status["observedGeneration"] = vel.gen
    vel.apply_time = T("2023-11-08T09:40:09Z")
    suspend_at = T("2023-11-21T09:31:05.118Z")
    vel.gen += 1  # spec.suspend: true -> new generation
    vel.spec_extra["suspend"] = True
    vel.managed.append(
        {
            "apiVersion": API,
            "fieldsType": "FieldsV1",
            "manager": "flux",
            "operation": "Update",
            "time": rfc3339(suspend_at),
            "fieldsV1": {"f:spec": {"f:suspend": {}}},
        }
    )

    def velero_h(t, kind):
        if kind == "suspend":
            # HC 2.1: `Reconciliation is suspended for this object`; returns before patching status,
            # so observedGeneration stays behind generation.
            s.L(cid, t + s.ms(3, 9), "Reconciliation is suspended for this object", vel, s.uuid())
            return t + s.ms(10, 20), None
        rid = s.uuid()
        end = t + s.ms(200, 900)
        nxt = s.jitter(vel.interval_ns())
        v36_finished(s, cid, t, end, vel, rid, nxt)
        return end, nxt

    run_queue(s, C - 2 * HOUR - s.ms(0, 3_000_000), C, velero_h, [(suspend_at + s.ms(80, 200), "suspend")])
    s.plant(
        vel,
        ["suspended"],
        "spec.suspend=true set by `flux suspend` (managedFields manager `flux`); v0.36 logs "
        "`Reconciliation is suspended for this object` once and never patches status, so observedGeneration "
        "stays one behind generation while Ready still says ReconciliationSucceeded.",
        [("hr", "infra", "velero", '"suspend": true'), ("log", "Reconciliation is suspended for this object")],
    )


def _apps_cart(shared):
    """apps/cart: stuck-pending (HC 8, v0.36 with retries 0: endless upgrade cycle)."""
    C, RUN, cid, mk, s = shared.C, shared.RUN, shared.cid, shared.mk, shared.s
    cart_vals = {"replicaCount": 2, "redis": {"host": "redis-master.apps.svc"}}
    cart = mk("apps", "cart", "cart", "1.12.0", "acme-charts", cart_vals, "2023-05-09T10:31:00Z", 12)
    seed_history(
        cart,
        [
            ("1.9.0", T("2023-05-09T10:31:14Z"), cart_vals),
            ("1.11.2", T("2023-10-24T12:40:02Z"), cart_vals),
            ("1.11.4", T("2023-11-13T15:02:47Z"), cart_vals),
        ],
    )
    cart.revs = {n + 5: v for n, v in cart.revs.items()}  # revisions 6..8, older ones pruned
    # the previous helm-controller pod died with its node while upgrading to 1.12.0: v9 left pending-upgrade
    cart.add_rev(
        "pending-upgrade",
        "1.12.0",
        "",
        T("2023-05-09T10:31:14Z"),
        T("2023-11-19T03:08:51Z"),
        cart_vals,
        "Preparing upgrade",
    )
    cart.apply_time = T("2023-11-19T03:08:47Z")
    tok = sha1_checksum(cart_vals)
    pend = "another operation (install/upgrade/rollback) is in progress"
    st = {"n": 0, "last": None}

    def cart_h(t, kind):
        rid = s.uuid()
        t1 = t + s.ms(180, 320)  # chart load
        v36_event(s, cid, t1, cart, "info", "Helm upgrade has started", "1.12.0", tok)
        t2 = t1 + s.ms(20, 60)  # Helm: prepareUpgrade -> errPending after one log line
        msg = f"Helm upgrade failed: {pend}"
        v36_event(s, cid, t2, cart, "error", msg + "\n\nLast Helm logs:\n\npreparing upgrade for cart", "1.12.0", tok)
        t3 = t2 + s.ms(10, 30)
        v36_event(s, cid, t3, cart, "error", f"reconciliation failed: {msg}", "1.12.0", tok)
        end = t3 + s.ms(5, 20)
        v36_finished(s, cid, t, end, cart, rid, s.jitter(cart.interval_ns()))
        s.L(cid, end + s.ms(0, 1), "Reconciler error", cart, rid, level="error", error=msg)
        st["last"] = (t, t2, end)
        d = backoff(st["n"])
        st["n"] += 1
        return end, d

    run_queue(s, RUN + s.ms(900, 1400), C, cart_h)
    t, t2, end = st["last"]
    cart.status = {
        "conditions": [
            cond("Ready", "False", "UpgradeFailed", f"Helm upgrade failed: {pend}", end),
            cond(
                "Released",
                "False",
                "UpgradeFailed",
                f"Helm upgrade failed: {pend}\n\nLast Helm logs:\n\npreparing upgrade for cart",
                t2,
            ),
        ],
        "failures": 1,
        "helmChart": "flux-system/apps-cart",
        "lastAppliedRevision": "1.11.4",
        "lastAttemptedRevision": "1.12.0",
        "lastAttemptedValuesChecksum": tok,
        "observedGeneration": cart.gen,
        "upgradeFailures": 1,
    }
    cart.status_time = end
    s.plant(
        cart,
        ["stuck-pending"],
        "Helm revision 9 is left pending-upgrade since 2023-11-19T03:08:51Z (the old "
        "controller pod died with its node mid-upgrade). v0.36.2 never unlocks: with upgrade retries 0 every "
        "reconcile writes lastReleaseRevision 0, sees a 'new state', resets the counters and retries the upgrade, "
        "which fails at once with `another operation (install/upgrade/rollback) is in progress`; the rate limiter "
        "settles at 15m. The troubleshoot helm collector omits the release (its latest revision is pending).",
        [("event", "Helm upgrade failed: another operation"), ("log", pend), ("hr", "another operation")],
    )


def _apps_checkout(shared):
    """apps/checkout: upgrade-failed (resource already exists; same endless v0.36 cycle, no release stored)."""
    C, cid, mk, s = shared.C, shared.cid, shared.mk, shared.s
    co_vals = {"replicaCount": 3, "featureFlags": {"configMapRef": "checkout-feature-flags"}}
    co = mk("apps", "checkout", "checkout", "2.4.0", "acme-charts", co_vals, "2023-05-09T10:31:00Z", 19)
    seed_history(
        co,
        [
            ("2.1.0", T("2023-05-09T10:31:20Z"), co_vals),
            ("2.3.0", T("2023-10-30T09:12:00Z"), co_vals),
            ("2.3.1", T("2023-11-15T11:48:31Z"), co_vals),
        ],
    )
    co.revs = {n + 8: v for n, v in co.revs.items()}  # revisions 9..11
    co_commit = T("2023-11-21T09:12:40Z")
    co.apply_time = co_commit
    co_tok = sha1_checksum(co_vals)
    exists = (
        "rendered manifests contain a resource that already exists. Unable to continue with update: "
        'ConfigMap "checkout-feature-flags" in namespace "apps" exists and cannot be imported into the current '
        'release: invalid ownership metadata; label validation error: missing key "app.kubernetes.io/managed-by": '
        'must be set to "Helm"; annotation validation error: missing key "meta.helm.sh/release-name": must be set '
        'to "checkout"; annotation validation error: missing key "meta.helm.sh/release-namespace": must be set to "apps"'
    )
    co_st = {"n": 0, "last": None}

    def co_h(t, kind):
        rid = s.uuid()
        if kind == "periodic" and t < co_commit:
            end = t + s.ms(150, 900)
            nxt = s.jitter(co.interval_ns())
            v36_finished(s, cid, t, end, co, rid, nxt)
            return end, nxt
        if kind == "spec":
            # generation observed -> Progressing; HelmChart updated from the template and not yet reconciled
            s.L(
                cid,
                t + s.ms(8, 20),
                "chart diverged from template",
                co,
                rid,
                extra={"helmchart": "flux-system/apps-checkout"},
            )
            t1 = t + s.ms(30, 60)
            v36_event(s, cid, t1, co, "info", "HelmChart 'flux-system/apps-checkout' is not ready", "2.3.1", co_tok)
            s.L(cid, t1 + s.ms(0, 2), "HelmChart 'flux-system/apps-checkout' is not ready", co, rid)
            end = t1 + s.ms(5, 15)
            nxt = s.jitter(co.interval_ns())
            v36_finished(s, cid, t, end, co, rid, nxt)
            return end, nxt
        t1 = t + s.ms(200, 350)
        v36_event(s, cid, t1, co, "info", "Helm upgrade has started", "2.4.0", co_tok)
        t2 = t1 + s.ms(120, 260)
        msg = f"Helm upgrade failed: {exists}"
        v36_event(
            s,
            cid,
            t2,
            co,
            "error",
            msg + "\n\nLast Helm logs:\n\npreparing upgrade for checkout\nperforming update for checkout",
            "2.4.0",
            co_tok,
        )
        t3 = t2 + s.ms(10, 30)
        v36_event(s, cid, t3, co, "error", f"reconciliation failed: {msg}", "2.4.0", co_tok)
        end = t3 + s.ms(5, 20)
        v36_finished(s, cid, t, end, co, rid, s.jitter(co.interval_ns()))
        s.L(cid, end + s.ms(0, 1), "Reconciler error", co, rid, level="error", error=msg)
        co_st["last"] = (t, t2, end)
        d = backoff(co_st["n"])
        co_st["n"] += 1
        return end, d

    run_queue(
        s,
        C - 2 * HOUR - s.ms(0, 540_000),
        C,
        co_h,
        [(co_commit + s.ms(150, 250), "spec"), (co_commit + 2 * NS + s.ms(50, 300), "chart")],
    )
    t, t2, end = co_st["last"]
    co.status = {
        "conditions": [
            cond("Ready", "False", "UpgradeFailed", f"Helm upgrade failed: {exists}", end),
            cond(
                "Released",
                "False",
                "UpgradeFailed",
                f"Helm upgrade failed: {exists}\n\nLast Helm "
                "logs:\n\npreparing upgrade for checkout\nperforming update for checkout",
                t2,
            ),
        ],
        "failures": 1,
        "helmChart": "flux-system/apps-checkout",
        "lastAppliedRevision": "2.3.1",
        "lastAttemptedRevision": "2.4.0",
        "lastAttemptedValuesChecksum": co_tok,
        "observedGeneration": co.gen,
        "upgradeFailures": 1,
    }
    co.status_time = end
    s.plant(
        co,
        ["ownership-conflict", "upgrade-failed"],
        "Chart 2.4.0 adds ConfigMap checkout-feature-flags, which already exists without "
        "Helm ownership metadata: Helm refuses the upgrade before storing a release "
        "(`rendered manifests contain a resource that already exists`), so v0.36.2 records lastReleaseRevision 0 "
        "and retries forever with exponential backoff (no retries-exhausted state is ever reached).",
        [
            ("event", "rendered manifests contain a resource that already exists"),
            ("log", "rendered manifests contain"),
            ("hr", "rendered manifests contain"),
        ],
    )
    shared.co_commit = co_commit


def _apps_recommender(shared):
    """apps/recommender: timeout + retries-exhausted (HC 3.1, 4.1, runner 5-line buffer)."""
    C, cid, mk, s = shared.C, shared.cid, shared.mk, shared.s
    rec_vals = {"replicaCount": 3, "model": {"bucket": "s3://ml-models/recommender"}}
    rec = mk(
        "apps", "recommender", "recommender", "3.5.0", "acme-charts", rec_vals, "2023-06-14T08:02:11Z", 15, timeout="5m"
    )
    rec.spec_extra["upgrade"] = {"remediation": {"retries": 2}}
    seed_history(
        rec,
        [
            ("3.3.0", T("2023-10-02T10:14:00Z"), rec_vals),
            ("3.4.0", T("2023-10-26T13:22:47Z"), rec_vals),
            ("3.4.1", T("2023-11-08T09:05:12Z"), rec_vals),
            ("3.4.2", T("2023-11-16T14:11:03Z"), rec_vals),
        ],
    )
    rec.revs = {n + 18: v for n, v in rec.revs.items()}  # revisions 19..22 (maxHistory 10 pruned older)
    rec_commit = T("2023-11-21T09:44:12Z")
    rec.apply_time = rec_commit
    rtok = sha1_checksum(rec_vals)
    kinds = [
        ("PodDisruptionBudget", "recommender"),
        ("ServiceAccount", "recommender"),
        ("ConfigMap", "recommender"),
        ("Service", "recommender"),
        ("Deployment", "recommender"),
    ]
    timeout_msg = "Helm upgrade failed: context deadline exceeded"
    rs = "recommender-5f7d9c8b6d"
    rst = {"n": 0, "attempts": 0, "failures": 0, "fails": [], "rollbacks": [], "last": None, "tail": None}

    def rec_h(t, kind):
        rid = s.uuid()
        if kind == "periodic" and t < rec_commit:
            end = t + s.ms(150, 1100)
            nxt = s.jitter(rec.interval_ns())
            v36_finished(s, cid, t, end, rec, rid, nxt)
            return end, nxt
        if kind == "spec":
            s.L(
                cid,
                t + s.ms(8, 20),
                "chart diverged from template",
                rec,
                rid,
                extra={"helmchart": "flux-system/apps-recommender"},
            )
            t1 = t + s.ms(30, 60)
            v36_event(s, cid, t1, rec, "info", "HelmChart 'flux-system/apps-recommender' is not ready", "3.4.2", rtok)
            s.L(cid, t1 + s.ms(0, 2), "HelmChart 'flux-system/apps-recommender' is not ready", rec, rid)
            end = t1 + s.ms(5, 15)
            nxt = s.jitter(rec.interval_ns())
            v36_finished(s, cid, t, end, rec, rid, nxt)
            return end, nxt
        if rst["attempts"] < 3:
            rst["attempts"] += 1
            if rst["attempts"] == 1:
                rst["failures"] = 0  # HelmReleaseProgressing resets the counters (new state)
            t1 = t + s.ms(220, 380)
            v36_event(s, cid, t1, rec, "info", "Helm upgrade has started", "3.5.0", rtok)
            n_old = rec.last_rev()
            n_new = rec.add_rev("pending-upgrade", "3.5.0", "", rec.revs[n_old]["first"], t1 + s.ms(5, 20), rec_vals)
            lines, tw = helm_upgrade_lines(s, rec, t1, kinds, {("Deployment", "recommender")})
            until = tw + 5 * MIN
            lines += helm_wait_lines(s, rec, tw, 5, "5m0s", "recommender", 0, 3, until)
            lines.append((until + s.ms(1, 4), 'warning: Upgrade "recommender" failed: context deadline exceeded'))
            rec.revs[n_new]["status"] = "failed"
            tail = helm_tail_v036(lines)
            tf = until + s.ms(5, 12)
            v36_event(s, cid, tf, rec, "error", f"{timeout_msg}\n\nLast Helm logs:\n\n{tail}", "3.5.0", rtok)
            rst["fails"].append(tf)
            rst["tail"] = tail
            # scheduler / deployment-controller side of the same attempt
            pod = f"{rs}-{s.hex(5)}"
            s.other_event(
                tw + s.ms(30, 90),
                until - s.ms(20_000, 60_000),
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
                "0/6 nodes are available: 6 Insufficient memory. preemption: 0/6 nodes are available: "
                "6 No preemption victims found for incoming pod..",
                "default-scheduler",
            )
            # rollback remediation (retries 2; the last failure is remediated too)
            tr = tf + s.ms(40, 90)
            n_rb = rec.add_rev("deployed", rec.revs[n_old]["ver"], "", rec.revs[n_old]["first"], tr, rec_vals)
            for n, rv in rec.revs.items():
                if rv["status"] == "deployed" and n != n_rb:
                    rv["status"] = "superseded"
            tr_end = tr + s.ms(2500, 4200)
            v36_event(s, cid, tr_end, rec, "info", "Helm rollback succeeded", "3.5.0", rtok)
            rst["rollbacks"].append(tr_end)
            rst["failures"] += 1
            t3 = tr_end + s.ms(10, 30)
            v36_event(s, cid, t3, rec, "error", f"reconciliation failed: {timeout_msg}", "3.5.0", rtok)
            end = t3 + s.ms(5, 20)
            err = timeout_msg
        else:  # HC 4.1 retries: `upgrade retries exhausted`
            rst["failures"] += 1
            t3 = t + s.ms(180, 340)
            v36_event(s, cid, t3, rec, "error", "reconciliation failed: upgrade retries exhausted", "3.5.0", rtok)
            end = t3 + s.ms(5, 20)
            err = "upgrade retries exhausted"
        v36_finished(s, cid, t, end, rec, rid, s.jitter(rec.interval_ns()))
        s.L(cid, end + s.ms(0, 1), "Reconciler error", rec, rid, level="error", error=err)
        rst["last"] = end
        d = backoff(rst["n"])
        rst["n"] += 1
        return end, d

    run_queue(
        s,
        C - 2 * HOUR - s.ms(0, 600_000),
        C,
        rec_h,
        [(rec_commit + s.ms(150, 250), "spec"), (rec_commit + 2 * NS + s.ms(100, 400), "chart")],
    )
    s.other_event(
        rst["fails"][0] - 5 * MIN + 2 * NS,
        rst["fails"][-1] - 5 * MIN + 2 * NS,
        3,
        {
            "kind": "Deployment",
            "namespace": "apps",
            "name": "recommender",
            "uid": s.uuid(),
            "apiVersion": "apps/v1",
            "resourceVersion": s.rv(rst["fails"][-1], 2),
        },
        "Normal",
        "ScalingReplicaSet",
        f"Scaled up replica set {rs} to 1",
        "deployment-controller",
    )
    s.other_event(
        rst["rollbacks"][0] - 2 * NS,
        rst["rollbacks"][-1] - 2 * NS,
        3,
        {
            "kind": "Deployment",
            "namespace": "apps",
            "name": "recommender",
            "uid": s.uuid(),
            "apiVersion": "apps/v1",
            "resourceVersion": s.rv(rst["rollbacks"][-1], 2),
        },
        "Normal",
        "ScalingReplicaSet",
        f"Scaled down replica set {rs} to 0 from 1",
        "deployment-controller",
    )
    rec.status = {
        "conditions": [
            cond("Ready", "False", "UpgradeFailed", "upgrade retries exhausted", rst["fails"][0]),
            cond(
                "Released",
                "False",
                "UpgradeFailed",
                f"{timeout_msg}\n\nLast Helm logs:\n\n{rst['tail']}",
                rst["fails"][0],
            ),
            cond("Remediated", "True", "RollbackSucceeded", "Helm rollback succeeded", rst["rollbacks"][0]),
        ],
        "failures": rst["failures"],
        "helmChart": "flux-system/apps-recommender",
        "lastAppliedRevision": "3.4.2",
        "lastAttemptedRevision": "3.5.0",
        "lastAttemptedValuesChecksum": rtok,
        "lastReleaseRevision": rec.last_rev(),
        "observedGeneration": rec.gen,
        "upgradeFailures": 3,
    }
    rec.status_time = rst["last"]
    s.plant(
        rec,
        ["timeout", "retries-exhausted"],
        "Chart 3.5.0 raises the memory request so the new pods cannot be "
        "scheduled (FailedScheduling: Insufficient memory). Each of the 3 upgrade attempts (retries: 2) waits 5m "
        "and fails with `context deadline exceeded`; the Helm log tail names Deployment apps/recommender with "
        "0 out of 3 pods ready; each attempt is rolled back. Afterwards every reconcile ends in "
        "`upgrade retries exhausted` (Ready=False) with exponential backoff.",
        [
            ("event", "Helm upgrade failed: context deadline exceeded"),
            ("event", "Deployment is not ready: apps/recommender"),
            ("event", "reconciliation failed: upgrade retries exhausted"),
            ("hr", "upgrade retries exhausted"),
            ("log", "upgrade retries exhausted"),
        ],
    )
    shared.rec = rec
    shared.rec_commit = rec_commit


def _apps_payments_api(shared):
    """apps/payments-api: values-missing (HC 2.1 values errors, HC 4.1 InitFailed)."""
    C, cid, mk, s = shared.C, shared.cid, shared.mk, shared.s
    pay_vals = {"replicaCount": 2, "database": {"existingSecret": "payments-db-creds"}}
    pay = mk("apps", "payments-api", "payments-api", "4.2.0", "acme-charts", pay_vals, "2023-07-03T14:20:00Z", 8)
    seed_history(pay, [("4.1.3", T("2023-10-11T08:10:00Z"), pay_vals), ("4.2.0", T("2023-11-17T15:31:20Z"), pay_vals)])
    pay.revs = {n + 5: v for n, v in pay.revs.items()}  # revisions 6..7
    pay_commit = T("2023-11-21T10:05:31Z")
    pay.apply_time = pay_commit
    pay_tok = sha1_checksum(pay_vals)
    v36_healthy_status(pay, T("2023-11-17T15:31:52Z"))
    pay.gen += 1
    pay.spec_extra["valuesFrom"] = [{"kind": "Secret", "name": "payments-db-creds", "valuesKey": "values.yaml"}]
    vmsg = "could not find Secret 'apps/payments-db-creds'"
    pst = {"n": 0, "count": 0, "first": None, "last": None}

    def pay_h(t, kind):
        rid = s.uuid()
        if t < pay_commit:
            end = t + s.ms(150, 900)
            nxt = s.jitter(pay.interval_ns())
            v36_finished(s, cid, t, end, pay, rid, nxt)
            return end, nxt
        t1 = t + s.ms(8, 25)
        v36_event(s, cid, t1, pay, "error", vmsg, "4.2.0", pay_tok)
        end = t1 + s.ms(3, 9)
        v36_finished(s, cid, t, end, pay, rid)  # Result{Requeue: true}: no `next run in`
        pst["count"] += 1
        pst["first"] = pst["first"] or t1
        pst["last"] = end
        d = backoff(pst["n"])
        pst["n"] += 1
        return end, d

    run_queue(s, C - 2 * HOUR - s.ms(0, 540_000), C, pay_h, [(pay_commit + s.ms(150, 250), "spec")])
    pay.status = {
        "conditions": [cond("Ready", "False", "InitFailed", vmsg, pst["first"])],
        "failures": pst["count"],
        "helmChart": "flux-system/apps-payments-api",
        "lastAppliedRevision": "4.2.0",
        "lastAttemptedRevision": "4.2.0",
        "lastAttemptedValuesChecksum": pay_tok,
        "lastReleaseRevision": pay.last_rev(),
        "observedGeneration": pay.gen,
    }
    pay.status_time = pst["last"]
    s.plant(
        pay,
        ["values-missing"],
        "A commit adds valuesFrom Secret payments-db-creds, which does not exist: v0.36.2 "
        "fails in composeValues with `could not find Secret 'apps/payments-db-creds'` (Ready=False InitFailed, "
        "event reason `error`) and requeues with Requeue:true (rate-limited, no Reconciler error line).",
        [("event", vmsg), ("hr", vmsg)],
    )


def _apps_frontend(shared):
    """apps/frontend: recovered, chart version missing from the index for a minute."""
    C, cid, mk, rec, rec_commit, s = shared.C, shared.cid, shared.mk, shared.rec, shared.rec_commit, shared.s
    fe_vals = {"replicaCount": 3, "ingress": {"enabled": True, "host": "shop.example.com"}}
    fe = mk("apps", "frontend", "frontend", "5.3.0", "acme-charts", fe_vals, "2023-05-09T10:31:00Z", 27)
    seed_history(fe, [("5.1.0", T("2023-10-19T09:00:00Z"), fe_vals), ("5.2.0", T("2023-11-14T10:12:09Z"), fe_vals)])
    fe.revs = {n + 12: v for n, v in fe.revs.items()}  # revisions 13..14
    fe_commit, fe_ready = T("2023-11-21T10:11:02Z"), T("2023-11-21T10:12:06.204Z")
    fe.apply_time = fe_commit
    fe_tok = sha1_checksum(fe_vals)
    fst = {}

    def fe_h(t, kind):
        rid = s.uuid()
        if kind == "spec":
            s.L(
                cid,
                t + s.ms(8, 20),
                "chart diverged from template",
                fe,
                rid,
                extra={"helmchart": "flux-system/apps-frontend"},
            )
            t1 = t + s.ms(30, 60)
            v36_event(s, cid, t1, fe, "info", "HelmChart 'flux-system/apps-frontend' is not ready", "5.2.0", fe_tok)
            s.L(cid, t1 + s.ms(0, 2), "HelmChart 'flux-system/apps-frontend' is not ready", fe, rid)
            end = t1 + s.ms(5, 15)
        elif kind == "chart":
            t1 = t + s.ms(220, 360)
            v36_event(s, cid, t1, fe, "info", "Helm upgrade has started", "5.3.0", fe_tok)
            n = fe.add_rev("deployed", "5.3.0", "", fe.revs[fe.last_rev()]["first"], t1 + s.ms(5, 20), fe_vals)
            for k, rv in fe.revs.items():
                if k != n and rv["status"] == "deployed":
                    rv["status"] = "superseded"
            end = t1 + s.ms(33_000, 38_000)
            v36_event(s, cid, end - s.ms(2, 6), fe, "info", "Helm upgrade succeeded", "5.3.0", fe_tok)
            fst["done"] = end
        else:
            end = t + s.ms(150, 1100)
        nxt = s.jitter(fe.interval_ns())
        v36_finished(s, cid, t, end, fe, rid, nxt)
        return end, nxt

    run_queue(
        s,
        C - 2 * HOUR - s.ms(0, 540_000),
        C,
        fe_h,
        [(fe_commit + s.ms(150, 250), "spec"), (fe_ready + s.ms(300, 500), "chart")],
    )
    v36_healthy_status(fe, fst["done"])
    s.chart_event(
        fe,
        fe_commit + s.ms(900, 1500),
        "source.toolkit.fluxcd.io/v1beta2",
        failed="invalid chart reference: failed to get chart version for remote reference: no 'frontend' "
        "chart with version matching '5.3.0' found",
    )
    s.chart_event(fe, fe_ready - s.ms(40, 90), "source.toolkit.fluxcd.io/v1beta2")
    s.chart_event(rec, rec_commit + 2 * NS, "source.toolkit.fluxcd.io/v1beta2")
    s.plant(
        fe,
        [],
        "Recovered: chart 5.3.0 was not yet in the acme-charts index for about a minute (HelmChart "
        "InvalidChartReference, `HelmChart 'flux-system/apps-frontend' is not ready`); after the index refresh the "
        "upgrade succeeded and Ready=True.",
        [("log", "HelmChart 'flux-system/apps-frontend' is not ready"), ("event", "Helm upgrade succeeded")],
    )
    shared.fe_ready = fe_ready


def _apps_catalog(shared):
    """apps/catalog: recovered, first upgrade attempt timed out, the retry succeeded."""
    C, cid, mk, s = shared.C, shared.cid, shared.mk, shared.s
    ca_vals = {"replicaCount": 2, "search": {"endpoint": "http://opensearch.search:9200"}}
    ca = mk("apps", "catalog", "catalog", "1.9.0", "acme-charts", ca_vals, "2023-06-01T08:00:00Z", 13, timeout="5m")
    ca.spec_extra["upgrade"] = {"remediation": {"retries": 3}}
    seed_history(ca, [("1.7.2", T("2023-10-03T12:00:00Z"), ca_vals), ("1.8.0", T("2023-11-09T13:44:01Z"), ca_vals)])
    ca.revs = {n + 9: v for n, v in ca.revs.items()}  # revisions 10..11
    ca_commit = T("2023-11-21T10:19:48Z")
    ca.apply_time = ca_commit
    ca_tok = sha1_checksum(ca_vals)
    ca_kinds = [("ServiceAccount", "catalog"), ("Service", "catalog"), ("Deployment", "catalog")]
    cst = {"attempt": 0}

    def ca_h(t, kind):
        rid = s.uuid()
        if kind == "spec":
            s.L(
                cid,
                t + s.ms(8, 20),
                "chart diverged from template",
                ca,
                rid,
                extra={"helmchart": "flux-system/apps-catalog"},
            )
            t1 = t + s.ms(30, 60)
            v36_event(s, cid, t1, ca, "info", "HelmChart 'flux-system/apps-catalog' is not ready", "1.8.0", ca_tok)
            s.L(cid, t1 + s.ms(0, 2), "HelmChart 'flux-system/apps-catalog' is not ready", ca, rid)
            end = t1 + s.ms(5, 15)
        elif kind == "periodic" and cst["attempt"] in (0, 2):
            end = t + s.ms(150, 1100)
        elif cst["attempt"] == 0:
            cst["attempt"] = 1
            t1 = t + s.ms(220, 380)
            v36_event(s, cid, t1, ca, "info", "Helm upgrade has started", "1.9.0", ca_tok)
            n_old = ca.last_rev()
            n_new = ca.add_rev("failed", "1.9.0", "", ca.revs[n_old]["first"], t1 + s.ms(5, 20), ca_vals)
            lines, tw = helm_upgrade_lines(s, ca, t1, ca_kinds, {("Deployment", "catalog")})
            until = tw + 5 * MIN
            lines += helm_wait_lines(s, ca, tw, 3, "5m0s", "catalog", 1, 2, until)
            lines.append((until + s.ms(1, 4), 'warning: Upgrade "catalog" failed: context deadline exceeded'))
            tf = until + s.ms(5, 12)
            v36_event(
                s,
                cid,
                tf,
                ca,
                "error",
                "Helm upgrade failed: context deadline exceeded\n\nLast Helm logs:\n\n" + helm_tail_v036(lines),
                "1.9.0",
                ca_tok,
            )
            tr = tf + s.ms(40, 90)
            ca.add_rev("deployed", "1.8.0", "", ca.revs[n_old]["first"], tr, ca_vals)
            ca.revs[n_old]["status"] = "superseded"
            tr_end = tr + s.ms(2500, 4000)
            v36_event(s, cid, tr_end, ca, "info", "Helm rollback succeeded", "1.9.0", ca_tok)
            t3 = tr_end + s.ms(10, 30)
            v36_event(
                s,
                cid,
                t3,
                ca,
                "error",
                "reconciliation failed: Helm upgrade failed: context deadline exceeded",
                "1.9.0",
                ca_tok,
            )
            end = t3 + s.ms(5, 20)
            v36_finished(s, cid, t, end, ca, rid, s.jitter(ca.interval_ns()))
            s.L(
                cid,
                end + s.ms(0, 1),
                "Reconciler error",
                ca,
                rid,
                level="error",
                error="Helm upgrade failed: context deadline exceeded",
            )
            at = tw + s.ms(30, 90)
            s.other_event(
                at,
                at,
                1,
                {
                    "kind": "Pod",
                    "namespace": "apps",
                    "name": f"catalog-7b9cf6d8d4-{s.hex(5)}",
                    "uid": s.uuid(),
                    "apiVersion": "v1",
                    "resourceVersion": s.rv(tw, 1),
                },
                "Normal",
                "TriggeredScaleUp",
                "pod triggered scale-up: [{eks-workers-2023110614125518300000000c 6->7 (max: 10)}]",
                "cluster-autoscaler",
            )
            return end, backoff(0)
        else:
            cst["attempt"] = 2
            t1 = t + s.ms(220, 380)
            v36_event(s, cid, t1, ca, "info", "Helm upgrade has started", "1.9.0", ca_tok)
            n_new = ca.add_rev("deployed", "1.9.0", "", ca.revs[ca.last_rev()]["first"], t1 + s.ms(5, 20), ca_vals)
            for k, rv in ca.revs.items():
                if k != n_new and rv["status"] == "deployed":
                    rv["status"] = "superseded"
            end = t1 + s.ms(41_000, 46_000)
            v36_event(s, cid, end - s.ms(2, 6), ca, "info", "Helm upgrade succeeded", "1.9.0", ca_tok)
            cst["done"] = end
        nxt = s.jitter(ca.interval_ns())
        v36_finished(s, cid, t, end, ca, rid, nxt)
        return end, nxt

    run_queue(
        s,
        C - 2 * HOUR - s.ms(0, 540_000),
        C,
        ca_h,
        [(ca_commit + s.ms(150, 250), "spec"), (ca_commit + 2 * NS + s.ms(100, 400), "chart")],
    )
    v36_healthy_status(ca, cst["done"])
    s.plant(
        ca,
        [],
        "Recovered: the first upgrade to 1.9.0 timed out (1 of 2 pods ready until cluster-autoscaler added "
        "a node) and was rolled back; the retry 1s later succeeded, Ready=True ReconciliationSucceeded.",
        [("event", "Helm upgrade failed: context deadline exceeded"), ("event", "Helm upgrade succeeded")],
    )
    s.chart_event(ca, ca_commit + 2 * NS, "source.toolkit.fluxcd.io/v1beta2")
    shared.ca_commit = ca_commit


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
