"""Story steps shared by the scenarios: the reconcile queue, Helm history seeds, Helm's upgrade and
wait log lines, the v0.36 events and status, and the v0.37+/v1 controller (V37) with its
conditions, history and events.
"""

from __future__ import annotations

from scenarios.formats import NS, T, go_duration, sha1_checksum, sha256_digest
from scenarios.objects import cond, sort_conds


# ==== shared story helpers ===================================================================
def run_queue(s, first, until, handler, triggers=()):
    """controller-runtime work queue for one object: a pending (delayed) requeue, earliest wins, plus
    scripted triggers (spec change, HelmChart artifact, annotation); one reconcile at a time."""
    trig = sorted(triggers)
    pending, busy = first, 0
    while pending is not None or trig:
        t, kind = min(([(pending, "periodic")] if pending is not None else []) + trig[:1])
        t = max(t, busy + s.ms(1, 4))
        if t >= until:
            break
        if kind == "periodic":
            pending = None
        else:
            trig.pop(0)
        end, delay = handler(t, kind)
        busy = end
        if delay is not None:
            pending = end + delay if pending is None else min(pending, end + delay)


def seed_history(r, versions, app=""):
    """Older Helm revisions: list of (chart version, lastDeployed ns, values); all superseded but the last."""
    first = versions[0][1] + r.scn.ms(1, 999)
    for i, (ver, at, values) in enumerate(versions):
        r.add_rev(
            "deployed" if i == len(versions) - 1 else "superseded",
            ver,
            app,
            first,
            at + (r.scn.ms(1, 999) if i else first - versions[0][1]),
            values,
        )


def helm_upgrade_lines(s, r, t, kinds, changed, name=None):
    """Helm pkg/action/upgrade.go + pkg/kube/client.go Update: the lines up to the wait."""
    name = name or r.name
    out = []
    for msg in (
        f"preparing upgrade for {name}",
        f"performing update for {name}",
        f"creating upgraded release for {name}",
        f"checking {len(kinds)} resources for changes",
    ):
        t += s.ms(2, 40)
        out.append((t, msg))
    for kind, obj in kinds:
        t += s.ms(5, 30)
        out.append(
            (
                t,
                f'Patch {kind} "{obj}" in namespace {r.ns}'
                if (kind, obj) in changed
                else f'Looks like there are no changes for {kind} "{obj}"',
            )
        )
    return out, t


def helm_wait_lines(s, r, t, k, timeout_str, deploy, ready, expected, until, name=None):
    """pkg/kube/wait.go: poll every 2s until `until`; the Deployment check logs each poll."""
    name = name or r.name
    out = [(t + s.ms(2, 10), f"waiting for release {name} resources (created: 0 updated: {k}  deleted: 0)")]
    t = out[-1][0] + s.ms(1, 5)
    out.append((t, f"beginning wait for {k} resources with timeout of {timeout_str}"))
    while t < until:
        out.append(
            (
                t + s.ms(3, 20),
                f"Deployment is not ready: {r.ns}/{deploy}. {ready} out of {expected} expected pods are ready",
            )
        )
        t += 2 * NS
    return out


def v36_event(s, cid, t, r, severity, msg, revision, token):
    """v0.36 event: reason = severity (`info`/`error`), annotations revision + token (HC 3.1)."""
    ann = {}
    if revision:
        ann["helm.toolkit.fluxcd.io/revision"] = revision
    if token:
        ann["helm.toolkit.fluxcd.io/token"] = token
    s.hr_event(cid, t, r, "Normal" if severity == "info" else "Warning", severity, msg, ann or None)


def v36_finished(s, cid, t0, t1, r, rid, nxt=None):
    """HC 2.1 `reconciliation finished in %s[, next run in %s]`."""
    msg = f"reconciliation finished in {go_duration(t1 - t0)}"
    if nxt:
        msg += f", next run in {go_duration(nxt)}"
    s.L(cid, t1, msg, r, rid)


def v36_healthy_status(r, last_action_end, action="upgrade"):
    rv = r.revs[r.last_rev()]
    reason = "InstallSucceeded" if action == "install" else "UpgradeSucceeded"
    r.status = {
        "conditions": [
            cond("Ready", "True", "ReconciliationSucceeded", "Release reconciliation succeeded", last_action_end),
            cond("Released", "True", reason, f"Helm {action} succeeded", last_action_end),
        ],
        "helmChart": f"flux-system/{r.hc_name}",
        "lastAppliedRevision": rv["ver"],
        "lastAttemptedRevision": rv["ver"],
        "lastAttemptedValuesChecksum": sha1_checksum(r.values),
        "lastReleaseRevision": r.last_rev(),
        "observedGeneration": r.gen,
    }
    r.status_time = last_action_end


# ==== v0.37+ / v1 helpers ====================================================================
def setc(r, ctype, status, reason, msg, t):
    """fluxcd/pkg conditions.Set: lastTransitionTime changes when status, reason or message change;
    observedGeneration = object generation (HC 4.2)."""
    old = r.conds.get(ctype)
    same = old and (old["status"], old["reason"], old["message"]) == (status, reason, msg)
    r.conds[ctype] = cond(ctype, status, reason, msg, T(old["lastTransitionTime"]) if same else t, r.gen)


def delc(r, ctype):
    r.conds.pop(ctype, None)


def chart_line(r, action=None):
    """internal/reconcile/helmchart_template.go (HC 2.2)."""
    base = f"HelmChart/flux-system/{r.hc_name} with SourceRef 'HelmRepository/flux-system/{r.repo}'"
    return f"{action} {base}" if action else f"{base} is in-sync"


def ann(r, n, v1):
    """eventMeta: revision + token, v1.0+ also app-version (HC 3.2)."""
    rv = r.revs[n]
    a = {"helm.toolkit.fluxcd.io/revision": rv["ver"], "helm.toolkit.fluxcd.io/token": sha256_digest(rv["values"])}
    if v1 and rv["app"]:
        a["helm.toolkit.fluxcd.io/app-version"] = rv["app"]
    return a


class V37:
    """Reconcile building blocks of helm-controller v0.37.4 / v1.x (internal/controller, internal/reconcile)."""

    def __init__(self, s, cid, v1=False, v14=False):
        self.s, self.cid, self.v1, self.v14 = s, cid, v1, v14

    def start(self, t, r, chart_action=None):
        """Reconcile(): HelmChart template, then `Reconciling=True Fulfilling prerequisites`."""
        s, rid = self.s, self.s.uuid()
        t += s.ms(6, 30)
        s.L(self.cid, t, chart_line(r, chart_action), r, rid)
        if chart_action:
            # Trace event, stored as a Normal Kubernetes event (HC 3.2)
            s.hr_event(self.cid, t + s.ms(1, 4), r, "Normal", f"HelmChart{chart_action}", chart_line(r, chart_action))
        setc(r, "Reconciling", "True", "Progressing", "Fulfilling prerequisites", t)
        return t + s.ms(5, 20), rid

    def deps(self, t, r, rid, blocked_by=None):
        s = self.s
        s.L(self.cid, t, f"checking {len(r.deps)} dependencies", r, rid)
        t += s.ms(2, 9)
        if blocked_by:
            err = blocked_by
            s.L(self.cid, t, f"dependencies do not meet ready condition ({err}): retrying in 30s", r, rid)
            setc(r, "Ready", "False", "DependencyNotReady", err, t)
            if self.v1:  # v0.37.x passes severity `info` as the event type: no Kubernetes Event (HC 3.2)
                s.hr_event(self.cid, t + s.ms(0, 2), r, "Normal", "DependencyNotReady", err)
            return t + s.ms(3, 12)
        s.L(self.cid, t, "all dependencies are ready", r, rid)
        if r.conds.get("Ready", {}).get("reason") == "DependencyNotReady":
            setc(r, "Ready", "Unknown", "Progressing", "reconciliation in progress", t)
        return t + s.ms(3, 10)

    def chart_not_ready(self, t, r, rid, reason):
        msg = f"HelmChart 'flux-system/{r.hc_name}' is not ready: {reason}"
        self.s.L(self.cid, t, msg, r, rid)
        setc(r, "Ready", "False", "SourceNotReady" if self.v1 else "HelmChartNotReady", msg, t)
        return t + self.s.ms(2, 8)

    def clear_prereq(
        self,
        t,
        r,
        reasons=("DependencyNotReady", "HelmChartNotReady", "SourceNotReady", "ValuesError", "ArtifactFailed"),
    ):
        if r.conds.get("Ready", {}).get("reason") in reasons and r.conds["Ready"]["status"] == "False":
            setc(r, "Ready", "Unknown", "Progressing", "reconciliation in progress", t)

    def attempt(self, r, t):
        """Set last attempt values (HC 5.2 step 5)."""
        st = r.status
        st["lastAttemptedGeneration"] = r.gen
        st["lastAttemptedRevision"] = r.ver
        st["lastAttemptedConfigDigest"] = sha256_digest(r.values)
        st["storageNamespace"] = r.ns

    def run_action(self, t, r, rid, name, timeout, release_type=True):
        s = self.s
        msg = f"Running '{name}' action with timeout of {timeout}"
        setc(r, "Reconciling", "True", "Progressing", msg, t)
        if release_type:
            setc(r, "Ready", "Unknown", "Progressing", msg, t)
        s.L(self.cid, t + s.ms(3, 12), f"running '{name}' action with timeout of {timeout}", r, rid)
        return t + s.ms(15, 40)

    def summarize(self, r, t, tests=False):
        """internal/reconcile/release.go summarize(): Ready = copy of Remediated > TestSuccess > Released."""
        order = ["Remediated", "TestSuccess", "Released"] if tests else ["Remediated", "Released"]
        for ctype in order:
            c = r.conds.get(ctype)
            if c:
                status = "False" if ctype == "Remediated" else c["status"]
                setc(r, "Ready", status, c["reason"], c["message"], t)
                if status == "True":
                    delc(r, "Stalled")
                return

    def done_insync(self, t, r, rid, tests=False):
        """`release in-sync with desired state`, Reconciling removed, summarize (HC 2.2, 4.2)."""
        s = self.s
        s.L(self.cid, t, "release in-sync with desired state", r, rid)
        delc(r, "Reconciling")
        self.summarize(r, t, tests)
        if not self.v1:
            r.status["lastAppliedRevision"] = r.revs[r.history[0]["version"]]["ver"] if r.history else r.ver
        r.truncate() if len(r.history) > 2 else None
        end = t + s.ms(20, 60)
        r.status["observedGeneration"] = r.gen
        r.status_time = end
        return end

    def upgrade_ok(self, t, r, rid, dur, reason="release chart changed", n_app=""):
        """`release out-of-sync with desired state: <reason>` -> upgrade that succeeds (HC 3.2/4.2)."""
        s = self.s
        s.L(self.cid, t + s.ms(40, 90), f"release out-of-sync with desired state: {reason}", r, rid)
        t = self.run_action(t + s.ms(100, 150), r, rid, "upgrade", r.timeout_str())
        delc(r, "TestSuccess")
        delc(r, "Remediated")
        r.status["lastAttemptedReleaseAction"] = "upgrade"
        n_old = r.history[0]["version"]
        n = r.add_rev("deployed", r.ver, n_app, r.revs[n_old]["first"], t + s.ms(10, 30), r.values)
        if r.revs[n_old]["status"] == "deployed":
            r.revs[n_old]["status"] = "superseded"
        r.observe([n, n_old], self.v1)
        t += dur
        if self.v14:
            r.status["lastAttemptedReleaseActionDuration"] = go_duration(dur + s.ms(1, 30))
        ok = f"Helm upgrade succeeded for release {r.full(n)} with chart {r.chart_at(n)}"
        s.hr_event(self.cid, t, r, "Normal", "UpgradeSucceeded", ok, ann(r, n, self.v1))
        setc(r, "Released", "True", "UpgradeSucceeded", ok, t)
        self.summarize(r, t)
        return t + s.ms(40, 110)

    def healthy(self, t, r):
        t, rid = self.start(t, r)
        if r.deps:
            t = self.deps(t, r, rid)
        self.attempt(r, t)
        return self.done_insync(t + self.s.ms(60, 700), r, rid)


def v37_seed(r, versions, action_end, v1=False, action="upgrade", app="", base=0):
    """Old revisions (numbered from base+1) plus the status the last successful action left (history of 2)."""
    seed_history(r, versions, app)
    r.revs = {n + base: x for n, x in r.revs.items()}
    ns = sorted(r.revs, reverse=True)
    r.history = [r.snapshot(n, v1) for n in ns[:2]]
    r.conds = {}
    n = ns[0]
    reason = "InstallSucceeded" if action == "install" else "UpgradeSucceeded"
    msg = f"Helm {action} succeeded for release {r.full(n)} with chart {r.chart_at(n)}"
    setc(r, "Released", "True", reason, msg, action_end)
    setc(r, "Ready", "True", reason, msg, action_end)
    r.status = {
        "helmChart": f"flux-system/{r.hc_name}",
        "lastAttemptedReleaseAction": action,
        "observedGeneration": r.gen,
    }
    if not v1:
        r.status["lastAppliedRevision"] = r.revs[n]["ver"]
    V37(r.scn, None).attempt(r, action_end)
    r.status_time = action_end


def finish_status(r):
    st = dict(r.status)
    st["conditions"] = sort_conds(list(r.conds.values()))
    if r.history:
        st["history"] = [dict(h) for h in r.history]
    else:
        st.pop("history", None)
    for k in ("failures", "installFailures", "upgradeFailures"):
        if not st.get(k):
            st.pop(k, None)
    r.status = st
