"""Cases of the helm-controller v1.x labels (issue 17) read from the objects' state: a dependency
that is not a HelmRelease (DP003), a HelmChart claimed not ready (ST003), a failing drift check
(DR002) and a Flux v1 helm-operator release (ST004)."""

from __future__ import annotations


import yaml

from rule_cases.common import cond, event, hr, pods_yaml, ts, write


def build_catalog_state(up, healthy, failed) -> None:
    """The rest of the v1.x label cases (build_catalog's docstring): DP003, ST003, DR002, ST004."""
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
    write("ST003/quiet-helmchart-ready-before-claim", [claim("good")], extra=charts(helmchart("good-app", "08:40:00")))
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
