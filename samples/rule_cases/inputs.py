"""Cases of the rules on what a release is built from: a spec change never reconciled (ST002),
the chart source (SC001), values (VL001) and a dependency that really fails (DP002)."""

from __future__ import annotations


import yaml

from rule_cases.common import cond, failed, healthy, hr, log, long_ok, ts, write


def build_inputs(up) -> None:
    """ST002, SC001, VL001, DP002; `up` is the UpgradeFailed message format (§3.2)."""

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
