"""The core/v1 Events of a generated bundle, of helm-controller and the kubelet, as EventLists per
namespace (EventWriter, a part of generate.Gen)."""

from __future__ import annotations


from gen_base import COLLECTED, HC_POD, NEW_IMAGE, NS, go_json, rfc3339, zap_ts


class EventWriter:
    """Gen's Events: one per reason and object, aggregated with counts as client-go does."""

    # --- events ----------------------------------------------------------------------------
    def event(self, ns, involved, reason, message, etype, component, first, last=None, count=1, annotations=None):
        meta = {
            "name": f"{involved['name']}.{first:x}"[:63],
            "namespace": ns,
            "uid": self.uuid(),
            "resourceVersion": str(50_000_000 + self.rng.randrange(10_000_000)),
            "creationTimestamp": rfc3339(first),
        }
        if annotations:
            meta["annotations"] = dict(sorted(annotations.items()))
        return {
            "metadata": meta,
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": {"component": component}
            if component != "kubelet"
            else {"component": "kubelet", "host": "worker-node-3"},
            "firstTimestamp": rfc3339(first),
            "lastTimestamp": rfc3339(last or first),
            "count": count,
            "type": etype,
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        }

    def hr_involved(self, r):
        return {
            "kind": "HelmRelease",
            "namespace": r["ns"],
            "name": r["name"],
            "uid": r["uid"],
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "resourceVersion": str(40_000_000 + r["i"]),
        }

    def write_events(self):
        n = self.args.events
        by_ns: dict[str, list] = {ns: [] for ns in self.namespaces + ["flux-system"]}
        window = 6 * 3600 * NS
        p = self.planted
        if p:  # the planted problems' events
            r = p["drift"]
            obj = f"Deployment/{r['ns']}/{r['name']}"
            first, last = (
                (min(self.drift_times), max(self.drift_times))
                if self.drift_times
                else (COLLECTED - 3600 * NS, COLLECTED - 60 * NS)
            )
            count = max(3, len(self.drift_times))
            release = f"{r['ns']}/{r['name']}.v4"
            by_ns[r["ns"]].append(
                self.event(
                    r["ns"],
                    self.hr_involved(r),
                    "DriftDetected",
                    f"Cluster state of release {release} has drifted from the desired state:\n{obj} changed (0 additions, 1 changes, 0 removals)",
                    "Warning",
                    "helm-controller",
                    first - NS,
                    last - NS,
                    count,
                )
            )
            by_ns[r["ns"]].append(
                self.event(
                    r["ns"],
                    self.hr_involved(r),
                    "DriftCorrected",
                    f"Cluster state of release {release} has been corrected:\n{obj} configured",
                    "Normal",
                    "helm-controller",
                    first,
                    last,
                    count,
                    {
                        "helm.toolkit.fluxcd.io/revision": r["ver"],
                        "helm.toolkit.fluxcd.io/token": "sha256:" + self.hex(64),
                    },
                )
            )
            r = p["timeout"]
            at = self.fail_times.get(r["name"], COLLECTED - 1800 * NS)
            by_ns[r["ns"]].append(
                self.event(
                    r["ns"],
                    self.hr_involved(r),
                    "UpgradeFailed",
                    f"Helm upgrade failed for release {r['ns']}/{r['name']} with chart {r['name']}@{r['ver']}: context deadline exceeded\n\nLast Helm logs:\n\n"
                    f"{zap_ts(at - 300 * NS)}: beginning wait for 4 resources with timeout of 5m0s\n{zap_ts(at - 2 * NS)}: Deployment is not ready: {r['ns']}/{r['name']}. 0 out of 2 expected pods are ready",
                    "Warning",
                    "helm-controller",
                    at,
                    COLLECTED - 120 * NS,
                    6,
                )
            )
            r = p["stuck"]
            at = self.fail_times.get(r["name"], COLLECTED - 1800 * NS)
            by_ns[r["ns"]].append(
                self.event(
                    r["ns"],
                    self.hr_involved(r),
                    "PendingRelease",
                    f"Unlock of Helm release {r['ns']}/{r['name']}.v5 with chart {r['name']}@{r['ver']} in pending-upgrade state failed: timed out waiting for the condition",
                    "Warning",
                    "helm-controller",
                    at,
                    COLLECTED - 300 * NS,
                    5,
                )
            )
            r = p["install"]
            at = self.fail_times.get(r["name"], COLLECTED - 1800 * NS)
            by_ns[r["ns"]].append(
                self.event(
                    r["ns"],
                    self.hr_involved(r),
                    "InstallFailed",
                    f'Helm install failed for release {r["ns"]}/{r["name"]} with chart {r["name"]}@{r["ver"]}: Service "{r["name"]}" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
                    "Warning",
                    "helm-controller",
                    at,
                    COLLECTED - 200 * NS,
                    4,
                )
            )
        # the controller's own pod: the in-place upgrade
        pod = {
            "kind": "Pod",
            "namespace": "flux-system",
            "name": HC_POD,
            "uid": self.pod_uid,
            "apiVersion": "v1",
            "resourceVersion": "49000000",
            "fieldPath": "spec.containers{manager}",
        }
        for dt, reason, msg in (
            (-2, "Killing", "Container manager definition changed, will be restarted"),
            (-1, "Pulling", f'Pulling image "{NEW_IMAGE}"'),
            (0, "Pulled", f'Successfully pulled image "{NEW_IMAGE}" in 1.212s (1.212s including waiting)'),
            (0, "Created", "Created container manager"),
            (1, "Started", "Started container manager"),
        ):
            by_ns["flux-system"].append(
                self.event("flux-system", dict(pod), reason, msg, "Normal", "kubelet", self.upgrade + dt * NS)
            )
        made = sum(len(v) for v in by_ns.values())
        kubelet = (
            ("Pulled", "Normal", 'Container image "{img}" already present on machine'),
            ("Created", "Normal", "Created container {c}"),
            ("Started", "Normal", "Started container {c}"),
            (
                "Unhealthy",
                "Warning",
                'Readiness probe failed: Get "http://10.244.{a}.{b}:8080/readyz": dial tcp 10.244.{a}.{b}:8080: connect: connection refused',
            ),
            ("BackOff", "Warning", "Back-off restarting failed container {c} in pod {pod}_{ns}({uid})"),
            ("Scheduled", "Normal", "Successfully assigned {ns}/{pod} to worker-node-{a}"),
        )
        while made < n:
            r = self.releases[self.rng.randrange(len(self.releases))]
            first = COLLECTED - self.rng.randrange(window)
            roll = self.rng.random()
            if roll < 0.45 and r["label"] is None:  # helm-controller events about the release
                if self.rng.random() < 0.5:
                    ev = self.event(
                        r["ns"],
                        self.hr_involved(r),
                        "UpgradeSucceeded",
                        f"Helm upgrade succeeded for release {r['ns']}/{r['name']}.v{self.rng.randrange(2, 40)} with chart {r['name']}@{r['ver']}",
                        "Normal",
                        "helm-controller",
                        first,
                        annotations={
                            "helm.toolkit.fluxcd.io/revision": r["ver"],
                            "helm.toolkit.fluxcd.io/token": "sha256:" + self.hex(64),
                        },
                    )
                else:
                    ev = self.event(
                        r["ns"],
                        self.hr_involved(r),
                        "HelmChartConfigured",
                        f"Configured HelmChart/flux-system/{r['ns']}-{r['name']} with SourceRef 'HelmRepository/flux-system/{r['repo']}'",
                        "Normal",
                        "helm-controller",
                        first,
                    )
            else:  # kubelet events of the release's pods
                reason, etype, text = kubelet[self.rng.randrange(len(kubelet))]
                pod_name = f"{r['name']}-{self.hex(9)}-{self.hex(5)}"
                involved = {
                    "kind": "Pod",
                    "namespace": r["ns"],
                    "name": pod_name,
                    "uid": self.uuid(),
                    "apiVersion": "v1",
                    "resourceVersion": str(40_000_000 + self.rng.randrange(9_000_000)),
                    "fieldPath": "spec.containers{app}",
                }
                count = self.rng.randrange(1, 30) if etype == "Warning" else 1
                ev = self.event(
                    r["ns"],
                    involved,
                    reason,
                    text.format(
                        img=f"registry.example.com/{r['name']}:{r['ver']}",
                        c="app",
                        pod=pod_name,
                        ns=r["ns"],
                        uid=involved["uid"],
                        a=self.rng.randrange(1, 9),
                        b=self.rng.randrange(2, 250),
                    ),
                    etype,
                    "kubelet",
                    first,
                    min(COLLECTED, first + count * 30 * NS),
                    count,
                )
            by_ns[r["ns"]].append(ev)
            made += 1
        d = self.root / "cluster-resources" / "events"
        d.mkdir(parents=True, exist_ok=True)
        for ns, items in by_ns.items():
            items.sort(key=lambda e: (e["lastTimestamp"], e["metadata"]["name"]))
            (d / f"{ns}.json").write_text(
                go_json(
                    {
                        "kind": "EventList",
                        "apiVersion": "v1",
                        "metadata": {"resourceVersion": "59999999"},
                        "items": items,
                    }
                ),
                encoding="utf-8",
            )
        return made
