"""Scenario `v036-failures`: the releases whose Helm upgrade fails (apps/cart stuck pending,
apps/checkout ownership conflict, apps/recommender timeout and retries exhausted)."""

from __future__ import annotations

from scenarios.engine import backoff
from scenarios.formats import HOUR, MIN, NS, T, helm_tail_v036, sha1_checksum
from scenarios.objects import (
    cond,
)
from scenarios.story import (
    helm_upgrade_lines,
    helm_wait_lines,
    run_queue,
    seed_history,
    v36_event,
    v36_finished,
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
