"""Scenario `v1-controller-crash`: the upgrades (apps/redis and apps/frontend, monitoring/kube-prometheus-stack
left pending by the crashes, apps/orders failed hook and rollback)."""

from __future__ import annotations

from scenarios.formats import NS, T, helm_tail_v037, rfc3339, sha256_digest
from scenarios.story import (
    ann,
    delc,
    helm_upgrade_lines,
    helm_wait_lines,
    setc,
    v37_seed,
)


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
