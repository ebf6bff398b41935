"""The objects of a generated bundle: HelmReleases (v2 status with history and managed fields) and
the flux-system workloads, namespaces and version.yaml (ObjectWriter, a part of generate.Gen)."""

from __future__ import annotations

import hashlib
import json

from gen_base import COLLECTED, HC_POD, NEW_IMAGE, NS, go_json, rfc3339, zap_ts


class ObjectWriter:
    """Gen's HelmRelease files, flux-system pods and deployments, namespaces and version.yaml."""

    # --- HelmReleases ----------------------------------------------------------------------
    @staticmethod
    def helm_logs(r, at: int) -> str:
        """`\\n\\nLast Helm logs:\\n\\n` and `<RFC3339Nano>: <line>` lines (helm-controller v0.37+)."""
        return (
            f"\n\nLast Helm logs:\n\n{zap_ts(at - 300 * NS)}: beginning wait for 4 resources with timeout of 5m0s\n"
            f"{zap_ts(at - 2 * NS)}: Deployment is not ready: {r['ns']}/{r['name']}. 0 out of 2 expected pods are ready"
        )

    def helmrelease(self, r):
        created = self.start - (30 + r["i"] % 200) * 86400 * NS
        gen = 2 + r["i"] % 9
        values = {"replicaCount": 1 + r["i"] % 3, "image": {"tag": r["ver"]}}
        digest = "sha256:" + hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
        history = []
        revs = 1 + r["i"] % 5
        last = self.start + (r["i"] * 7919 % 1000) * self.span // 1000
        for k in range(revs, 0, -1):
            deployed = last - (revs - k) * 86400 * NS
            history.append(
                {
                    "appVersion": r["ver"],
                    "chartName": r["name"],
                    "chartVersion": r["ver"],
                    "configDigest": digest,
                    "digest": "sha256:" + hashlib.sha256(f"{r['ns']}/{r['name']}.v{k}".encode()).hexdigest(),
                    "firstDeployed": rfc3339(created + 60 * NS),
                    "lastDeployed": rfc3339(deployed),
                    "name": r["name"],
                    "namespace": r["ns"],
                    "status": "deployed" if k == revs else "superseded",
                    "version": k,
                }
            )
        ready_at = last + 30 * NS
        ok = f"Helm upgrade succeeded for release {r['ns']}/{r['name']}.v{revs} with chart {r['name']}@{r['ver']}"
        conditions = [
            {
                "lastTransitionTime": rfc3339(ready_at),
                "message": ok,
                "observedGeneration": gen,
                "reason": "UpgradeSucceeded",
                "status": "True",
                "type": "Ready",
            },
            {
                "lastTransitionTime": rfc3339(ready_at),
                "message": ok,
                "observedGeneration": gen,
                "reason": "UpgradeSucceeded",
                "status": "True",
                "type": "Released",
            },
        ]
        status = {
            "conditions": conditions,
            "helmChart": f"flux-system/{r['ns']}-{r['name']}",
            "history": history,
            "lastAttemptedConfigDigest": digest,
            "lastAttemptedGeneration": gen,
            "lastAttemptedReleaseAction": "upgrade",
            "lastAttemptedRevision": r["ver"],
            "lastAttemptedRevisionDigest": "sha256:" + self.hex(64),
            "observedGeneration": gen,
            "observedPostRenderersDigest": "sha256:" + self.hex(64),
            "storageNamespace": r["ns"],
        }
        label = r["label"]
        fail_at = self.fail_times.get(r["name"], COLLECTED - 1800 * NS)
        if label == "stuck-pending":
            msg = f"Unlock of Helm release {r['ns']}/{r['name']}.v5 with chart {r['name']}@{r['ver']} in pending-upgrade state failed: timed out waiting for the condition"
            for c in conditions:
                c.update(status="False", reason="PendingRelease", message=msg, lastTransitionTime=rfc3339(fail_at))
            history[0]["status"] = "pending-upgrade"
        elif label == "timeout":
            msg = f"Helm upgrade failed for release {r['ns']}/{r['name']} with chart {r['name']}@{r['ver']}: context deadline exceeded"
            for c in conditions:
                c.update(status="False", reason="UpgradeFailed", message=msg, lastTransitionTime=rfc3339(fail_at))
            conditions[1]["message"] = msg + self.helm_logs(r, fail_at)  # v0.37+: Released says what Helm logged
            status["upgradeFailures"] = 3
            status["failures"] = 3
        elif label == "install-failed":
            msg = f'Helm install failed for release {r["ns"]}/{r["name"]} with chart {r["name"]}@{r["ver"]}: Service "{r["name"]}" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'
            for c in conditions:
                c.update(status="False", reason="InstallFailed", message=msg, lastTransitionTime=rfc3339(fail_at))
            conditions[1]["message"] = msg + self.helm_logs(r, fail_at)
            status["installFailures"] = 1
            status["failures"] = 1
            status["history"] = []
        elif label == "dependency-stale":
            dep = f"{r['deps']['ns']}/{r['deps']['name']}"
            conditions[0].update(
                status="False",
                reason="DependencyNotReady",
                message=f"dependency '{dep}' is not ready",
                lastTransitionTime=rfc3339(COLLECTED - 5400 * NS),
            )
        spec = {
            "chart": {
                "spec": {
                    "chart": r["name"],
                    "interval": "1h",
                    "reconcileStrategy": "ChartVersion",
                    "sourceRef": {"kind": "HelmRepository", "name": r["repo"], "namespace": "flux-system"},
                    "version": r["ver"],
                }
            },
            "interval": "10m",
            "values": values,
        }
        if r["deps"] is not None:
            spec["dependsOn"] = [{"name": r["deps"]["name"], "namespace": r["deps"]["ns"]}]
        if label == "drift":
            spec["driftDetection"] = {"mode": "enabled"}
        labels = {"kustomize.toolkit.fluxcd.io/name": r["ns"], "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
        managed = [
            {
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "fieldsType": "FieldsV1",
                "manager": "kustomize-controller",
                "operation": "Apply",
                "time": rfc3339(last - 60 * NS),
                "fieldsV1": {
                    "f:metadata": {"f:labels": {f"f:{k}": {} for k in labels}},
                    "f:spec": {f"f:{k}": {} for k in spec},
                },
            },
            {
                "apiVersion": "helm.toolkit.fluxcd.io/v2beta1",
                "fieldsType": "FieldsV1",
                "manager": "helm-controller",
                "operation": "Update",
                "time": rfc3339(created + NS),
                "fieldsV1": {"f:metadata": {"f:finalizers": {".": {}, 'v:"finalizers.fluxcd.io"': {}}}},
            },
            {
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "fieldsType": "FieldsV1",
                "manager": "helm-controller",
                "operation": "Update",
                "subresource": "status",
                "time": rfc3339(ready_at),
                "fieldsV1": {"f:status": {".": {}, **{f"f:{k}": {} for k in status}}},
            },
        ]
        meta = {
            "creationTimestamp": rfc3339(created),
            "finalizers": ["finalizers.fluxcd.io"],
            "generation": gen,
            "labels": labels,
            "managedFields": managed,
            "name": r["name"],
            "namespace": r["ns"],
            "resourceVersion": str(45_000_000 + r["i"]),
            "uid": r["uid"],
        }
        return {
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": meta,
            "spec": spec,
            "status": status,
        }

    def write_releases(self):
        d = self.root / "cluster-resources" / "custom-resources" / "helmreleases.helm.toolkit.fluxcd.io"
        d.mkdir(parents=True, exist_ok=True)
        for ns in self.namespaces:
            objs = [self.helmrelease(r) for r in self.releases if r["ns"] == ns]
            (d / f"{ns}.json").write_text(go_json(objs, sort_keys=True), encoding="utf-8")
            (d / f"{ns}.yaml").symlink_to(f"{ns}.json")

    # --- workloads -------------------------------------------------------------------------
    def write_workloads(self):
        cr = self.root / "cluster-resources"
        self.pod_uid = self.uuid()
        cs = {
            "name": "manager",
            "state": {"running": {"startedAt": rfc3339(self.upgrade)}},
            "lastState": {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": rfc3339(self.start),
                    "finishedAt": rfc3339(self.upgrade - 3 * NS),
                    "containerID": f"containerd://{self.hex(64)}",
                }
            },
            "ready": True,
            "restartCount": 1,
            "image": NEW_IMAGE,
            "imageID": f"ghcr.io/fluxcd/helm-controller@sha256:{self.hex(64)}",
            "containerID": f"containerd://{self.hex(64)}",
            "started": True,
        }
        pod = {
            "metadata": {
                "name": HC_POD,
                "namespace": "flux-system",
                "uid": self.pod_uid,
                "creationTimestamp": rfc3339(self.start - NS),
                "labels": {"app": "helm-controller", "pod-template-hash": "7f9c8d5b6"},
            },
            "spec": {
                "containers": [
                    {
                        "name": "manager",
                        "image": NEW_IMAGE,
                        "args": ["--watch-all-namespaces=true", "--log-level=info", "--log-encoding=json"],
                    }
                ]
            },
            "status": {"phase": "Running", "startTime": rfc3339(self.start), "containerStatuses": [cs]},
        }
        (cr / "pods").mkdir(parents=True, exist_ok=True)
        (cr / "pods" / "flux-system.json").write_text(
            go_json({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [pod]}), encoding="utf-8"
        )
        dep = {
            "metadata": {
                "name": "helm-controller",
                "namespace": "flux-system",
                "uid": self.uuid(),
                "generation": 4,
                "creationTimestamp": "2023-08-28T09:05:41Z",
            },
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "manager", "image": NEW_IMAGE}]}}},
            "status": {"observedGeneration": 4, "replicas": 1, "readyReplicas": 1},
        }
        (cr / "deployments").mkdir(parents=True, exist_ok=True)
        (cr / "deployments" / "flux-system.json").write_text(
            go_json({"kind": "DeploymentList", "apiVersion": "apps/v1", "metadata": {}, "items": [dep]}),
            encoding="utf-8",
        )
        nss = [
            {
                "metadata": {"name": n, "uid": self.uuid(), "creationTimestamp": "2023-08-28T09:05:12Z"},
                "status": {"phase": "Active"},
            }
            for n in ["flux-system"] + self.namespaces
        ]
        (cr / "namespaces.json").write_text(
            go_json({"kind": "NamespaceList", "apiVersion": "v1", "metadata": {}, "items": nss}), encoding="utf-8"
        )
        (self.root / "version.yaml").write_text(
            "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.78.1\n",
            encoding="utf-8",
        )
