"""Three support bundles written by troubleshoot.sh itself on real clusters (../shared/real-bundles,
read from there, never copied): every member accounted for in the inventory, and the objects
troubleshoot wrote without `kind` (2021: typed lists as bare arrays) read by their kind."""

from __future__ import annotations

import re
import tarfile
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics.cli import main
from forensics.load import load
from parsers import foreign

ROOT = Path(__file__).resolve().parent.parent
BUNDLES = ROOT.parent / "shared" / "real-bundles"
NAMES = ("troubleshoot-2021-03-24.tar.gz", "troubleshoot-2022-12-21.tar.gz", "troubleshoot-baseline-2025.tar.gz")
OLD = "troubleshoot-2021-03-24.tar.gz"
UNREAD = ("symlink to ", "hard link to ", "refused: ", "no parser recognises this file", foreign.NOTE)


def bundle(name: str) -> Path:
    path = BUNDLES / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path


@pytest.fixture(scope="module")
def loaded():
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = load(str(bundle(name)))
        return cache[name]

    return get


def kinds(frames) -> Counter:
    """Objects per kind over the inventory notes (`Event×6 (kind inferred ...)`)."""
    counted: Counter = Counter()
    for item in frames.inventory:
        if item.parser == "kubernetes-objects":
            for kind, count in re.findall(r"(?:^|, )([^,×]+)×(\d+)", item.note):
                counted[kind] += int(count)
    return counted


@pytest.mark.parametrize("name", NAMES)
def test_every_member_is_accounted_for(name, loaded):
    with tarfile.open(bundle(name)) as archive:
        entries = [info.name for info in archive.getmembers() if not info.isdir()]
    top = {entry.split("/", 1)[0] for entry in entries}
    assert len(top) == 1  # troubleshoot's one top folder, the bundle root
    members = {entry.split("/", 1)[1] for entry in entries}
    frames = loaded(name)
    by_path = {item.path: item for item in frames.inventory}
    assert len(by_path) == len(frames.inventory)  # each member once
    assert set(by_path) == members
    for item in frames.inventory:
        assert item.parser or item.note.startswith(UNREAD), item


def test_the_logs_of_other_programs_past_64_kb_are_listed_not_read(loaded):
    frames = loaded("troubleshoot-2022-12-21.tar.gz")
    listed = sorted(item.path.rsplit("/", 1)[1] for item in frames.inventory if item.note == foreign.NOTE)
    assert listed == ["coredns.log", "hello.log"]  # 75 and 274 kB; the smaller logs are read
    assert not frames["problems"].filter(frames["problems"]["source"].str.ends_with("/hello.log")).height


def test_2021_objects_without_kind_are_read_by_kind(loaded):
    frames = loaded(OLD)
    counted = kinds(frames)
    assert (counted["Event"], counted["Pod"], counted["Deployment"], counted["StatefulSet"]) == (379, 47, 23, 11)
    assert frames["events"].height == 379
    assert frames["events"]["source"].str.starts_with("cluster-resources/events/").all()
    notes = {item.path: item.note for item in frames.inventory}
    assert (
        notes["cluster-resources/events/test.json"]
        == "Event×369 (kind inferred from the path cluster-resources/events/)"
    )
    assert (
        notes["cluster-resources/pods/default.json"] == "Pod×26 (kind inferred from the path cluster-resources/pods/)"
    )
    # No Flux controller runs there: its pods and deployments give no controllers row.
    assert frames["controllers"].height == 0
    # Kinds this tool does not read stay without one (Services, PVCs, Namespaces, ...).
    assert notes["cluster-resources/services/default.json"] == "(no kind)×22"


def test_2021_events_are_the_files_events(loaded):
    """Each row is one of the file's items: its reason and the line holding its message."""
    frames = loaded(OLD)
    events = frames["events"].filter(frames["events"]["source"] == "cluster-resources/events/qakots.json")
    assert events.height == 4
    assert events["reason"].null_count() == 0 and events["first_ts"].null_count() == 0
    assert all('"message":' in excerpt for excerpt in events["excerpt"])


def test_2021_bundle_is_no_longer_nothing_usable(tmp_path):
    result = CliRunner().invoke(main, ["analyze", str(bundle(OLD)), "-f", "json", "-o", str(tmp_path / "a.json")])
    assert result.exit_code == 0, result.output  # no HelmRelease there: no finding, but read


def test_baseline_run_pod_output_is_read_by_shape(loaded):
    """troubleshoot's run-pod collector writes its pod and an event list without any kind."""
    notes = {item.path: item.note for item in loaded("troubleshoot-baseline-2025.tar.gz").inventory}
    assert (
        notes["run-pod-example/run-pod-example-events.json"]
        == "Event×5 (kind inferred from the shape involvedObject+reason)"
    )
    assert (
        notes["run-pod-example/run-pod-example.json"] == "Pod×1 (kind inferred from the shape spec.containers+status)"
    )
    # Typed lists whose items carry their kind: nothing inferred.
    assert notes["cluster-resources/events/kube-system.json"] == "Event×85"
