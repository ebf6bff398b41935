"""The simulation engine: one Scenario (a seeded random source, the controller's log lines and
events, the releases and their planted truth), a Rel (one HelmRelease and its Helm storage), the
controller-runtime rate limiter and client-go's EventCorrelator (Helm's log ring buffers are in
formats.py).
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from pathlib import Path

from scenarios.formats import (
    HOUR,
    MIN,
    NS,
    T,
    go_duration,
    rfc3339,
    sha256_digest,
    zap_ts,
)

SAMPLES = Path(__file__).resolve().parent.parent
TRUTH_DIR = SAMPLES / "truth"
EVENT_TTL = HOUR  # kube-apiserver --event-ttl default (ECO 1e "Retention")
LABEL_ORDER = [  # how the labels of a release are listed (its primary is the first cause, given first)
    "controller-restart",
    "stuck-pending",
    "retries-exhausted",
    "immutable-field",
    "values-missing",
    "chart-fetch",
    "timeout",
    "install-failed",
    "upgrade-failed",
    "rollback-failed",
    "test-failed",
    "dependency-failed",
    "dependency-stale",
    "migration-skip",
    "drift",
    "stale-status",
    "suspended",
    "evidence-gap",
    "values-schema",
    "ownership-conflict",
    "render-failed",
    "api-removed",
    "crd-mismatch",
    "release-missing",
    "health-check-canceled",
    "dependency-missing",
]


# ==== rate limiter (fluxcd/pkg runtime/controller defaults: --min-retry-delay 750ms, --max-retry-delay 15m)
def backoff(n: int) -> int:
    """workqueue ItemExponentialFailureRateLimiter: 750ms * 2^n, capped at 15m (HC 6.2)."""
    return min(750_000_000 * (2 ** min(n, 20)), 15 * MIN)


# ==== Kubernetes Events: client-go tools/record EventCorrelator (events_cache.go) ==============
class Correlator:
    """One per controller process (the manager's broadcaster). Feed raw events in time order."""

    AGG_MAX, AGG_WINDOW, BURST, QPS = 10, 600 * NS, 25.0, 1.0 / 300.0

    def __init__(self):
        self.agg, self.log, self.spam = {}, {}, {}

    def correlate(self, e):
        """Return (name, count, first, message, aggregated) when the event is written, None when filtered."""
        inv = e["involved"]
        okey = (e["component"], inv["kind"], inv["namespace"], inv["name"], inv["uid"], inv["apiVersion"])
        akey = okey + (e["type"], e["reason"])
        rec = self.agg.get(akey)
        if rec is None or e["t"] - rec["last"] > self.AGG_WINDOW:
            rec = {"keys": [], "last": 0}
        if e["message"] not in rec["keys"]:
            rec["keys"].append(e["message"])
        rec["last"] = e["t"]
        self.agg[akey] = rec
        if len(rec["keys"]) < self.AGG_MAX:
            ckey, message, name = akey + (e["message"],), e["message"], f"{inv['name']}.{e['t']:x}"
            aggregated = False
        else:  # EventAggregatorByReasonMessageFunc
            rec["keys"].pop(0)  # PopAny (map order in Go; the oldest here, for determinism)
            ckey, message, name = (
                ("agg",) + akey,
                "(combined from similar events): " + e["message"],
                f"{inv['name']}.{e['t']:x}",
            )
            aggregated = True
        obs = self.log.get(ckey)
        if obs:
            name, first, count = obs["name"], obs["first"], obs["count"] + 1
        else:
            first, count = e["t"], 1
        self.log[ckey] = {"name": name, "first": first, "count": count}
        tokens, last = self.spam.get(okey, (self.BURST, e["t"]))
        tokens = min(self.BURST, tokens + (e["t"] - last) / NS * self.QPS)
        if tokens < 1.0:
            self.spam[okey] = (tokens, e["t"])
            return None
        self.spam[okey] = (tokens - 1.0, e["t"])
        return name, count, first, message, aggregated


# ==== one scenario ==========================================================================
class Scenario:
    def __init__(self, name, seed, collected):
        self.name, self.C = name, collected
        self.rng = random.Random(seed)
        self.logs = {}  # container id -> [(ns, seq, line)]
        self.seq = 0
        self.raw_events = []  # helm-controller events before correlation
        self.direct_events = []  # events of other components, already in stored form
        self.releases = {}  # "ns/name" -> Rel
        self.truth, self.notes, self.evidence = {}, {}, {}
        self.procs = {}  # container id -> (start, end)

    # ---- randomness ----
    def uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex(self, n):
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def ms(self, lo, hi):
        return self.rng.randrange(int(lo * 1_000_000), int(hi * 1_000_000))

    def jitter(self, interval):
        """--interval-jitter-percentage 5 (HC 1.2)."""
        return self.rng.randrange(int(interval * 0.95), int(interval * 1.05))

    def rv(self, ns, salt=0):
        return str(60_000_000 + (ns // NS - 1_690_000_000) * 3 + salt)

    # ---- logs (HC 1.1 key order) ----
    def L(self, cid, ns, msg, r=None, rid=None, level="info", logger=None, extra=None, error=None):
        d = {"level": level, "ts": zap_ts(ns)}
        if logger:
            d["logger"] = logger
        d["msg"] = msg
        if r is not None:
            d.update(
                controller="helmrelease",
                controllerGroup="helm.toolkit.fluxcd.io",
                controllerKind="HelmRelease",
                HelmRelease={"name": r.name, "namespace": r.ns},
                namespace=r.ns,
                name=r.name,
                reconcileID=rid,
            )
        elif logger is None and extra is not None and extra.get("_ctrl"):
            d.update(controller="helmrelease", controllerGroup="helm.toolkit.fluxcd.io", controllerKind="HelmRelease")
        for k, v in (extra or {}).items():
            if not k.startswith("_"):
                d[k] = v
        if error is not None:
            d["error"] = error
        self.seq += 1
        lo, hi = self.procs[cid]
        if lo <= ns <= hi:
            self.logs.setdefault(cid, []).append(
                (ns, self.seq, json.dumps(d, separators=(",", ":"), ensure_ascii=False))
            )

    # ---- events ----
    def hr_event(self, cid, ns, r, etype, reason, message, annotations=None):
        inv = {
            "kind": "HelmRelease",
            "namespace": r.ns,
            "name": r.name,
            "uid": r.uid,
            "apiVersion": r.event_api,
            "resourceVersion": self.rv(ns - NS, 3),
        }
        self.raw_events.append(
            {
                "t": ns,
                "cid": cid,
                "involved": inv,
                "type": etype,
                "reason": reason,
                "message": message,
                "annotations": annotations,
                "component": "helm-controller",
                "seq": len(self.raw_events),
            }
        )

    def other_event(
        self, ns_first, ns_last, count, involved, etype, reason, message, component, host=None, annotations=None
    ):
        """An event of another component (kubelet, scheduler, source-controller, ...), stored form."""
        if ns_last < self.C - EVENT_TTL or ns_first > self.C:
            return
        src = {"component": component}
        if host:
            src["host"] = host
        self.direct_events.append(
            self._event_obj(
                involved["namespace"],
                involved,
                reason,
                message,
                etype,
                src,
                ns_first,
                ns_last,
                count,
                ns_last,
                annotations,
            )
        )

    def chart_event(self, r, at, api, ver=None, failed=None):
        """source-controller HelmChart events: `ChartPullSucceeded` with revision/digest annotations on a new
        artifact (helmchart_controller.go notify), or the Warning of a stalled build."""
        ver = ver or r.ver
        inv = {
            "kind": "HelmChart",
            "namespace": "flux-system",
            "name": r.hc_name,
            "uid": hc_uid(self, r),
            "apiVersion": api,
            "resourceVersion": self.rv(at, 4),
        }
        if failed:
            self.other_event(at, at, 1, inv, "Warning", "InvalidChartReference", failed, "source-controller")
            return
        path = f"helmchart/flux-system/{r.hc_name}/{r.chart}-{ver}.tgz"
        self.other_event(
            at,
            at,
            1,
            inv,
            "Normal",
            "ChartPullSucceeded",
            f"pulled '{r.chart}' chart with version '{ver}'",
            "source-controller",
            annotations={
                "source.toolkit.fluxcd.io/digest": "sha256:" + hashlib.sha256(path.encode()).hexdigest(),
                "source.toolkit.fluxcd.io/revision": ver,
            },
        )

    def _event_obj(self, ns, involved, reason, message, etype, source, first, last, count, created, annotations):
        meta = {
            "name": f"{involved['name']}.{first:x}",
            "namespace": ns,
            "uid": self.uuid(),
            "resourceVersion": self.rv(last, 7),
            "creationTimestamp": rfc3339(created),
        }
        if annotations:
            meta["annotations"] = dict(sorted(annotations.items()))
        return {
            "metadata": meta,
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": rfc3339(first),
            "lastTimestamp": rfc3339(last),
            "count": count,
            "type": etype,
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        }

    def correlate_events(self):
        """Run each controller process's EventCorrelator, then apply the 1h TTL (ECO 1e)."""
        stored, correlators = {}, {}
        for e in sorted(self.raw_events, key=lambda e: (e["t"], e["seq"])):
            if e["t"] > self.C:
                continue
            cor = correlators.setdefault(e["cid"], Correlator())
            res = cor.correlate(e)
            if res is None:
                continue
            name, count, first, message, _ = res
            key = (e["involved"]["namespace"], name)
            obj = stored.get(key)
            if obj is None or obj["last_write"] < e["t"] - EVENT_TTL:  # created (or re-created after expiry)
                stored[key] = obj = {"created": e["t"], "e": e, "first": first}
            obj.update(last_write=e["t"], count=count, message=message, last=e["t"])
        out = []
        for (ns, name), o in stored.items():
            if o["last_write"] < self.C - EVENT_TTL:
                continue  # expired
            e = o["e"]
            ev = self._event_obj(
                ns,
                e["involved"],
                e["reason"],
                o["message"],
                e["type"],
                {"component": e["component"]},
                o["first"],
                o["last"],
                o["count"],
                o["created"],
                e["annotations"],
            )
            ev["metadata"]["name"] = name
            out.append(ev)
        return out + self.direct_events

    # ---- truth ----
    def plant(self, r, labels, note, evidence=()):
        key = f"{r.ns}/{r.name}"
        if labels:
            # the story names its first cause first (DESIGN.md §5: the primary is the first cause)
            self.truth[key] = {"primary": labels[0], "labels": sorted(set(labels), key=LABEL_ORDER.index)}
        else:
            self.truth[key] = None
        self.notes[key] = note
        self.evidence[key] = list(evidence)


class Rel:
    """One HelmRelease: spec, Helm storage, status (filled by the scenario's story)."""

    def __init__(
        self,
        scn,
        ns,
        name,
        chart,
        ver,
        repo,
        values,
        created,
        gen,
        interval="10m",
        timeout=None,
        deps=None,
        app="",
        event_api="helm.toolkit.fluxcd.io/v2beta2",
    ):
        self.scn, self.ns, self.name, self.chart, self.ver, self.repo = scn, ns, name, chart, ver, repo
        self.values, self.created, self.gen, self.interval, self.timeout = values, created, gen, interval, timeout
        self.deps, self.app, self.event_api = deps, app, event_api
        self.uid = scn.uuid()
        self.spec_extra = {}
        self.status = {}
        self.annotations = {}
        self.managed = []  # extra managedFields entries (flux CLI)
        self.apply_time = created
        self.apply_api = event_api
        self.fin_time = created + NS
        # the finalizer was added by the controller running at creation time (HC 0.1: v0.37.0 = 2023-12-12,
        # v1.0.x = 2024-05-13)
        self.fin_api = "helm.toolkit.fluxcd.io/" + (
            "v2beta1"
            if created < T("2023-12-12T00:00:00Z")
            else "v2beta2"
            if created < T("2024-05-13T00:00:00Z")
            else "v2"
        )
        self.status_time = created
        self.status_api = event_api
        self.revs = {}  # Helm storage: version -> dict(status, ver, app, first, last, values)
        self.history = []  # status.history (v0.37+), newest first
        self.conds = {}  # v0.37+ conditions (setc)
        scn.releases[f"{ns}/{name}"] = self

    @property
    def key(self):
        return f"{self.ns}/{self.name}"

    @property
    def hc_name(self):
        return f"{self.ns}-{self.name}"  # HelmChart `<hr-namespace>-<hr-name>` (HC 2.2)

    def interval_ns(self):
        v = self.interval
        return int(v[:-1]) * (MIN if v.endswith("m") else HOUR if v.endswith("h") else NS)

    def timeout_ns(self):
        v = self.timeout or "5m"
        return int(v[:-1]) * MIN

    def timeout_str(self):
        return go_duration(self.timeout_ns())

    # ---- Helm storage (helm/pkg/storage, HC 8) ----
    def last_rev(self):
        return max(self.revs) if self.revs else 0

    def add_rev(self, status, ver, app, first, last, values, desc=""):
        n = self.last_rev() + 1
        self.revs[n] = {
            "status": status,
            "ver": ver,
            "app": app,
            "first": first,
            "last": last,
            "values": values,
            "desc": desc,
        }
        return n

    def snapshot(self, n, with_app=True):
        """status.history entry (HC 5.1; ObservedToSnapshot)."""
        rv = self.revs[n]
        s = {
            "chartName": self.chart,
            "chartVersion": rv["ver"],
            "configDigest": sha256_digest(rv["values"]),
            "digest": "sha256:" + hashlib.sha256(f"{self.key}.v{n}.{rv['status']}".encode()).hexdigest(),
            "firstDeployed": rfc3339(rv["first"]),
            "lastDeployed": rfc3339(rv["last"]),
            "name": self.name,
            "namespace": self.ns,
            "status": rv["status"],
            "version": n,
        }
        if with_app and rv["app"]:
            s["appVersion"] = rv["app"]
        return s

    def observe(self, versions, with_app=True, prepend_new=True):
        """recordOnObject / observeRollback: the newest observed release is prepended (when not yet in
        history), the others update their snapshot in place (internal/reconcile/release.go)."""
        versions = sorted(set(versions), reverse=True)
        for n in versions:
            snap = self.snapshot(n, with_app)
            for i, h in enumerate(self.history):
                if h["version"] == n:
                    self.history[i] = snap
                    break
            else:
                if prepend_new:
                    self.history.insert(0, snap)
        self.history.sort(key=lambda h: -h["version"])

    def truncate(self):
        """Snapshots.Truncate: keep up to the first deployed/superseded one after the latest."""
        for i, h in enumerate(self.history[1:]):
            if h["status"] in ("deployed", "superseded"):
                self.history = self.history[: i + 2]
                return
        self.history = self.history[:5]

    def previous(self):
        for h in self.history[1:]:
            if h["status"] in ("deployed", "superseded"):
                return h
        return None

    def full(self, n):
        return f"{self.ns}/{self.name}.v{n}"

    def chart_at(self, n):
        return f"{self.chart}@{self.revs[n]['ver']}"


def hc_uid(s, r):
    """A stable uid for the HelmChart of a release (shared by the object and its events)."""
    return str(uuid.UUID(hashlib.md5(f"{s.name}/{r.hc_name}".encode()).hexdigest(), version=4))
