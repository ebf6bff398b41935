"""Scenario 5, `v16-failures`: the story of each release, planted with its truth (`s.plant`).

See samples/SCENARIOS.md for the releases, their truth and the evidence lines.
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from scenarios.engine import SAMPLES, Rel, Scenario, backoff
from scenarios.formats import (
    HOUR,
    MIN,
    NS,
    T,
    go_duration,
    kubectl_list_yaml,
    rfc3339,
    rfc3339nano,
    sha256_digest,
)
from scenarios.objects import (
    chart_ready_conds,
    helm4_tail,
    helmchart_object,
    hr_object,
    log_text,
    ocirepo_object,
    pod_object,
    write,
)
from scenarios.story import V37, delc, finish_status, run_queue, setc, v37_seed

NAME = "v16-failures"
LAYOUT = "loose folder: `kubectl get hr -A -o yaml --show-managed-fields`, `kubectl get events -A -o yaml`, `kubectl logs deploy/helm-controller -n flux-system --since=2h`, `kubectl get helmcharts,ocirepositories -A -o yaml` (two files), `kubectl get pods -n flux-system -o yaml`, Helm storage Secrets of apps/ceph (`kubectl get secrets -n apps -l owner=helm,name=ceph -o yaml`, data removed)"
CONTROLLER = (
    "helm-controller v1.6.2 (Flux v2.9.2), API v2, Helm v4.2.2; `--feature-gates=CancelHealthCheckOnNewRevision=true`"
)


def build():
    s = Scenario(NAME, 20260804, T("2026-08-04T09:31:40Z"))
    C, API = s.C, "helm.toolkit.fluxcd.io/v2"
    POD = "helm-controller-6b9d7c4f8-vx2mq"
    POD_START = T("2026-07-28T14:02:11Z")  # Flux upgraded to v2.9.2 that day
    RUN = POD_START + 3 * NS + 211_000_000
    cid = "hc"
    s.procs[cid] = (C - 2 * HOUR, C)  # kubectl logs --since=2h
    v = V37(s, cid, v1=True, v14=True)
    s.L(cid, RUN + 380_000_000, "starting manager", logger="setup")
    start = C - 2 * HOUR - 9 * MIN

    def mk(ns, name, chart, ver, repo, values, created, gen, **kw):
        r = Rel(s, ns, name, chart, ver, repo, values, T(created), gen, event_api=API, **kw)
        r.apply_api = r.status_api = API
        return r

    def healthy_loop(r, first=None):
        run_queue(
            s,
            first or start + s.ms(0, r.interval_ns() // 1_000_000),
            C,
            lambda t, kind: (v.healthy(t, r), s.jitter(r.interval_ns())),
        )

    def start_ref(t, r):
        """Reconcile() of a chartRef release: no HelmChart template line (HC 10.2)."""
        rid = s.uuid()
        t += s.ms(6, 30)
        setc(r, "Reconciling", "True", "Progressing", "Fulfilling prerequisites", t)
        return t + s.ms(5, 20), rid

    def healthy_ref(t, r):
        t, rid = start_ref(t, r)
        v.attempt(r, t)
        return v.done_insync(t + s.ms(60, 700), r, rid)

    def events_meta(r, ver, values, app, oci=None):
        a = {"helm.toolkit.fluxcd.io/revision": ver, "helm.toolkit.fluxcd.io/token": sha256_digest(values)}
        if app:
            a["helm.toolkit.fluxcd.io/app-version"] = app
        if oci:
            a["helm.toolkit.fluxcd.io/oci-digest"] = oci
        return a

    def refused(t, r, rid, action, msg_err, app, kst, retry=None):
        """An action Helm refuses before storing a release (upgrade.go/install.go: failure(), no
        failure counted for remediation, the error returned): Reconciler error + backoff."""
        t += s.ms(150, 420)
        verb = "Upgrade" if action == "upgrade" else "Install"
        msg = f"Helm {action} failed for release {r.ns}/{r.name} with chart {r.chart}@{r.ver}: {msg_err}"
        s.hr_event(cid, t, r, "Warning", f"{verb}Failed", msg, events_meta(r, r.ver, r.values, app))
        setc(r, "Released", "False", f"{verb}Failed", msg, t)
        r.status["failures"] = r.status.get("failures", 0) + 1
        v.summarize(r, t)
        end = t + s.ms(20, 50)
        s.L(cid, end, "Reconciler error", r, rid, level="error", error=msg_err)
        r.status_time = end
        d = backoff(kst["n"])
        kst["n"] += 1
        return end, d

    # what the story sections below share, and what each leaves to the next
    shared = SimpleNamespace(
        API=API,
        C=C,
        POD=POD,
        POD_START=POD_START,
        RUN=RUN,
        cid=cid,
        events_meta=events_meta,
        healthy_loop=healthy_loop,
        healthy_ref=healthy_ref,
        mk=mk,
        refused=refused,
        s=s,
        start=start,
        start_ref=start_ref,
        v=v,
    )
    _healthy(shared)
    _healthy_(shared)
    _apps_policy(shared)
    _apps_gateway(shared)
    _apps_auth(shared)
    _monitoring_exporter(shared)
    _apps_ceph(shared)
    _apps_web(shared)
    _apps_worker(shared)
    _apps_frontend(shared)
    _apps_search(shared)
    return _bundle(shared)


def _healthy(shared):
    """healthy: infra/cert-manager (HelmRepository chart)."""
    healthy_loop, mk, s = shared.healthy_loop, shared.mk, shared.s
    cm = mk(
        "infra",
        "cert-manager",
        "cert-manager",
        "v1.19.2",
        "jetstack",
        {"crds": {"enabled": True}},
        "2024-02-02T09:14:10Z",
        31,
        interval="1h",
    )
    v37_seed(
        cm,
        [("v1.19.1", T("2026-06-02T10:00:00Z"), cm.values), ("v1.19.2", T("2026-07-14T09:12:44Z"), cm.values)],
        T("2026-07-14T09:13:20Z"),
        v1=True,
        app="v1.19.2",
        base=22,
    )
    cm.apply_time = T("2026-07-14T09:12:43Z")
    healthy_loop(cm)
    s.plant(cm, [], "Healthy.")


def _healthy_(shared):
    """healthy: apps/podinfo, chartRef OCIRepository (digest-suffixed chart version, no HelmChart)."""
    C, healthy_ref, mk, s, start = shared.C, shared.healthy_ref, shared.mk, shared.s, shared.start
    pi_digest = hashlib.sha256(b"podinfo-6.9.2").hexdigest()
    pi = mk(
        "apps",
        "podinfo",
        "podinfo",
        f"6.9.2+{pi_digest[:12]}",
        "podinfo",
        {"replicaCount": 2},
        "2025-03-11T08:00:12Z",
        11,
    )
    pi.chart_ref = {"kind": "OCIRepository", "name": "podinfo", "namespace": "apps"}
    v37_seed(
        pi,
        [
            (f"6.9.1+{hashlib.sha256(b'podinfo-6.9.1').hexdigest()[:12]}", T("2026-06-11T10:00:00Z"), pi.values),
            (pi.ver, T("2026-07-21T13:37:02Z"), pi.values),
        ],
        T("2026-07-21T13:37:21Z"),
        v1=True,
        app="6.9.2",
        base=9,
    )
    pi.status.pop("helmChart")
    pi.status["lastAttemptedRevisionDigest"] = "sha256:" + pi_digest
    pi.apply_time = T("2026-07-21T13:37:01Z")
    run_queue(s, start + s.ms(0, 600_000), C, lambda t, kind: (healthy_ref(t, pi), s.jitter(pi.interval_ns())))
    s.plant(
        pi,
        [],
        "Healthy; spec.chartRef to OCIRepository apps/podinfo: no HelmChart object exists for it, and its "
        "chart version carries the digest (`6.9.2+<12 hex>`, DisableChartDigestTracking off).",
    )
    shared.pi_digest = pi_digest


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


def _bundle(shared):
    """the loose folder."""
    (
        API,
        C,
        POD,
        POD_START,
        RUN,
        au,
        ccommit,
        ce,
        cid,
        gcommit,
        pcommit,
        pi_digest,
        pushed,
        s,
        se,
        wcommit,
        wk_digest,
    ) = (
        shared.API,
        shared.C,
        shared.POD,
        shared.POD_START,
        shared.RUN,
        shared.au,
        shared.ccommit,
        shared.ce,
        shared.cid,
        shared.gcommit,
        shared.pcommit,
        shared.pi_digest,
        shared.pushed,
        shared.s,
        shared.se,
        shared.wcommit,
        shared.wk_digest,
    )
    for r in s.releases.values():
        finish_status(r)
    hc_api = "source.toolkit.fluxcd.io/v1"
    pulled = {
        "apps/policy": pcommit + 2 * NS,
        "apps/gateway": gcommit + 2 * NS,
        "apps/web": wcommit + 2 * NS,
        "apps/ceph": ccommit + 2 * NS,
        "apps/auth": au.created + 2 * NS,
    }
    charts = []
    for r in sorted(s.releases.values(), key=lambda r: r.hc_name):
        if getattr(r, "chart_ref", None) or r is se:
            continue
        at = pulled.get(r.key, r.apply_time + 2 * NS)
        gen = 1 if r is au else 2 + len(r.revs)
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
    ocis = [
        ocirepo_object(
            s,
            "apps",
            "podinfo",
            "oci://ghcr.io/stefanprodan/charts/podinfo",
            "6.9.2",
            pi_digest,
            T("2025-03-11T08:00:10Z"),
            C - s.ms(60_000, 240_000),
        ),
        ocirepo_object(
            s,
            "apps",
            "worker",
            "oci://registry.acme.example.com/charts/worker",
            "1.4.1",
            wk_digest,
            T("2025-05-14T09:59:58Z"),
            pushed,
        ),
    ]
    secrets = []
    for r in (ce,):
        for n, rv in sorted(r.revs.items()):
            secrets.append(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "type": "helm.sh/release.v1",
                    "metadata": {
                        "creationTimestamp": rfc3339(rv["first"] if n == min(r.revs) else rv["last"]),
                        "labels": {
                            "modifiedAt": str(rv["last"] // NS),
                            "name": r.name,
                            "owner": "helm",
                            "status": rv["status"],
                            "version": str(n),
                        },
                        "name": f"sh.helm.release.v1.{r.name}.v{n}",
                        "namespace": r.ns,
                        "resourceVersion": s.rv(rv["last"], 9),
                        "uid": s.uuid(),
                    },
                }
            )
    node = "ip-10-42-17-203.eu-west-1.compute.internal"
    pods = [
        pod_object(
            s,
            POD,
            "helm-controller",
            "ghcr.io/fluxcd/helm-controller:v1.6.2",
            node,
            POD_START,
            RUN,
            extra_args=["--feature-gates=CancelHealthCheckOnNewRevision=true"],
        ),
        pod_object(
            s,
            "source-controller-58d9c7b6f4-h7kqp",
            "source-controller",
            "ghcr.io/fluxcd/source-controller:v1.9.3",
            node,
            POD_START + 1 * NS,
            POD_START + 4 * NS,
        ),
        pod_object(
            s,
            "kustomize-controller-7f6c9d8b5c-2xw9l",
            "kustomize-controller",
            "ghcr.io/fluxcd/kustomize-controller:v1.9.3",
            node,
            POD_START + 1 * NS,
            POD_START + 4 * NS,
        ),
        pod_object(
            s,
            "notification-controller-6d8b7c9f5d-qz4tn",
            "notification-controller",
            "ghcr.io/fluxcd/notification-controller:v1.9.2",
            node,
            POD_START + 1 * NS,
            POD_START + 5 * NS,
        ),
    ]
    out = SAMPLES / s.name
    hrs = [hr_object(r, API) for r in sorted(s.releases.values(), key=lambda r: (r.ns, r.name)) if r is not se]
    # `kubectl get ... -o yaml` prints each item of a List with its apiVersion and kind
    events = sorted(
        (dict(e, apiVersion="v1", kind="Event") for e in s.correlate_events()),
        key=lambda e: (e["metadata"]["namespace"], e["metadata"]["name"]),
    )
    pods = [dict(p, apiVersion="v1", kind="Pod") for p in pods]
    s.loose_events = events
    write(out / "helmreleases.yaml", kubectl_list_yaml(hrs))
    write(out / "events.yaml", kubectl_list_yaml(events))
    write(out / "helm-controller.log", log_text(s, cid))
    write(out / "helmcharts.yaml", kubectl_list_yaml(charts))
    write(out / "ocirepositories.yaml", kubectl_list_yaml(ocis))
    write(out / "helm-secrets.yaml", kubectl_list_yaml(secrets))
    write(out / "flux-system-pods.yaml", kubectl_list_yaml(pods))
    s.layout = {
        "kind": "loose",
        "log": "helm-controller.log",
        "hr": "helmreleases.yaml",
        "events": "events.yaml",
        "helmchart": "helmcharts.yaml",
    }
    return s
