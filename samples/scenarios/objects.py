"""Kubernetes objects as the collectors save them (HelmRelease, HelmChart, HelmRepository,
OCIRepository, pods, namespaces, Helm storage), and the writers of the bundle layouts.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from scenarios.engine import hc_uid
from scenarios.formats import NS, T, fields_v1, go_json, go_time_string, helm_tail_v037, rfc3339


# ==== object builders =========================================================================
def cond(ctype, status, reason, message, ltt, og=None):
    c = {"lastTransitionTime": rfc3339(ltt), "message": message, "reason": reason, "status": status, "type": ctype}
    if og is not None:  # v0.36 never writes condition observedGeneration (HC 4.1)
        c["observedGeneration"] = og
    return c


def sort_conds(conds):
    """fluxcd/pkg runtime/conditions: Ready first, then by type."""
    return sorted(conds, key=lambda c: (c["type"] != "Ready", c["type"]))


def kustomize_labels(ks):
    return {
        "kustomize.toolkit.fluxcd.io/name": ks,
        "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
    }


def hr_object(r, api):
    """A HelmRelease as the API returns it (unstructured; keys sorted on output)."""
    s = r.scn
    chart_spec = {
        "chart": r.chart,
        "interval": "1h",
        "reconcileStrategy": "ChartVersion",
        "sourceRef": {"kind": "HelmRepository", "name": r.repo, "namespace": "flux-system"},
        "version": r.ver,
    }
    chart_ref = getattr(r, "chart_ref", None)  # spec.chartRef (v1.0+): no chart template, no HelmChart
    spec = {"chartRef": chart_ref} if chart_ref else {"chart": {"spec": chart_spec}}
    spec.update(interval=r.interval, values=r.values)
    if r.timeout:
        spec["timeout"] = r.timeout
    if r.deps:
        spec["dependsOn"] = [{"name": d.split("/")[1], "namespace": d.split("/")[0]} for d in r.deps]
    spec.update(r.spec_extra)
    labels = kustomize_labels(r.ns)
    applied = {k: v for k, v in spec.items() if k != "suspend" or not r.managed}
    if not chart_ref:
        applied_chart = dict(chart_spec)
        applied_chart.pop("reconcileStrategy")
        applied["chart"] = {"spec": applied_chart}
    managed = (
        [
            {
                "apiVersion": r.apply_api,
                "fieldsType": "FieldsV1",
                "manager": "kustomize-controller",
                "operation": "Apply",
                "time": rfc3339(r.apply_time),
                "fieldsV1": {"f:metadata": {"f:labels": {f"f:{k}": {} for k in labels}}, "f:spec": fields_v1(applied)},
            },
            {
                "apiVersion": r.fin_api,
                "fieldsType": "FieldsV1",
                "manager": "helm-controller",
                "operation": "Update",
                "time": rfc3339(r.fin_time),
                "fieldsV1": {"f:metadata": {"f:finalizers": {".": {}, 'v:"finalizers.fluxcd.io"': {}}}},
            },
        ]
        + r.managed
        + [
            {
                "apiVersion": r.status_api,
                "fieldsType": "FieldsV1",
                "manager": "helm-controller",
                "operation": "Update",
                "subresource": "status",
                "time": rfc3339(r.status_time),
                "fieldsV1": {"f:status": fields_v1(r.status, dot=True)},
            },
        ]
    )
    last_write = max([r.apply_time, r.fin_time, r.status_time] + [T(m["time"]) for m in r.managed])
    meta = {
        "creationTimestamp": rfc3339(r.created),
        "finalizers": ["finalizers.fluxcd.io"],
        "generation": r.gen,
        "labels": labels,
        "managedFields": managed,
        "name": r.name,
        "namespace": r.ns,
        "resourceVersion": s.rv(last_write, 5),
        "uid": r.uid,
    }
    if r.annotations:
        meta["annotations"] = r.annotations
    return {"apiVersion": api, "kind": "HelmRelease", "metadata": meta, "spec": spec, "status": r.status}


def helmchart_object(s, r, api, gen, observed_gen, artifact_ver, conditions, created, index_rev, sc_time):
    """source-controller HelmChart built from the HelmRelease's template (HC 2.2)."""
    path = f"helmchart/flux-system/{r.hc_name}/{r.chart}-{artifact_ver}.tgz"
    st = {
        "conditions": conditions,
        "observedChartName": r.chart,
        "observedGeneration": observed_gen,
        "observedSourceArtifactRevision": index_rev,
        "url": f"http://source-controller.flux-system.svc.cluster.local./{path.rsplit('/', 1)[0]}/latest.tar.gz",
    }
    if artifact_ver:
        st["artifact"] = {
            "digest": "sha256:" + hashlib.sha256(path.encode()).hexdigest(),
            "lastUpdateTime": rfc3339(sc_time),
            "path": path,
            "revision": artifact_ver,
            "size": 10_000 + int(hashlib.sha1(path.encode()).hexdigest()[:4], 16),
            "url": f"http://source-controller.flux-system.svc.cluster.local./{path}",
        }
    meta = {
        "creationTimestamp": rfc3339(created),
        "finalizers": ["finalizers.fluxcd.io"],
        "generation": gen,
        "labels": {"helm.toolkit.fluxcd.io/name": r.name, "helm.toolkit.fluxcd.io/namespace": r.ns},
        "name": r.hc_name,
        "namespace": "flux-system",
        "resourceVersion": s.rv(sc_time, 6),
        "uid": hc_uid(s, r),
    }
    spec = {
        "chart": r.chart,
        "interval": "1h",
        "reconcileStrategy": "ChartVersion",
        "sourceRef": {"kind": "HelmRepository", "name": r.repo},
        "version": r.ver,
    }
    return {"apiVersion": api, "kind": "HelmChart", "metadata": meta, "spec": spec, "status": st}


def chart_ready_conds(r, ver, ltt, gen, reason="ChartPullSucceeded"):
    """source-controller v1.x: Ready/ArtifactInStorage True with Build.Summary() (builder.go)."""
    msg = f"pulled '{r.chart}' chart with version '{ver}'"
    return [cond("Ready", "True", reason, msg, ltt, gen), cond("ArtifactInStorage", "True", reason, msg, ltt, gen)]


def helmrepo_object(s, name, url, api, created, index_rev, fetched, interval="1h"):
    path = f"helmrepository/flux-system/{name}/index-{index_rev.split(':')[1][:16]}.yaml"
    msg = f"stored artifact: revision '{index_rev}'"
    return {
        "apiVersion": api,
        "kind": "HelmRepository",
        "metadata": {
            "creationTimestamp": rfc3339(created),
            "finalizers": ["finalizers.fluxcd.io"],
            "generation": 1,
            "labels": kustomize_labels("flux-system"),
            "name": name,
            "namespace": "flux-system",
            "resourceVersion": s.rv(fetched, 8),
            "uid": s.uuid(),
        },
        "spec": {"interval": interval, "provider": "generic", "timeout": "1m0s", "url": url},
        "status": {
            "artifact": {
                "digest": index_rev,
                "lastUpdateTime": rfc3339(fetched),
                "path": path,
                "revision": index_rev,
                "size": 1_200_000 + len(name) * 7919,
                "url": f"http://source-controller.flux-system.svc.cluster.local./{path}",
            },
            "conditions": [
                cond("Ready", "True", "Succeeded", msg, fetched, 1),
                cond("ArtifactInStorage", "True", "Succeeded", msg, fetched, 1),
            ],
            "observedGeneration": 1,
            "url": f"http://source-controller.flux-system.svc.cluster.local./{path.rsplit('/', 1)[0]}/index.yaml",
        },
    }


def controller_container(deploy, image, mem_limit="1Gi", log_level="info"):
    args = [
        "--events-addr=http://notification-controller.flux-system.svc.cluster.local./",
        "--watch-all-namespaces=true",
        f"--log-level={log_level}",
        "--log-encoding=json",
        "--enable-leader-election",
    ]
    if deploy == "notification-controller":
        args = args[1:]
    return {
        "name": "manager",
        "image": image,
        "args": args,
        "ports": [
            {"name": "http-prom", "containerPort": 8080, "protocol": "TCP"},
            {"name": "healthz", "containerPort": 9440, "protocol": "TCP"},
        ],
        "resources": {"limits": {"cpu": "1", "memory": mem_limit}, "requests": {"cpu": "100m", "memory": "64Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }


def pod_object(
    s, name, deploy, image, node, pod_start, run_start, restarts=0, last_state=None, mem="1Gi", extra_args=()
):
    """A flux-system controller pod (typed object: struct field order)."""
    rs = name.rsplit("-", 1)[0]
    ready_at = run_start + 1 * NS + s.ms(100, 900)
    c = controller_container(deploy, image, mem)
    c["args"] = c["args"] + list(extra_args)
    cs = {
        "name": "manager",
        "state": {"running": {"startedAt": rfc3339(run_start)}},
        "lastState": last_state or {},
        "ready": True,
        "restartCount": restarts,
        "image": image,
        "imageID": f"{image.split(':')[0]}@sha256:{hashlib.sha256(image.encode()).hexdigest()}",
        "containerID": f"containerd://{s.hex(64)}",
        "started": True,
    }
    conds = [
        {"type": ty, "status": "True", "lastProbeTime": None, "lastTransitionTime": rfc3339(at)}
        for ty, at in (
            ("Initialized", pod_start),
            ("Ready", ready_at),
            ("ContainersReady", ready_at),
            ("PodScheduled", pod_start - NS),
        )
    ]
    ip = f"10.244.{3 + len(name) % 4}.{20 + sum(map(ord, name)) % 200}"
    return {
        "metadata": {
            "name": name,
            "generateName": rs + "-",
            "namespace": "flux-system",
            "uid": s.uuid(),
            "resourceVersion": s.rv(max(ready_at, run_start), 2),
            "creationTimestamp": rfc3339(pod_start - NS),
            "labels": {"app": deploy, "pod-template-hash": rs.rsplit("-", 1)[1]},
            "annotations": {"prometheus.io/port": "8080", "prometheus.io/scrape": "true"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": rs,
                    "uid": s.uuid(),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "containers": [c],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 600 if deploy.startswith("helm-controller") else 60,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": deploy.split("-shard")[0],
            "serviceAccount": deploy.split("-shard")[0],
            "nodeName": node,
            "securityContext": {"fsGroup": 1337},
            "schedulerName": "default-scheduler",
            "priorityClassName": "system-cluster-critical",
            "priority": 2000000000,
        },
        "status": {
            "phase": "Running",
            "conditions": conds,
            "hostIP": "10.0.12." + str(30 + len(node)),
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "startTime": rfc3339(pod_start),
            "containerStatuses": [cs],
            "qosClass": "Burstable",
        },
    }


def namespace_list(s, names, created):
    items = [
        {
            "metadata": {
                "name": n,
                "uid": s.uuid(),
                "resourceVersion": str(1200 + i),
                "creationTimestamp": rfc3339(created),
                "labels": {"kubernetes.io/metadata.name": n},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }
        for i, n in enumerate(sorted(names))
    ]
    return {"kind": "NamespaceList", "apiVersion": "v1", "metadata": {"resourceVersion": s.rv(s.C)}, "items": items}


def helm_collector(s, rels):
    """troubleshoot `helm` collector (pkg/collect/helm.go): helm/<ns>.json, json.MarshalIndent(.., "", "\\t").
    It lists releases with action.NewList (StateMask deployed|failed, latest revision only), so a release
    whose latest revision is pending-* is missing; history comes in API (secret name) order."""
    by_ns = {}
    for r in sorted(rels, key=lambda r: (r.ns, r.name)):
        if not r.revs:
            continue
        latest = r.revs[r.last_rev()]
        if latest["status"] not in ("deployed", "failed"):
            continue
        names = sorted(r.revs, key=lambda n: f"sh.helm.release.v1.{r.name}.v{n}")
        hist = [
            {"revision": str(n), "date": go_time_string(r.revs[n]["last"]), "status": r.revs[n]["status"]}
            for n in names
        ]
        for h, n in zip(hist, names):
            if r.revs[n]["status"].startswith("pending"):
                h["isPending"] = True
        info = {"releaseName": r.name, "chart": r.chart, "chartVersion": latest["ver"]}
        if latest["app"]:
            info["appVersion"] = latest["app"]
        info.update(namespace=r.ns, releaseHistory=hist)
        by_ns.setdefault(r.ns, []).append(info)
    return {ns: go_json(v, indent="\t") for ns, v in by_ns.items()}


def helm_collector_release(s, r):
    """troubleshoot `helm` collector with releaseName set: helm/<ns>/<release>.json from action.NewGet (the
    latest revision, whatever its status) plus the whole history, isPending set for pending-* revisions."""
    names = sorted(r.revs, key=lambda n: f"sh.helm.release.v1.{r.name}.v{n}")
    hist = []
    for n in names:
        h = {"revision": str(n), "date": go_time_string(r.revs[n]["last"]), "status": r.revs[n]["status"]}
        if r.revs[n]["status"].startswith("pending"):
            h["isPending"] = True
        hist.append(h)
    latest = r.revs[r.last_rev()]
    info = {"releaseName": r.name, "chart": r.chart, "chartVersion": latest["ver"]}
    if latest["app"]:
        info["appVersion"] = latest["app"]
    info.update(namespace=r.ns, releaseHistory=hist)
    return go_json([info], indent="\t")


# ==== writers ===============================================================================
def write(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def symlink(link: Path, target_file: Path):
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(target_file, link.parent))


def log_text(s, cid):
    return "".join(line + "\n" for _, _, line in sorted(s.logs.get(cid, []), key=lambda x: (x[0], x[1])))


def event_lists_by_ns(s, events):
    by = {}
    for e in events:
        by.setdefault(e["metadata"]["namespace"], []).append(e)
    return {ns: sorted(v, key=lambda e: e["metadata"]["name"]) for ns, v in by.items()}


def write_troubleshoot(s, out: Path, namespaces, crs, pods_by_ns, logs, events, helm_files, version="v0.78.1"):
    """troubleshoot.sh support bundle, unpacked (ECO 1a)."""
    write(
        out / "version.yaml",
        f"apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: {version}\n",
    )
    cr = out / "cluster-resources"
    write(cr / "namespaces.json", go_json(namespace_list(s, namespaces, T("2023-06-01T10:00:00Z"))))
    for ns, pods in pods_by_ns.items():
        write(
            cr / "pods" / f"{ns}.json",
            go_json({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": s.rv(s.C)}, "items": pods}),
        )
    for (plural, ns), objs in sorted(crs.items()):
        d = cr / "custom-resources" / plural
        write(d / f"{ns}.json", go_json(objs, sort_keys=True))  # bare array, maps => sorted keys
        symlink(d / f"{ns}.yaml", d / f"{ns}.json")  # YAML twin is a symlink since #2117
    for ns, items in sorted(event_lists_by_ns(s, events).items()):
        write(
            cr / "events" / f"{ns}.json",
            go_json(
                {"kind": "EventList", "apiVersion": "v1", "metadata": {"resourceVersion": s.rv(s.C)}, "items": items}
            ),
        )
    for pod, container, text in logs:
        p = cr / "pods" / "logs" / "flux-system" / pod / f"{container}.log"
        write(p, text)
        symlink(out / "helm-controller" / pod / f"{container}.log", p)  # logs collector symlink
    for name, text in sorted(helm_files.items()):
        write(out / "helm" / f"{name}.json", text)


def helm4_tail(lines):
    """helm-controller >= v1.5.0 (Helm 4, slog): each buffered line is '<msg>: <JSON of the record's
    attributes>' (json.Marshal of a map: keys sorted), with 'warning: '/'error: ' for those levels
    (internal/action/log.go LogBuffer.Handle, HC 10.1 W7); printed like v0.37's buffer."""
    return helm_tail_v037(
        [(t, f"{msg}: {json.dumps(attrs, sort_keys=True, separators=(',', ':'))}") for t, msg, attrs in lines]
    )


def ocirepo_object(s, ns, name, url, tag, digest, created, fetched):
    """source-controller v1.9 OCIRepository with its artifact (revision `<tag>@sha256:<digest>`)."""
    rev = f"{tag}@sha256:{digest}"
    path = f"ocirepository/{ns}/{name}/sha256:{digest}.tar.gz"
    msg = f"stored artifact for digest '{rev}'"
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "OCIRepository",
        "metadata": {
            "creationTimestamp": rfc3339(created),
            "finalizers": ["finalizers.fluxcd.io"],
            "generation": 2,
            "labels": kustomize_labels(ns),
            "name": name,
            "namespace": ns,
            "resourceVersion": s.rv(fetched, 8),
            "uid": s.uuid(),
        },
        "spec": {
            "interval": "5m",
            "layerSelector": {"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "operation": "copy"},
            "ref": {"semver": ">=1.0.0"},
            "url": url,
        },
        "status": {
            "artifact": {
                "digest": "sha256:" + digest,
                "lastUpdateTime": rfc3339(fetched),
                "path": path,
                "revision": rev,
                "size": 24_000 + int(digest[:4], 16),
                "url": f"http://source-controller.flux-system.svc.cluster.local./{path}",
            },
            "conditions": [
                cond("Ready", "True", "Succeeded", msg, fetched, 2),
                cond("ArtifactInStorage", "True", "Succeeded", msg, fetched, 2),
            ],
            "observedGeneration": 2,
            "url": url,
        },
    }
