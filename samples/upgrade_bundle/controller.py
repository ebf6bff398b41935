"""What the two helm-controllers did: the log records and Events of the v0.36.2 container
and of the v0.37.2 one that replaced it (HC 1.1, 2.2, 3.2), and the kubelet's Events."""

from __future__ import annotations

import json

from upgrade_bundle.story import (
    COLLECTED,
    EVENT_CUTOFF,
    HC_POD,
    NODE,
    NS,
    OLD_START,
    OLD_STOP,
    PODS,
    RELEASES,
    REPO,
    RNG,
    UPGRADE,
    chart_name,
    config_digest,
    go_duration,
    hr_key,
    jitter_interval,
    ms,
    old_state,
    rand_uuid,
    resource_version,
    rfc3339,
    t,
    values_checksum,
    zap_ts,
)


# ==== Controller strings (all quoted from HC; %-verbs filled in) ==========================
def msg_chart_in_sync(r):  # HC 2.2 HelmChart template
    return (
        f"HelmChart/flux-system/{chart_name(r)} with SourceRef "
        f"'HelmRepository/flux-system/{REPO[r['name']]}' is in-sync"
    )


def msg_chart_applied(r, verb):  # HC 2.2 "Created ..." / "Configured ..."; also Trace event HC 3.2
    return f"{verb} HelmChart/flux-system/{chart_name(r)} with SourceRef 'HelmRepository/flux-system/{REPO[r['name']]}'"


def msg_chart_not_ready(r):  # HC 2.2 `HelmChart '%s/%s' is not ready: %s`
    return f"HelmChart 'flux-system/{chart_name(r)}' is not ready: latest generation of object has not been reconciled"


MSG_ARTIFACT_MISSING = "Chart not ready: artifact not found. Retrying in 30s"  # HC 2.2, HC 4.2 ArtifactFailed
MSG_IN_SYNC = "release in-sync with desired state"  # HC 2.2 atomic_release.go
MSG_NOT_INSTALLED = "release not installed: no release in storage for object"  # HC 2.2 state reasons
MSG_DEPS_OK_37 = "all dependencies are ready"  # HC 2.2
MSG_DEPS_OK_36 = "all dependencies are ready, proceeding with release"  # HC 2.1
MSG_CHECKING = "checking 1 dependencies"  # HC 2.2 `checking %d dependencies`


def msg_dep_not_ready(dep):  # HC 2.2 `dependencies do not meet ready condition (%s): retrying in %s`
    return f"dependencies do not meet ready condition (dependency '{dep}' is not ready): retrying in 30s"


def msg_out_of_sync(kind):  # HC 2.2 `release out-of-sync with desired state: <reason>`
    reason = "release chart changed" if kind == "chart" else "release config values changed"
    return f"release out-of-sync with desired state: {reason}"


def msg_running(action, timeout):  # HC 2.2 `running '%s' action with timeout of %s`
    return f"running '{action}' action with timeout of {timeout}"


def msg_finished(dur, nxt):  # HC 2.1 `reconciliation finished in %s, next run in %s`
    return f"reconciliation finished in {go_duration(dur)}, next run in {go_duration(nxt)}"


def msg_release_success(action, r, rev):  # HC 3.2 / 4.2 long format
    return f"Helm {action} succeeded for release {r['ns']}/{r['name']}.v{rev} with chart {r['name']}@{r['ver']}"


# ==== Log records ===========================================================================
# HC 1.1 key order: level, ts, [logger], msg, controller, controllerGroup, controllerKind,
# HelmRelease, namespace, name, reconcileID.
def log_record(ns, msg, r=None, rid=None, logger=None):
    d = {"level": "info", "ts": zap_ts(ns)}
    if logger:
        d["logger"] = logger
    d["msg"] = msg
    if r is not None:
        d.update(
            controller="helmrelease",
            controllerGroup="helm.toolkit.fluxcd.io",
            controllerKind="HelmRelease",
            HelmRelease={"name": r["name"], "namespace": r["ns"]},
            namespace=r["ns"],
            name=r["name"],
            reconcileID=rid,
        )
    return json.dumps(d, separators=(",", ":"), ensure_ascii=False)


class Log(list):
    """(ns, text) records; lines() sorts them by ts (stable)."""

    def add(self, ns, msg, r=None, rid=None, logger=None):
        self.append((ns, log_record(ns, msg, r, rid, logger)))

    def lines(self):
        return [text for _, text in sorted(self, key=lambda x: x[0])]


EVENTS = []  # (namespace, event dict)


# ==== v0.36.2 era (previous container, 07:30:04 .. 09:02:09) ==============================
def simulate_v036(log: Log):
    log.add(OLD_START + ms(300, 500), "starting manager", logger="setup")  # HC 2.3 setup line
    old = [r for r in RELEASES if r["rev"] > 0]
    for i, r in enumerate(old):
        pending = OLD_START + 1 * NS + i * 400_000_000 + ms(0, 300)
        ch = r.get("change36")
        trigger = t(ch["at"]) + 200_000_000 if ch else None
        while True:
            use_trigger = trigger is not None and trigger < pending
            start = trigger if use_trigger else pending
            if start >= OLD_STOP:
                break
            rid = rand_uuid()
            if r["deps"]:  # HC 2.1 dependency line, logged before the release step
                log.add(start + ms(20, 60), MSG_DEPS_OK_36, r, rid)
            if use_trigger:  # the 08:55 values change: Helm upgrade by v0.36 (HC 3.1 events)
                end = t(r["last36"][1]) + ms(1, 30)
                tok = values_checksum(r["values"])
                v36_event(r, "Helm upgrade has started", t(r["last36"][0]) - ms(50, 90), tok)
                v36_event(r, "Helm upgrade succeeded", t(r["last36"][1]) - ms(20, 40), tok)
                trigger = None
            else:
                end = start + RNG.randrange(250_000_000, 2_400_000_000)
            nxt = jitter_interval()
            log.add(end, msg_finished(end - start, nxt), r, rid)
            pending = end + nxt if not use_trigger else min(pending, end + nxt)


def v36_event(r, message, ns_time, token):
    """v0.36 event: reason = severity `info`, token = 40-hex values checksum (HC 3.1)."""
    hr_event(
        r,
        "info",
        message,
        "Normal",
        ns_time,
        "helm.toolkit.fluxcd.io/v2beta1",
        {"helm.toolkit.fluxcd.io/revision": old_state(r)[0], "helm.toolkit.fluxcd.io/token": token},
    )


# ==== v0.37.2 era (current container, 09:02:11 .. collection) =============================
NOT_READY = {}  # release key -> [(from_ns, to_ns)] when dependents see it as not ready
FACTS = {}  # release key -> dict of times derived by the simulation (used by status/managedFields)


def dep_ready(dep_key, at):
    return not any(a <= at < b for a, b in NOT_READY.get(dep_key, []))


def reconcile_v037(r, start, kind, log, facts):
    """Emit one reconcile; return (end_ns, requeue_ns, clean)."""
    rid, now = rand_uuid(), start + ms(8, 40)
    ch = r.get("change", {})
    if kind == "create-wait":  # new object: HelmChart created, not yet reconciled by source-controller
        log.add(now, msg_chart_applied(r, "Created"), r, rid)
        hr_event(r, "HelmChartCreated", msg_chart_applied(r, "Created"), "Normal", now + ms(1, 5))
        log.add(now + ms(15, 40), msg_chart_not_ready(r), r, rid)
        return now + ms(50, 90), jitter_interval(), False
    if kind == "chart-wait":  # chart version bumped: HelmChart configured, not yet reconciled
        log.add(now, msg_chart_applied(r, "Configured"), r, rid)
        hr_event(r, "HelmChartConfigured", msg_chart_applied(r, "Configured"), "Normal", now + ms(1, 5))
        now += ms(10, 30)
        if r["deps"]:
            log.add(now, MSG_CHECKING, r, rid)
            log.add(now + ms(2, 8), MSG_DEPS_OK_37, r, rid)
            now += ms(10, 20)
        log.add(now, msg_chart_not_ready(r), r, rid)
        return now + ms(40, 80), jitter_interval(), False
    log.add(now, msg_chart_in_sync(r), r, rid)
    now += ms(8, 30)
    if r["deps"]:
        log.add(now, MSG_CHECKING, r, rid)
        now += ms(2, 9)
        if not dep_ready(r["deps"], now):
            log.add(now, msg_dep_not_ready(r["deps"]), r, rid)
            facts.setdefault("dep_fail", []).append(now)
            return now + ms(20, 40), 30 * NS, False
        log.add(now, MSG_DEPS_OK_37, r, rid)
        if r.get("stale_after_deps"):
            return drift_loop(r, now, rid, log, facts)
        now += ms(5, 15)
    if r.get("artifact_missing_until") and now < t(r["artifact_missing_until"]):
        # new source-controller pod rebuilds its artifacts after the rollout (HC 2.2 / 4.2)
        log.add(now + ms(60, 180), MSG_ARTIFACT_MISSING, r, rid)
        return now + ms(200, 260), 30 * NS, False
    if kind in ("upgrade", "install"):
        run = t(ch["run"])
        first = MSG_NOT_INSTALLED if kind == "install" else msg_out_of_sync(ch["kind"])
        log.add(run - ms(30, 60), first, r, rid)
        log.add(run, msg_running(kind, go_duration(int(r.get("timeout", "5m")[:-1]) * 60 * NS)), r, rid)
        done = t(ch["done"])
        rev = r["rev"] + 1
        action = "upgrade" if kind == "upgrade" else "install"
        hr_event(
            r,
            "UpgradeSucceeded" if kind == "upgrade" else "InstallSucceeded",
            msg_release_success(action, r, rev),
            "Normal",
            done,
            annotations={
                "helm.toolkit.fluxcd.io/revision": r["ver"],
                "helm.toolkit.fluxcd.io/token": config_digest(r["values"]),
            },
        )
        now = done + ms(60, 140)
        log.add(now, MSG_IN_SYNC, r, rid)
        facts["action_done"] = done
        return now + ms(20, 50), jitter_interval(), True
    log.add(now + ms(90, 700), MSG_IN_SYNC, r, rid)
    return now + ms(750, 900), jitter_interval(), True


def drift_loop(r, now, rid, log, facts):
    """`dependency-stale` mechanism (helm-controller commit 59c577a, fixed in v0.37.4): the
    dependency check passed, but the atomic release never concludes because an HPA keeps
    changing /spec/replicas of the chart's Deployment: drift detected, corrected, detected
    again -> stop, `ProgressingWithRetry`, rate-limited requeue (750ms doubling, max 15m).
    The Ready=False DependencyNotReady from the earlier failed check is never replaced (HC 6.2)."""
    n = facts["drift_n"] = facts.get("drift_n", 0) + 1
    release = f"{r['ns']}/{r['name']}.v{r['rev']}"
    obj = f"Deployment/{r['ns']}/{r['name']}"
    now += ms(300, 900)
    log.add(now, "detected changes in cluster state: removed: 0, changed: 1, excluded: 0", r, rid)  # HC 6.2
    hr_event(
        r,
        "DriftDetected",
        f"Cluster state of release {release} has drifted from the desired state:\n"
        f"{obj} changed (0 additions, 1 changes, 0 removals)",
        "Warning",
        now + ms(1, 4),
    )  # HC 3.2
    now += ms(10, 30)
    log.add(now, msg_running("correct cluster drift", "5m0s"), r, rid)
    now += ms(120, 400)
    hr_event(
        r,
        "DriftCorrected",
        f"Cluster state of release {release} has been corrected:\n{obj} configured",
        "Normal",
        now,
        annotations={
            "helm.toolkit.fluxcd.io/revision": r["ver"],
            "helm.toolkit.fluxcd.io/token": config_digest(r["values"]),
        },
    )
    facts["drift_last"] = now
    backoff = min(750_000_000 * 2 ** (n - 1), 900 * NS)
    return now + ms(20, 40), backoff, False


def simulate_v037_release(r, log):
    """Delaying-queue model: one pending periodic requeue (earliest wins) plus scripted triggers.
    Also records when dependents would see this release as not ready (HC 9 last bullet:
    Generation != ObservedGeneration or Ready != True)."""
    key, ch = hr_key(r), r.get("change")
    facts = FACTS.setdefault(key, {"reconciles": []})
    triggers = []
    if ch and ch["kind"] == "create":
        triggers = [(t(ch["at"]) + ms(150, 250), "create-wait"), (t(ch["chart_ready"]), "install")]
    elif ch and ch["kind"] == "chart":
        triggers = [(t(ch["at"]) + ms(150, 350), "chart-wait"), (t(ch["chart_ready"]), "upgrade")]
    elif ch and ch["kind"] == "values":
        triggers = [(t(ch["at"]) + ms(150, 250), "upgrade")]
    pending = t(r["first37"]) if r["first37"] else None
    busy_until, fail_from = 0, None
    windows = NOT_READY.setdefault(key, [])
    while pending or triggers:
        start, kind = min(([(pending, "periodic")] if pending else []) + triggers[:1])
        start = max(start, busy_until + ms(1, 3))  # one reconcile per object at a time
        if start >= COLLECTED:
            break
        if kind == "periodic":
            pending = None
        else:
            triggers.pop(0)
        end, requeue, clean = reconcile_v037(r, start, kind, log, facts)
        facts["reconciles"].append((start, end, kind, clean))
        busy_until = end
        if kind == "periodic" and not clean and fail_from is None:
            fail_from = end  # Ready=False patched at the end of the failed reconcile
        if clean and fail_from is not None:
            windows.append((fail_from, end))
            fail_from = None
        if clean and kind in ("upgrade", "install"):
            windows.append((t(ch["at"]), end))  # generation bumped until observed
        pending = end + requeue if pending is None else min(pending, end + requeue)


def simulate_v037(log: Log):
    log.add(UPGRADE + ms(550, 700), "starting manager", logger="setup")  # HC 2.3 setup line
    # dependencies first, so their not-ready windows are known to their dependents
    for r in sorted(RELEASES, key=lambda r: (r["deps"] is not None, r["first37"] or "99")):
        simulate_v037_release(r, log)


# ==== Kubernetes Events (core/v1, ECO 1e); client-go old-style recorder: eventTime null ====
HR_UID = {hr_key(r): rand_uuid() for r in RELEASES}


def make_event(ns, involved, reason, message, etype, source, ns_time, annotations=None):
    meta = {
        "name": f"{involved['name']}.{ns_time:x}",
        "namespace": ns,
        "uid": rand_uuid(),
        "resourceVersion": resource_version(ns_time, 7),
        "creationTimestamp": rfc3339(ns_time),
    }
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return {
        "metadata": meta,
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": rfc3339(ns_time),
        "lastTimestamp": rfc3339(ns_time),
        "count": 1,
        "type": etype,
        "eventTime": None,
        "reportingComponent": "",
        "reportingInstance": "",
    }


def hr_event(r, reason, message, etype, ns_time, api="helm.toolkit.fluxcd.io/v2beta2", annotations=None):
    if ns_time > COLLECTED:
        return  # after collection
    # client-go aggregates an identical event (object, reason, message) into one Event object:
    # count grows and lastTimestamp moves (ECO 1e "One Event object can stand for many occurrences").
    for ns, ev in EVENTS:
        inv = ev["involvedObject"]
        if (ns, inv["name"], inv["kind"], ev["reason"], ev["message"]) == (
            r["ns"],
            r["name"],
            "HelmRelease",
            reason,
            message,
        ):
            ev["count"] += 1
            ev["lastTimestamp"] = rfc3339(ns_time)
            return
    if ns_time < EVENT_CUTOFF:
        return  # expired (1h TTL)
    involved = {
        "kind": "HelmRelease",
        "namespace": r["ns"],
        "name": r["name"],
        "uid": HR_UID[hr_key(r)],
        "apiVersion": api,
        "resourceVersion": resource_version(ns_time - NS, 3),
    }
    EVENTS.append(
        (
            r["ns"],
            make_event(
                r["ns"], involved, reason, message, etype, {"component": "helm-controller"}, ns_time, annotations
            ),
        )
    )


def kubelet_events(pod_uid):
    """Kubelet events of the in-place restart of the `manager` container (brief)."""
    img = PODS[0][2]
    involved = {
        "kind": "Pod",
        "namespace": "flux-system",
        "name": HC_POD,
        "uid": pod_uid,
        "apiVersion": "v1",
        "resourceVersion": resource_version(t("09:02:09"), 1),
        "fieldPath": "spec.containers{manager}",
    }
    for when, reason, message in [
        ("09:02:09.104", "Killing", "Container manager definition changed, will be restarted"),
        ("09:02:09.337", "Pulling", f'Pulling image "{img}"'),
        ("09:02:11.389", "Pulled", f'Successfully pulled image "{img}" in 2.052s (2.052s including waiting)'),
        ("09:02:11.401", "Created", "Created container manager"),
        ("09:02:11.526", "Started", "Started container manager"),
    ]:
        EVENTS.append(
            (
                "flux-system",
                make_event(
                    "flux-system",
                    dict(involved),
                    reason,
                    message,
                    "Normal",
                    {"component": "kubelet", "host": NODE},
                    t(when),
                ),
            )
        )
