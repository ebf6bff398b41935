"""Scenario `v16-failures`: the releases Helm refuses or fails to build (apps/policy values schema,
apps/gateway render, apps/auth ownership, monitoring/exporter removed API, apps/ceph stuck uninstall)."""

from __future__ import annotations

from scenarios.engine import backoff
from scenarios.formats import (
    MIN,
    NS,
    T,
)
from scenarios.story import delc, run_queue, v37_seed


def _apps_policy(shared):
    """apps/policy: values-schema (a chart bump with a stricter values.schema.json)."""
    C, cid, mk, refused, s, start, v = shared.C, shared.cid, shared.mk, shared.refused, shared.s, shared.start, shared.v
    po = mk(
        "apps", "policy", "policy", "0.8.4", "acme-charts", {"webhook": {"replicas": 2}}, "2025-01-20T10:00:00Z", 17
    )
    v37_seed(
        po,
        [("0.8.3", T("2026-06-20T10:00:00Z"), po.values), ("0.8.4", T("2026-07-16T11:02:31Z"), po.values)],
        T("2026-07-16T11:03:02Z"),
        v1=True,
        app="0.8.4",
        base=14,
    )
    po.apply_time = T("2026-07-16T11:02:30Z")
    pcommit = C - 55 * MIN
    schema = (
        "values don't meet the specifications of the schema(s) in the following chart(s):\npolicy:\n"
        "- at '/webhook': missing property 'failurePolicy'"
    )
    pst = {"n": 0}

    def po_h(t, kind):
        if kind == "spec":
            po.ver, po.gen = "0.9.0", po.gen + 1
            t, rid = v.start(t, po, "Configured")
            t = v.chart_not_ready(t, po, rid, "latest generation of object has not been reconciled")
            po.status_time = t
            return t, s.jitter(po.interval_ns())
        if po.ver == "0.8.4":
            return v.healthy(t, po), s.jitter(po.interval_ns())
        t, rid = v.start(t, po)
        v.clear_prereq(t, po)
        v.attempt(po, t)
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", po, rid)
        t = v.run_action(t + s.ms(100, 150), po, rid, "upgrade", "5m0s")
        delc(po, "TestSuccess")
        delc(po, "Remediated")
        po.status["lastAttemptedReleaseAction"] = "upgrade"
        return refused(t, po, rid, "upgrade", schema, "0.9.0", pst)

    run_queue(
        s,
        start + s.ms(0, 600_000),
        C,
        po_h,
        [(pcommit + s.ms(150, 250), "spec"), (pcommit + 2 * NS + s.ms(300, 700), "chart")],
    )
    po.apply_time = pcommit
    s.plant(
        po,
        ["values-schema", "upgrade-failed"],
        "A Renovate bump to chart 0.9.0, whose values.schema.json now "
        "requires webhook.failurePolicy: Helm 4 refuses the values before rendering (`values don't meet the "
        "specifications of the schema(s) ... - at '/webhook': missing property 'failurePolicy'`). No release is "
        "stored, so only status.failures grows; `Reconciler error` with exponential backoff.",
        [("event", "values don't meet the specifications"), ("hr", "missing property")],
    )
    shared.pcommit = pcommit


def _apps_gateway(shared):
    """apps/gateway: render-failed (a `required` value the new chart needs)."""
    C, cid, mk, refused, s, start, v = shared.C, shared.cid, shared.mk, shared.refused, shared.s, shared.start, shared.v
    gw = mk(
        "apps",
        "gateway",
        "gateway",
        "4.0.3",
        "acme-charts",
        {"replicaCount": 2, "auth": {"enabled": True}},
        "2025-02-10T09:00:00Z",
        14,
    )
    v37_seed(
        gw,
        [("4.0.2", T("2026-06-23T10:00:00Z"), gw.values), ("4.0.3", T("2026-07-09T15:20:11Z"), gw.values)],
        T("2026-07-09T15:20:40Z"),
        v1=True,
        app="2.8.1",
        base=20,
    )
    gw.apply_time = T("2026-07-09T15:20:10Z")
    gcommit = C - 47 * MIN
    required = "execution error at (gateway/templates/auth-secret.yaml:7:20): auth.existingSecret is required when auth.enabled is true"
    gst = {"n": 0}

    def gw_h(t, kind):
        if kind == "spec":
            gw.ver, gw.gen = "4.1.0", gw.gen + 1
            t, rid = v.start(t, gw, "Configured")
            t = v.chart_not_ready(t, gw, rid, "latest generation of object has not been reconciled")
            gw.status_time = t
            return t, s.jitter(gw.interval_ns())
        if gw.ver == "4.0.3":
            return v.healthy(t, gw), s.jitter(gw.interval_ns())
        t, rid = v.start(t, gw)
        v.clear_prereq(t, gw)
        v.attempt(gw, t)
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", gw, rid)
        t = v.run_action(t + s.ms(100, 150), gw, rid, "upgrade", "5m0s")
        delc(gw, "TestSuccess")
        delc(gw, "Remediated")
        gw.status["lastAttemptedReleaseAction"] = "upgrade"
        return refused(t, gw, rid, "upgrade", required, "2.9.0", gst)

    run_queue(
        s,
        start + s.ms(0, 600_000),
        C,
        gw_h,
        [(gcommit + s.ms(150, 250), "spec"), (gcommit + 2 * NS + s.ms(300, 700), "chart")],
    )
    gw.apply_time = gcommit
    s.plant(
        gw,
        ["render-failed", "upgrade-failed"],
        "Chart 4.1.0 makes auth.existingSecret `required` when "
        "auth.enabled is true; the HelmRelease does not set it, so the template fails (`execution error at "
        "(gateway/templates/auth-secret.yaml:7:20): ...`) before anything is stored: failures grow, backoff.",
        [("event", "execution error at (gateway/templates/auth-secret.yaml:7:20)")],
    )
    shared.gcommit = gcommit


def _apps_auth(shared):
    """apps/auth: ownership-conflict on a new install with disableTakeOwnership."""
    C, cid, mk, refused, s, v = shared.C, shared.cid, shared.mk, shared.refused, shared.s, shared.v
    au_vals = {"database": {"existingSecret": "auth-db"}}
    au = mk("apps", "auth", "auth", "2.3.0", "acme-charts", au_vals, "2026-08-04T09:02:14Z", 1)
    au.spec_extra["install"] = {"disableTakeOwnership": True}
    au.apply_time = au.created
    au.fin_time = au.created + s.ms(200, 400)
    au.status = {}
    owner = (
        'Unable to continue with install: Secret "auth-db" in namespace "apps" exists and cannot be imported '
        "into the current release: invalid ownership metadata; label validation error: missing key "
        '"app.kubernetes.io/managed-by": must be set to "Helm"; annotation validation error: missing key '
        '"meta.helm.sh/release-name": must be set to "auth"; annotation validation error: missing key '
        '"meta.helm.sh/release-namespace": must be set to "apps"'
    )
    ast = {"n": 0}

    def au_h(t, kind):
        if kind == "create":
            return t + s.ms(20, 40), backoff(0)
        if kind == "periodic" and "helmChart" not in au.status:
            t, rid = v.start(t, au, "Created")
            au.status["helmChart"] = "flux-system/apps-auth"
            t = v.chart_not_ready(t, au, rid, "latest generation of object has not been reconciled")
            au.status_time = t
            return t, s.jitter(au.interval_ns())
        t, rid = v.start(t, au)
        v.clear_prereq(t, au)
        v.attempt(au, t)
        s.L(cid, t + s.ms(40, 90), "release not installed: no release in storage for object", au, rid)
        t = v.run_action(t + s.ms(100, 150), au, rid, "install", "5m0s")
        au.status["lastAttemptedReleaseAction"] = "install"
        return refused(t, au, rid, "install", owner, "2.3.0", ast)

    run_queue(
        s, None, C, au_h, [(au.created + s.ms(150, 300), "create"), (au.created + 2 * NS + s.ms(500, 900), "chart")]
    )
    s.plant(
        au,
        ["ownership-conflict", "install-failed"],
        "A new release with spec.install.disableTakeOwnership: true "
        "(v1.2.0+; helm-controller v1.1.0+ adopts existing objects by default): Secret apps/auth-db was created by an "
        "ExternalSecret before the chart, without Helm metadata, so Helm 4 refuses the install (`Unable to continue "
        "with install: ... invalid ownership metadata`). Nothing is stored; backoff.",
        [("event", "Helm install failed for release apps/auth"), ("log", "invalid ownership metadata")],
    )
    shared.au = au


def _monitoring_exporter(shared):
    """monitoring/exporter: api-removed (the chart still renders autoscaling/v2beta2)."""
    C, cid, mk, refused, s, start, v = shared.C, shared.cid, shared.mk, shared.refused, shared.s, shared.start, shared.v
    ex = mk(
        "monitoring",
        "exporter",
        "exporter",
        "1.2.0",
        "acme-charts",
        {"autoscaling": {"enabled": True, "maxReplicas": 3}},
        "2023-03-02T09:20:44Z",
        9,
        interval="30m",
    )
    v37_seed(
        ex,
        [("1.1.9", T("2024-09-10T10:00:00Z"), ex.values), ("1.2.0", T("2025-01-06T08:40:10Z"), ex.values)],
        T("2025-01-06T08:40:33Z"),
        v1=True,
        app="0.27.0",
        base=5,
    )
    ex.apply_time = T("2025-01-06T08:40:09Z")
    ecommit = C - 35 * MIN
    removed = (
        "unable to build kubernetes objects from new release manifest: resource mapping not found for name: "
        '"exporter" namespace: "monitoring" from "": no matches for kind "HorizontalPodAutoscaler" in version '
        '"autoscaling/v2beta2"\nensure CRDs are installed first'
    )
    est = {"n": 0}

    def ex_h(t, kind):
        if kind == "spec":
            ex.values, ex.gen = {"autoscaling": {"enabled": True, "maxReplicas": 5}}, ex.gen + 1
        if ex.values["autoscaling"]["maxReplicas"] == 3:
            return v.healthy(t, ex), s.jitter(ex.interval_ns())
        t, rid = v.start(t, ex)
        v.attempt(ex, t)
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release config values changed", ex, rid)
        t = v.run_action(t + s.ms(100, 150), ex, rid, "upgrade", "5m0s")
        delc(ex, "TestSuccess")
        delc(ex, "Remediated")
        ex.status["lastAttemptedReleaseAction"] = "upgrade"
        return refused(t, ex, rid, "upgrade", removed, "0.27.0", est)

    run_queue(s, start + s.ms(0, 1_200_000), C, ex_h, [(ecommit + s.ms(150, 250), "spec")])
    ex.apply_time = ecommit
    s.plant(
        ex,
        ["api-removed", "upgrade-failed"],
        "Chart 1.2.0 still renders HorizontalPodAutoscaler "
        "autoscaling/v2beta2 (removed in Kubernetes 1.26); the installed revision predates the cluster upgrade, so "
        "the first change since (maxReplicas 3 -> 5) fails building the new manifest (`no matches for kind ... "
        "ensure CRDs are installed first`).",
        [("event", 'no matches for kind "HorizontalPodAutoscaler"')],
    )


def _apps_ceph(shared):
    """apps/ceph: release-missing (an interrupted `helm uninstall` left the revision `uninstalling`)."""
    C, cid, mk, refused, s, start, v = shared.C, shared.cid, shared.mk, shared.refused, shared.s, shared.start, shared.v
    cv = {"cephClusterSpec": {"mon": {"count": 3}}}
    ce = mk("apps", "ceph", "rook-ceph-cluster", "v1.17.5", "rook", cv, "2025-04-02T10:00:00Z", 12)
    v37_seed(
        ce,
        [("v1.17.4", T("2026-06-01T10:00:00Z"), cv), ("v1.17.5", T("2026-07-02T09:00:05Z"), cv)],
        T("2026-07-02T09:01:40Z"),
        v1=True,
        app="v1.17.5",
        base=9,
    )  # revisions 10..11
    ce.apply_time = T("2026-07-02T09:00:04Z")
    uninstall_at = T("2026-08-03T16:41:07Z")  # `helm uninstall ceph -n apps`, then Ctrl-C
    ce.revs[ce.last_rev()]["status"] = "uninstalling"
    ce.revs[ce.last_rev()]["last"] = uninstall_at
    ccommit = C - 28 * MIN
    missing = '"ceph" has no deployed releases'
    cst = {"n": 0}

    def ce_h(t, kind):
        if kind == "spec":
            ce.ver, ce.gen = "v1.17.6", ce.gen + 1
            t, rid = v.start(t, ce, "Configured")
            t = v.chart_not_ready(t, ce, rid, "latest generation of object has not been reconciled")
            ce.status_time = t
            return t, s.jitter(ce.interval_ns())
        if ce.ver == "v1.17.5":  # before the commit nothing re-checks it (interval 10m; logs only since C-2h)
            t, rid = v.start(t, ce)
            v.attempt(ce, t)
        else:
            t, rid = v.start(t, ce)
            v.clear_prereq(t, ce)
            v.attempt(ce, t)
        # the latest revision's object no longer matches the observed snapshot (its status changed)
        s.L(cid, t + s.ms(40, 90), "release not managed by controller: release digest verification error", ce, rid)
        ce.history = []
        t = v.run_action(t + s.ms(100, 150), ce, rid, "upgrade", "5m0s")
        delc(ce, "TestSuccess")
        delc(ce, "Remediated")
        ce.status["lastAttemptedReleaseAction"] = "upgrade"
        return refused(t, ce, rid, "upgrade", missing, "v1.17.6" if ce.ver == "v1.17.6" else "v1.17.5", cst)

    run_queue(
        s,
        start + s.ms(0, 600_000),
        C,
        ce_h,
        [(ccommit + s.ms(150, 250), "spec"), (ccommit + 2 * NS + s.ms(300, 700), "chart")],
    )
    ce.apply_time = ccommit
    s.plant(
        ce,
        ["release-missing", "upgrade-failed"],
        "Someone ran `helm uninstall ceph -n apps` the day before and "
        "interrupted it: Helm left revision 11 in status `uninstalling`. helm-controller finds the release object "
        "changed (`release digest verification error`), treats it as unmanaged and upgrades, which Helm refuses "
        '(`"ceph" has no deployed releases`: no revision is deployed, the last is neither failed nor superseded). '
        "Helm's storage Secret labels show the stuck revision.",
        [("event", "has no deployed releases"), ("file", "helm-secrets.yaml", "status: uninstalling")],
    )
    shared.ccommit = ccommit
    shared.ce = ce
