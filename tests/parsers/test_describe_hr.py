"""`kubectl describe hr` text, written from kubectl's generic describer (printUnstructuredContent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers import describe_hr, detect

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "describe"
TEXT = (CORPUS / "frontend.txt").read_bytes()


@pytest.mark.parametrize(
    "field, label",
    [
        ("lastTransitionTime", "Last Transition Time"),
        ("apiVersion", "API Version"),
        ("observedGeneration", "Observed Generation"),
        ("dependsOn", "Depends On"),
        ("helmChart", "Helm Chart"),
        ("status", "Status"),
        ("uid", "UID"),
    ],
)
def test_smart_labels_round_trip(field, label):
    assert describe_hr.smart_label(field) == label
    assert describe_hr.field_name(label) == field


def test_sniff():
    assert detect("describe.txt", TEXT) is describe_hr
    assert not describe_hr.matches("x.txt", b"Name:   podinfo\nNamespace: default\nKind: Deployment\n")


def test_release_conditions_history_and_events():
    result = describe_hr.parse(TEXT, "describe.txt")
    assert result.problems == []
    lines = TEXT.decode().split("\n")
    release = result.frames["releases"].row(0, named=True)
    assert (release["release"], release["generation"], release["depends_on"]) == ("apps/frontend", 9, ["apps/backend"])
    assert (release["status_format"], release["ready_status"], release["ready_reason"]) == (
        "v2beta2",
        "False",
        "DependencyNotReady",
    )
    assert release["input_format"] == "kubectl-describe"
    ready = result.frames["conditions"].row(0, named=True)
    assert (ready["type"], ready["status"], ready["observed_generation"]) == ("Ready", "False", 9)
    assert ready["last_transition"].isoformat() == "2024-01-15T09:03:12+00:00"
    assert "dependency 'apps/backend' is not ready" in lines[ready["line"] - 1]
    released = result.frames["conditions"].row(1, named=True)
    assert (released["type"], released["message"], released["observed_generation"]) == (
        "Released",
        "Helm upgrade succeeded",
        None,
    )
    snapshot = result.frames["history"].row(0, named=True)
    assert (snapshot["version"], snapshot["chart_version"], snapshot["status"]) == (12, "2.3.1", "deployed")
    event = result.frames["events"].row(0, named=True)
    assert (event["reason"], event["count"], event["age_last"], event["age_first"], event["release"]) == (
        "DriftDetected",
        13,
        "4m",
        "44m",
        "apps/frontend",
    )


def test_two_described_objects_and_a_dependency_finding(tmp_path):
    backend = TEXT.decode().replace("Name:         frontend", "Name:         backend").split("Depends On:")[0]
    backend += "  Interval:     10m\nStatus:\n  Conditions:\n    Last Transition Time:  2024-01-15T09:03:48Z\n"
    backend += (
        "    Message:               Helm upgrade succeeded for release apps/backend.v8 with chart backend@1.4.0\n"
    )
    backend += "    Observed Generation:   7\n    Reason:                UpgradeSucceeded\n    Status:                True\n    Type:                  Ready\n"
    backend += "  History:\n    Chart Version:   1.4.0\n    Status:          deployed\n    Version:         8\nEvents:  <none>\n"
    (tmp_path / "describe.txt").write_text(TEXT.decode() + "\n\n" + backend)
    import forensics

    analysis = forensics.analyze(str(tmp_path))
    assert {v.release for v in analysis.verdicts} == {"apps/frontend", "apps/backend"}
    assert [f.label for f in analysis.findings if f.release == "apps/frontend"] == ["dependency-stale"]
