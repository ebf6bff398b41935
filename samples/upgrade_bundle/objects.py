"""The Kubernetes objects of the bundle: HelmRelease status and managed fields, the flux-system
pods and deployments, the namespaces."""

from __future__ import annotations

import hashlib

from upgrade_bundle.story import (
    COLLECTED,
    NODE,
    NS,
    OLD_START,
    OLD_STOP,
    PODS,
    REPO,
    chart_name,
    config_digest,
    hr_key,
    ms,
    old_state,
    rand_hex,
    rand_uuid,
    resource_version,
    rfc3339,
    t,
    values_checksum,
)
from upgrade_bundle.controller import FACTS, HR_UID, msg_release_success


# ==== HelmRelease objects (custom resources: bare JSON array, sorted keys; ECO 1a) ========
def snapshot(r, rev, ver, values, first, last, status):
    """status.history[] entry (HC 5.1 Snapshot; `deleted`/`apiVersion` unset by v0.37)."""
    return {
        "chartName": r["name"],
        "chartVersion": ver,
        "configDigest": config_digest(values),
        "digest": "sha256:" + hashlib.sha256(f"{hr_key(r)}.v{rev}".encode()).hexdigest(),
        "firstDeployed": rfc3339(first),
        "lastDeployed": rfc3339(last),
        "name": r["name"],
        "namespace": r["ns"],
        "status": status,
        "version": rev,
    }


def cond(ctype, status, reason, message, ltt, gen=None):
    c = {"lastTransitionTime": rfc3339(ltt), "message": message, "reason": reason, "status": status, "type": ctype}
    if gen is not None:  # v0.36 never writes condition observedGeneration (HC 4.1)
        c["observedGeneration"] = gen
    return c


def build_status(r):
    facts = FACTS.get(hr_key(r), {})
    gen = r["gen"] + (1 if r.get("change") and r["change"]["kind"] != "create" else 0)
    old_ver, old_values = old_state(r)
    chart = f"flux-system/{chart_name(r)}"
    if r["rev"]:
        s36, e36 = t(r["last36"][0]), t(r["last36"][1])
        # v0.36.2 Released condition: short message (HC 3.1 `Helm %s succeeded`, HC 4.1)
        released36 = cond("Released", "True", "UpgradeSucceeded", "Helm upgrade succeeded", e36)
    if r["first37"] is None and r["rev"]:
        # `migration-skip`: exactly what v0.36.2 wrote (HC 4.1, 5.1, 5.2 last paragraph)
        return (
            gen,
            e36,
            {
                "conditions": [
                    cond("Ready", "True", "ReconciliationSucceeded", "Release reconciliation succeeded", e36),
                    released36,
                ],
                "helmChart": chart,
                "lastAppliedRevision": old_ver,
                "lastAttemptedRevision": old_ver,
                "lastAttemptedValuesChecksum": values_checksum(old_values),
                "lastReleaseRevision": r["rev"],
                "observedGeneration": gen,
            },
        )
    st = {
        "helmChart": chart,
        "lastAttemptedConfigDigest": config_digest(r["values"]),
        "lastAttemptedGeneration": gen,
        "lastAttemptedRevision": r["ver"],
        "observedGeneration": gen,
        "storageNamespace": r["ns"],
    }  # HC 5.1, 5.2 steps 3-5
    recs = facts["reconciles"]
    last_write = recs[-1][1]
    ch = r.get("change")
    if ch and "action_done" in facts:
        done, run, rev = facts["action_done"], t(ch["run"]), r["rev"] + 1
        action = "install" if ch["kind"] == "create" else "upgrade"
        first = run if action == "install" else t(r["installed"])
        hist = [snapshot(r, rev, r["ver"], r["values"], first, run, "deployed")]
        if r["rev"]:
            hist.append(snapshot(r, r["rev"], old_ver, old_values, t(r["installed"]), s36, "superseded"))
        reason = "InstallSucceeded" if action == "install" else "UpgradeSucceeded"
        msg = msg_release_success(action, r, rev)  # HC 3.2 / 4.2 long format
        st.update(
            conditions=[
                cond("Ready", "True", reason, msg, done, gen),
                cond("Released", "True", reason, msg, done, gen),
            ],
            history=hist,
            lastAppliedRevision=r["ver"],
            lastAttemptedReleaseAction=action,
        )
        return gen, last_write, st
    hist = [snapshot(r, r["rev"], old_ver, old_values, t(r["installed"]), s36, "deployed")]
    st.update(history=hist, lastAppliedRevision=old_ver)
    if r.get("stale_after_deps"):
        # `dependency-stale`: Ready=False DependencyNotReady kept from the failed check (HC 4.2, 9)
        first_fail, first_visit = facts["dep_fail"][0], recs[0][0]
        dep_msg = f"dependency '{r['deps']}' is not ready"
        # the drift loop ends each reconcile with Reconciling=True ProgressingWithRetry carrying a
        # copy of the Ready message (HC 4.2; helm-controller commit 59c577a)
        st["conditions"] = [
            cond("Ready", "False", "DependencyNotReady", dep_msg, first_fail, gen),
            released36,
            cond("Reconciling", "True", "ProgressingWithRetry", dep_msg, first_visit, gen),
        ]
        return gen, facts.get("drift_last", first_fail) + ms(20, 40), st
    # adopted without a Helm action: summarize() copies the old short Released message (HC 5.2 step 6)
    first_clean = next(e for _, e, _, c in recs if c)
    st["conditions"] = [
        cond("Ready", "True", "UpgradeSucceeded", "Helm upgrade succeeded", first_clean, gen),
        released36,
    ]
    return gen, last_write, st


def fields_v1(obj, dot=False):
    if isinstance(obj, dict):
        out = {".": {}} if dot else {}
        out.update({f"f:{k}": fields_v1(v) for k, v in obj.items()})
        return out
    return {}  # scalars and atomic lists (dependsOn, conditions, history)


def build_helmrelease(r):
    gen, status_time, status = build_status(r)
    ch = r.get("change")
    created = t(r["created"])
    chart_spec = {
        "chart": r["name"],
        "version": r["ver"],
        "interval": "1h",
        "sourceRef": {"kind": "HelmRepository", "name": REPO[r["name"]], "namespace": "flux-system"},
    }
    spec = {"chart": {"spec": chart_spec}, "interval": "10m", "values": r["values"]}
    if r["deps"]:
        dns, dname = r["deps"].split("/")
        spec["dependsOn"] = [{"name": dname, "namespace": dns}]
    if r.get("timeout"):
        spec["timeout"] = r["timeout"]
    if r.get("stale_after_deps"):
        spec["driftDetection"] = {"mode": "enabled"}  # HC 6.2; an HPA also scales the Deployment
    labels = {"kustomize.toolkit.fluxcd.io/name": r["ns"], "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
    if ch:
        apply_time, apply_api = t(ch["at"]), "helm.toolkit.fluxcd.io/v2beta2"
    elif r.get("change36"):
        apply_time, apply_api = t(r["change36"]["at"]), "helm.toolkit.fluxcd.io/v2beta1"
    else:
        apply_time, apply_api = t(r["last36"][0]) - NS, "helm.toolkit.fluxcd.io/v2beta1"
    status_api = (
        "helm.toolkit.fluxcd.io/v2beta1" if r["first37"] is None and r["rev"] else "helm.toolkit.fluxcd.io/v2beta2"
    )
    fin_api = "helm.toolkit.fluxcd.io/v2beta2" if ch and ch["kind"] == "create" else "helm.toolkit.fluxcd.io/v2beta1"
    managed = [
        {
            "apiVersion": apply_api,
            "fieldsType": "FieldsV1",
            "manager": "kustomize-controller",
            "operation": "Apply",
            "time": rfc3339(apply_time),
            "fieldsV1": {"f:metadata": {"f:labels": {f"f:{k}": {} for k in labels}}, "f:spec": fields_v1(spec)},
        },
        {
            "apiVersion": fin_api,
            "fieldsType": "FieldsV1",
            "manager": "helm-controller",
            "operation": "Update",
            "time": rfc3339(created + NS),
            "fieldsV1": {"f:metadata": {"f:finalizers": {".": {}, 'v:"finalizers.fluxcd.io"': {}}}},
        },
        {
            "apiVersion": status_api,
            "fieldsType": "FieldsV1",
            "manager": "helm-controller",
            "operation": "Update",
            "subresource": "status",
            "time": rfc3339(status_time),
            "fieldsV1": {"f:status": fields_v1(status, dot=True)},
        },
    ]
    chart_spec["reconcileStrategy"] = "ChartVersion"  # CRD default, served on read
    meta = {
        "name": r["name"],
        "namespace": r["ns"],
        "uid": HR_UID[hr_key(r)],
        "generation": gen,
        "creationTimestamp": r["created"],
        "resourceVersion": resource_version(status_time, 5),
        "labels": labels,
        "finalizers": ["finalizers.fluxcd.io"],
        "managedFields": managed,
    }
    # the client asked for the preferred version: apiVersion says nothing about the writer (HC 0.2)
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2beta2",
        "kind": "HelmRelease",
        "metadata": meta,
        "spec": spec,
        "status": status,
    }


# ==== flux-system workloads (PodList, DeploymentList, NamespaceList; typed => struct field order) ====
def controller_args(deploy):
    args = [
        "--events-addr=http://notification-controller.flux-system.svc.cluster.local./",
        "--watch-all-namespaces=true",
        "--log-level=info",
        "--log-encoding=json",
        "--enable-leader-election",
    ]
    return args[1:] if deploy == "notification-controller" else args


def container_spec(deploy, image):
    return {
        "name": "manager",
        "image": image,
        "args": controller_args(deploy),
        "ports": [
            {"name": "http-prom", "containerPort": 8080, "protocol": "TCP"},
            {"name": "healthz", "containerPort": 9440, "protocol": "TCP"},
        ],
        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "64Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }


def pod_conditions(start, ready_at):
    return [
        {"type": ty, "status": "True", "lastProbeTime": None, "lastTransitionTime": rfc3339(at)}
        for ty, at in (
            ("Initialized", start),
            ("Ready", ready_at),
            ("ContainersReady", ready_at),
            ("PodScheduled", start - NS),
        )
    ]


def build_pods():
    items, hc_uid = [], None
    for name, deploy, image, prev_image, start, cstart in PODS:
        uid, rs, ip = rand_uuid(), name.rsplit("-", 1)[0], f"10.244.2.{17 + len(items)}"
        hc_uid = hc_uid or uid
        ready_at = t(cstart) + 1 * NS
        last = (
            {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": rfc3339(OLD_START),
                    "finishedAt": rfc3339(OLD_STOP),
                    "containerID": f"containerd://{rand_hex(64)}",
                }
            }
            if prev_image
            else {}
        )  # brief: in-place restart of `manager`, restartCount 1
        cs = {
            "name": "manager",
            "state": {"running": {"startedAt": rfc3339(t(cstart))}},
            "lastState": last,
            "ready": True,
            "restartCount": 1 if prev_image else 0,
            "image": image,
            "imageID": f"{image.split(':')[0]}@sha256:{rand_hex(64)}",
            "containerID": f"containerd://{rand_hex(64)}",
            "started": True,
        }
        items.append(
            {
                "metadata": {
                    "name": name,
                    "generateName": rs + "-",
                    "namespace": "flux-system",
                    "uid": uid,
                    "resourceVersion": resource_version(ready_at, 2),
                    "creationTimestamp": rfc3339(t(start) - NS),
                    "labels": {"app": deploy, "pod-template-hash": rs.rsplit("-", 1)[1]},
                    "annotations": {"prometheus.io/port": "8080", "prometheus.io/scrape": "true"},
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "ReplicaSet",
                            "name": rs,
                            "uid": rand_uuid(),
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                },
                "spec": {
                    "containers": [container_spec(deploy, image)],
                    "restartPolicy": "Always",
                    "terminationGracePeriodSeconds": 600 if deploy == "helm-controller" else 60,
                    "dnsPolicy": "ClusterFirst",
                    "serviceAccountName": deploy,
                    "serviceAccount": deploy,
                    "nodeName": NODE,
                    "securityContext": {"fsGroup": 1337},
                    "schedulerName": "default-scheduler",
                    "priorityClassName": "system-cluster-critical",
                    "priority": 2000000000,
                },
                "status": {
                    "phase": "Running",
                    "conditions": pod_conditions(t(start), ready_at),
                    "hostIP": "10.0.12.34",
                    "podIP": ip,
                    "podIPs": [{"ip": ip}],
                    "startTime": rfc3339(t(start)),
                    "containerStatuses": [cs],
                    "qosClass": "Burstable",
                },
            }
        )
    return {
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": resource_version(COLLECTED)},
        "items": items,
    }, hc_uid


def build_deployments():
    items, at = [], rfc3339(t("09:02:12"))
    for name, deploy, image, _, _, _ in PODS:
        rs = name.rsplit("-", 1)[0]
        labels = {
            "app.kubernetes.io/component": deploy,
            "app.kubernetes.io/instance": "flux-system",
            "app.kubernetes.io/part-of": "flux",
            "app.kubernetes.io/version": "v2.2.2",
            "control-plane": "controller",
        }
        template = {
            "metadata": {
                "labels": {"app": deploy},
                "annotations": {"prometheus.io/port": "8080", "prometheus.io/scrape": "true"},
            },
            "spec": {
                "containers": [container_spec(deploy, image)],
                "serviceAccountName": deploy,
                "terminationGracePeriodSeconds": 600 if deploy == "helm-controller" else 60,
            },
        }
        conditions = [
            {
                "type": "Available",
                "status": "True",
                "lastUpdateTime": at,
                "lastTransitionTime": at,
                "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": at,
                "lastTransitionTime": "2023-08-28T09:05:41Z",
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{rs}" has successfully progressed.',
            },
        ]
        items.append(
            {
                "metadata": {
                    "name": deploy,
                    "namespace": "flux-system",
                    "uid": rand_uuid(),
                    "resourceVersion": resource_version(t("09:02:12"), 4),
                    "generation": 3,
                    "creationTimestamp": "2023-08-28T09:05:41Z",
                    "labels": labels,
                    "annotations": {"deployment.kubernetes.io/revision": "3"},
                },
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": deploy}},
                    "template": template,
                    "strategy": {"type": "RollingUpdate"},
                    "revisionHistoryLimit": 10,
                    "progressDeadlineSeconds": 600,
                },
                "status": {
                    "observedGeneration": 3,
                    "replicas": 1,
                    "updatedReplicas": 1,
                    "readyReplicas": 1,
                    "availableReplicas": 1,
                    "conditions": conditions,
                },
            }
        )
    return {
        "kind": "DeploymentList",
        "apiVersion": "apps/v1",
        "metadata": {"resourceVersion": resource_version(COLLECTED)},
        "items": items,
    }


def build_namespaces():
    items = [
        {
            "metadata": {
                "name": n,
                "uid": rand_uuid(),
                "resourceVersion": str(1200 + i),
                "creationTimestamp": "2023-08-28T09:05:12Z",
                "labels": {"kubernetes.io/metadata.name": n},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }
        for i, n in enumerate(["apps", "flux-system", "infra", "monitoring"])
    ]
    return {
        "kind": "NamespaceList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": resource_version(COLLECTED)},
        "items": items,
    }
