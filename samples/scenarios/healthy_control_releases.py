"""Scenario `healthy-control`: the story of each release that did something (upgrades, a recovered
timeout, a late dependency, drift corrected once, a late values Secret, a chart late in its index)."""

from __future__ import annotations

from scenarios.engine import backoff
from scenarios.formats import MIN, NS, T, go_duration, helm_tail_v037, sha256_digest
from scenarios.story import (
    ann,
    delc,
    helm_upgrade_lines,
    helm_wait_lines,
    run_queue,
    setc,
    v37_seed,
)


def _apps_podinfo(shared):
    """apps/podinfo: plain upgrade."""
    C, mk, s, start, v = shared.C, shared.mk, shared.s, shared.start, shared.v
    pi = mk("apps", "podinfo", "podinfo", "6.9.1", "podinfo", {"replicaCount": 2}, "2024-03-11T08:00:12Z", 14)
    v37_seed(
        pi,
        [("6.8.0", T("2025-08-11T10:00:00Z"), pi.values), ("6.9.1", T("2025-09-16T13:37:02Z"), pi.values)],
        T("2025-09-16T13:37:21Z"),
        v1=True,
        app="6.9.1",
        base=9,
    )
    pi.apply_time = T("2025-09-16T13:37:01Z")
    pcommit = T("2025-10-21T08:30:12Z")

    def chart_spec(r, t):
        t, rid = v.start(t, r, "Configured")
        t = v.chart_not_ready(t, r, rid, "latest generation of object has not been reconciled")
        r.status_time = t
        return t, s.jitter(r.interval_ns())

    def pi_h(t, kind):
        if kind == "spec":
            pi.ver, pi.gen = "6.9.2", pi.gen + 1
            return chart_spec(pi, t)
        if kind == "chart":
            t, rid = v.start(t, pi)
            v.clear_prereq(t, pi)
            v.attempt(pi, t)
            end = v.upgrade_ok(t, pi, rid, s.ms(16_000, 20_000), n_app="6.9.2")
            return v.done_insync(end, pi, rid), s.jitter(pi.interval_ns())
        return v.healthy(t, pi), s.jitter(pi.interval_ns())

    run_queue(
        s,
        start + s.ms(0, 600_000),
        C,
        pi_h,
        [(pcommit + s.ms(150, 250), "spec"), (pcommit + 2 * NS + s.ms(100, 400), "chart")],
    )
    pi.apply_time = pcommit
    s.plant(pi, [], "Healthy: upgraded 6.9.1 -> 6.9.2 at 08:30.")
    shared.chart_spec = chart_spec
    shared.pcommit = pcommit


def _apps_api(shared):
    """apps/api: first upgrade attempt timed out, rolled back, the retry succeeded."""
    C, chart_spec, cid, mk, s, start, v = (
        shared.C,
        shared.chart_spec,
        shared.cid,
        shared.mk,
        shared.s,
        shared.start,
        shared.v,
    )
    api_vals = {"replicaCount": 3}
    api = mk("apps", "api", "api", "2.13.0", "acme-charts", api_vals, "2024-03-11T08:00:12Z", 27, timeout="5m")
    api.spec_extra["upgrade"] = {"remediation": {"retries": 3}}
    v37_seed(
        api,
        [("2.12.4", T("2025-09-02T10:00:00Z"), api_vals), ("2.13.0", T("2025-10-09T15:20:31Z"), api_vals)],
        T("2025-10-09T15:21:04Z"),
        v1=True,
        app="2.13.0",
        base=30,
    )
    api.apply_time = T("2025-10-09T15:20:30Z")
    acommit = T("2025-10-21T08:52:03Z")
    ast = {"attempt": 0}
    kinds = [("ServiceAccount", "api"), ("ConfigMap", "api"), ("Service", "api"), ("Deployment", "api")]

    def api_h(t, kind):
        if kind == "spec":
            api.ver, api.gen = "2.14.0", api.gen + 1
            ast["busy_from"] = t
            return chart_spec(api, t)
        if kind == "periodic" and ast["attempt"] in (0, 2):
            return v.healthy(t, api), s.jitter(api.interval_ns())
        t, rid = v.start(t, api)
        v.clear_prereq(t, api)
        v.attempt(api, t)
        if ast["attempt"] == 1:  # retry after the rollback
            ast["attempt"] = 2
            end = v.upgrade_ok(t, api, rid, s.ms(34_000, 38_000), n_app="2.14.0")
            end = v.done_insync(end, api, rid)
            ast["done"] = end
            return end, s.jitter(api.interval_ns())
        ast["attempt"] = 1
        api.status["failures"] = api.status["upgradeFailures"] = 0
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", api, rid)
        t = v.run_action(t + s.ms(100, 150), api, rid, "upgrade", "5m0s")
        delc(api, "TestSuccess")
        delc(api, "Remediated")
        api.status["lastAttemptedReleaseAction"] = "upgrade"
        n_old = api.history[0]["version"]
        n_new = api.add_rev("pending-upgrade", "2.14.0", "2.14.0", api.revs[n_old]["first"], t + s.ms(10, 30), api_vals)
        lines, tw = helm_upgrade_lines(s, api, t, kinds, {("ConfigMap", "api"), ("Deployment", "api")})
        until = tw + 5 * MIN
        lines += helm_wait_lines(s, api, tw, 4, "5m0s", "api", 2, 3, until)
        lines.append((until + s.ms(1, 3), "wait for resources failed after 5m0s: context deadline exceeded"))
        lines.append((until + s.ms(4, 8), 'warning: Upgrade "api" failed: context deadline exceeded'))
        api.revs[n_new]["status"] = "failed"
        api.observe([n_new, n_old], True)
        api.status["lastAttemptedReleaseActionDuration"] = go_duration(until + s.ms(9, 15) - t)
        tf = until + s.ms(10, 20)
        msg = "Helm upgrade failed for release apps/api with chart api@2.14.0: context deadline exceeded"
        s.hr_event(
            cid,
            tf,
            api,
            "Warning",
            "UpgradeFailed",
            msg + "\n\nLast Helm logs:\n\n" + helm_tail_v037(lines),
            {
                "helm.toolkit.fluxcd.io/revision": "2.14.0",
                "helm.toolkit.fluxcd.io/token": sha256_digest(api_vals),
                "helm.toolkit.fluxcd.io/app-version": "2.14.0",
            },
        )
        setc(api, "Released", "False", "UpgradeFailed", msg, tf)
        api.status["failures"] += 1
        api.status["upgradeFailures"] += 1
        v.summarize(api, tf)
        at = tw + s.ms(40, 90)
        s.other_event(
            at,
            at,
            1,
            {
                "kind": "Pod",
                "namespace": "apps",
                "name": f"api-7d4c9b8f6-{s.hex(5)}",
                "uid": s.uuid(),
                "apiVersion": "v1",
                "resourceVersion": s.rv(tw, 1),
            },
            "Normal",
            "TriggeredScaleUp",
            "pod triggered scale-up: [{aks-user-24780633-vmss 5->6 (max: 8)}]",
            "cluster-autoscaler",
        )
        t = tf + s.ms(30, 60)
        s.L(cid, t, "release is in a failed state", api, rid)
        api.truncate()
        prev = api.previous()
        t = v.run_action(t + s.ms(5, 15), api, rid, "rollback", "5m0s", release_type=False)
        n_rb = api.add_rev(
            "deployed", prev["chartVersion"], "2.13.0", api.revs[n_old]["first"], t + s.ms(10, 30), api_vals
        )
        api.revs[n_old]["status"] = "superseded"
        api.observe([n_rb, n_old], True)
        tr = t + s.ms(2600, 3900)
        rb_msg = f"Helm rollback to previous release {api.full(prev['version'])} with chart api@{prev['chartVersion']} succeeded"
        s.hr_event(
            cid,
            tr,
            api,
            "Normal",
            "RollbackSucceeded",
            rb_msg,
            {
                "helm.toolkit.fluxcd.io/revision": prev["chartVersion"],
                "helm.toolkit.fluxcd.io/token": sha256_digest(api_vals),
                "helm.toolkit.fluxcd.io/app-version": "2.13.0",
            },
        )
        setc(api, "Remediated", "True", "RollbackSucceeded", rb_msg, tr)
        v.summarize(api, tr)
        setc(api, "Reconciling", "True", "ProgressingWithRetry", api.conds["Ready"]["message"], tr)
        end = tr + s.ms(20, 50)
        api.status_time = end
        return end, backoff(0)

    run_queue(
        s,
        start + s.ms(0, 600_000),
        C,
        api_h,
        [(acommit + s.ms(150, 250), "spec"), (acommit + 2 * NS + s.ms(100, 400), "chart")],
    )
    api.apply_time = acommit
    s.plant(
        api,
        [],
        "Recovered: the first upgrade to 2.14.0 timed out (2 of 3 pods ready until cluster-autoscaler "
        "added a node) and was rolled back; the retry 1s later succeeded. Ready=True UpgradeSucceeded although "
        "status.failures/upgradeFailures stay 1 (counters are only reset on chart/values change or --reset).",
        [
            ("event", "Helm upgrade failed for release apps/api"),
            ("event", "Helm upgrade succeeded for release apps/api"),
        ],
    )
    shared.acommit = acommit
    shared.api = api
    shared.ast = ast


def _apps_worker(shared):
    """apps/worker: waits for apps/api during its upgrade (recovered)."""
    C, ast, mk, s, start, v = shared.C, shared.ast, shared.mk, shared.s, shared.start, shared.v
    wk = mk(
        "apps",
        "worker",
        "worker",
        "2.13.0",
        "acme-charts",
        {"concurrency": 8},
        "2024-03-11T08:00:12Z",
        12,
        interval="5m",
        deps=["apps/api"],
    )
    v37_seed(
        wk,
        [("2.12.4", T("2025-09-02T10:01:00Z"), wk.values), ("2.13.0", T("2025-10-09T15:21:40Z"), wk.values)],
        T("2025-10-09T15:22:02Z"),
        v1=True,
        app="2.13.0",
        base=21,
    )
    wk.apply_time = T("2025-10-09T15:21:39Z")
    wks = {}

    def wk_h(t, kind):
        if ast.get("busy_from", C) <= t < ast.get("done", C):
            t, rid = v.start(t, wk)
            t = v.deps(t, wk, rid, blocked_by="dependency 'apps/api' is not ready")
            wk.status_time = t
            wks["blocked"] = wks.get("blocked", 0) + 1
            return t, 30 * NS
        return v.healthy(t, wk), s.jitter(wk.interval_ns())

    run_queue(s, start + s.ms(0, 300_000), C, wk_h)
    s.plant(
        wk,
        [],
        f"Recovered: while apps/api was upgrading (generation not yet observed) the worker reported "
        f"`dependency 'apps/api' is not ready` {wks.get('blocked', 0)} times, then all dependencies were ready "
        f"and it is in-sync, Ready=True.",
        [("event", "dependency 'apps/api' is not ready"), ("log", "all dependencies are ready")],
    )


def _apps_web(shared):
    """apps/web: one drift, corrected once."""
    C, cid, mk, s, start, v = shared.C, shared.cid, shared.mk, shared.s, shared.start, shared.v
    web = mk(
        "apps",
        "web",
        "web",
        "3.4.0",
        "acme-charts",
        {"replicaCount": 2, "config": {"theme": "dark"}},
        "2024-03-11T08:00:12Z",
        9,
    )
    web.spec_extra["driftDetection"] = {"mode": "enabled"}
    v37_seed(
        web,
        [("3.3.1", T("2025-09-12T10:00:00Z"), web.values), ("3.4.0", T("2025-10-14T11:08:19Z"), web.values)],
        T("2025-10-14T11:08:46Z"),
        v1=True,
        app="3.4.0",
        base=17,
    )
    web.apply_time = T("2025-10-14T11:08:18Z")
    edited = T("2025-10-21T09:10:31Z")
    ws = {"done": False}

    def web_h(t, kind):
        if t > edited and not ws["done"]:
            ws["done"] = True
            t, rid = v.start(t, web)
            v.attempt(web, t)
            t += s.ms(250, 700)
            s.L(cid, t, "detected changes in cluster state: removed: 0, changed: 1, excluded: 0", web, rid)
            n = web.history[0]["version"]
            s.hr_event(
                cid,
                t + s.ms(1, 4),
                web,
                "Warning",
                "DriftDetected",
                f"Cluster state of release {web.full(n)} has drifted from the desired state:\n"
                f"ConfigMap/apps/web-config changed (0 additions, 1 changes, 0 removals)",
            )
            t = v.run_action(t + s.ms(5, 15), web, rid, "correct cluster drift", "5m0s", release_type=False)
            setc(web, "Ready", "Unknown", "Progressing", "correcting cluster drift", t)
            t += s.ms(90, 300)
            s.hr_event(
                cid,
                t,
                web,
                "Normal",
                "DriftCorrected",
                f"Cluster state of release {web.full(n)} has been corrected:\nConfigMap/apps/web-config configured",
                ann(web, n, True),
            )
            return v.done_insync(t + s.ms(200, 600), web, rid), s.jitter(web.interval_ns())
        return v.healthy(t, web), s.jitter(web.interval_ns())

    run_queue(s, start + s.ms(0, 600_000), C, web_h)
    s.plant(
        web,
        [],
        "Healthy: someone edited ConfigMap apps/web-config at 09:10; the next reconcile detected and "
        "corrected it once (Ready=Unknown `correcting cluster drift` for a moment), then in-sync.",
        [("event", "has drifted from the desired state"), ("event", "has been corrected")],
    )


def _apps_billing(shared):
    """apps/billing: values Secret created 90s after the reference (recovered)."""
    C, cid, mk, s, start, v = shared.C, shared.cid, shared.mk, shared.s, shared.start, shared.v
    bl_old = {"replicaCount": 2}
    bl = mk("apps", "billing", "billing", "1.22.0", "acme-charts", bl_old, "2024-03-11T08:00:12Z", 17)
    v37_seed(
        bl,
        [("1.21.3", T("2025-09-22T10:00:00Z"), bl_old), ("1.22.0", T("2025-10-13T09:51:31Z"), bl_old)],
        T("2025-10-13T09:52:02Z"),
        v1=True,
        app="1.22.0",
        base=25,
    )
    bl.apply_time = T("2025-10-13T09:51:30Z")
    bcommit, secret_at = T("2025-10-21T08:40:05Z"), T("2025-10-21T08:41:37Z")
    verr = "could not resolve Secret chart values reference 'apps/billing-secrets' with key 'values.yaml': resource not found"
    bst = {"n": 0}

    def bl_h(t, kind):
        if t < bcommit:
            return v.healthy(t, bl), s.jitter(bl.interval_ns())
        if kind == "spec":
            bl.gen += 1
            bl.spec_extra["valuesFrom"] = [{"kind": "Secret", "name": "billing-secrets", "valuesKey": "values.yaml"}]
        t, rid = v.start(t, bl)
        if t < secret_at:
            setc(bl, "Ready", "False", "ValuesError", verr, t)
            s.hr_event(cid, t + s.ms(1, 3), bl, "Warning", "ValuesError", verr)
            end = t + s.ms(5, 15)
            s.L(cid, end, "Reconciler error", bl, rid, level="error", error=verr)
            bl.status_time = end
            d = backoff(bst["n"])
            bst["n"] += 1
            return end, d
        if bl.values is bl_old:
            bl.values = {"replicaCount": 2, "stripe": {"webhookSecretRef": "billing-secrets"}}
            v.clear_prereq(t, bl)
            v.attempt(bl, t)
            end = v.upgrade_ok(t, bl, rid, s.ms(21_000, 25_000), "release config values changed", n_app="1.22.0")
            return v.done_insync(end, bl, rid), s.jitter(bl.interval_ns())
        return v.healthy(t, bl), s.jitter(bl.interval_ns())

    run_queue(s, start + s.ms(0, 600_000), C, bl_h, [(bcommit + s.ms(150, 250), "spec")])
    bl.apply_time = bcommit
    s.plant(
        bl,
        [],
        "Recovered: the valuesFrom Secret apps/billing-secrets was created by an ExternalSecret ~90s after "
        "the reference: ValuesError (`could not resolve Secret chart values reference ...: resource not found`) "
        "with exponential backoff, then the upgrade with the new values succeeded, Ready=True.",
        [("log", "could not resolve Secret chart values reference"), ("log", "release config values changed")],
    )


def _monitoring_grafana(shared):
    """monitoring/grafana: chart version missing from the index for ~50s (recovered)."""
    C, acommit, api, chart_spec, mk, s, start, v = (
        shared.C,
        shared.acommit,
        shared.api,
        shared.chart_spec,
        shared.mk,
        shared.s,
        shared.start,
        shared.v,
    )
    gf = mk(
        "monitoring",
        "grafana",
        "grafana",
        "10.0.0",
        "grafana",
        {"persistence": {"enabled": True}},
        "2024-02-02T09:20:44Z",
        21,
    )
    v37_seed(
        gf,
        [("9.4.5", T("2025-09-10T10:00:00Z"), gf.values), ("10.0.0", T("2025-10-06T08:40:10Z"), gf.values)],
        T("2025-10-06T08:40:33Z"),
        v1=True,
        app="12.1.1",
        base=30,
    )
    gf.apply_time = T("2025-10-06T08:40:09Z")
    gcommit, gready = T("2025-10-21T09:21:40Z"), T("2025-10-21T09:22:31.318Z")

    def gf_h(t, kind):
        if kind == "spec":
            gf.ver, gf.gen = "10.1.0", gf.gen + 1
            return chart_spec(gf, t)
        if kind == "chart":
            t, rid = v.start(t, gf)
            v.clear_prereq(t, gf)
            v.attempt(gf, t)
            end = v.upgrade_ok(t, gf, rid, s.ms(26_000, 31_000), n_app="12.2.0")
            return v.done_insync(end, gf, rid), s.jitter(gf.interval_ns())
        return v.healthy(t, gf), s.jitter(gf.interval_ns())

    run_queue(
        s, start + s.ms(0, 600_000), C, gf_h, [(gcommit + s.ms(150, 250), "spec"), (gready + s.ms(250, 400), "chart")]
    )
    gf.apply_time = gcommit
    s.chart_event(
        gf,
        gcommit + s.ms(900, 1400),
        "source.toolkit.fluxcd.io/v1",
        failed="invalid chart reference: failed to get chart version for remote reference: no 'grafana' "
        "chart with version matching '10.1.0' found",
    )
    s.chart_event(gf, gready - s.ms(60, 120), "source.toolkit.fluxcd.io/v1")
    s.chart_event(api, acommit + 2 * NS, "source.toolkit.fluxcd.io/v1")
    s.plant(
        gf,
        [],
        "Recovered: chart 10.1.0 was missing from the grafana index for ~50s (SourceNotReady, "
        "HelmChart InvalidChartReference); after the index refresh the upgrade succeeded, Ready=True.",
        [
            ("log", "is not ready: latest generation of object has not been reconciled"),
            ("event", "Helm upgrade succeeded for release"),
        ],
    )
    shared.gready = gready
