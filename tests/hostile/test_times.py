"""No field sinks a run: times the outputs cannot show (Go's zero time, year 9999, epoch
numbers of any size), ages beyond reason (`5000y`) and dependency graphs of any shape.

A time outside `TIME_RANGE` is taken off the timeline and flagged (one problem per member
and column, citing the first row's line); an age beyond reason is a problem of its row, which
is kept. Every output is rendered without an exception. The property runs random timestamps
and ages through every frame that holds a time and every output, and random dependency graphs
through the report's graph.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.cli import main

from . import folder

TABLE_HEADER = "NAMESPACE   LAST SEEN   TYPE      REASON          OBJECT            MESSAGE"


def _release(ts: str) -> dict:
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {
            "name": "web",
            "namespace": "apps",
            "generation": 2,
            "creationTimestamp": ts,
            "managedFields": [{"manager": "helm-controller", "operation": "Update", "time": ts}],
        },
        "spec": {
            "interval": "5m",
            "chart": {"spec": {"chart": "web", "sourceRef": {"kind": "HelmRepository", "name": "charts"}}},
        },
        "status": {
            "observedGeneration": 2,
            "history": [
                {
                    "chartName": "web",
                    "chartVersion": "1.0.0",
                    "version": 2,
                    "status": "failed",
                    "firstDeployed": ts,
                    "lastDeployed": ts,
                }
            ],
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "UpgradeFailed",
                    "message": "Helm upgrade failed: timed out",
                    "lastTransitionTime": ts,
                }
            ],
        },
    }


def _event(ts: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web.1", "namespace": "apps", "uid": "u1"},
        "involvedObject": {"kind": "HelmRelease", "namespace": "apps", "name": "web"},
        "reason": "UpgradeFailed",
        "type": "Warning",
        "message": "Helm upgrade failed: timed out",
        "count": 2,
        "firstTimestamp": ts,
        "lastTimestamp": ts,
        "source": {"component": "helm-controller"},
    }


def _log(ts) -> str:
    return json.dumps(
        {
            "level": "error",
            "ts": ts,
            "msg": "Reconciler error",
            "error": "Helm upgrade failed: timed out",
            "controllerKind": "HelmRelease",
            "HelmRelease": {"name": "web", "namespace": "apps"},
            "namespace": "apps",
            "name": "web",
        }
    )


def _bundle(root: Path, ts: str, log_ts, age: str, stamp: str | None = None) -> Path:
    files = {
        "hr.json": json.dumps([_release(ts)], indent=2).encode(),
        "events.json": json.dumps({"apiVersion": "v1", "kind": "EventList", "items": [_event(ts)]}, indent=2).encode(),
        "events.txt": f"{TABLE_HEADER}\napps        {age:<12}Warning   UpgradeFailed   helmrelease/web   upgrade failed\n".encode(),
        "pods/logs/flux-system/helm-controller-1/manager.log": (_log(log_ts) + "\n").encode(),
    }
    if stamp is not None:
        files["collected.timestamp"] = stamp.encode()
    return folder(root, files)


def _every_output(path: Path, tmp: Path) -> dict[str, str]:
    """Every output, in process (an exception fails the test with its traceback)."""
    from rich.console import Console

    import forensics
    from forensics.report import print_timeline, print_triage, render
    from forensics.report.export import write_parquet, write_timesketch

    run = forensics.run(str(path))
    texts = {fmt: render(run.analysis, fmt) for fmt in ("html", "json", "md")}
    console = Console(record=True, width=300, file=io.StringIO())
    print_triage(run.analysis, console)
    print_timeline(run.analysis, run.timeline, "apps/web", 500, console)
    texts["terminal"] = console.export_text()
    write_timesketch(run.timeline, tmp / "t.csv")
    write_timesketch(run.timeline, tmp / "t.jsonl")
    write_parquet(run.frames, run.timeline, tmp / "pq")
    return texts


@pytest.mark.parametrize("ts", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"])
def test_a_time_the_outputs_cannot_show_is_flagged_not_fatal(ts, tmp_path):
    path = _bundle(tmp_path / "support-bundle-2024-01-15T09_48_30", ts, ts, "5000y")
    texts = _every_output(path, tmp_path)
    analysis = json.loads(texts["json"])
    reasons = [p["reason"] for p in analysis["problems"]]
    for column in (
        "releases.ready_since",
        "conditions.last_transition",
        "history.last_deployed",
        "managed_fields.time",
        "events.last_ts",
    ):
        assert any(f"in {column} outside 1970-2200 (first: {ts}" in reason for reason in reasons), (column, reasons)
    assert "age beyond reason (5000y, first 5000y): the event's times are not known" in reasons
    assert analysis["bundle"]["rows"]["events"] == 2  # the table row is kept
    assert analysis["bundle"]["window_start"] is None or analysis["bundle"]["window_start"] >= "1970"


def test_a_bundle_name_or_stamp_with_no_real_time_is_no_collection_time(tmp_path):
    for root, stamp in (
        ("support-bundle-2024-13-45T99_99_99", None),
        ("b", "0001-01-01T00:00:00Z"),
        ("c", "99999999999999999999"),
    ):
        path = _bundle(tmp_path / root, "2024-01-15T09:00:00Z", "2024-01-15T09:00:00Z", "5m", stamp)
        result = CliRunner().invoke(main, ["analyze", str(path), "-f", "json", "-o", "-"])
        assert result.exit_code in (0, 3, 4), result.output
        assert json.loads(result.stdout)["bundle"]["collected_at"] is None


_TIMES = st.one_of(
    st.datetimes(timezones=st.just(__import__("datetime").timezone.utc)).map(
        lambda d: d.isoformat().replace("+00:00", "Z")
    ),
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
            "",
            "null",
            "2024-02-30T00:00:00Z",
            "2024-01-15T09:00:00+14:00",
            "2024-01-15 09:00:00",
            "1e300",
            "-1",
            "1705309200",
            "99999999999999999999",
        ]
    ),
    st.text(max_size=30),
)
_LOG_TIMES = st.one_of(
    _TIMES, st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(2**70), max_value=2**70)
)
_AGES = st.one_of(
    st.from_regex(r"[0-9]{1,25}[ydhms]([0-9]{1,5}[ydhms])?", fullmatch=True),
    st.sampled_from(["<unknown>", "5000y", "0s", "x"]),
)
_STAMPS = st.one_of(st.none(), _TIMES)


@settings(
    max_examples=min(settings().max_examples, 15)
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci"
    else settings().max_examples
)
@given(ts=_TIMES, log_ts=_LOG_TIMES, age=_AGES, stamp=_STAMPS)
def test_no_timestamp_or_age_raises(ts, log_ts, age, stamp, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("times")
    path = _bundle(tmp / "support-bundle-2024-01-15T09_48_30", ts, log_ts, age.replace(" ", ""), stamp)
    texts = _every_output(path, tmp)
    assert json.loads(texts["json"])["bundle"]["rows"]["releases"] == 1


def _graph(edges: list[tuple[str, str]]):
    """A stand-in Analysis with these dependsOn edges (the graph reads nothing else)."""
    dependencies = [
        SimpleNamespace(release=a, depends_on=b, source="hr.yaml", line=i + 1) for i, (a, b) in enumerate(edges)
    ]
    names = sorted({a for a, _ in edges} | {b for _, b in edges})
    verdicts = [
        SimpleNamespace(release=n, chain=[], primary=None, label="healthy", healthy=True, severity=None) for n in names
    ]
    return SimpleNamespace(dependencies=dependencies, verdicts=verdicts)


@pytest.mark.parametrize("shape", ["chain", "cycle"])
def test_the_dependency_graph_of_a_long_chain_or_cycle_is_drawn(shape):
    from forensics.report.graph import dependency_graph

    n = 3000 if shape == "chain" else 1500
    edges = [(f"apps/r{i}", f"apps/r{(i + 1) % n if shape == 'cycle' else i + 1}") for i in range(n)]
    graph = dependency_graph(_graph(edges), lambda name: name)
    assert len(graph["nodes"]) == (n + 1 if shape == "chain" else n) and len(graph["edges"]) == n
    columns = {node["name"]: node["x"] for node in graph["nodes"]}
    if shape == "chain":  # a dependency left of its dependent (deeper than the last column, they share it)
        assert columns[f"apps/r{n - 1}"] > columns[f"apps/r{n}"]
    assert len(set(columns.values())) <= 41 and graph["width"] < 20_000  # columns capped: the page stays drawable


@settings(max_examples=min(settings().max_examples, 50))
@given(edges=st.lists(st.tuples(st.integers(0, 25), st.integers(0, 25)), max_size=60))
def test_any_dependency_graph_is_drawn(edges):
    """Any graph (self-edges, cycles, diamonds, repeated edges): every node placed, and a
    dependency left of its dependent wherever the edge is in no cycle."""
    from forensics.report.graph import dependency_graph

    named = [(f"apps/r{a}", f"apps/r{b}") for a, b in edges]
    graph = dependency_graph(_graph(named), lambda name: name)
    if not named:
        assert graph is None
        return
    column = {node["name"]: node["x"] for node in graph["nodes"]}
    assert set(column) == {name for edge in named for name in edge}
    reach = {name: set() for name in column}  # what each node reaches through its dependencies
    for a, b in named:
        reach[a].add(b)
    for _ in column:
        for name in reach:
            reach[name] |= {c for b in reach[name] for c in reach[b]}
    for a, b in named:
        if a not in reach[b]:  # b does not lead back to a: no cycle through this edge
            assert column[b] < column[a], (a, b)
