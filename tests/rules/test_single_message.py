"""Findings from what a paste holds: the frames the paste reader produces (DESIGN.md §3, the
brief's frame shapes) built with `parsers._base.frame`, run through the whole rule engine.

A bare message is an `events` row (release `ns/name`, `?/name` or `?/?`, `approximate`, no
time); a table row is a `releases` row with a Ready `conditions` row; a klog line without a
release is a `logs` row. Each test checks the labels, the confidence and what stays quiet.
"""

from __future__ import annotations

from datetime import datetime, timezone

from .messages import by_label, found, message, run, table_row


def test_a_cut_values_schema_row_gives_the_schema_label_and_the_action_at_low_confidence():
    text = "Helm upgrade failed for release networking/dns with chart external-dns@1.16.0: values don't meet the specifications of the schema(s) in the following chart(s):..."
    row, ready = table_row("networking/dns", "False", text)
    analysis = run(releases=[row], conditions=[ready])
    assert found(analysis) == {"networking/dns": {"values-schema", "upgrade-failed"}}
    schema = by_label(analysis, "values-schema")
    assert schema.confidence.value == "low" and "cut" in schema.confidence_reason
    assert "(upgrade failed)" in schema.summary and schema.evidence[0].line == 2


def test_a_bare_event_without_namespace_is_low_and_names_the_line():
    text = (
        "Helm upgrade failed for release infra/policy with chart policy@0.8.1: values don't meet the specifications of the schema(s) in the following chart(s):\n"
        "policy:\n- at '/webhook': additional properties 'extra' not allowed"
    )
    analysis = run(events=[message(text, "?/policy", reason="UpgradeFailed", line=3)])
    assert found(analysis) == {"?/policy": {"values-schema", "upgrade-failed"}}
    schema = by_label(analysis, "values-schema")
    assert schema.confidence.value == "low" and "?/policy" in schema.confidence_reason
    assert (schema.evidence[0].source, schema.evidence[0].line) == ("paste.txt", 3)
    assert "additional properties" in schema.summary


def test_no_deployed_releases_is_release_missing_beside_the_upgrade():
    text = 'Helm upgrade failed for release ceph/cluster with chart rook-ceph-cluster@v1.13.4: "cluster" has no deployed releases'
    analysis = run(events=[message(text, "ceph/cluster", reason="UpgradeFailed")])
    assert found(analysis) == {"ceph/cluster": {"release-missing", "upgrade-failed"}}
    assert by_label(analysis, "release-missing").confidence.value == "medium"


def test_a_template_error_of_the_helm_cli_is_render_failed_not_values_schema():
    text = 'Error: template: web/templates/ingress.yaml:12:9: executing "web/templates/ingress.yaml" at <.Values.host>: nil pointer evaluating interface {}.host'
    analysis = run(events=[message(text, "?/?", component="helm", kind=None)])
    assert found(analysis) == {"?/?": {"render-failed"}}


def test_the_2021_reconciler_error_log_gives_the_action_label():
    log = {
        "ts": datetime(2021, 9, 11, 14, 34, tzinfo=timezone.utc),
        "level": "error",
        "msg": "Reconciler error",
        "controller": "helmrelease",
        "kind": "HelmRelease",
        "namespace": "loki",
        "name": "loki",
        "release": "loki/loki",
        "raw": "...",
        "source": "hc.log",
        "line": 1,
        "error": 'Helm install failed: unable to build kubernetes objects from release manifest: [unable to recognize "": no matches for kind "Ingress" in version "extensions/v1beta1"]',
    }
    analysis = run(logs=[log])
    assert found(analysis) == {"loki/loki": {"api-removed", "install-failed"}}
    assert "Ingress extensions/v1beta1" in by_label(analysis, "api-removed").summary


def test_a_failed_test_state_in_the_logs_is_test_failed_even_cut():
    at = datetime(2024, 1, 24, 17, 15, 53, tzinfo=timezone.utc)
    base = {
        "level": "info",
        "controller": "helmrelease",
        "kind": "HelmRelease",
        "namespace": "default",
        "name": "podinfo",
        "release": "default/podinfo",
        "raw": "...",
        "source": "hc.log",
    }
    logs = [
        {**base, "ts": at, "msg": "running 'test' action with timeout of 5m0s", "line": 1},
        {
            **base,
            "ts": at.replace(second=57),
            "msg": "release is in a failed state: release has test in failed pha...",
            "line": 2,
        },
    ]
    analysis = run(logs=logs)
    assert found(analysis) == {"default/podinfo": {"test-failed"}}
    assert by_label(analysis, "test-failed").confidence.value == "low"  # the line is cut
    synced = {**base, "ts": at.replace(minute=20), "msg": "release in-sync with desired state", "line": 3}
    assert run(logs=[*logs, synced]).findings == []  # a later in-sync line: recovered


def test_every_error_of_the_episode_counts_not_only_the_last():
    base = {
        "level": "error",
        "msg": "Reconciler error",
        "controller": "helmrelease",
        "kind": "HelmRelease",
        "namespace": "web",
        "name": "web",
        "release": "web/web",
        "raw": "...",
        "source": "hc.log",
    }
    logs = [
        {
            **base,
            "ts": datetime(2021, 6, 23, 14, 25, tzinfo=timezone.utc),
            "line": 1,
            "error": "Helm install failed: timed out waiting for the condition",
        },
        {
            **base,
            "ts": datetime(2021, 6, 23, 14, 28, tzinfo=timezone.utc),
            "line": 2,
            "error": "previous release attempt remediation failed",
        },
    ]
    assert found(run(logs=logs)) == {"web/web": {"timeout"}}


def test_a_message_no_signature_names_is_an_evidence_gap_citing_it():
    analysis = run(
        events=[
            message(
                "reconciliation failed: failed to get last release revision: query: failed to query with labels: Unauthorized",
                "?/?",
                line=7,
            )
        ]
    )
    assert found(analysis) == {"?/?": {"evidence-gap"}}
    assert [(e.source, e.line) for e in analysis.findings[0].evidence] == [("paste.txt", 7)]


def test_an_uninstall_that_found_nothing_after_a_failed_install_is_an_install_failure():
    row, ready = table_row(
        "podinfo/podinfo",
        "False",
        "Helm uninstall failed: uninstall: Release not loaded: podinfo: release: not found",
        form="flux-get-table",
    )
    analysis = run(releases=[row], conditions=[ready])
    assert found(analysis) == {"podinfo/podinfo": {"install-failed"}}


def test_a_kustomization_health_check_on_a_suspended_release_is_not_a_timeout():
    row, ready = table_row(
        "web/httpbin",
        "True",
        "Release reconciliation succeeded",
        form="flux-get-table",
        suspended=True,
        suspend_line=2,
        suspend_excerpt="httpbin True",
    )
    check = message(
        "Health check failed after 2m0.013s, timeout waiting for: [HelmRelease/web/httpbin status: 'InProgress']",
        "web/httpbin",
        reason="HealthCheckFailed",
        component="kustomize-controller",
    )
    analysis = run(releases=[row], conditions=[ready], events=[check])
    assert found(analysis) == {"web/httpbin": {"suspended"}}


def test_a_health_check_naming_a_release_alone_is_an_evidence_gap_not_a_timeout():
    # a Kustomization event object, not yet attributed by a reader: the rules attribute it
    check = message(
        "health check failed after 5m0s: timeout waiting for: [HelmRelease/apps/api status: 'InProgress']",
        None,
        reason="HealthCheckFailed",
        component="kustomize-controller",
        kind="Kustomization",
    )
    analysis = run(events=[check])
    assert found(analysis) == {"apps/api": {"evidence-gap"}}
    assert "health check" in analysis.findings[0].summary


def test_a_kustomization_dry_run_naming_a_release_is_that_release_s_failure():
    text = (
        'HelmRelease/tdp/api dry-run failed (Invalid): HelmRelease.helm.toolkit.fluxcd.io "api" is invalid: '
        'spec.chart.spec.sourceRef.kind: Unsupported value: "OCIRepository": supported values: "HelmRepository", "GitRepository", "Bucket"'
    )
    analysis = run(
        events=[
            message(text, None, reason="ReconciliationFailed", component="kustomize-controller", kind="Kustomization")
        ]
    )
    assert found(analysis) == {"tdp/api": {"crd-mismatch"}}


def test_a_kustomization_applying_fine_does_not_mask_the_release_s_failure():
    failed = message(
        "Helm upgrade failed for release apps/api with chart api@2.0.0: context deadline exceeded",
        "apps/api",
        reason="UpgradeFailed",
    )
    failed["last_ts"] = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    applied = message(
        "HelmRelease/apps/api configured",
        None,
        type_="Normal",
        reason="ReconciliationSucceeded",
        component="kustomize-controller",
        kind="Kustomization",
    )
    applied["last_ts"] = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)
    assert found(run(events=[failed, applied])) == {"apps/api": {"timeout"}}
