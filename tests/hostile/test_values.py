"""Values are never read: a marker planted in every values position is in no output of any
format.

Positions: HelmRelease `spec.values` (with keys that the evidence locator looks for, such as
`status:` followed by `history:`, `conditions`, `type`, `message`, `suspend`, `manager`, each
with a marker on its own line), `spec.postRenderers` patches, the ConfigMap and the Secret
that `valuesFrom` names (`data`, `stringData`), a Helm release Secret's payload. Forms: a
`kubectl get -o json` List, a YAML List whose values come before the other spec keys, a
minified one-line object, multi-document YAML, and `kubectl describe hr` text. The markers are
plain words: no redaction hides them, only never reading the values does.
"""

from __future__ import annotations

import base64
import gzip
import json

import pytest
import yaml

from . import all_outputs, folder

TAG = "vAlMaRk"


def _values(form: str) -> dict:
    def mark(what: str) -> str:
        return f"{TAG}-{form}-{what}"

    return {
        "banner": mark("banner"),
        "status": {
            "history": [{"chartVersion": mark("chartversion"), "status": mark("hstatus")}],
            "conditions": [{"type": "Ready", "status": "False", "reason": mark("reason"), "message": mark("message")}],
        },
        "history": mark("history"),
        "conditions": mark("conditions"),
        "type": "Ready",
        "message": mark("msg"),
        "suspend": mark("suspend"),
        "managedFields": [{"manager": mark("manager"), "operation": "Update"}],
        "lastAttemptedRevision": mark("revision"),
        "metadata": {"name": mark("name")},
        "spec": {"chart": mark("chart")},
    }


def _release(name: str, form: str, values_first: bool = False) -> dict:
    patch = f"- op: add\n  path: /metadata/labels/team\n  value: {TAG}-{form}-patch\n"
    spec = {
        "interval": "5m",
        "suspend": True,
        "chart": {
            "spec": {"chart": "web", "version": "1.2.3", "sourceRef": {"kind": "HelmRepository", "name": "charts"}}
        },
        "valuesFrom": [
            {"kind": "ConfigMap", "name": "web-values"},
            {"kind": "Secret", "name": "web-secret", "valuesKey": "values.yaml"},
        ],
        "postRenderers": [{"kustomize": {"patches": [{"patch": patch, "target": {"kind": "Deployment"}}]}}],
    }
    spec = {"values": _values(form), **spec} if values_first else {**spec, "values": _values(form)}
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {
            "name": name,
            "namespace": "apps",
            "generation": 4,
            "managedFields": [{"manager": "helm-controller", "operation": "Update", "time": "2024-01-15T09:00:00Z"}],
        },
        "spec": spec,
        "status": {
            "observedGeneration": 3,
            "lastAttemptedRevision": "1.2.3",
            "history": [
                {"chartName": "web", "chartVersion": "1.2.3", "version": 4, "status": "failed", "digest": "sha256:abc"}
            ],
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "UpgradeFailed",
                    "message": "Helm upgrade failed: timed out",
                    "lastTransitionTime": "2024-01-15T09:00:00Z",
                    "observedGeneration": 3,
                }
            ],
        },
    }


def _around() -> list[dict]:
    """The valuesFrom targets and the Helm release Secret, with markers in their data."""
    payload = base64.b64encode(
        gzip.compress(
            json.dumps({"config": {"banner": f"{TAG}-payload-config"}, "manifest": f"{TAG}-payload-manifest"}).encode()
        )
    )
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "web-values", "namespace": "apps"},
            "data": {"values.yaml": f"status: {TAG}-configmap-status\nmessage: {TAG}-configmap-message\n"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "web-secret", "namespace": "apps"},
            "type": "Opaque",
            "data": {"values.yaml": base64.b64encode(f"banner: {TAG}-secret-data\n".encode()).decode()},
            "stringData": {"values.yaml": f"banner: {TAG}-secret-stringdata\n"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "helm.sh/release.v1",
            "data": {"release": base64.b64encode(payload).decode()},
            "metadata": {
                "name": "sh.helm.release.v1.web.v4",
                "namespace": "apps",
                "labels": {"name": "web", "owner": "helm", "status": "failed", "version": "4"},
            },
        },
    ]


def _describe(name: str) -> str:
    """`kubectl describe hr` of a release whose values hold the locator's keys."""
    return "\n".join(
        [
            f"Name:         {name}",
            "Namespace:    apps",
            "Labels:       <none>",
            "Annotations:  <none>",
            "API Version:  helm.toolkit.fluxcd.io/v2",
            "Kind:         HelmRelease",
            "Metadata:",
            "  Generation:  4",
            "Spec:",
            "  Chart:",
            "    Spec:",
            "      Chart:    web",
            "      Version:  1.2.3",
            "  Interval:     5m",
            "  Suspend:      true",
            "  Values:",
            "    Banner:  " + f"{TAG}-describe-banner",
            "    Status:",
            "      History:",
            "        Chart Version:  " + f"{TAG}-describe-chartversion",
            "      Conditions:",
            "        Message:  " + f"{TAG}-describe-message",
            "        Type:     Ready",
            "    Suspend:  " + f"{TAG}-describe-suspend",
            "Status:",
            "  Conditions:",
            "    Last Transition Time:  2024-01-15T09:00:00Z",
            "    Message:               Helm upgrade failed: timed out",
            "    Reason:                UpgradeFailed",
            "    Status:                False",
            "    Type:                  Ready",
            "  History:",
            "    Chart Name:     web",
            "    Chart Version:  1.2.3",
            "    Status:         failed",
            "    Version:        4",
            "  Observed Generation:  3",
            "Events:  <none>",
            "",
        ]
    )


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("values")
    bundle = folder(
        root / "b",
        {
            "hr.json": json.dumps(
                {"apiVersion": "v1", "kind": "List", "items": [_release("web", "json")]}, indent=2
            ).encode(),
            "hr.yaml": yaml.safe_dump(
                {"apiVersion": "v1", "kind": "List", "items": [_release("web-yaml", "yaml", values_first=True)]},
                sort_keys=False,
            ).encode(),
            "hr-minified.json": json.dumps(_release("web-minified", "minified"), separators=(",", ":")).encode()
            + b"\n",
            "objects.yaml": yaml.safe_dump_all([_release("web-multi", "multi"), *_around()], sort_keys=False).encode(),
            "describe-hr.txt": _describe("web-describe").encode(),
        },
    )
    return all_outputs(bundle, root, "apps/web", 3)


def test_no_values_marker_in_any_output(outputs):
    leaks = {
        name: text[max(0, text.index(TAG) - 120) : text.index(TAG) + 60]
        for name, text in outputs.items()
        if TAG in text
    }
    assert not leaks


def test_every_release_was_read(outputs):
    analysis = json.loads(outputs["json"])
    releases = {v["release"] for v in analysis["verdicts"]}
    assert {"apps/web", "apps/web-yaml", "apps/web-minified", "apps/web-multi", "apps/web-describe"} <= releases


def test_status_evidence_quotes_the_status_not_the_values(outputs):
    """The releases' status lines are found in their status block: the history line is the
    status history's, and a suspended release cites its own `suspend: true`."""
    analysis = json.loads(outputs["json"])
    excerpts = [e["excerpt"] for f in analysis["findings"] for e in f["evidence"]]
    assert any("Helm upgrade failed: timed out" in text for text in excerpts)
    assert any(text in ("suspend: true", '"suspend": true,', "Suspend:      true") for text in excerpts), excerpts
