"""What every per-rule case is made of: the HelmRelease, condition, Event and log-line builders,
the folder writer, the rules whose cases are generated (GENERATED) and a flux-system pods list."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

CASES = Path(__file__).resolve().parents[1] / "cases"
GENERATED = (
    "ST002",
    "HR001",
    "HR002",
    "HR003",
    "HR004",
    "HR005",
    "HR006",
    "HR007",
    "HR008",
    "SC001",
    "VL001",
    "DP002",
    "DR001",
    "SU001",
    "HC001",
    "EG001",
    "HR009",
    "HR010",
    "HR011",
    "HR012",
    "HR013",
    "HR014",
    "CR001",
    "DP003",
    "ST003",
    "ST004",
    "DR002",
)
CTX = {"controller": "helmrelease", "controllerGroup": "helm.toolkit.fluxcd.io", "controllerKind": "HelmRelease"}
DAY = "2024-03-05T"


def ts(clock: str) -> str:
    return f"{DAY}{clock}Z"


def long_ok(action: str, rel: str, rev: int, chart: str) -> str:  # §3.2 / §4.2
    return f"Helm {action} succeeded for release {rel}.v{rev} with chart {chart}"


def cond(ctype, status, reason, message, clock, gen=None):
    c = {"lastTransitionTime": ts(clock), "message": message, "reason": reason, "status": status, "type": ctype}
    if gen is not None:
        c["observedGeneration"] = gen
    return c


def hr(
    ns,
    name,
    conditions,
    *,
    version="1.0.0",
    gen=2,
    rev=2,
    v036=False,
    suspend=False,
    depends=None,
    history_status="deployed",
    drift=False,
    **status_extra,
):
    spec = {
        "chart": {
            "spec": {
                "chart": name,
                "version": version,
                "sourceRef": {"kind": "HelmRepository", "name": "charts", "namespace": "flux-system"},
            }
        },
        "interval": "10m",
    }
    if suspend:
        spec["suspend"] = True
    if depends:
        spec["dependsOn"] = [{"name": d.split("/")[1], "namespace": d.split("/")[0]} for d in depends]
    if drift:
        spec["driftDetection"] = {"mode": "enabled"}
    if v036:  # §5.1 v2beta1 shape
        status = {
            "conditions": [{k: v for k, v in c.items() if k != "observedGeneration"} for c in conditions],
            "helmChart": f"flux-system/{ns}-{name}",
            "lastAppliedRevision": version,
            "lastAttemptedRevision": version,
            "lastAttemptedValuesChecksum": "5f1e3d2c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e",
            "lastReleaseRevision": rev,
            "observedGeneration": gen,
        }
    else:
        status = {
            "conditions": conditions,
            "helmChart": f"flux-system/{ns}-{name}",
            "history": [
                {
                    "chartName": name,
                    "chartVersion": version,
                    "configDigest": "sha256:" + "3c" * 32,
                    "digest": "sha256:" + "7a" * 32,
                    "firstDeployed": ts("08:00:00"),
                    "lastDeployed": ts("09:00:00"),
                    "name": name,
                    "namespace": ns,
                    "status": history_status,
                    "version": rev,
                }
            ],
            "lastAttemptedConfigDigest": "sha256:" + "3c" * 32,
            "lastAttemptedGeneration": gen,
            "lastAttemptedReleaseAction": "upgrade",
            "lastAttemptedRevision": version,
            "observedGeneration": gen,
            "storageNamespace": ns,
        }
    status.update(status_extra)
    api = (
        "helm.toolkit.fluxcd.io/v2beta1" if v036 else "helm.toolkit.fluxcd.io/v2"
    )  # a v0.36 cluster serves v2beta1 only
    return {
        "apiVersion": api,
        "kind": "HelmRelease",
        "metadata": {"generation": gen, "name": name, "namespace": ns, "uid": f"uid-{ns}-{name}"},
        "spec": spec,
        "status": status,
    }


def healthy(ns="good", name="podinfo", version="6.5.4", clock="09:00:31"):
    msg = long_ok("upgrade", f"{ns}/{name}", 3, f"{name}@{version}")
    return hr(
        ns,
        name,
        [
            cond("Ready", "True", "UpgradeSucceeded", msg, clock, 2),
            cond("Released", "True", "UpgradeSucceeded", msg, clock, 2),
        ],
        version=version,
        rev=3,
    )


def failed(ns, name, reason, message, clock="09:05:00", *, released=None, extra=(), **kw):
    conds = [
        cond("Ready", "False", reason, message, clock, 2),
        cond("Released", "False", released or reason, message, clock, 2),
        *extra,
    ]
    return hr(ns, name, conds, **kw)


def event(
    ns,
    name,
    reason,
    message,
    first,
    last=None,
    count=1,
    etype=None,
    annotations=None,
    kind="HelmRelease",
    component="helm-controller",
):
    etype = etype or ("Warning" if reason.endswith("Failed") or reason in ("DriftDetected", "error") else "Normal")
    digest = hashlib.sha256(f"{ns}/{name}/{reason}/{first}".encode()).hexdigest()[:16]  # stable across runs
    meta = {"name": f"{name}.{digest}", "namespace": ns, "uid": f"ev-{ns}-{name}-{reason}-{first}"}
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta,
        "involvedObject": {"kind": kind, "namespace": ns, "name": name},
        "reason": reason,
        "message": message,
        "type": etype,
        "count": count,
        "firstTimestamp": ts(first),
        "lastTimestamp": ts(last or first),
        "source": {"component": component},
        "eventTime": None,
    }


def log(clock, ns, name, msg, rid="5b0f2c7e-8d1a-4b3c-9e6f-0a7d4c1b8e2f", level="info", error=None, logger=None):
    rec = {"level": level, "ts": f"{DAY}{clock}Z"}
    if logger:
        rec["logger"] = logger
    rec["msg"] = msg
    if ns:
        rec.update(CTX, HelmRelease={"name": name, "namespace": ns}, namespace=ns, name=name, reconcileID=rid)
    if error:
        rec["error"] = error
    return json.dumps(rec, separators=(",", ":"))


def write(case: str, releases=(), events=(), logs=(), extra: dict | None = None):
    folder = CASES / case
    folder.mkdir(parents=True)
    if releases:
        (folder / "helmreleases.yaml").write_text(
            yaml.safe_dump(
                {"apiVersion": "v1", "items": list(releases), "kind": "List", "metadata": {"resourceVersion": ""}},
                sort_keys=True,
                width=1000,
            )
        )
    if events:
        (folder / "events.yaml").write_text(
            yaml.safe_dump(
                {"apiVersion": "v1", "items": list(events), "kind": "List", "metadata": {"resourceVersion": ""}},
                sort_keys=True,
                width=1000,
            )
        )
    if logs:
        (folder / "helm-controller.log").write_text("\n".join(logs) + "\n")
    for name, text in (extra or {}).items():
        (folder / name).write_text(text)


HELM_TAIL = (  # §3.2: "\n\nLast Helm logs:\n\n" + "<RFC3339Nano>: <line>"; wait lines from Helm's pkg/kube/ready.go
    "\n\nLast Helm logs:\n\n"
    "2024-03-05T09:00:05.101234567Z: beginning wait for 4 resources with timeout of 5m0s\n"
    "2024-03-05T09:04:58.902345678Z: Deployment is not ready: bad/web. 0 out of 2 expected pods are ready"
)


def pods_yaml(version: str, gates: str | None = None) -> str:
    """`kubectl get pods -n flux-system -o yaml` of one helm-controller pod (image tag, args)."""
    image = f"ghcr.io/fluxcd/helm-controller:{version}"
    args = [
        "--events-addr=http://notification-controller.flux-system.svc.cluster.local./",
        "--watch-all-namespaces=true",
        "--log-level=info",
        "--log-encoding=json",
        "--enable-leader-election",
    ]
    if gates:
        args.append(f"--feature-gates={gates}")
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "helm-controller-6d8f7c9b5-q2w7x",
            "namespace": "flux-system",
            "labels": {"app": "helm-controller"},
        },
        "spec": {"containers": [{"name": "manager", "image": image, "args": args}]},
        "status": {
            "containerStatuses": [
                {
                    "name": "manager",
                    "image": image,
                    "restartCount": 0,
                    "ready": True,
                    "state": {"running": {"startedAt": ts("06:00:00")}},
                }
            ]
        },
    }
    return yaml.safe_dump({"apiVersion": "v1", "items": [pod], "kind": "List"}, sort_keys=True, width=1000)
