"""Cases of the helm-controller v1.x labels (issue 17) that Helm itself reports: values schema,
ownership, render failures, removed APIs (HR009-HR012), CRD mismatches (CR001), a missing
release (HR013) and a canceled health check (HR014)."""

from __future__ import annotations

import json

import yaml

from rule_cases.common import cond, event, hr, long_ok, pods_yaml, ts, write


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
