"""Objects written without `kind`: the kind from the list's kind, the member's path in a known
layout or the object's shape, said in the inventory note; none from weak or conflicting evidence."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from parsers import event_list_fast, objects

META = {"name": "x", "namespace": "flux-system", "uid": "u-1", "creationTimestamp": "2024-02-20T14:02:13Z"}
EVENT = {
    "metadata": {**META, "name": "hc.17b"},
    "involvedObject": {"kind": "HelmRelease", "namespace": "apps", "name": "podinfo"},
    "reason": "UpgradeFailed",
    "message": "Helm upgrade failed: timed out waiting for the condition",
    "type": "Warning",
    "source": {"component": "helm-controller"},
    "firstTimestamp": "2024-02-20T15:00:00Z",
    "lastTimestamp": "2024-02-20T15:05:00Z",
    "count": 2,
}
NEW_EVENT = {
    "metadata": {**META, "name": "hc.17c"},
    "regarding": {"kind": "HelmRelease", "namespace": "apps", "name": "podinfo"},
    "note": "Helm upgrade succeeded",
    "reason": "UpgradeSucceeded",
    "type": "Normal",
    "reportingController": "helm-controller",
    "eventTime": "2024-02-20T15:10:00.000000Z",
}
CONTAINERS = [{"name": "manager", "image": "ghcr.io/fluxcd/helm-controller:v1.1.0"}]
POD = {
    "metadata": {**META, "name": "helm-controller-6b5c9d8f47-q7m2x"},
    "spec": {"containers": CONTAINERS, "restartPolicy": "Always"},
    "status": {
        "phase": "Running",
        "containerStatuses": [
            {
                "name": "manager",
                "image": "ghcr.io/fluxcd/helm-controller:v1.1.0",
                "restartCount": 1,
                "state": {"running": {"startedAt": "2024-02-20T14:02:17Z"}},
            }
        ],
    },
}
TEMPLATE = {"metadata": {"labels": {"app": "helm-controller"}}, "spec": {"containers": CONTAINERS}}
SELECTOR = {"matchLabels": {"app": "helm-controller"}}
DEPLOYMENT = {
    "metadata": {**META, "name": "helm-controller"},
    "spec": {
        "replicas": 1,
        "selector": SELECTOR,
        "template": TEMPLATE,
        "strategy": {"type": "RollingUpdate"},
        "progressDeadlineSeconds": 600,
    },
    "status": {"replicas": 1},
}
REPLICASET = {
    "metadata": {**META, "name": "helm-controller-6b5c9d8f47"},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "helm-controller", "pod-template-hash": "6b5c9d8f47"}},
        "template": TEMPLATE,
    },
    "status": {"replicas": 1},
}
STATEFULSET = {
    "metadata": META,
    "spec": {
        "replicas": 1,
        "selector": SELECTOR,
        "template": TEMPLATE,
        "serviceName": "x",
        "podManagementPolicy": "OrderedReady",
    },
}
DAEMONSET = {
    "metadata": META,
    "spec": {"selector": SELECTOR, "template": TEMPLATE, "updateStrategy": {"type": "RollingUpdate"}},
    "status": {"desiredNumberScheduled": 3},
}
HELMRELEASE = {
    "metadata": {**META, "name": "podinfo", "namespace": "apps"},
    "spec": {
        "interval": "10m",
        "chart": {"spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}},
    },
}
# Ambiguous or not ours: shapes that single out no kind.
JOB = {
    "metadata": META,
    "spec": {"selector": {"matchLabels": {"controller-uid": "c"}}, "template": TEMPLATE, "backoffLimit": 6},
}
POD_TEMPLATE = {"metadata": META, "spec": {"containers": CONTAINERS}}  # no status: a template as well as a pod
K3S_HELMCHART = {"metadata": META, "spec": {"chart": "traefik", "repo": "https://traefik.github.io/charts"}}


def parse(doc, source: str) -> objects.ParseResult:
    data = doc if isinstance(doc, bytes) else json.dumps(doc, indent=2).encode()
    return objects.parse(data, source)


# --- the list's kind ------------------------------------------------------------------------------


def test_typed_list_gives_its_items_their_kind_without_a_note():
    """`PodList` declares its items' kind (Go writes them without): no inference to note."""
    for text in (
        json.dumps({"kind": "PodList", "apiVersion": "v1", "items": [POD]}, indent=2),
        yaml.safe_dump({"kind": "PodList", "apiVersion": "v1", "items": [POD]}),
    ):
        result = objects.parse(text.encode(), "flux-system.yaml")
        assert result.note == "Pod×1"
        assert result.frames["controllers"]["version"].to_list() == ["v1.1.0"]


def test_the_list_kind_is_stronger_than_the_path():
    result = parse({"kind": "EventList", "items": [EVENT]}, "support-bundle/cluster-resources/pods/apps.json")
    assert result.note == "Event×1"


def test_list_without_any_kind_is_read_as_a_list():
    """troubleshoot's run-pod collector: `{"metadata": ..., "items": [...]}`, no kind anywhere."""
    result = parse(
        {"metadata": {"resourceVersion": "709"}, "items": [EVENT, EVENT]}, "run-pod-example/run-pod-example-events.json"
    )
    assert result.note == "Event×2 (kind inferred from the shape involvedObject+reason)"
    assert result.frames["events"].height == 2


# --- the path -------------------------------------------------------------------------------------

LAYOUT_PATHS = [
    # troubleshoot (inside the bundle's top folder)
    ("support-bundle-2021-03-24T00_39_51/cluster-resources/events/test.json", ("Event", "cluster-resources/events/")),
    ("cluster-resources/pods/flux-system.json", ("Pod", "cluster-resources/pods/")),
    ("cluster-resources/deployments/flux-system.json", ("Deployment", "cluster-resources/deployments/")),
    ("cluster-resources/replicasets/flux-system.yaml", ("ReplicaSet", "cluster-resources/replicasets/")),
    ("cluster-resources/statefulsets/default.json", ("StatefulSet", "cluster-resources/statefulsets/")),
    ("cluster-resources/daemonsets/kube-system.json", ("DaemonSet", "cluster-resources/daemonsets/")),
    (
        "cluster-resources/custom-resources/helmreleases.helm.toolkit.fluxcd.io/apps.json",
        ("HelmRelease", "cluster-resources/custom-resources/helmreleases.helm.toolkit.fluxcd.io/"),
    ),
    (
        "cluster-resources/custom-resources/helmcharts.source.toolkit.fluxcd.io/flux-system.yaml",
        ("HelmChart", "cluster-resources/custom-resources/helmcharts.source.toolkit.fluxcd.io/"),
    ),
    # crust-gather
    (
        "crust-gather/namespaces/apps/helm.toolkit.fluxcd.io-v2beta2/helmrelease/podinfo.yaml",
        ("HelmRelease", "helm.toolkit.fluxcd.io-v2beta2/helmrelease/"),
    ),
    ("namespaces/flux-system/v1/event/hc.17a.yaml", ("Event", "v1/event/")),
    ("namespaces/flux-system/events.k8s.io-v1/event/hc.17a.yaml", ("Event", "events.k8s.io-v1/event/")),
    ("namespaces/flux-system/apps-v1/deployment/helm-controller.yaml", ("Deployment", "apps-v1/deployment/")),
    # must-gather
    ("must-gather.local.1/quay-io-x/namespaces/apps/core/events.yaml", ("Event", "core/events.yaml")),
    (
        "namespaces/apps/helm.toolkit.fluxcd.io/helmreleases.yaml",
        ("HelmRelease", "helm.toolkit.fluxcd.io/helmreleases.yaml"),
    ),
    ("namespaces/apps/apps/replicasets/web-6b5c9d8f47.yaml", ("ReplicaSet", "apps/replicasets/")),
    ("namespaces/flux-system/pods/helm-controller-1/helm-controller-1.yaml", ("Pod", "pods/")),
    # kubectl cluster-info dump
    ("dump/flux-system/events.json", ("Event", "events.json")),
    ("dump/flux-system/pods.json", ("Pod", "pods.json")),
    # resources of another API group: no HelmRelease whatever the shape
    (
        "cluster-resources/custom-resources/helmcharts.helm.cattle.io/kube-system.yaml",
        ("", "cluster-resources/custom-resources/helmcharts.helm.cattle.io/"),
    ),
    ("namespaces/kube-system/helm.cattle.io-v1/helmchart/traefik.yaml", ("", "helm.cattle.io-v1/helmchart/")),
    # paths that say nothing of the kind
    ("cluster-resources/services/default.json", None),
    ("cluster-resources/pods/logs/flux-system/helm-controller-1/manager.log", None),
    ("namespaces/apps/v1/service/web.yaml", None),
    ("flux-system-pods.yaml", None),
    ("helmreleases.yaml", None),
    ("analysis.json", None),
]


@pytest.mark.parametrize("path, expected", LAYOUT_PATHS, ids=[p for p, _ in LAYOUT_PATHS])
def test_path_kind(path, expected):
    assert objects.path_kind(path) == expected


def test_troubleshoot_bare_array_read_by_the_path():
    """troubleshoot before typed lists kept their kind: a bare array of items without any."""
    result = parse([EVENT, EVENT, EVENT], "support-bundle-2021-03-24T00_39_51/cluster-resources/events/apps.json")
    assert result.note == "Event×3 (kind inferred from the path cluster-resources/events/)"
    events = result.frames["events"]
    assert (
        events.height == 3 and set(events["reason"]) == {"UpgradeFailed"} and set(events["release"]) == {"apps/podinfo"}
    )
    assert all(excerpt.startswith('"message": "Helm upgrade failed') for excerpt in events["excerpt"])


def test_path_gives_the_kind_the_shape_cannot():
    """A pod without status has no Pod shape (a template has the same): its folder says Pod."""
    pod = {"metadata": {**META, "name": "helm-controller-1"}, "spec": {"containers": CONTAINERS}}
    result = parse([pod], "cluster-resources/pods/flux-system.json")
    assert result.note == "Pod×1 (kind inferred from the path cluster-resources/pods/)"
    assert result.frames["controllers"]["instance"].to_list() == ["spec"]


def test_kindless_controllers_from_troubleshoot_folders():
    pods = parse([POD], "support-bundle/cluster-resources/pods/flux-system.json")
    row = pods.frames["controllers"].row(0, named=True)
    assert (row["controller"], row["version"], row["restarts"], row["pod"]) == (
        "helm-controller",
        "v1.1.0",
        1,
        "helm-controller-6b5c9d8f47-q7m2x",
    )
    deployments = parse([DEPLOYMENT], "support-bundle/cluster-resources/deployments/flux-system.json")
    assert deployments.note == "Deployment×1 (kind inferred from the path cluster-resources/deployments/)"
    assert deployments.frames["controllers"]["pod"].to_list() == ["Deployment/helm-controller"]


def test_path_and_shape_disagreeing_give_no_kind():
    result = parse([EVENT, POD], "cluster-resources/pods/flux-system.json")
    assert result.note == "(no kind)×1, Pod×1 (kind inferred from the path cluster-resources/pods/)"
    assert "events" not in result.frames


def test_path_of_another_groups_resource_stops_the_shape_guess():
    """k3s's HelmChart has a `spec.chart`, as a HelmRelease: its folder says it is neither."""
    result = parse([HELMRELEASE], "cluster-resources/custom-resources/helmcharts.helm.cattle.io/kube-system.json")
    assert result.note == "(no kind)×1"
    assert result.frames == {}


def test_path_needs_an_object():
    """troubleshoot's error files and summaries in object folders have no `metadata`."""
    assert parse([{"error": "forbidden"}], "cluster-resources/events/apps.json").note == "(no kind)×1"


# --- the shape ------------------------------------------------------------------------------------

SHAPES = [
    (EVENT, "Event", "involvedObject+reason"),
    (NEW_EVENT, "Event", "regarding+note"),
    (POD, "Pod", "spec.containers+status"),
    (DEPLOYMENT, "Deployment", "spec.template+spec.strategy"),
    (REPLICASET, "ReplicaSet", "spec.template+spec.selector pod-template-hash"),
    (STATEFULSET, "StatefulSet", "spec.template+spec.podManagementPolicy"),
    (
        {"metadata": META, "spec": {"selector": SELECTOR, "template": TEMPLATE, "serviceName": "x"}},
        "StatefulSet",
        "spec.template+spec.serviceName",
    ),
    (DAEMONSET, "DaemonSet", "spec.template+status.desiredNumberScheduled"),
    (HELMRELEASE, "HelmRelease", "spec.chart"),
    (
        {"metadata": META, "spec": {"chartRef": {"kind": "OCIRepository", "name": "podinfo"}}},
        "HelmRelease",
        "spec.chartRef",
    ),
    ({"metadata": META, "status": {"history": [{"chartVersion": "6.5.0"}]}}, "HelmRelease", "of a HelmRelease status"),
]


@pytest.mark.parametrize("doc, kind, fields", SHAPES, ids=[s[1] + ":" + s[2] for s in SHAPES])
def test_shape_kind(doc, kind, fields):
    assert objects.shape_kind(copy.deepcopy(doc)) == (kind, f"the shape {fields}")
    result = parse({"apiVersion": "v1", "kind": "List", "items": [doc]}, "pasted.yaml")
    assert result.note == f"{kind}×1 (kind inferred from the shape {fields})"


@pytest.mark.parametrize(
    "doc",
    [JOB, POD_TEMPLATE, K3S_HELMCHART, {"metadata": META, "data": {"a": "b"}}, {"reason": "x"}],
    ids=["job", "pod-template", "k3s-helmchart", "configmap", "reason-only"],
)
def test_ambiguous_shapes_stay_without_kind(doc):
    assert objects.shape_kind(doc) is None
    assert parse({"apiVersion": "v1", "kind": "List", "items": [doc]}, "pasted.yaml").note == "(no kind)×1"


def test_kind_list_paste_of_events_and_pods():
    """`kind: List` names no element kind: events and pods of a YAML paste, by their shape."""
    text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [EVENT, NEW_EVENT, POD]})
    result = objects.parse(text.encode(), "ticket/attachment.yaml")
    assert result.note == (
        "Event×2 (kind inferred for 1 from the shape involvedObject+reason; 1 from the shape regarding+note), "
        "Pod×1 (kind inferred from the shape spec.containers+status)"
    )
    assert result.frames["events"]["reason"].to_list() == ["UpgradeFailed", "UpgradeSucceeded"]
    assert result.frames["controllers"]["controller"].to_list() == ["helm-controller"]
    lines = text.split("\n")
    for line, message in zip(result.frames["events"]["line"], ["Helm upgrade failed", "Helm upgrade succeeded"]):
        assert message in lines[line - 1]


# --- the fast EventList path ----------------------------------------------------------------------


def test_fast_event_path_leaves_kindless_arrays_to_the_per_object_path(monkeypatch):
    """A big bare array or `List` of events is declined by the column-wise reader (it reads
    `EventList`s only) and read whole by the per-object path, its kind from the path."""
    events = [dict(EVENT, metadata={**EVENT["metadata"], "uid": f"u-{i}"}) for i in range(3000)]
    bare = json.dumps(events, indent=2).encode()
    listed = json.dumps({"apiVersion": "v1", "kind": "List", "items": events}, indent=2).encode()
    assert len(bare) > event_list_fast.MIN_BYTES
    for data in (bare, listed):
        assert event_list_fast.parse(data, "cluster-resources/events/apps.json", objects.NAME) is None
        result = objects.parse(data, "cluster-resources/events/apps.json")
        assert result.note == "Event×3000 (kind inferred from the path cluster-resources/events/)"
        assert result.frames["events"].height == 3000
