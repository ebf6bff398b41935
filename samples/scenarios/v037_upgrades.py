"""Scenario `v037-failures`: the releases whose Helm upgrade fails (apps/search-api timeout and
retries exhausted, apps/cart-service immutable field, apps/reviews failed test)."""

from __future__ import annotations

from scenarios.engine import backoff
from scenarios.formats import (
    MIN,
    NS,
    T,
    helm_tail_v037,
    rfc3339,
    sha256_digest,
)
from scenarios.story import (
    ann,
    delc,
    helm_upgrade_lines,
    helm_wait_lines,
    run_queue,
    setc,
    v37_seed,
)


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
