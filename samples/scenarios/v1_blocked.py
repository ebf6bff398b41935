"""Scenario `v1-controller-crash`: the releases that never get to run (apps/keycloak install refused,
apps/reporting dependency outside the bundle)."""

from __future__ import annotations

from scenarios.engine import backoff
from scenarios.formats import NS, T, sha256_digest
from scenarios.story import (
    run_queue,
    setc,
    v37_seed,
)


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
