"""Scenario `v036-failures`: the other releases with a story (infra/velero suspended,
apps/payments-api missing values, apps/frontend and apps/catalog recovered)."""

from __future__ import annotations

from scenarios.engine import backoff
from scenarios.formats import HOUR, MIN, NS, T, helm_tail_v036, rfc3339, sha1_checksum
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
    v36_healthy_status,
)


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
