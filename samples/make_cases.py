"""Build the small per-rule cases in samples/cases/<RULE>/{fires,quiet}-*/ (deterministic).

Each case is a loose folder as an SRE would save it: `helmreleases.yaml` (`kubectl get hr -A
-o yaml`), `events.yaml` (`kubectl get events -A -o yaml`), `helm-controller.log` (`kubectl
logs`), `flux-system-pods.yaml`. Releases a rule must fire on live in namespace `bad`, the
others in `good` (tests/rules/test_cases.py). Every controller string is taken from
../shared/reference/helm-controller.md (section noted in comments).

Run: python samples/make_cases.py   (the MG001, ST001 and DP001 cases are hand-written files)
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import yaml

CASES = Path(__file__).resolve().parent / "cases"
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


def build() -> None:
    for rule in GENERATED:
        shutil.rmtree(CASES / rule, ignore_errors=True)
    up = "Helm upgrade failed for release bad/{0} with chart {0}@{1}: {2}"  # §3.2 UpgradeFailed format

    # ST002 observedGeneration behind: a spec change at 09:00 never reconciled (Ready still True)
    def behind(ns, applied):
        release = healthy(ns, "api", "2.0.0", "08:00:00")
        release["metadata"]["generation"] = 3  # observedGeneration stays 2 (in status and on Ready)
        release["metadata"]["managedFields"] = [
            {
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "fieldsType": "FieldsV1",
                "manager": "kustomize-controller",
                "operation": "Apply",
                "time": ts(applied),
            },
            {
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "fieldsType": "FieldsV1",
                "manager": "helm-controller",
                "operation": "Update",
                "subresource": "status",
                "time": ts("08:00:00"),
            },
        ]
        return release

    other = [
        log("09:30:00.000", "good", "podinfo", "release in-sync with desired state"),
        log("09:40:00.000", "good", "podinfo", "release in-sync with desired state"),
    ]
    write(
        "ST002/fires-spec-change-never-reconciled",
        [behind("bad", "09:00:00"), healthy()],
        logs=[log("08:00:01.000", "bad", "api", "release in-sync with desired state")] + other,
    )
    write(
        "ST002/quiet-spec-changed-moments-ago",
        [behind("good", "09:38:00"), healthy()],
        logs=[log("08:00:01.000", "good", "api", "release in-sync with desired state")] + other,
    )
    write("ST002/quiet-generation-observed", [healthy("good", "api", "2.0.0", "08:00:00")], logs=other)

    # HR001 install-failed
    msg = 'Helm install failed for release bad/app with chart app@1.0.0: rendered manifests contain a resource that already exists. Unable to continue with install: ServiceAccount "app" in namespace "bad" exists and cannot be imported into the current release'
    write(
        "HR001/fires-install-failed",
        [failed("bad", "app", "InstallFailed", msg), healthy()],
        [event("bad", "app", "InstallFailed", msg, "09:05:00")],
    )
    ok = long_ok("install", "good/app", 1, "app@1.0.0")
    write(
        "HR001/quiet-install-recovered",
        [
            hr(
                "good",
                "app",
                [
                    cond("Ready", "True", "InstallSucceeded", ok, "09:07:00", 2),
                    cond("Released", "True", "InstallSucceeded", ok, "09:07:00", 2),
                ],
                rev=1,
            )
        ],
        [
            event("good", "app", "InstallFailed", msg.replace("bad/", "good/"), "09:05:00"),
            event("good", "app", "InstallSucceeded", ok, "09:07:00"),
        ],
    )

    # HR002 upgrade-failed
    err = "post-upgrade hooks failed: job failed: BackoffLimitExceeded"
    write(
        "HR002/fires-v036-upgrade-failed",
        [failed("bad", "api", "UpgradeFailed", f"Helm upgrade failed: {err}", v036=True)],
        [
            event(
                "bad",
                "api",
                "error",
                f"Helm upgrade failed: {err}\n\nLast Helm logs:\n\nwaiting for post-upgrade hooks",
                "09:05:00",
                etype="Warning",
            )
        ],
    )
    write(
        "HR002/fires-events-only",
        events=[
            event("bad", "api", "UpgradeSucceeded", long_ok("upgrade", "bad/api", 4, "api@2.0.0"), "08:00:00"),
            event("bad", "api", "UpgradeFailed", up.format("api", "2.1.0", err), "09:05:00"),
        ],
    )
    write(
        "HR002/quiet-failed-then-succeeded",
        events=[
            event("good", "api", "UpgradeFailed", up.format("api", "2.1.0", err).replace("bad/", "good/"), "09:05:00"),
            event("good", "api", "UpgradeSucceeded", long_ok("upgrade", "good/api", 6, "api@2.1.1"), "09:20:00"),
        ],
    )

    # HR003 rollback-failed: Remediated is the top condition, Ready copies it (§4.2)
    rb = "Helm rollback to previous release bad/app.v3 with chart app@1.2.0 failed: release: not found"
    write(
        "HR003/fires-rollback-failed",
        [
            hr(
                "bad",
                "app",
                [
                    cond("Ready", "False", "RollbackFailed", rb, "09:10:00", 2),
                    cond("Released", "False", "UpgradeFailed", up.format("app", "1.3.0", err), "09:05:00", 2),
                    cond("Remediated", "False", "RollbackFailed", rb, "09:10:00", 2),
                ],
            )
        ],
        [event("bad", "app", "RollbackFailed", rb, "09:10:00")],
    )
    rok = "Helm rollback to previous release good/app.v3 with chart app@1.2.0 succeeded"
    write(
        "HR003/quiet-rollback-succeeded",
        [
            hr(
                "good",
                "app",
                [
                    cond("Ready", "False", "RollbackSucceeded", rok, "09:10:00", 2),
                    cond(
                        "Released",
                        "False",
                        "UpgradeFailed",
                        "Helm upgrade failed for release good/app with chart app@1.3.0: post-upgrade hooks failed: job failed: BackoffLimitExceeded",
                        "09:05:00",
                        2,
                    ),
                    cond("Remediated", "True", "RollbackSucceeded", rok, "09:10:00", 2),
                ],
            )
        ],
    )

    # HR004 test-failed (§3.2 TestFailed format)
    tf = "Helm test failed for release bad/app.v2 with chart app@1.0.0: pod app-test-connection failed"
    write(
        "HR004/fires-test-failed",
        [
            hr(
                "bad",
                "app",
                [
                    cond("Ready", "False", "TestFailed", tf, "09:06:00", 2),
                    cond(
                        "Released",
                        "True",
                        "UpgradeSucceeded",
                        long_ok("upgrade", "bad/app", 2, "app@1.0.0"),
                        "09:05:00",
                        2,
                    ),
                    cond("TestSuccess", "False", "TestFailed", tf, "09:06:00", 2),
                ],
            )
        ],
        [event("bad", "app", "TestFailed", tf, "09:06:00")],
    )
    ts_ok = "Helm test succeeded for release good/app.v2 with chart app@1.0.0: 1 test hook(s) completed successfully"
    write(
        "HR004/quiet-test-succeeded",
        [
            hr(
                "good",
                "app",
                [
                    cond("Ready", "True", "TestSucceeded", ts_ok, "09:06:00", 2),
                    cond("TestSuccess", "True", "TestSucceeded", ts_ok, "09:06:00", 2),
                ],
            )
        ],
    )

    # HR005 timeout
    timed = up.format("web", "2.0.0", "context deadline exceeded")
    write(
        "HR005/fires-v037-names-the-deployment",
        [failed("bad", "web", "UpgradeFailed", timed), healthy()],
        [
            event("bad", "web", "UpgradeFailed", timed + HELM_TAIL, "09:05:00"),
            # kube-scheduler's message for a pod that fits no node
            event(
                "bad",
                "web-6b8f9c7d5-x4k2p",
                "FailedScheduling",
                "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
                "09:00:06",
                "09:04:51",
                count=17,
                etype="Warning",
                kind="Pod",
                component="default-scheduler",
            ),
        ],
        [log("09:00:05.101", "bad", "web", "running 'upgrade' action with timeout of 5m0s")],
    )
    write(
        "HR005/fires-v036",
        [failed("bad", "web", "UpgradeFailed", "Helm upgrade failed: timed out waiting for the condition", v036=True)],
        [
            event(
                "bad",
                "web",
                "error",
                "Helm upgrade failed: timed out waiting for the condition\n\nLast Helm logs:\n\nDeployment is not ready: bad/web. 0 out of 2 expected pods are ready",
                "09:05:00",
                etype="Warning",
            )
        ],
    )
    write(
        "HR005/quiet-timeout-then-success",
        [healthy("good", "web", "2.0.1", "09:30:00")],
        [event("good", "web", "UpgradeFailed", timed.replace("bad/", "good/"), "09:05:00")],
    )

    # HR006 immutable field
    imm = up.format(
        "api",
        "3.0.0",
        'cannot patch "api" with kind Deployment: Deployment.apps "api" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app.kubernetes.io/name":"api-v3"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    )
    write(
        "HR006/fires-selector-immutable",
        [failed("bad", "api", "UpgradeFailed", imm), healthy()],
        [event("bad", "api", "UpgradeFailed", imm, "09:05:00")],
    )
    write("HR006/quiet-healthy", [healthy("good", "api", "3.0.0")])

    # HR007 retries exhausted (§8: Stalled RetriesExceeded; v0.36 "upgrade retries exhausted")
    stalled = cond("Stalled", "True", "RetriesExceeded", "Failed to upgrade after 4 attempt(s)", "09:25:00", 2)
    write(
        "HR007/fires-v037-stalled",
        [failed("bad", "web", "UpgradeFailed", timed, "09:25:00", extra=[stalled], upgradeFailures=4)],
        [event("bad", "web", "UpgradeFailed", timed + HELM_TAIL, "09:05:00", "09:25:00", count=4)],
        [
            log(
                "09:25:01.220",
                "bad",
                "web",
                "Reconciler error",
                level="error",
                error="terminal error: exceeded maximum retries: cannot upgrade release",
            )
        ],
    )
    write(
        "HR007/fires-v036",
        [
            hr(
                "bad",
                "web",
                [
                    cond("Ready", "False", "UpgradeFailed", "upgrade retries exhausted", "09:25:00"),
                    cond(
                        "Released",
                        "False",
                        "UpgradeFailed",
                        "Helm upgrade failed: timed out waiting for the condition",
                        "09:24:00",
                    ),
                ],
                v036=True,
                upgradeFailures=3,
            )
        ],
        [
            event(
                "bad",
                "web",
                "error",
                "reconciliation failed: upgrade retries exhausted",
                "09:25:00",
                "09:40:00",
                count=12,
                etype="Warning",
            )
        ],
    )
    # `kubectl describe hr` of a v0.36-era release: the multi-line failure message (with its
    # Helm log tail) and the Events table with the old `error` reasons (recorded as Normal then)
    describe = "\n".join(
        [
            "Name:         plex",
            "Namespace:    bad",
            "Labels:       <none>",
            "Annotations:  <none>",
            "API Version:  helm.toolkit.fluxcd.io/v2beta1",
            "Kind:         HelmRelease",
            "Metadata:",
            "  Generation:  1",
            "Spec:",
            "  Chart:",
            "    Spec:",
            "      Chart:  ./charts/kube-plex",
            "  Interval:   5m",
            "Status:",
            "  Conditions:",
            "    Last Transition Time:          2024-03-05T09:10:00Z",
            "    Message:                       install retries exhausted",
            "    Reason:                        InstallFailed",
            "    Status:                        False",
            "    Type:                          Ready",
            "    Last Transition Time:          2024-03-05T09:03:00Z",
            "    Message:                       Helm install failed: timed out waiting for the condition",
            "",
            "Last Helm logs:",
            "",
            "Deployment is not ready: bad/plex-kube-plex. 0 out of 1 expected pods are ready",
            "    Reason:                        InstallFailed",
            "    Status:                        False",
            "    Type:                          Released",
            "  Failures:                        1",
            "  Install Failures:                1",
            "  Last Attempted Revision:         0.2.7",
            "  Last Attempted Values Checksum:  da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "  Observed Generation:             1",
            "Events:",
            "  Type    Reason  Age                  From             Message",
            "  ----    ------  ----                 ----             -------",
            "  Normal  error   7m7s                 helm-controller  reconciliation failed: Helm install failed: timed out waiting for the condition",
            "  Normal  error   98s (x15 over 7m7s)  helm-controller  reconciliation failed: install retries exhausted",
            "",
        ]
    )
    write("HR007/fires-describe-install-retries", extra={"describe-hr.txt": describe})
    write(
        "HR007/quiet-first-failure",
        [failed("good", "web", "UpgradeFailed", timed.replace("bad/", "good/"), upgradeFailures=1)],
    )

    # HR008 stuck pending (§8)
    lock = "Helm upgrade failed: another operation (install/upgrade/rollback) is in progress"
    write(
        "HR008/fires-v036-another-operation",
        [failed("bad", "db", "UpgradeFailed", lock, "09:40:00", v036=True)],
        [
            event("bad", "db", "info", "Helm upgrade has started", "08:50:00", "09:40:00", count=6, etype="Normal"),
            event("bad", "db", "error", lock, "08:50:01", "09:40:00", count=6, etype="Warning"),
        ],
    )
    # logs only, with the 2020-era keys (logger "controllers.HelmRelease", request "ns/name";
    # "Reconciler error" with reconcilerKind) and that era's "reconcilation" wording
    old_keys = [
        '{"level":"info","ts":"2024-03-05T09:01:11.273Z","logger":"controllers.HelmRelease","msg":"reconcilation finished in 50.12655ms, next run in 9m0s","controller":"helmrelease","request":"bad/proxy"}',
        '{"level":"error","ts":"2024-03-05T09:01:11.274Z","logger":"controller","msg":"Reconciler error","reconcilerGroup":"helm.toolkit.fluxcd.io","reconcilerKind":"HelmRelease","controller":"helmrelease","name":"proxy","namespace":"bad","error":"Helm upgrade failed: another operation (install/upgrade/rollback) is in progress"}',
        '{"level":"info","ts":"2024-03-05T09:10:19.310Z","logger":"controllers.HelmRelease","msg":"reconcilation finished in 69.439664ms, next run in 9m0s","controller":"helmrelease","request":"bad/proxy"}',
        '{"level":"error","ts":"2024-03-05T09:10:19.310Z","logger":"controller","msg":"Reconciler error","reconcilerGroup":"helm.toolkit.fluxcd.io","reconcilerKind":"HelmRelease","controller":"helmrelease","name":"proxy","namespace":"bad","error":"Helm upgrade failed: another operation (install/upgrade/rollback) is in progress"}',
    ]
    write("HR008/fires-logs-only-2020-keys", logs=old_keys)
    unlock = "Unlock of Helm release bad/db.v5 with chart db@12.1.0 in pending-upgrade state failed: timed out waiting for the condition"
    write(
        "HR008/fires-v037-unlock-failed",
        [failed("bad", "db", "PendingRelease", unlock, history_status="pending-upgrade", rev=5)],
        [event("bad", "db", "PendingRelease", unlock, "09:05:00", etype="Warning")],
        [
            log("09:04:59.001", "bad", "db", "release locked: release with status 'pending-upgrade'"),
            log("09:04:59.120", "bad", "db", "running 'unlock' action with timeout of 5m0s"),
        ],
    )
    unlocked = "Unlocked Helm release good/db.v5 with chart db@12.1.0 in pending-upgrade state"
    write(
        "HR008/quiet-v037-unlocked-itself",
        [healthy("good", "db", "12.1.0", "09:06:00")],
        [
            event("good", "db", "PendingRelease", unlocked, "09:05:00", etype="Normal"),
            event("good", "db", "UpgradeSucceeded", long_ok("upgrade", "good/db", 6, "db@12.1.0"), "09:06:00"),
        ],
    )

    # SC001 chart fetch (§4.2 HelmChartNotReady / v1 SourceNotReady)
    nr = "HelmChart 'flux-system/bad-app' is not ready: invalid chart reference: failed to get chart version for remote reference: no 'app' chart with version matching '9.9.9' found"
    chart = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmChart",
        "metadata": {"name": "bad-app", "namespace": "flux-system"},
        "spec": {"chart": "app", "version": "9.9.9", "sourceRef": {"kind": "HelmRepository", "name": "charts"}},
        "status": {
            "conditions": [
                cond(
                    "Ready",
                    "False",
                    "InvalidChartReference",
                    "invalid chart reference: failed to get chart version for remote reference: no 'app' chart with version matching '9.9.9' found",
                    "09:01:00",
                    3,
                )
            ]
        },
    }
    write(
        "SC001/fires-helmchart-not-ready",
        [failed("bad", "app", "HelmChartNotReady", nr, "09:02:00", version="9.9.9")],
        logs=[log("09:02:00.500", "bad", "app", nr)],
        extra={
            "helmcharts.yaml": yaml.safe_dump(
                {"apiVersion": "v1", "items": [chart], "kind": "List"}, sort_keys=True, width=1000
            )
        },
    )
    write(
        "SC001/fires-v1-source-not-ready",
        [
            failed(
                "bad",
                "app",
                "SourceNotReady",
                "HelmChart 'flux-system/bad-app' is not ready: does not have an artifact",
                "09:02:00",
            )
        ],
    )
    write(
        "SC001/quiet-artifact-missing-then-recovered",
        [healthy("good", "app", "1.0.0", "09:04:00")],
        logs=[
            log("09:02:14.213", "good", "app", "Chart not ready: artifact not found. Retrying in 30s"),
            log("09:03:45.230", "good", "app", "release in-sync with desired state"),
        ],
    )

    # VL001 values missing (§4.2 ValuesError; §2.1 v0.36 InitFailed)
    write(
        "VL001/fires-v037-values-error",
        [
            failed(
                "bad",
                "app",
                "ValuesError",
                "could not resolve Secret chart values reference 'bad/db-creds' with key 'values.yaml': resource not found",
            )
        ],
    )
    write(
        "VL001/fires-v036-init-failed",
        [failed("bad", "app", "InitFailed", "could not find Secret 'bad/db-creds'", v036=True)],
    )
    write("VL001/quiet-healthy", [healthy("good", "app", "1.0.0")])

    # DP002 dependency really failing
    dep_fail = up.format(
        "backend",
        "1.4.0",
        'cannot patch "backend" with kind Deployment: Deployment.apps "backend" is invalid: spec.selector: Invalid value: v1.LabelSelector{}: field is immutable',
    ).replace("bad/", "good/")
    dnr = "dependency 'good/backend' is not ready"
    blocked = hr(
        "bad",
        "frontend",
        [
            cond("Ready", "False", "DependencyNotReady", dnr, "09:06:00", 2),
            cond("Reconciling", "True", "Progressing", "Fulfilling prerequisites", "09:06:00", 2),
        ],
        depends=["good/backend"],
    )
    write(
        "DP002/fires-dependency-upgrade-failed",
        [failed("good", "backend", "UpgradeFailed", dep_fail), blocked],
        logs=[
            log("09:06:00.101", "bad", "frontend", "checking 1 dependencies"),
            log(
                "09:06:00.102", "bad", "frontend", f"dependencies do not meet ready condition ({dnr}): retrying in 30s"
            ),
        ],
    )
    write(
        "DP002/quiet-dependency-ready",
        [
            healthy("good", "backend", "1.4.0", "08:30:00"),
            hr(
                "good",
                "frontend",
                [
                    cond(
                        "Ready",
                        "True",
                        "UpgradeSucceeded",
                        long_ok("upgrade", "good/frontend", 3, "frontend@2.3.1"),
                        "08:40:00",
                        2,
                    )
                ],
                depends=["good/backend"],
            ),
        ],
    )

    # DR001 drift loop (§6.2; events §3.2)
    detected = "Cluster state of release bad/web.v7 has drifted from the desired state:\nDeployment/bad/web changed (0 additions, 1 changes, 0 removals)"
    corrected = "Cluster state of release bad/web.v7 has been corrected:\nDeployment/bad/web configured"
    loop_logs = []
    for i, clock in enumerate(
        (
            "09:00:01",
            "09:00:03",
            "09:00:07",
            "09:00:15",
            "09:00:31",
            "09:01:03",
            "09:02:07",
            "09:04:15",
            "09:08:31",
            "09:17:03",
            "09:32:03",
            "09:47:03",
        )
    ):
        rid = f"6c1d2e3f-4a5b-4c6d-8e7f-{i:012d}"
        loop_logs += [
            log(
                f"{clock}.100",
                "bad",
                "web",
                "detected changes in cluster state: removed: 0, changed: 1, excluded: 0",
                rid,
            ),
            log(f"{clock}.101", "bad", "web", "resource modified", rid, level="debug").replace(
                '"reconcileID"',
                '"resource":"Deployment/bad/web","patch":[{"op":"replace","path":"/spec/replicas","value":2}],"reconcileID"',
            ),
            log(f"{clock}.120", "bad", "web", "running 'correct cluster drift' action with timeout of 5m0s", rid),
        ]
    write(
        "DR001/fires-hpa-replicas-loop",
        [
            hr(
                "bad",
                "web",
                [cond("Ready", "Unknown", "Progressing", "correcting cluster drift", "09:47:03", 2)],
                rev=7,
                drift=True,
            ),
            healthy(),
        ],
        [
            event("bad", "web", "DriftDetected", detected, "09:00:01", "09:47:03", count=12),
            event("bad", "web", "DriftCorrected", corrected, "09:00:01", "09:47:03", count=12),
        ],
        loop_logs,
    )
    # v0.36 with the DetectDrift gate: a diff, then a full Helm upgrade, again and again (§6.1)
    v036_ok = hr(
        "bad",
        "web",
        [
            cond("Ready", "True", "ReconciliationSucceeded", "Release reconciliation succeeded", "09:40:05"),
            cond("Released", "True", "UpgradeSucceeded", "Helm upgrade succeeded", "09:40:05"),
        ],
        v036=True,
        rev=31,
    )
    write(
        "DR001/fires-v036-detectdrift-gate",
        [v036_ok],
        [
            event(
                "bad",
                "web",
                "info",
                "diff in cluster resources compared to release:\n\nDeployment/bad/web configured",
                "09:00:02",
                "09:40:02",
                count=5,
                etype="Normal",
            ),
            event("bad", "web", "info", "Helm upgrade has started", "09:00:03", "09:40:03", count=5, etype="Normal"),
            event("bad", "web", "info", "Helm upgrade succeeded", "09:00:05", "09:40:05", count=5, etype="Normal"),
        ],
    )
    once = detected.replace("bad/", "good/")
    write(
        "DR001/quiet-single-correction",
        [healthy("good", "web", "2.0.0", "08:00:00")],
        [
            event("good", "web", "DriftDetected", once, "09:10:00"),
            event("good", "web", "DriftCorrected", corrected.replace("bad/", "good/"), "09:10:01"),
            event(
                "good",
                "podinfo",
                "UpgradeSucceeded",
                long_ok("upgrade", "good/podinfo", 3, "podinfo@6.5.4"),
                "09:50:00",
            ),
        ],
    )
    write(
        "DR001/quiet-loop-stopped-long-ago",
        [healthy("good", "web", "2.0.0", "06:00:00")],
        [
            event("good", "web", "DriftDetected", once, "06:00:00", "06:30:00", count=8),
            event("good", "web", "DriftCorrected", corrected.replace("bad/", "good/"), "06:00:01", "06:30:01", count=8),
            event(
                "good",
                "podinfo",
                "UpgradeSucceeded",
                long_ok("upgrade", "good/podinfo", 3, "podinfo@6.5.4"),
                "09:50:00",
            ),
        ],
    )

    # SU001 suspended
    write(
        "SU001/fires-suspended",
        [
            hr(
                "bad",
                "app",
                [
                    cond(
                        "Ready",
                        "True",
                        "UpgradeSucceeded",
                        long_ok("upgrade", "bad/app", 2, "app@1.0.0"),
                        "08:00:00",
                        2,
                    )
                ],
                suspend=True,
            ),
            healthy(),
        ],
        logs=[log("09:00:00.001", "bad", "app", "reconciliation is suspended for this object")],
    )
    write("SU001/quiet-resumed", [healthy("good", "app", "1.0.0")])

    # HC001 controller crash during an upgrade (pods: lastState OOMKilled)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "helm-controller-7f9c6d5b8-k2m4p",
            "namespace": "flux-system",
            "labels": {"app": "helm-controller"},
        },
        "spec": {"containers": [{"name": "manager", "image": "ghcr.io/fluxcd/helm-controller:v1.0.1"}]},
        "status": {
            "containerStatuses": [
                {
                    "name": "manager",
                    "image": "ghcr.io/fluxcd/helm-controller:v1.0.1",
                    "restartCount": 3,
                    "ready": True,
                    "state": {"running": {"startedAt": ts("09:03:12")}},
                    "lastState": {
                        "terminated": {
                            "exitCode": 137,
                            "reason": "OOMKilled",
                            "startedAt": ts("08:12:40"),
                            "finishedAt": ts("09:03:10"),
                        }
                    },
                }
            ]
        },
    }
    pods = yaml.safe_dump({"apiVersion": "v1", "items": [pod], "kind": "List"}, sort_keys=True, width=1000)
    crash_logs = [
        log("09:02:30.500", "bad", "big", "release out-of-sync with desired state: release chart changed"),
        log("09:02:30.620", "bad", "big", "running 'upgrade' action with timeout of 10m0s"),
        log(
            "09:02:31.000",
            "good",
            "podinfo",
            "running 'upgrade' action with timeout of 5m0s",
            rid="1e2d3c4b-5a69-4788-9a6b-5c4d3e2f1a0b",
        ),
        log(
            "09:03:40.010",
            "bad",
            "big",
            "release locked: release with status 'pending-upgrade'",
            rid="7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a",
        ),
    ]
    pending = hr(
        "bad",
        "big",
        [cond("Ready", "Unknown", "Progressing", "Running 'upgrade' action with timeout of 10m0s", "09:03:41", 2)],
        history_status="pending-upgrade",
        rev=9,
    )
    write(
        "HC001/fires-oomkilled-mid-upgrade",
        [pending, healthy(clock="09:02:58")],
        [
            event(
                "good",
                "podinfo",
                "UpgradeSucceeded",
                long_ok("upgrade", "good/podinfo", 3, "podinfo@6.5.4"),
                "09:02:58",
            )
        ],
        crash_logs,
        {"flux-system-pods.yaml": pods},
    )
    clean = pods.replace("OOMKilled", "Completed").replace("exitCode: 137", "exitCode: 0")
    write(
        "HC001/quiet-clean-restart",
        [healthy(clock="09:02:58")],
        [
            event(
                "good",
                "podinfo",
                "UpgradeSucceeded",
                long_ok("upgrade", "good/podinfo", 3, "podinfo@6.5.4"),
                "09:02:58",
            )
        ],
        [crash_logs[2]],
        {"flux-system-pods.yaml": clean},
    )

    # EG001 evidence gap
    write(
        "EG001/fires-dependency-not-in-bundle",
        [
            hr(
                "bad",
                "app",
                [
                    cond(
                        "Ready",
                        "False",
                        "DependencyNotReady",
                        "dependency 'platform/postgres' is not ready",
                        "09:06:00",
                        2,
                    )
                ],
                depends=["platform/postgres"],
            ),
            healthy(),
        ],
    )
    # §4.2 StateError: no rule names it, and nothing else in the bundle says more
    write(
        "EG001/fires-not-ready-no-evidence",
        [
            hr(
                "bad",
                "app",
                [
                    cond(
                        "Ready",
                        "False",
                        "StateError",
                        "Could not determine release state: the server has asked for the client to provide credentials",
                        "09:06:00",
                        2,
                    )
                ],
            )
        ],
    )
    # an object with a spec and no status at all (a manifest, or `kubectl describe` cut before Status)
    spec_only = hr("bad", "app", [])
    del spec_only["status"]
    write("EG001/fires-spec-only-object", [spec_only, healthy()])
    # v0.36: Ready says only that retries ran out, and the Released message is gone: the error is missing
    write(
        "EG001/fires-retries-exhausted-cause-missing",
        [
            hr(
                "bad",
                "web",
                [cond("Ready", "False", "UpgradeFailed", "upgrade retries exhausted", "09:25:00")],
                v036=True,
                upgradeFailures=3,
            ),
            healthy(),
        ],
    )
    # Ready=Unknown while an upgrade runs, written moments before the bundle's last line: not unhealthy
    write(
        "EG001/quiet-progressing-at-collection",
        [
            hr(
                "good",
                "web",
                [
                    cond(
                        "Ready",
                        "Unknown",
                        "Progressing",
                        "Running 'upgrade' action with timeout of 5m0s",
                        "09:59:30",
                        2,
                    ),
                    cond(
                        "Reconciling",
                        "True",
                        "Progressing",
                        "Running 'upgrade' action with timeout of 5m0s",
                        "09:59:30",
                        2,
                    ),
                ],
            )
        ],
        logs=[log("09:59:30.120", "good", "web", "running 'upgrade' action with timeout of 5m0s")],
    )
    write(
        "EG001/quiet-explained-failure",
        [
            failed(
                "good",
                "api",
                "UpgradeFailed",
                "Helm upgrade failed for release good/api with chart api@2.1.0: post-upgrade hooks failed: job failed: BackoffLimitExceeded",
            )
        ],
    )

    build_catalog(up, healthy, failed)


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


def build_catalog(up, healthy, failed) -> None:
    """Cases of the labels of helm-controller v1.x (issue 17): each fires on its mechanism and stays
    quiet on the neighbouring labels' texts. Strings: helm/helm pkg/action, pkg/engine,
    pkg/chartutil (v3.12, v3.19, v4.2), fluxcd/pkg ssa, the reference §10."""
    inst = "Helm install failed for release bad/{0} with chart {0}@{1}: {2}"  # §3.2 InstallFailed format
    v15 = {"flux-system-pods.yaml": pods_yaml("v1.5.3")}

    # HR009 values schema (Helm >= 3.18/4 `- at '<path>': ...`; Helm 3.12 `- <path>: ...`)
    schema_v4 = "values don't meet the specifications of the schema(s) in the following chart(s):\npolicy:\n- at '/webhook/replicas': got string, want integer"
    schema_v3 = "values don't meet the specifications of the schema(s) in the following chart(s):\npolicy:\n- webhook.replicas: Invalid type. Expected: integer, given: string"
    write(
        "HR009/fires-v1-upgrade-condition-and-event",
        [failed("bad", "policy", "UpgradeFailed", up.format("policy", "0.9.0", schema_v4)), healthy()],
        [event("bad", "policy", "UpgradeFailed", up.format("policy", "0.9.0", schema_v4), "09:05:00")],
        extra=v15,
    )
    write(
        "HR009/fires-events-only-install",
        events=[event("bad", "policy", "InstallFailed", inst.format("policy", "0.8.1", schema_v3), "09:05:00")],
    )
    template = 'template: web/templates/deployment.yaml:41:24: executing "web/templates/deployment.yaml" at <.Values.image.tag>: nil pointer evaluating interface {}.tag'
    write(
        "HR009/quiet-template-error",
        [failed("good", "web", "UpgradeFailed", up.format("web", "2.0.0", template).replace("bad/", "good/"))],
    )
    write(
        "HR009/quiet-schema-then-fixed",
        [healthy("good", "policy", "0.9.1", "09:20:00")],
        [
            event(
                "good",
                "policy",
                "UpgradeFailed",
                up.format("policy", "0.9.0", schema_v4).replace("bad/", "good/"),
                "09:05:00",
            ),
            event(
                "good", "policy", "UpgradeSucceeded", long_ok("upgrade", "good/policy", 4, "policy@0.9.1"), "09:20:00"
            ),
        ],
    )

    # HR010 ownership conflict: v1.x install (Helm 3.14+ `Unable to continue with install`), v0.36 upgrade (Helm 3.12)
    owner = (
        'Unable to continue with install: ServiceAccount "app" in namespace "bad" exists and cannot be imported into the current release: invalid ownership metadata; '
        'label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"; annotation validation error: missing key "meta.helm.sh/release-name": must be set to "app"; '
        'annotation validation error: missing key "meta.helm.sh/release-namespace": must be set to "bad"'
    )
    write(
        "HR010/fires-v1-install-take-ownership-disabled",
        [failed("bad", "app", "InstallFailed", inst.format("app", "1.0.0", owner)), healthy()],
        [event("bad", "app", "InstallFailed", inst.format("app", "1.0.0", owner), "09:05:00", "09:35:00", count=9)],
        extra=v15,
    )
    v036_owner = (
        'Helm upgrade failed: rendered manifests contain a resource that already exists. Unable to continue with update: ConfigMap "flags" in namespace "bad" exists and cannot be '
        'imported into the current release: invalid ownership metadata; annotation validation error: key "meta.helm.sh/release-name" must equal "shop": current value is "shop-legacy"'
    )
    write(
        "HR010/fires-v036-upgrade-owned-by-another-release",
        [failed("bad", "shop", "UpgradeFailed", v036_owner, v036=True)],
        [event("bad", "shop", "error", v036_owner, "09:05:00", etype="Warning")],
    )
    imm = 'cannot patch "api" with kind Deployment: Deployment.apps "api" is invalid: spec.selector: Invalid value: v1.LabelSelector{}: field is immutable'
    write(
        "HR010/quiet-immutable-field",
        [failed("good", "api", "UpgradeFailed", up.format("api", "3.0.0", imm).replace("bad/", "good/"))],
    )

    # HR011 render failed: a template error, a YAML error (helm testdata wording), a v1.6 post-renderer
    write(
        "HR011/fires-template-error",
        [failed("bad", "web", "UpgradeFailed", up.format("web", "2.0.0", template)), healthy()],
    )
    yaml_err = "YAML parse error on web/templates/configmap.yaml: error converting YAML to JSON: yaml: line 11: could not find expected ':'"
    write(
        "HR011/fires-install-yaml-parse-error",
        events=[event("bad", "web", "InstallFailed", inst.format("web", "1.0.0", yaml_err), "09:05:00")],
    )
    post = "error while running post render on files: missing kind in object {{apps/v1 } {{ } map[] map[postrenderer.helm.sh/postrender-filename:web/templates/hooks.yaml]}}"
    write(
        "HR011/fires-v16-post-render-hooks",
        [failed("bad", "web", "UpgradeFailed", up.format("web", "2.1.0", post))],
        extra={"flux-system-pods.yaml": pods_yaml("v1.6.1")},
    )
    write(
        "HR011/quiet-values-schema",
        [failed("good", "policy", "UpgradeFailed", up.format("policy", "0.9.0", schema_v4).replace("bad/", "good/"))],
    )
    removed = 'unable to build kubernetes objects from release manifest: [unable to recognize "": no matches for kind "PodSecurityPolicy" in version "policy/v1beta1"]'
    write(
        "HR011/quiet-api-removed",
        [failed("good", "psp", "UpgradeFailed", up.format("psp", "1.2.0", removed).replace("bad/", "good/"))],
    )

    # HR012 api removed: 2021-era logs only (`reconciler group` keys), a CRD kind not installed (v1 wording)
    old_keys = [
        json.dumps(
            {
                "level": "error",
                "ts": "2024-03-05T09:05:00.100Z",
                "logger": "controller.helmrelease",
                "msg": "Reconciler error",
                "reconciler group": "helm.toolkit.fluxcd.io",
                "reconciler kind": "HelmRelease",
                "name": "psp",
                "namespace": "bad",
                "error": f"Helm install failed: {removed}",
            },
            separators=(",", ":"),
        )
    ]
    write("HR012/fires-logs-only-2021-keys", logs=old_keys)
    crd_first = 'resource mapping not found for name: "web" namespace: "bad" from "": no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"\nensure CRDs are installed first'
    write(
        "HR012/fires-v1-crd-not-installed",
        [failed("bad", "web", "UpgradeFailed", up.format("web", "2.0.0", crd_first)), healthy()],
    )
    flux_kind = 'unable to build kubernetes objects from release manifest: resource mapping not found for name: "apps" namespace: "good" from "": no matches for kind "HelmRelease" in version "helm.toolkit.fluxcd.io/v2beta1"\nensure CRDs are installed first'
    write(
        "HR012/quiet-chart-renders-flux-kind",
        [
            failed(
                "good", "platform", "UpgradeFailed", up.format("platform", "3.0.0", flux_kind).replace("bad/", "good/")
            )
        ],
        extra=v15,
    )

    # CR001 crd mismatch: a chart rendering a Flux kind no longer served (v1.5: v2beta1 removed), a
    # manifest in a group that never existed, a Kustomization dry-run refused by the CRD schema,
    # (a controller that cannot list its own kind is a klog line without a release: tests/rules/test_single_message.py)
    write(
        "CR001/fires-chart-renders-removed-flux-version",
        [
            failed(
                "bad", "platform", "UpgradeFailed", up.format("platform", "3.0.0", flux_kind.replace('"good"', '"bad"'))
            ),
            healthy(),
        ],
        extra=v15,
    )
    manifest = {
        "apiVersion": "helm.toolkit.fluxcd.io.example/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "nginx", "namespace": "bad"},
        "spec": {
            "chart": {"spec": {"chart": "nginx", "sourceRef": {"kind": "HelmRepository", "name": "charts"}}},
            "interval": "10m",
        },
    }
    write(
        "CR001/fires-manifest-unknown-group",
        [healthy()],
        extra={"nginx-helmrelease.yaml": yaml.safe_dump(manifest, sort_keys=False)},
    )
    ks_event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "apps.17a9c3e2b4d5f601", "namespace": "flux-system", "uid": "ev-ks-apps-dryrun"},
        "involvedObject": {
            "kind": "Kustomization",
            "namespace": "flux-system",
            "name": "apps",
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        },
        "reason": "ReconciliationFailed",
        "type": "Warning",
        "count": 4,
        "firstTimestamp": ts("09:00:00"),
        "lastTimestamp": ts("09:30:00"),
        "message": "HelmRelease/bad/app dry-run failed: failed to create typed patch object (bad/app; helm.toolkit.fluxcd.io/v2, Kind=HelmRelease): .spec.chartRef: field not declared in schema",
        "source": {"component": "kustomize-controller"},
    }
    write(
        "CR001/fires-kustomization-dry-run-names-release",
        [healthy()],
        extra={
            "events.yaml": yaml.safe_dump(
                {"apiVersion": "v1", "items": [ks_event], "kind": "List"}, sort_keys=True, width=1000
            )
        },
    )

    write(
        "CR001/quiet-release-level-api-removed",
        [failed("good", "psp", "UpgradeFailed", up.format("psp", "1.2.0", removed).replace("bad/", "good/"))],
    )

    # HR013 release missing: `has no deployed releases` (Helm storage.ErrNoDeployedReleases), a stuck `uninstalling` revision
    write(
        "HR013/fires-no-deployed-releases",
        [
            failed("bad", "ceph", "UpgradeFailed", up.format("ceph", "1.13.4", '"ceph" has no deployed releases')),
            healthy(),
        ],
        [
            event(
                "bad",
                "ceph",
                "UpgradeFailed",
                up.format("ceph", "1.13.4", '"ceph" has no deployed releases'),
                "09:05:00",
                "09:40:00",
                count=8,
            )
        ],
    )
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": "sh.helm.release.v1.db.v4",
            "namespace": "bad",
            "labels": {
                "owner": "helm",
                "name": "db",
                "status": "uninstalling",
                "version": "4",
                "modifiedAt": "1709625600",
            },
        },
    }
    write(
        "HR013/fires-stuck-uninstalling-in-storage",
        [
            hr(
                "bad",
                "db",
                [cond("Ready", "Unknown", "Progressing", "reconciliation in progress", "09:00:00", 2)],
                rev=4,
            )
        ],
        extra={
            "helm-secrets.yaml": yaml.safe_dump(
                {"apiVersion": "v1", "items": [secret], "kind": "List"}, sort_keys=True, width=1000
            )
        },
    )
    write(
        "HR013/quiet-install-never-stored",
        [
            failed(
                "good",
                "app",
                "InstallFailed",
                "Helm uninstall failed: uninstall: Release not loaded: app: release: not found",
                v036=True,
            )
        ],
    )

    # HR014 health check canceled (v1.5+, CancelHealthCheckOnNewRevision): Ready=False HealthCheckCanceled
    canceled = "New reconciliation triggered by OCIRepository/flux-system/web"
    write(
        "HR014/fires-v15-canceled-then-stalled",
        [
            hr(
                "bad",
                "web",
                [
                    cond(
                        "Ready", "False", "UpgradeFailed", up.format("web", "2.1.0", "context canceled"), "09:05:02", 2
                    ),
                    cond(
                        "Released",
                        "False",
                        "UpgradeFailed",
                        up.format("web", "2.1.0", "context canceled"),
                        "09:05:02",
                        2,
                    ),
                    cond("Stalled", "True", "RetriesExceeded", "Failed to upgrade after 1 attempt(s)", "09:05:02", 2),
                ],
                upgradeFailures=1,
            ),
            healthy(),
        ],
        [
            event(
                "bad",
                "web",
                "HealthCheckCanceled",
                "Health checks canceled due to new reconciliation triggered by OCIRepository/flux-system/web",
                "09:05:00",
                etype="Normal",
            ),
            event("bad", "web", "UpgradeFailed", up.format("web", "2.1.0", "context canceled"), "09:05:02"),
        ],
        extra={"flux-system-pods.yaml": pods_yaml("v1.5.1", "CancelHealthCheckOnNewRevision=true")},
    )
    write(
        "HR014/fires-ready-health-check-canceled",
        [hr("bad", "web", [cond("Ready", "False", "HealthCheckCanceled", canceled, "09:05:00", 2)])],
    )
    write(
        "HR014/quiet-canceled-then-succeeded",
        [healthy("good", "web", "2.1.1", "09:09:00")],
        [
            event(
                "good",
                "web",
                "HealthCheckCanceled",
                "Health checks canceled due to new reconciliation triggered by OCIRepository/flux-system/web",
                "09:05:00",
                etype="Normal",
            ),
            event("good", "web", "UpgradeSucceeded", long_ok("upgrade", "good/web", 5, "web@2.1.1"), "09:09:00"),
        ],
    )

    # DP003 dependency missing (v1.1.0+ reads dependencies uncached; dependsOn names HelmReleases only)
    gone = (
        "unable to get 'infra/cert-manager' dependency: helmreleases.helm.toolkit.fluxcd.io \"cert-manager\" not found"
    )
    write(
        "DP003/fires-v16-depends-on-a-kustomization",
        [
            hr(
                "bad",
                "app",
                [cond("Ready", "False", "DependencyNotReady", gone, "09:06:00", 2)],
                depends=["infra/cert-manager"],
            ),
            healthy(),
        ],
        [event("bad", "app", "DependencyNotReady", gone, "09:00:00", "09:40:00", count=80, etype="Normal")],
        extra={"flux-system-pods.yaml": pods_yaml("v1.6.2")},
    )
    write(
        "DP003/quiet-v10-cached-read",
        [
            hr(
                "good",
                "app",
                [cond("Ready", "False", "DependencyNotReady", gone, "09:06:00", 2)],
                depends=["infra/cert-manager"],
            )
        ],
        extra={"flux-system-pods.yaml": pods_yaml("v1.0.1")},
    )
    write(
        "DP003/quiet-dependency-not-ready",
        [
            hr(
                "good",
                "app",
                [
                    cond(
                        "Ready",
                        "False",
                        "DependencyNotReady",
                        "dependency 'infra/cert-manager' is not ready",
                        "09:06:00",
                        2,
                    )
                ],
                depends=["infra/cert-manager"],
            ),
            failed(
                "infra",
                "cert-manager",
                "UpgradeFailed",
                up.format("cert-manager", "1.15.0", "context deadline exceeded").replace("bad/", "infra/"),
            ),
        ],
    )

    # ST003 the release says its HelmChart is not ready; the HelmChart is Ready (its artifact) one second later
    def helmchart(
        name, ready_at, status="True", reason="ChartPullSucceeded", message="pulled 'app' chart with version '1.4.7'"
    ):
        return {
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "HelmChart",
            "metadata": {"name": name, "namespace": "flux-system"},
            "spec": {"chart": "app", "version": "1.4.7", "sourceRef": {"kind": "HelmRepository", "name": "charts"}},
            "status": {
                "artifact": {"lastUpdateTime": ts(ready_at), "revision": "1.4.7"},
                "conditions": [cond("Ready", status, reason, message, ready_at, 3)],
            },
        }

    charts = lambda *c: {
        "helmcharts.yaml": yaml.safe_dump(
            {"apiVersion": "v1", "items": list(c), "kind": "List"}, sort_keys=True, width=1000
        )
    }
    claim = lambda ns: hr(
        ns,
        "app",
        [cond("Ready", "False", "HelmChartNotReady", f"HelmChart 'flux-system/{ns}-app' is not ready", "09:05:54", 2)],
        v036=True,
    )
    write(
        "ST003/fires-helmchart-ready-after-claim",
        [claim("bad"), healthy()],
        extra=charts(helmchart("bad-app", "09:05:55")),
    )
    write(
        "ST003/quiet-helmchart-really-failing",
        [claim("good")],
        extra=charts(
            helmchart(
                "good-app",
                "09:01:00",
                "False",
                "InvalidChartReference",
                "invalid chart reference: no 'app' chart with version matching '1.4.7' found",
            )
        ),
    )
    # DR002 the drift check fails (v0.36 DetectDrift: DiffFailed; v1.x: StateError), and a loop that works is not it
    invalid = (
        'Deployment/bad/web dry-run failed, reason: Invalid, error: Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: '
        "Required value"
    )
    write(
        "DR002/fires-v036-diff-failed",
        [
            hr(
                "bad",
                "web",
                [
                    cond(
                        "Ready",
                        "False",
                        "DiffFailed",
                        f"failed to diff release against cluster resources: {invalid}",
                        "09:05:00",
                    )
                ],
                v036=True,
            )
        ],
    )
    write(
        "DR002/fires-v1-state-error",
        [
            hr(
                "bad",
                "web",
                [
                    cond(
                        "Ready",
                        "False",
                        "StateError",
                        f"Could not determine release state: unable to determine cluster state: {invalid}",
                        "09:05:00",
                        2,
                    )
                ],
                drift=True,
            ),
            healthy(),
        ],
    )
    write(
        "DR002/quiet-drift-corrected",
        [healthy("good", "web", "2.0.0", "08:00:00")],
        [
            event(
                "good",
                "web",
                "DriftDetected",
                "Cluster state of release good/web.v7 has drifted from the desired state:\nDeployment/good/web changed (0 additions, 1 changes, 0 removals)",
                "09:10:00",
            ),
            event(
                "good",
                "web",
                "DriftCorrected",
                "Cluster state of release good/web.v7 has been corrected:\nDeployment/good/web configured",
                "09:10:01",
            ),
        ],
    )

    # ST004 Flux v1 helm-operator (helm.fluxcd.io/v1; pkg/status/conditions.go messages): the Helm release is
    # deployed (its storage Secret) while the Released message is an old error
    def operator_hr(ns, name, message, status):
        return {
            "apiVersion": "helm.fluxcd.io/v1",
            "kind": "HelmRelease",
            "metadata": {"name": name, "namespace": ns},
            "spec": {
                "chart": {"repository": "https://charts.example.com", "name": name, "version": "1.2.0"},
                "releaseName": name,
            },
            "status": {
                "releaseName": name,
                "releaseStatus": "deployed",
                "phase": "Succeeded" if status == "True" else "ReleaseFailed",
                "conditions": [
                    {
                        "type": "Released",
                        "status": status,
                        "reason": "Succeeded" if status == "True" else "HelmUpgradeFailed",
                        "message": message,
                        "lastTransitionTime": ts("07:10:00"),
                        "lastUpdateTime": ts("07:10:00"),
                    }
                ],
            },
        }

    def operator_secret(ns, name):
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "helm.sh/release.v1",
            "metadata": {
                "name": f"sh.helm.release.v1.{name}.v3",
                "namespace": ns,
                "labels": {
                    "owner": "helm",
                    "name": name,
                    "status": "deployed",
                    "version": "3",
                    "modifiedAt": "1709622000",
                },
            },
        }

    lst = lambda *items: yaml.safe_dump(
        {"apiVersion": "v1", "items": list(items), "kind": "List"}, sort_keys=True, width=1000
    )
    old_error = "failed to retrieve release [fluentd]: context deadline exceeded"
    write(
        "ST004/fires-deployed-with-old-error",
        extra={
            "helmreleases.yaml": lst(
                operator_hr("bad", "fluentd", old_error, "False"),
                operator_hr(
                    "good", "autoscaler", "Release was successful for Helm release 'autoscaler' in 'good'.", "True"
                ),
            ),
            "helm-secrets.yaml": lst(operator_secret("bad", "fluentd"), operator_secret("good", "autoscaler")),
        },
    )
    write(
        "ST004/quiet-deployed-and-successful",
        extra={
            "helmreleases.yaml": lst(
                operator_hr(
                    "good", "autoscaler", "Release was successful for Helm release 'autoscaler' in 'good'.", "True"
                )
            ),
            "helm-secrets.yaml": lst(operator_secret("good", "autoscaler")),
        },
    )
    write("ST003/quiet-helmchart-ready-before-claim", [claim("good")], extra=charts(helmchart("good-app", "08:40:00")))


if __name__ == "__main__":
    build()
