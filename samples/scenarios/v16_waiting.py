"""Scenario `v16-failures`: the releases left waiting (apps/web timeout, apps/worker canceled health
check, apps/frontend dependency on a Kustomization, apps/search kind no longer served)."""

from __future__ import annotations

import hashlib
from scenarios.formats import (
    MIN,
    NS,
    T,
    go_duration,
    rfc3339nano,
)
from scenarios.objects import (
    helm4_tail,
)
from scenarios.story import delc, run_queue, setc, v37_seed


def _apps_web(shared):
    """apps/web: timeout with the poller wait strategy, RetryOnFailure (never stalls)."""
    C, cid, events_meta, mk, s, start, v = (
        shared.C,
        shared.cid,
        shared.events_meta,
        shared.mk,
        shared.s,
        shared.start,
        shared.v,
    )
    wv = {"replicaCount": 3, "resources": {"requests": {"cpu": "1500m"}}}
    we = mk(
        "apps",
        "web",
        "web",
        "3.1.2",
        "acme-charts",
        {"replicaCount": 3, "resources": {"requests": {"cpu": "250m"}}},
        "2024-11-05T10:00:00Z",
        22,
        timeout="5m",
    )
    we.spec_extra["upgrade"] = {"strategy": {"name": "RetryOnFailure", "retryInterval": "5m"}}
    v37_seed(
        we,
        [("3.1.1", T("2026-06-25T10:00:00Z"), we.values), ("3.1.2", T("2026-07-22T10:10:31Z"), we.values)],
        T("2026-07-22T10:11:04Z"),
        v1=True,
        app="3.1.2",
        base=40,
    )
    we.apply_time = T("2026-07-22T10:10:30Z")
    wcommit = C - 41 * MIN
    wait_err = "timeout waiting for: [Deployment/apps/web status: 'InProgress']"
    wst = {"attempts": 0}

    def we_h(t, kind):
        if kind == "spec":
            we.ver, we.values, we.gen = "3.2.0", wv, we.gen + 1
            t, rid = v.start(t, we, "Configured")
            t = v.chart_not_ready(t, we, rid, "latest generation of object has not been reconciled")
            we.status_time = t
            return t, s.jitter(we.interval_ns())
        if we.ver == "3.1.2":
            return v.healthy(t, we), s.jitter(we.interval_ns())
        t, rid = v.start(t, we)
        v.clear_prereq(t, we)
        v.attempt(we, t)
        if wst["attempts"] == 0:
            s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", we, rid)
            we.status["failures"] = we.status["upgradeFailures"] = 0
        else:  # RetryOnFailure: a failed release is upgraded again like --force
            s.L(cid, t + s.ms(40, 90), "release is in a failed state", we, rid)
        wst["attempts"] += 1
        t = v.run_action(t + s.ms(100, 150), we, rid, "upgrade", "5m0s")
        delc(we, "TestSuccess")
        delc(we, "Remediated")
        we.status["lastAttemptedReleaseAction"] = "upgrade"
        n_old = we.history[0]["version"]
        n_new = we.add_rev("pending-upgrade", "3.2.0", "3.2.0", we.revs[min(we.revs)]["first"], t + s.ms(10, 30), wv)
        tl = [
            (t + s.ms(2, 8), "preparing upgrade", {"name": "web"}),
            (t + s.ms(10, 30), "performing update", {"name": "web"}),
            (t + s.ms(40, 90), "creating upgraded release", {"name": "web"}),
            (t + s.ms(100, 160), "checking resources for changes", {"resources": 4}),
            (t + s.ms(160, 220), "using client-side apply for resource update", {"threeWayMergeForUnstructured": True}),
        ]
        until = t + 5 * MIN + s.ms(300, 500)
        if we.revs[n_old]["status"] == "deployed":
            we.revs[n_old]["status"] = "superseded"
        we.revs[n_new]["status"] = "failed"
        we.observe([n_new, n_old], True)
        msg = f"Helm upgrade failed for release apps/web with chart web@3.2.0: {wait_err}"
        s.hr_event(
            cid,
            until,
            we,
            "Warning",
            "UpgradeFailed",
            msg + "\n\nLast Helm logs:\n\n" + helm4_tail(tl),
            events_meta(we, "3.2.0", wv, "3.2.0"),
        )
        setc(we, "Released", "False", "UpgradeFailed", msg, until)
        we.status["failures"] += 1
        we.status["upgradeFailures"] += 1
        we.status["lastAttemptedReleaseActionDuration"] = go_duration(until - t + s.ms(1, 30))
        v.summarize(we, until)
        setc(we, "Reconciling", "True", "ProgressingWithRetry", "retrying after 5m0s", until)
        end = until + s.ms(20, 50)
        we.status_time = end
        return end, s.jitter(5 * MIN)

    run_queue(
        s,
        start + s.ms(0, 600_000),
        C,
        we_h,
        [(wcommit + s.ms(150, 250), "spec"), (wcommit + 2 * NS + s.ms(300, 700), "chart")],
    )
    we.apply_time = wcommit
    s.other_event(
        wcommit + 3 * NS,
        C - s.ms(20_000, 60_000),
        61,
        {
            "kind": "Pod",
            "namespace": "apps",
            "name": "web-7c9d8b6f5-m4kqz",
            "uid": s.uuid(),
            "apiVersion": "v1",
            "resourceVersion": s.rv(C, 1),
        },
        "Warning",
        "FailedScheduling",
        "0/4 nodes are available: 4 Insufficient cpu. preemption: 0/4 nodes are available: 4 No preemption "
        "victims found for incoming pod.",
        "default-scheduler",
    )
    s.plant(
        we,
        ["timeout"],
        "Chart 3.2.0 requests 1500m CPU per pod: the new pods stay Pending (FailedScheduling: "
        "Insufficient cpu). With the default `poller` wait strategy (v1.5+) the failure reads `timeout waiting for: "
        "[Deployment/apps/web status: 'InProgress']`. spec.upgrade.strategy RetryOnFailure: every attempt ends with "
        "Reconciling=True ProgressingWithRetry `retrying after 5m0s` and a new upgrade 5m later; it never stalls, so "
        "this is not retries-exhausted.",
        [("event", "timeout waiting for: [Deployment/apps/web"), ("hr", "retrying after 5m0s")],
    )
    shared.wcommit = wcommit


def _apps_worker(shared):
    """apps/worker: health check canceled (CancelHealthCheckOnNewRevision), then stalled."""
    C, cid, events_meta, healthy_ref, mk, s, start, start_ref, v = (
        shared.C,
        shared.cid,
        shared.events_meta,
        shared.healthy_ref,
        shared.mk,
        shared.s,
        shared.start,
        shared.start_ref,
        shared.v,
    )
    wk_digest = hashlib.sha256(b"worker-1.4.1").hexdigest()
    wk_old = hashlib.sha256(b"worker-1.4.0").hexdigest()
    wkv = {"concurrency": 8}
    wk = mk("apps", "worker", "worker", f"1.4.0+{wk_old[:12]}", "worker", wkv, "2025-05-14T10:00:00Z", 7)
    wk.chart_ref = {"kind": "OCIRepository", "name": "worker", "namespace": "apps"}
    v37_seed(
        wk,
        [
            (f"1.3.9+{hashlib.sha256(b'worker-1.3.9').hexdigest()[:12]}", T("2026-06-30T10:00:00Z"), wkv),
            (wk.ver, T("2026-07-24T08:50:12Z"), wkv),
        ],
        T("2026-07-24T08:50:40Z"),
        v1=True,
        app="1.4.0",
        base=5,
    )
    wk.status.pop("helmChart")
    wk.apply_time = T("2026-07-24T08:50:11Z")
    pushed = C - 26 * MIN  # the OCIRepository's new artifact (tag 1.4.1)
    forced = pushed + 97 * NS  # `flux reconcile hr worker -n apps` during the wait
    wks = {}

    def stall(t):
        """A reconcile of the failed release: upgrade retries 0 (default), nothing to remediate -> terminal."""
        t, rid = start_ref(t, wk)
        v.attempt(wk, t)
        s.L(cid, t + s.ms(40, 90), "release is in a failed state", wk, rid)
        setc(wk, "Stalled", "True", "RetriesExceeded", "Failed to upgrade after 1 attempt(s)", t + s.ms(95, 140))
        delc(wk, "Reconciling")
        end = t + s.ms(150, 210)
        s.L(
            cid,
            end,
            "Reconciler error",
            wk,
            rid,
            level="error",
            error="terminal error: exceeded maximum retries: cannot remediate failed release",
        )
        wk.status["observedGeneration"] = wk.gen
        wk.status_time = end
        return end

    def wk_h(t, kind):
        if kind == "periodic" and wks.get("stalled"):
            return stall(t), None  # a requeue queued before the stall: the same terminal error
        if kind == "periodic" and "upgrade" not in wks:
            return healthy_ref(t, wk), s.jitter(wk.interval_ns())
        if kind == "source":
            wk.ver = f"1.4.1+{wk_digest[:12]}"
            wk.status["lastAttemptedRevisionDigest"] = "sha256:" + wk_digest
            t, rid = start_ref(t, wk)
            v.attempt(wk, t)
            s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", wk, rid)
            t = v.run_action(t + s.ms(100, 150), wk, rid, "upgrade", "5m0s")
            delc(wk, "TestSuccess")
            delc(wk, "Remediated")
            wk.status["lastAttemptedReleaseAction"] = "upgrade"
            n_old = wk.history[0]["version"]
            n_new = wk.add_rev(
                "pending-upgrade", wk.ver, "1.4.1", wk.revs[min(wk.revs)]["first"], t + s.ms(10, 30), wkv
            )
            wks["upgrade"] = (t, rid, n_old, n_new)
            return forced, None  # the wait runs until the annotation arrives
        # the annotation: the running health check is canceled (helmrelease_controller.go, v1.5.0+)
        t0, rid, n_old, n_new = wks.pop("upgrade")
        wk.revs[n_old]["status"] = "superseded"
        wk.revs[n_new]["status"] = "failed"
        wk.observe([n_new, n_old], True)
        tf = t + s.ms(30, 80)
        msg = f"Helm upgrade failed for release apps/worker with chart worker@{wk.ver}: context canceled"
        tl = [
            (t0 + s.ms(2, 8), "preparing upgrade", {"name": "worker"}),
            (t0 + s.ms(10, 30), "performing update", {"name": "worker"}),
            (t0 + s.ms(40, 90), "creating upgraded release", {"name": "worker"}),
            (t0 + s.ms(100, 160), "checking resources for changes", {"resources": 3}),
        ]
        s.hr_event(
            cid,
            tf,
            wk,
            "Warning",
            "UpgradeFailed",
            msg + "\n\nLast Helm logs:\n\n" + helm4_tail(tl),
            events_meta(wk, wk.ver, wkv, "1.4.1", "sha256:" + wk_digest),
        )
        setc(wk, "Released", "False", "UpgradeFailed", msg, tf)
        wk.status["failures"] = wk.status.get("failures", 0) + 1
        wk.status["upgradeFailures"] = wk.status.get("upgradeFailures", 0) + 1
        v.summarize(wk, tf)
        tc = tf + s.ms(10, 30)
        setc(wk, "Ready", "False", "HealthCheckCanceled", "New reconciliation triggered by HelmRelease/apps/worker", tc)
        s.L(
            cid,
            tc,
            "New reconciliation triggered, canceling health checks",
            wk,
            rid,
            extra={"trigger": {"kind": "HelmRelease", "name": "worker", "namespace": "apps"}},
        )
        s.hr_event(
            cid,
            tc + s.ms(1, 4),
            wk,
            "Normal",
            "HealthCheckCanceled",
            "Health checks canceled due to new reconciliation triggered by HelmRelease/apps/worker",
        )
        # the forced reconcile: the release is failed, upgrade retries 0 (default) -> stalled
        end = stall(tc + s.ms(40, 120))
        wk.status["lastHandledReconcileAt"] = rfc3339nano(forced - s.ms(300, 600))
        wks["stalled"] = True
        return end, None

    run_queue(s, start + s.ms(0, 600_000), C, wk_h, [(pushed + s.ms(400, 900), "source"), (forced, "annotation")])
    wk.annotations["reconcile.fluxcd.io/requestedAt"] = rfc3339nano(forced - s.ms(300, 600))
    s.plant(
        wk,
        ["health-check-canceled", "upgrade-failed", "retries-exhausted"],
        "helm-controller runs with "
        "--feature-gates=CancelHealthCheckOnNewRevision=true. The OCIRepository gets tag 1.4.1 and the upgrade "
        "starts; 97s into its health check someone runs `flux reconcile hr worker -n apps`, which enqueues a new "
        "reconciliation: the health check is canceled (Ready=False HealthCheckCanceled, the Helm upgrade fails with "
        "`context canceled`, revision marked failed). The forced reconcile finds the release failed and, with the "
        "default RemediateOnFailure strategy and 0 upgrade retries, stalls: `exceeded maximum retries: cannot "
        "remediate failed release`, Stalled RetriesExceeded. DefaultToRetryOnFailure (v1.5.2+) exists for this.",
        [
            ("event", "Health checks canceled due to new reconciliation"),
            ("log", "New reconciliation triggered, canceling health checks"),
            ("hr", "Failed to upgrade after 1 attempt(s)"),
        ],
    )
    shared.pushed = pushed
    shared.wk_digest = wk_digest


def _apps_frontend(shared):
    """apps/frontend: dependency-missing (dependsOn names a Kustomization)."""
    C, mk, s, start, v = shared.C, shared.mk, shared.s, shared.start, shared.v
    fe = mk(
        "apps",
        "frontend",
        "frontend",
        "5.2.0",
        "acme-charts",
        {"replicaCount": 3},
        "2024-11-05T10:00:00Z",
        19,
        deps=["apps/backend"],
    )
    v37_seed(
        fe,
        [("5.1.4", T("2026-06-25T10:00:00Z"), fe.values), ("5.2.0", T("2026-07-22T10:11:31Z"), fe.values)],
        T("2026-07-22T10:12:04Z"),
        v1=True,
        base=28,
    )
    fe.apply_time = T("2026-07-22T10:11:30Z")
    fcommit = C - 70 * MIN
    gone = "unable to get 'apps/backend' dependency: helmreleases.helm.toolkit.fluxcd.io \"backend\" not found"

    def fe_h(t, kind):
        if t < fcommit:
            fe.deps = None
            end = v.healthy(t, fe)
            fe.deps = ["apps/backend"]
            return end, s.jitter(fe.interval_ns())
        if kind == "spec":
            fe.gen += 1
        t, rid = v.start(t, fe)
        t = v.deps(t, fe, rid, blocked_by=gone)
        fe.status_time = t
        return t, 30 * NS

    run_queue(s, start + s.ms(0, 600_000), C, fe_h, [(fcommit + s.ms(150, 250), "spec")])
    fe.apply_time = fcommit
    s.plant(
        fe,
        ["dependency-missing"],
        "A commit adds `dependsOn: [{name: backend}]` to wait for the backend, but "
        "apps/backend is a Kustomization: HelmRelease dependsOn names HelmReleases only (v1.6 moved it to "
        "fluxcd/pkg DependencyReference, still HelmRelease-only), and v1.1.0+ reads dependencies from the API "
        "server, so `unable to get 'apps/backend' dependency: helmreleases.helm.toolkit.fluxcd.io \"backend\" not "
        "found` every 30s, forever.",
        [("log", "unable to get 'apps/backend' dependency"), ("hr", "dependency: helmreleases.helm.toolkit.fluxcd.io")],
    )


def _apps_search(shared):
    """apps/search: crd-mismatch (a manifest in helm.toolkit.fluxcd.io/v2beta2, not served since v1.5.0)."""
    C, mk, s = shared.C, shared.mk, shared.s
    se = mk("apps", "search", "search", "1.0.0", "acme-charts", {}, "2026-08-04T09:10:00Z", 1)  # never created
    scommit = C - 21 * MIN
    dry = 'HelmRelease/apps/search dry-run failed: no matches for kind "HelmRelease" in version "helm.toolkit.fluxcd.io/v2beta2"'
    ks = {
        "kind": "Kustomization",
        "namespace": "flux-system",
        "name": "apps",
        "uid": s.uuid(),
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "resourceVersion": s.rv(C, 2),
    }
    s.other_event(
        scommit + s.ms(3000, 6000),
        C - s.ms(60_000, 200_000),
        3,
        ks,
        "Warning",
        "ReconciliationFailed",
        dry,
        "kustomize-controller",
        annotations={"kustomize.toolkit.fluxcd.io/revision": "main@sha1:9f1c2e7d4b8a6c3e5f0a1b2c3d4e5f6a7b8c9d0e"},
    )
    s.plant(
        se,
        ["crd-mismatch"],
        "A new HelmRelease manifest copied from an old example uses apiVersion "
        "helm.toolkit.fluxcd.io/v2beta2, which the v1.6 CRD no longer serves (v2 only from v1.5.0): "
        "kustomize-controller's dry-run refuses it (`HelmRelease/apps/search dry-run failed: no matches for kind "
        '"HelmRelease" in version "helm.toolkit.fluxcd.io/v2beta2"`), so the HelmRelease never exists and the '
        "`apps` Kustomization fails its reconciliation. Only the Kustomization's event names it.",
        [("event", "apps", "dry-run failed: no matches for kind")],
    )
    shared.se = se
