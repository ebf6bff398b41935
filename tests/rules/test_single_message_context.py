"""Single messages whose reading depends on their context: cluster-wide errors, the controller's
version and feature gates, noise beside a real failure, and releases read from table rows."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl

from forensics.model import CLUSTER
from parsers._base import frame

from .messages import by_label, found, message, run, table_row


def test_a_controller_that_cannot_list_its_kind_is_a_cluster_finding():
    klog = {
        "ts": None,
        "level": "error",
        "msg": "Failed to watch *v2beta1.HelmRelease: failed to list *v2beta1.HelmRelease: the server could not find the requested resource",
        "pod": "helm-controller-5759659c5c-pg5m7",
        "controller": None,
        "release": None,
        "raw": "E0915 08:49:37.785639 7 reflector.go:138] ...",
        "source": "hc.log",
        "line": 2,
    }
    analysis = run(logs=[klog])
    assert found(analysis) == {CLUSTER: {"crd-mismatch"}}
    assert analysis.findings[0].scope == "cluster"


def test_a_flux_cli_newer_than_the_cluster_is_no_finding_and_healthy_rows_stay_healthy():
    skew = "✗ failed to get API group resources: unable to retrieve the complete list of server APIs: source.toolkit.fluxcd.io/v1: the server could not find the requested resource"
    row, ready = table_row("foo/foo", "True", "Release reconciliation succeeded", form="flux-get-table")
    analysis = run(
        releases=[row],
        conditions=[ready],
        events=[message(skew, None, component="flux", kind=None), message(skew, "coder/coder", component="flux")],
    )
    assert analysis.findings == []
    assert {v.release: v.healthy for v in analysis.verdicts}["foo/foo"]


def test_an_object_modified_conflict_is_noise_beside_exhausted_retries():
    conflict = 'reconciliation failed: Operation cannot be fulfilled on helmreleases.helm.toolkit.fluxcd.io "svc": the object has been modified; please apply your changes to the latest version and try again'
    analysis = run(
        events=[
            message(conflict, "?/svc", line=1),
            message("reconciliation failed: upgrade retries exhausted", "?/svc", line=2),
        ]
    )
    assert found(analysis) == {"?/svc": {"retries-exhausted", "evidence-gap"}}
    assert "upgrade retries exhausted" in by_label(analysis, "retries-exhausted").summary
    assert run(events=[message(conflict, "?/svc")]).findings == []


def test_an_alert_with_a_reason_only_is_the_action_failure_and_an_evidence_gap():
    row, ready = table_row("share/copyparty", "False", None, reason="UpgradeFailed", form="alert")
    stalled = {**ready, "type": "Stalled", "status": "True", "reason": None}
    analysis = run(releases=[row], conditions=[ready, stalled])
    assert found(analysis) == {"share/copyparty": {"upgrade-failed", "evidence-gap"}}
    upgrade = by_label(analysis, "upgrade-failed")
    assert upgrade.confidence.value == "medium" and "no message in the evidence" in upgrade.summary


def test_a_release_progressing_at_collection_gets_no_finding():
    row, ready = table_row("logging/fluentd", "Unknown", "Reconciliation in progress", form="flux-get-table")
    analysis = run(releases=[row], conditions=[ready])
    assert analysis.findings == []
    row, ready = table_row(
        "logging/fluentd", "Unknown", "Running 'install' action with timeout of 5m0s", reason="Progressing"
    )
    assert run(releases=[row], conditions=[ready]).findings == []


def test_a_helm_operator_row_deployed_with_an_old_error_is_stale_status():
    row, _ = table_row(
        "fluentd/fluentd",
        "Unknown",
        "failed to retrieve release [fluentd]: context deadline exceeded",
        status_format="helm-operator",
    )
    row["ready_status"] = None
    storage = {
        "release": "fluentd/fluentd",
        "revision": None,
        "status": "deployed",
        "source": "paste.txt",
        "line": 2,
        "excerpt": "deployed",
    }
    analysis = run(releases=[row], helm_storage=[storage])
    assert found(analysis) == {"fluentd/fluentd": {"stale-status"}}


def test_a_helmchart_ready_after_the_release_s_claim_is_stale_status_not_chart_fetch():
    at = datetime(2023, 2, 2, 10, 5, 54, tzinfo=timezone.utc)
    claim = {
        "release": "kube-system/lbc",
        "type": None,
        "status": None,
        "message": "HelmChart 'kube-system/kube-system-lbc' is not ready",
        "last_transition": at,
        "source": "describe-hr.txt",
        "line": 4,
        "excerpt": "Message: HelmChart 'kube-system/kube-system-lbc' is not ready",
    }
    release = {
        "release": "kube-system/lbc",
        "namespace": "kube-system",
        "name": "lbc",
        "input_format": "kubectl-describe",
        "source": "describe-hr.txt",
        "line": 1,
        "depends_on": [],
    }
    chart = {
        "kind": "HelmChart",
        "namespace": "kube-system",
        "name": "kube-system-lbc",
        "ready_status": "True",
        "ready_message": "pulled 'lbc' chart with version '1.4.7'",
        "since": at.replace(second=55),
        "source": "describe-chart.txt",
        "line": 9,
        "excerpt": "Last Transition Time: 2023-02-02T10:05:55Z",
    }
    analysis = run(releases=[release], conditions=[claim], sources=[chart])
    assert found(analysis) == {"kube-system/lbc": {"stale-status"}}
    assert [e.source for e in analysis.findings[0].evidence] == ["describe-hr.txt", "describe-chart.txt"]
    cut = {**chart, "ready_status": None}  # a describe fragment cut before its Status/Type lines
    assert found(run(releases=[release], conditions=[claim], sources=[cut])) == {"kube-system/lbc": {"stale-status"}}
    chart["since"] = at.replace(minute=1)  # Ready before the claim: the claim is not outlived
    assert "stale-status" not in found(run(releases=[release], conditions=[claim], sources=[chart])).get(
        "kube-system/lbc", set()
    )


def test_the_poller_timeout_names_the_resource_and_a_helm_4_tail_too():
    text = "Helm upgrade failed for release apps/web with chart web@2.0.0: timeout waiting for: [Deployment/apps/web status: 'InProgress']"
    row, ready = table_row("apps/web", "False", text, reason="UpgradeFailed")
    timeout = by_label(run(releases=[row], conditions=[ready]), "timeout")
    assert "Deployment is not ready: apps/web" in timeout.summary and "InProgress" in timeout.summary
    tail = (
        "Helm upgrade failed for release apps/web with chart web@2.0.0: context deadline exceeded\n\nLast Helm logs:\n\n"
        '2026-01-05T09:04:58.902345678Z: Deployment does not have enough pods ready: {"name":"web","namespace":"apps","readyPods":0,"totalPods":2}'
    )
    timeout = by_label(run(events=[message(tail, "apps/web", reason="UpgradeFailed")]), "timeout")
    assert "Deployment is not ready: apps/web" in timeout.summary
    early = "Helm install failed for release apps/job with chart job@1.0.0: failed early due to stalled resources: [Job/apps/migrate status: 'Failed']"
    assert (
        "failed early" in by_label(run(events=[message(early, "apps/job", reason="InstallFailed")]), "timeout").summary
    )


def test_retry_on_failure_keeps_failing_without_stalling():
    text = "Helm upgrade failed for release apps/web with chart web@2.0.0: post-upgrade hooks failed: job web-migrate failed: BackoffLimitExceeded"
    row, ready = table_row("apps/web", "False", text, reason="UpgradeFailed", form="object")
    retrying = {
        **ready,
        "type": "Reconciling",
        "status": "True",
        "reason": "ProgressingWithRetry",
        "message": "retrying after 5m0s",
    }
    analysis = run(releases=[row], conditions=[ready, retrying])
    assert found(analysis) == {"apps/web": {"upgrade-failed"}}
    upgrade = by_label(analysis, "upgrade-failed")
    assert "RetryOnFailure: retried every 5m0s" in upgrade.summary and upgrade.confidence.value == "high"


def test_v140_ready_says_only_will_retry_after():
    row, ready = table_row("apps/web", "False", "Will retry after 5m0s", reason="RetryAfterInterval", form="object")
    analysis = run(releases=[row], conditions=[ready])
    assert found(analysis) == {"apps/web": {"evidence-gap"}}
    released = {
        **ready,
        "type": "Released",
        "reason": "UpgradeFailed",
        "message": "Helm upgrade failed for release apps/web with chart web@2.0.0: context deadline exceeded",
    }
    assert found(run(releases=[row], conditions=[ready, released])) == {"apps/web": {"timeout"}}


def test_feature_gates_are_read_from_the_controller_args():
    from forensics.versions import analyse

    controllers = frame(
        "controllers",
        [
            {
                "controller": "helm-controller",
                "pod": "helm-controller-x",
                "version": "v1.5.2",
                "instance": "current",
                "feature_gates": "CancelHealthCheckOnNewRevision=true,OOMWatch=false",
                "source": "pods.yaml",
                "line": 9,
            }
        ],
    )
    state = analyse(frame("logs", []), frame("events", []), controllers)
    assert state.gate("CancelHealthCheckOnNewRevision") is True and state.gate("OOMWatch") is False
    assert state.gate("DefaultToRetryOnFailure") is False  # unset: its default
    assert state.at_least("v1.5.0") and state.between("v1.5.0", "v1.5.2") and not state.at_least("v1.6.0")
    assert analyse(frame("logs", []), frame("events", []), frame("controllers", [])).gate("OOMWatch") is None


def test_the_controller_args_become_the_feature_gates_column():
    from parsers.controllers import feature_gates

    assert (
        feature_gates({"args": ["--log-level=info", "--feature-gates=OOMWatch=true,DetectDrift=false"]})
        == "OOMWatch=true,DetectDrift=false"
    )
    assert (
        feature_gates({"args": ["--feature-gates", "A=true"], "command": ["helm-controller", "--feature-gates=B=true"]})
        == "B=true,A=true"
    )
    assert feature_gates({"args": ["--log-level=debug"]}) is None


def test_ownership_remediation_depends_on_the_take_ownership_default():
    text = (
        'Helm install failed for release apps/app with chart app@1.0.0: Unable to continue with install: Secret "app" in namespace "apps" exists and cannot be imported '
        'into the current release: invalid ownership metadata; label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"'
    )
    row, ready = table_row("apps/app", "False", text, reason="InstallFailed", form="object")

    def remediation(version):
        controllers = [
            {
                "controller": "helm-controller",
                "version": version,
                "instance": "current",
                "source": "pods.yaml",
                "line": 1,
            }
        ]
        return by_label(
            run(releases=[row], conditions=[ready], controllers=controllers), "ownership-conflict"
        ).remediation

    assert "disableTakeOwnership" in remediation("v1.5.3") and "never adopts" in remediation("v1.0.1")
    assert "--force" not in remediation("v1.5.3")


def test_dependency_missing_needs_an_uncached_read():
    gone = "unable to get 'infra/cm' dependency: helmreleases.helm.toolkit.fluxcd.io \"cm\" not found"
    row, ready = table_row("apps/app", "False", gone, reason="DependencyNotReady", form="object")

    def labels(version):
        controllers = [
            {
                "controller": "helm-controller",
                "version": version,
                "instance": "current",
                "source": "pods.yaml",
                "line": 1,
            }
        ]
        return found(run(releases=[row], conditions=[ready], controllers=controllers)).get("apps/app")

    assert labels("v1.6.2") == {"dependency-missing"}
    assert labels("v1.0.1") == {"evidence-gap"}  # a sharded cache reads "not found" too


def test_single_message_frames_are_typed_like_the_contract():
    """The helper builds the frames of the contract (a typo in a column name would pass silently)."""
    row = message("x")
    assert set(row) <= set(frame("events", []).columns)
    release, ready = table_row("a/b", "True", "ok")
    assert set(release) <= set(frame("releases", []).columns) and set(ready) <= set(frame("conditions", []).columns)
    assert frame("controllers", []).schema["feature_gates"] == pl.String


def test_a_dependency_block_read_from_table_rows_is_medium_confidence(tmp_path):
    import forensics

    (tmp_path / "hr.txt").write_text(
        "$ kubectl get hr -A\n"
        "NAMESPACE   NAME       AGE   READY   STATUS\n"
        "shop        checkout   41d   False   Helm upgrade failed for release shop/checkout with chart checkout@4.2.0: boom\n"
        "shop        cart       41d   False   dependency 'shop/checkout' is not ready\n"
    )
    found = {(f.label, f.release): f.confidence.value for f in forensics.analyze(str(tmp_path)).findings}
    assert found[("dependency-failed", "shop/cart")] == "medium"
