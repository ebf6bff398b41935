import pytest

from parsers.helmrelease import status_format

V036 = {
    "conditions": [
        {
            "type": "Ready",
            "status": "True",
            "reason": "ReconciliationSucceeded",
            "message": "Release reconciliation succeeded",
        }
    ],
    "lastReleaseRevision": 7,
    "lastAttemptedValuesChecksum": "4d2b8f0c3a1e5f6b7c8d9e0f1a2b3c4d5e6f7a8b",
}
V037 = {
    "conditions": [
        {
            "type": "Ready",
            "status": "True",
            "reason": "UpgradeSucceeded",
            "observedGeneration": 4,
            "message": "Helm upgrade succeeded for release apps/podinfo.v5 with chart podinfo@6.5.4",
        }
    ],
    "history": [{"chartName": "podinfo", "chartVersion": "6.5.4", "version": 5}],
    "storageNamespace": "apps",
}


@pytest.mark.parametrize(
    "status, shape",
    [
        (V036, "v2beta1"),
        (V037, "v2beta2"),
        ({**V037, "history": [{"chartVersion": "6.5.4", "appVersion": "6.5.4", "version": 5}]}, "v2"),
        ({**V037, "observedPostRenderersDigest": "sha256:00"}, "v2"),
        ({}, "unknown"),
        # Conditions without observedGeneration and nothing else: only v0.36 writes that.
        (
            {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "False",
                        "reason": "DependencyNotReady",
                        "message": "dependency 'a/b' is not ready",
                    }
                ]
            },
            "v2beta1",
        ),
    ],
)
def test_status_shape_decides_the_format(status, shape):
    assert status_format(status)[0] == shape


def test_visited_but_stopped_keeps_v2beta1_residue_in_the_basis():
    status = {
        **V036,
        "conditions": [
            {
                "type": "Reconciling",
                "status": "True",
                "reason": "Progressing",
                "observedGeneration": 3,
                "message": "Fulfilling prerequisites",
            }
        ],
    }
    shape, basis = status_format(status)
    assert shape == "v2beta2" and "v2beta1 residue" in basis and "lastReleaseRevision" in basis
