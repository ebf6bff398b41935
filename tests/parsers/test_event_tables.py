"""Event tables (`kubectl get events` default/-A/-o wide, `kubectl events`, `flux events`) and
events.k8s.io/v1 objects; relative ages anchored on the collection time."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

import parsers
from parsers import event_tables, objects

EVENTS = Path(__file__).resolve().parent.parent / "corpus" / "events"
TABLES = [
    "kubectl-get-events.txt",
    "kubectl-get-events-A.txt",
    "kubectl-get-events-wide.txt",
    "kubectl-events.txt",
    "flux-events-A.txt",
]
AT = datetime(2024, 2, 12, 10, 20, tzinfo=timezone.utc)


def parse(name):
    data = (EVENTS / name).read_bytes()
    return event_tables.parse(data, name), data


@pytest.mark.parametrize("name", TABLES)
def test_tables_sniff_and_account_for_every_line(name):
    result, data = parse(name)
    assert parsers.detect(name, data[:8192]) is event_tables
    lines = data.decode().splitlines()
    events = result.frames["events"]
    row_problems = [p for p in result.problems if p["line"]]
    assert row_problems == []
    assert events.height + 1 + sum(1 for line in lines if not line.strip()) == len(lines)  # + header


def test_sniff_negative():
    for name, head in [
        ("flux-get-hr.txt", b"NAME\tREVISION\tSUSPENDED\tREADY\tMESSAGE\n"),
        ("x.log", b'{"level":"info","msg":"x"}\n'),
    ]:
        assert not event_tables.matches(name, head)
    assert parsers.detect("events.yaml", (EVENTS / "events-k8s-io-v1.yaml").read_bytes()) is objects


def test_default_table_row_field_by_field():
    result, _ = parse("kubectl-get-events.txt")
    row = result.frames["events"].row(0, named=True)
    assert (row["type"], row["reason"], row["kind"], row["name"], row["namespace"]) == (
        "Warning",
        "InstallFailed",
        "HelmRelease",
        "podinfo",
        None,
    )
    assert row["message"].startswith(
        "Helm install failed for release podinfo/podinfo with chart podinfo@6.15.0: timeout waiting for"
    )
    assert (row["count"], row["age_first"], row["age_last"], row["first_ts"], row["last_ts"]) == (
        1,
        "4m59s",
        "4m59s",
        None,
        None,
    )
    assert (row["source"], row["line"]) == ("kubectl-get-events.txt", 2)
    assert any("NAMESPACE" in p["reason"] for p in result.problems)


def test_all_namespaces_and_wide_columns():
    a, _ = parse("kubectl-get-events-A.txt")
    assert a.frames["events"].select("namespace", "kind", "release").rows() == [
        ("apps", "HelmRelease", "apps/podinfo"),
        ("flux-system", "HelmChart", None),
    ]
    wide, _ = parse("kubectl-get-events-wide.txt")
    row = wide.frames["events"].row(0, named=True)
    assert (row["count"], row["age_first"], row["age_last"], row["component"], row["field_path"]) == (
        4,
        "47m",
        "2m",
        "helm-controller",
        None,
    )
    assert row["message"].endswith("context deadline exceeded")


def test_kubectl_events_series_and_flux_events_tabs():
    result, _ = parse("kubectl-events.txt")
    rows = result.frames["events"].select("count", "age_first", "age_last", "reason", "release").rows()
    assert rows == [
        (4, "47m", "2m", "UpgradeFailed", "apps/podinfo"),
        (1, "<unknown>", "<unknown>", "Info Reason", "apps/podinfo"),
    ]
    flux, _ = parse("flux-events-A.txt")
    assert flux.frames["events"].select("namespace", "type", "reason", "kind", "name", "message").rows() == [
        ("default", "error", "Error Reason", "HelmRelease", "podinfo", "Error Message"),
        ("flux-system", "info", "Info Reason", "HelmChart", "default-podinfo", "Info Message"),
    ]


def test_ages_anchored_on_collection_time_are_approximate_spans():
    result, _ = parse("kubectl-events.txt")
    anchored = event_tables.anchor(result.frames["events"], AT)
    first = anchored.row(0, named=True)
    assert (first["first_ts"], first["last_ts"], first["approximate"]) == (
        datetime(2024, 2, 12, 9, 33, tzinfo=timezone.utc),
        datetime(2024, 2, 12, 10, 18, tzinfo=timezone.utc),
        True,
    )
    unknown = anchored.row(1, named=True)
    assert (unknown["first_ts"], unknown["approximate"]) == (None, False)
    assert event_tables.age_seconds("3d4h") == 3 * 86400 + 4 * 3600 and event_tables.age_seconds("<unknown>") is None


def test_events_k8s_io_v1_object_field_by_field():
    data = (EVENTS / "events-k8s-io-v1.yaml").read_bytes()
    result = objects.parse(data, "events.yaml")
    assert result.problems == []
    row = result.frames["events"].row(0, named=True)
    assert (row["first_ts"], row["last_ts"], row["count"]) == (
        datetime(2024, 2, 12, 9, 33, 7, tzinfo=timezone.utc),
        datetime(2024, 2, 12, 10, 18, 7, tzinfo=timezone.utc),
        4,
    )
    assert (row["type"], row["reason"], row["kind"], row["namespace"], row["name"], row["release"]) == (
        "Warning",
        "UpgradeFailed",
        "HelmRelease",
        "apps",
        "podinfo",
        "apps/podinfo",
    )
    assert (row["component"], row["revision"], row["token"], row["uid"], row["approximate"]) == (
        "helm-controller",
        "6.5.4",
        "8c2a9a3b",
        "3a1e0c9d-2b7f-4e1a-9d3c-5f6a7b8c9d0e",
        False,
    )
    assert row["line"] == 21 and row["message"].startswith("Helm upgrade failed")
