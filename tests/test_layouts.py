"""Each bundle layout, built in tmp_path from a small loose sample case, gives the same
findings as the loose folder (ecosystem.md §1a-§1c for the layouts)."""

from __future__ import annotations

import io
import json
import shutil
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

import forensics
from forensics.load import load
import parsers
from parsers import layouts

CASE = Path(__file__).resolve().parent.parent / "samples" / "cases" / "DP001" / "fires-stale-condition-after-pass"
POD = "helm-controller-5d8b9c7f4-x2x9k"
STAMP = "2024-01-15T09:48:30.000000000Z "  # kubelet RFC3339NanoFixed prefix (crust-gather, must-gather)


def findings(path) -> set[tuple[str, str, str]]:
    return {(f.rule, f.release, f.label) for f in forensics.analyze(str(path)).findings}


@pytest.fixture(scope="module")
def expected():
    found = findings(CASE)
    assert found  # the case fires: the comparison is meaningful
    return found


def releases() -> list[dict]:
    return yaml.safe_load((CASE / "helmreleases.yaml").read_text())["items"]


def log_lines() -> list[str]:
    return (CASE / "helm-controller.log").read_text().splitlines()


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


EVENT = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"name": "hc.17a", "namespace": "flux-system", "uid": "0d5c6a1e-1111-4c1d-9e8f-0a1b2c3d4e5f"},
    "involvedObject": {"kind": "Pod", "namespace": "flux-system", "name": POD},
    "reason": "Pulled",
    "message": 'Container image "ghcr.io/fluxcd/helm-controller:v0.37.2" already present on machine',
    "type": "Normal",
    "source": {"component": "kubelet"},
    "firstTimestamp": "2024-01-15T09:02:10Z",
    "lastTimestamp": "2024-01-15T09:02:10Z",
    "count": 1,
}


def test_crust_gather(tmp_path, expected):
    root = tmp_path / "crust-gather"
    write(root / "collected.timestamp", "2024-01-15T09:48:30Z\n")
    for obj in releases():
        meta = obj["metadata"]
        group = obj["apiVersion"].lower().replace("/", "-")
        write(root / f"namespaces/{meta['namespace']}/{group}/helmrelease/{meta['name']}.yaml", yaml.safe_dump(obj))
    write(
        root / f"namespaces/flux-system/v1/pod/{POD}/manager/current.log",
        "\n".join(STAMP + line for line in log_lines()) + "\n",
    )
    # The same Event seen through core/v1 and events.k8s.io/v1 discovery: counted once (uid).
    write(root / "namespaces/flux-system/v1/event/hc.17a.yaml", yaml.safe_dump(EVENT))
    write(root / "namespaces/flux-system/events.k8s.io-v1/event/hc.17a.yaml", yaml.safe_dump(EVENT))
    frames = load(str(root))
    assert frames.bundle.layout == "crust-gather"
    assert frames.bundle.collected_at.isoformat() == "2024-01-15T09:48:30+00:00"
    assert frames["events"].height == 1
    assert set(frames["logs"]["pod"].unique()) == {POD}
    assert findings(root) == expected


def test_must_gather(tmp_path, expected):
    root = tmp_path / "must-gather.local.5532" / "quay-io-openshift-must-gather-sha256-1a2b"
    by_ns: dict[str, list] = {}
    for obj in releases():
        by_ns.setdefault(obj["metadata"]["namespace"], []).append(obj)
    for ns, items in by_ns.items():
        write(
            root / f"namespaces/{ns}/helm.toolkit.fluxcd.io/helmreleases.yaml",
            yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}),
        )
        write(
            root / f"namespaces/{ns}/core/events.yaml",
            yaml.safe_dump({"apiVersion": "v1", "kind": "EventList", "items": []}),
        )
    write(
        root / f"namespaces/flux-system/pods/{POD}/manager/manager/logs/current.log",
        "\n".join(STAMP + line for line in log_lines()) + "\n",
    )
    write(
        root / "cluster-scoped-resources/core/nodes/node-1.yaml",
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-1\n",
    )
    frames = load(str(tmp_path / "must-gather.local.5532"))
    assert frames.bundle.layout == "must-gather"
    assert set(frames["logs"]["container"].unique()) == {"manager"}
    assert findings(tmp_path / "must-gather.local.5532") == expected


def block(lines: list[str]) -> str:
    return (
        "\n".join(
            [f"==== START logs for container manager of pod flux-system/{POD} ===="]
            + lines
            + [f"==== END logs for container manager of pod flux-system/{POD} ===="]
        )
        + "\n"
    )


def test_cluster_info_dump_folder(tmp_path, expected):
    root = tmp_path / "dump"
    write(root / "nodes.json", json.dumps({"kind": "NodeList", "apiVersion": "v1", "items": []}, indent=4))
    write(
        root / "flux-system/events.json",
        json.dumps({"kind": "EventList", "apiVersion": "v1", "items": [EVENT]}, indent=4),
    )
    write(root / "flux-system/pods.json", json.dumps({"kind": "PodList", "apiVersion": "v1", "items": []}, indent=4))
    write(root / f"flux-system/{POD}/logs.txt", block(log_lines()))
    shutil.copy(CASE / "helmreleases.yaml", root / "helmreleases.yaml")  # `kubectl get hr -A -o yaml` beside it
    frames = load(str(root))
    assert frames.bundle.layout == "cluster-info-dump"
    assert frames["logs"].height == len(log_lines())
    assert findings(root) == expected


@pytest.mark.parametrize("nodes", [0, 60])
def test_cluster_info_dump_stdout_stream(tmp_path, expected, nodes):
    """Objects, then log blocks; with 60 nodes first, the first block is past the sniffed head."""
    root = tmp_path / "ticket"
    node_list = {
        "kind": "NodeList",
        "apiVersion": "v1",
        "items": [{"kind": "Node", "metadata": {"name": f"node-{i}"}} for i in range(nodes)],
    }
    stream = (
        (json.dumps(node_list, indent=4) + "\n") * bool(nodes)
        + json.dumps({"kind": "EventList", "apiVersion": "v1", "items": [EVENT]}, indent=4)
        + "\n"
        + block(log_lines())
    )
    assert (stream.index("==== START") > parsers.SNIFF_BYTES) == bool(nodes)
    write(root / "cluster-info-dump.txt", stream)
    shutil.copy(CASE / "helmreleases.yaml", root / "helmreleases.yaml")
    frames = load(str(root))
    assert frames["events"].height == 1 and frames["logs"].height == len(log_lines())
    assert frames["problems"].height == 0
    assert findings(root) == expected


def tgz(path: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for file in sorted(CASE.iterdir()):
            tar.add(file, arcname=f"case/{file.name}")
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def test_tgz_archive(tmp_path, expected):
    archive = tmp_path / "case.tgz"
    tgz(archive)
    assert findings(archive) == expected


def test_standard_input(tmp_path, expected, monkeypatch):
    data = tgz(tmp_path / "case.tgz")
    monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": io.BytesIO(data)})())
    assert findings("-") == expected


def test_inventory_command_lists_every_member(tmp_path):
    from click.testing import CliRunner

    from forensics.cli import main

    root = tmp_path / "b"
    shutil.copytree(CASE, root)
    write(root / "notes.bin", "\x00\x01 not a format\n")
    (root / "alias.log").symlink_to("helm-controller.log")
    result = CliRunner().invoke(main, ["inventory", str(root)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("b: layout loose")
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in lines[1:]}
    assert rows["helm-controller.log"][:3] == ["zap-json-log", "rows=7", "problems=0"]
    assert rows["helmreleases.yaml"][0] == "kubernetes-objects"
    assert rows["notes.bin"][0] == "-" and "no parser" in rows["notes.bin"][3]
    assert "symlink to helm-controller.log" in rows["alias.log"][3]


# One small tree per row of the layout table: its member paths, and a log file whose path names
# its pod as (namespace, pod, container, previous). A new layout without its tree here fails.
TREES = {
    "troubleshoot": (
        {
            "version.yaml",
            "cluster-resources/events/apps.json",
            "cluster-resources/pods/logs/flux-system/hc-1/manager-previous.log",
        },
        ("cluster-resources/pods/logs/flux-system/hc-1/manager-previous.log", ("flux-system", "hc-1", "manager", True)),
    ),
    "crust-gather": (
        {
            "collected.timestamp",
            "namespaces/apps/v1/event/x.yaml",
            "namespaces/flux-system/v1/pod/hc-1/manager/current.log",
        },
        ("namespaces/flux-system/v1/pod/hc-1/manager/current.log", ("flux-system", "hc-1", "manager", False)),
    ),
    "must-gather": (
        {"namespaces/apps/core/events.yaml", "namespaces/flux-system/pods/hc-1/manager/manager/logs/previous.log"},
        (
            "namespaces/flux-system/pods/hc-1/manager/manager/logs/previous.log",
            ("flux-system", "hc-1", "manager", True),
        ),
    ),
    "cluster-info-dump": ({"apps/events.json", "apps/pod-1/logs.txt"}, None),  # the blocks' markers name the pod
    "loose": (
        {"helmreleases.yaml", "var/log/pods/flux-system_hc-1_0d5c6a1e-1111/manager/0.log.20240115-094830"},
        (
            "var/log/pods/flux-system_hc-1_0d5c6a1e-1111/manager/0.log.20240115-094830",
            ("flux-system", "hc-1", "manager", False),
        ),
    ),
}


@pytest.mark.parametrize("layout", layouts.LAYOUTS, ids=lambda layout: layout.name)
def test_each_row_of_the_layout_table_is_recognised_and_names_its_pods(layout):
    paths, log = TREES[layout.name]
    assert layouts.detect(paths) == layout.name
    assert layout.source and (layout.signs or layout is layouts.LAYOUTS[-1])  # only the fallback has no signs
    if log is not None:
        path, (namespace, pod, container, previous) = log
        assert layouts.log_context(path) == {
            "pod": pod,
            "container": container,
            "pod_namespace": namespace,
            "previous": previous,
        }
        assert layouts.log_context("elsewhere/" + path)["pod"] == pod  # inside a ticket's folder too


def test_the_first_layout_whose_signs_match_is_the_layout():
    troubleshoot, crust = TREES["troubleshoot"][0], TREES["crust-gather"][0]
    assert layouts.detect(troubleshoot | crust) == "troubleshoot"
    assert layouts.detect({"apps/events.json"}) == "loose"  # a cluster-info dump has both signs


@pytest.mark.parametrize("in_troubleshoot", [True, False])
def test_the_missing_log_gap_says_how_to_collect_it_in_the_layout(tmp_path, in_troubleshoot):
    """A troubleshoot bundle without helm-controller's log is told the collector to add to its
    spec; a loose folder the kubectl command."""
    from forensics import collect

    folder = "cluster-resources/custom-resources/helmreleases.helm.toolkit.fluxcd.io/" if in_troubleshoot else ""
    write(tmp_path / f"{folder}apps.yaml", (CASE / "helmreleases.yaml").read_text())
    write(tmp_path / "version.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n")  # a second top entry
    analysis = forensics.analyze(str(tmp_path))
    assert analysis.bundle.layout == ("troubleshoot" if in_troubleshoot else "loose")
    how = next(gap.how_to_collect for gap in analysis.gaps if gap.missing == "helm-controller logs")
    assert collect.hint("helm-controller-logs") in how
    assert (collect.inline_collector("helm-controller-logs") in how) == in_troubleshoot
