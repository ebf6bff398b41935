"""Cases of what happens to a deployed release: drift loops (DR001), suspension (SU001), a controller
crash mid-upgrade (HC001) and evidence gaps (EG001)."""

from __future__ import annotations


import yaml

from rule_cases.common import cond, event, failed, healthy, hr, log, long_ok, ts, write


def build_runtime(up) -> None:
    """DR001, SU001, HC001, EG001; `up` is the UpgradeFailed message format (§3.2)."""
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
