"""HelmRelease status pasted without its object: `flux debug hr --show-status` output (flux2
`cmd/flux/debug_helmrelease.go`: the YAML status after a `# Status documentation:` comment;
corpus from helm-controller `docs/spec/v2/helmreleases.md`) and a bare `status:` fragment."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import parsers
from parsers import objects

HR = Path(__file__).resolve().parent.parent / "corpus" / "helmrelease"


def test_debug_hr_show_status_field_by_field():
    data = (HR / "debug-hr-show-status.yaml").read_bytes()
    assert parsers.detect("debug-hr-show-status.yaml", data) is objects
    result = objects.parse(data, "debug-hr-show-status.yaml")
    assert result.problems == []
    row = result.frames["releases"].row(0, named=True)
    assert (row["release"], row["namespace"], row["name"]) == ("default/podinfo", "default", "podinfo")
    assert (row["status_format"], row["status_format_basis"], row["line"]) == ("v2beta2", "history", 16)
    assert (row["ready_status"], row["ready_reason"]) == ("True", "TestSucceeded")
    assert row["ready_since"] == datetime(2023, 12, 4, 14, 17, 47, tzinfo=timezone.utc)
    assert (
        row["last_attempted_revision"],
        row["observed_generation"],
        row["history_len"],
        row["storage_namespace"],
    ) == ("6.5.3", 1, 1, "default")
    history = result.frames["history"].row(0, named=True)
    assert (history["release"], history["version"], history["chart_version"], history["status"], history["line"]) == (
        "default/podinfo",
        1,
        "6.5.3",
        "deployed",
        18,
    )
    assert result.frames["conditions"]["type"].to_list() == ["Ready", "Released"]


def test_bare_status_fragment_keeps_its_v2beta1_shape():
    data = (HR / "status-fragment.yaml").read_bytes()
    assert parsers.detect("status-fragment.yaml", data) is objects
    result = objects.parse(data, "status-fragment.yaml")
    row = result.frames["releases"].row(0, named=True)
    assert (row["status_format"], row["ready_reason"], row["last_release_revision"]) == (
        "v2beta1",
        "ReconciliationSucceeded",
        3,
    )
    assert row["release"] == "unknown/status-fragment"
    assert [p["reason"] for p in result.problems] == [
        "status without a name: release named after the file (status-fragment), namespace unknown"
    ]


def test_unrelated_yaml_is_not_a_status():
    result = objects.parse(b"status: ok\nfoo: bar\n", "x.yaml")
    assert "releases" not in result.frames
