"""Cases of the Helm action rules HR001-HR008: install, upgrade, rollback and test failures, timeouts,
immutable fields, retries exhausted and releases stuck pending."""

from __future__ import annotations


from rule_cases.common import HELM_TAIL, cond, event, failed, healthy, hr, log, long_ok, write


def build_helm_actions(up) -> None:
    """HR001-HR008; `up` is the UpgradeFailed message format (§3.2)."""
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
