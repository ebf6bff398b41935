"""Small members are parsed in groups (`parsers.parse_small`): crust-gather writes every
object, every Event, as a file of its own. A group gives what parsing each member alone
gives: the same frames in member order, problems, inventory rows and notes."""

from __future__ import annotations

import polars as pl
import pytest
import yaml
from polars.testing import assert_frame_equal

import parsers
from forensics import load as loading
from parsers import FRAME_NAMES

POD = "helm-controller-5d8b9c7f4-x2x9k"


def _event(i: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"r{i % 3}.17a{i:04d}", "namespace": "apps", "uid": f"uid-{i:04d}"},
        "involvedObject": {"kind": "HelmRelease", "name": f"r{i % 3}", "namespace": "apps"},
        "reason": "UpgradeFailed" if i % 2 else "InstallSucceeded",
        "message": f"Helm upgrade failed: timed out waiting for the condition ({i})",
        "type": "Warning" if i % 2 else "Normal",
        "count": 1 + i % 4,
        "firstTimestamp": f"2024-03-12T10:{i % 60:02d}:00Z",
        "lastTimestamp": f"2024-03-12T10:{i % 60:02d}:30Z",
        "source": {"component": "helm-controller"},
    }


def _release(name: str) -> dict:
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": "apps", "uid": f"uid-{name}"},
        "spec": {"interval": "10m", "chart": {"spec": {"chart": name, "version": "1.0.0"}}},
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "UpgradeFailed",
                    "message": "Helm upgrade failed: timed out waiting for the condition",
                    "lastTransitionTime": "2024-03-12T10:00:30Z",
                }
            ]
        },
    }


def _members() -> list[tuple[str, bytes]]:
    """A crust-gather folder's files in walk order, with what breaks a run of object files: a
    file with a problem, one of a kind no extractor reads, a log, a file that is no object."""
    out = [
        (f"namespaces/apps/helm.toolkit.fluxcd.io-v2/helmrelease/r{i}.yaml", yaml.safe_dump(_release(f"r{i}")))
        for i in range(3)
    ]
    out += [(f"namespaces/apps/v1/event/e{i:04d}.yaml", yaml.safe_dump(_event(i))) for i in range(40)]
    # rows and a problem: parsed alone, its rows between those of the runs around it
    broken = yaml.safe_dump(_event(99)) + "---\nkind: Event\nmetadata: {name: [\n"
    out.insert(10, ("namespaces/apps/v1/event/broken.yaml", broken))
    out.insert(20, ("namespaces/apps/v1/configmap/settings.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n"))
    out.insert(
        30,
        (
            f"namespaces/flux-system/v1/pod/{POD}/manager/current.log",
            '2024-03-12T10:00:00.000000000Z {"level":"info","ts":"2024-03-12T10:00:00Z","msg":"hello"}\n',
        ),
    )
    out.insert(35, ("namespaces/apps/v1/event/notes.txt", "just some words\n"))
    return [(path, text.encode()) for path, text in out]


def _concat(results, kind: str) -> pl.DataFrame:
    frames = [r.frames[kind] for r in results if r is not None and kind in r.frames]
    return pl.concat(frames) if frames else parsers.empty(kind)


def test_a_group_gives_what_each_member_alone_gives():
    members = _members()
    alone = [parsers.parse_member(path, data) for path, data in members]
    grouped = parsers.parse_small(members)
    assert [r is None for r in grouped] == [r is None for r in alone]
    for one, together in zip(alone, grouped):
        if one is None:
            continue
        assert (together.parser, together.rows(), together.problems, together.note) == (
            one.parser,
            one.rows(),
            one.problems,
            one.note,
        )
    for kind in FRAME_NAMES:
        assert_frame_equal(_concat(grouped, kind), _concat(alone, kind))
    # the object files' frames were built a few times, not once per member
    holders = [r for r in grouped if r is not None and r.counted is not None and r.frames]
    assert 1 < len(holders) < 10
    assert sum(r.rows() for r in grouped if r is not None) == sum(r.rows() for r in alone if r is not None)


@pytest.mark.parametrize("group", [1, 7, 512])
def test_a_folder_of_small_files_loads_as_member_by_member(tmp_path, monkeypatch, group):
    root = tmp_path / "crust-gather"
    for path, data in _members():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    (root / "collected.timestamp").write_text("2024-03-12T11:00:00Z\n")
    monkeypatch.setattr(loading, "SMALL_BYTES", 0)  # no member is small: each parsed alone
    reference = loading.load(str(root))
    monkeypatch.setattr(loading, "SMALL_BYTES", 64 * 1024)
    monkeypatch.setattr(loading, "SMALL_GROUP", group)
    frames = loading.load(str(root))
    assert frames["events"].height == 41
    for kind in FRAME_NAMES:
        assert_frame_equal(frames[kind], reference[kind])
    assert [(i.path, i.parser, i.rows, i.problems, i.note) for i in frames.inventory] == [
        (i.path, i.parser, i.rows, i.problems, i.note) for i in reference.inventory
    ]
