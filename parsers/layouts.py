"""The bundle layouts this tool reads, one row each (reference ecosystem.md §1a-§1c).

A row says how a bundle of its layout is recognised from its member paths, where it keeps pod
logs (the path names the namespace, pod and container) and objects (the path names their
resource), how it says when it was collected, and how to collect helm-controller's log in it
next time. The bundle reader (`forensics.bundle`) names the layout and reads the collection
time from this table, the log parsers take a log's pod from it (`log_context`), the object
parser a kindless object's kind (`parsers.objects.path_kind`) and the evidence gaps their
advice (`forensics.gaps`). Adding a layout is one row here plus its case in
`tests/test_layouts.py`.

Member paths are relative to the bundle root. The pod-log and object patterns are searched
anywhere in a path (a bundle read inside a ticket's archive keeps the archive's folders in
front of them), the table's order first: the first that matches decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A rotated kubelet file (`<n>.log.<YYYYMMDD-hhmmss>`; the `.gz` already taken off by the bundle reader).
_ROT = r"(?:\.\d{8}-\d{6})?(?:\.gz)?$"
# crust-gather and must-gather logs: the current container's, or the previous one's.
_CURRENT = r"(?:current|(?P<prev>previous))\.log"
# A kubelet file names no previous container: a `prev` group that never matches.
_NEVER = r"(?P<prev>(?!))?"
# The API version in a crust-gather path (`v1`, `v2beta2`).
_VERSION = r"v\d+(?:(?:alpha|beta)\d+)?"
# A troubleshoot custom resource folder or file: `<plural>.<group>`.
_CR = r"(?P<resource>[a-z0-9-]+)\.(?P<group>[a-z0-9.-]+)"


def _re(*parts: str) -> re.Pattern:
    """An object path's pattern: the parts joined, searched from the start of a path segment."""
    return re.compile(r"(?:^|/)" + "".join(parts))


@dataclass(frozen=True)
class Layout:
    """One bundle layout.

    `signs`: the layout is recognised when each of these patterns matches some member path
    (a layout without signs is the fallback). `pod_logs`: paths of log files, with the groups
    `ns`, `pod`, `container` and `prev` (a previous container's log). `objects`: paths of object
    files, with the groups `resource` (a plural, or a kind lower-cased), `where` (the part of the
    path quoted in the inventory note) and optionally `group`, each with the API group the path
    implies when it names none ("": core; None: core or apps, told apart by the plural).
    `stamp_file`: a member whose text is the collection time; `name_time`: a folder or archive
    name that carries it (year-month-day, hour, minute, second). `collect_logs`: how to collect
    helm-controller's log in this layout, a template over `{command}` (the kubectl command),
    `{part}` and `{collector}` (its troubleshoot.sh collector)."""

    name: str
    source: str  # where the layout is described (ecosystem.md, the tool's source)
    signs: tuple[re.Pattern, ...] = ()
    pod_logs: tuple[re.Pattern, ...] = ()
    objects: tuple[tuple[re.Pattern, str | None], ...] = ()
    stamp_file: str = ""
    name_time: re.Pattern | None = None
    collect_logs: str = "{command}"


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "troubleshoot",
        "ecosystem.md §1a; replicatedhq/troubleshoot pkg/collect/cluster_resources.go, logs.go",
        signs=(re.compile(r"^cluster-resources/"),),
        pod_logs=(
            # cluster-resources/pods/logs/<ns>/<pod>/<container>[-previous].log
            re.compile(r"pods/logs/(?P<ns>[^/]+)/(?P<pod>[^/]+)/(?P<container>[^/]+?)(?P<prev>-previous)?\.log" + _ROT),
        ),
        objects=(
            # custom resources: custom-resources/<plural>.<group>/<namespace>.json|yaml
            (_re(r"(?P<where>cluster-resources/custom-resources/", _CR, r"/)[^/]+\.(?:json|yaml)$"), None),
            # ... and cluster-scoped ones: custom-resources/<plural>.<group>.json|yaml
            (_re(r"(?P<where>cluster-resources/custom-resources/", _CR, r"\.(?:json|yaml))$"), None),
            # cluster-resources/<plural>/<namespace>.json (and `.yaml` twins)
            (_re(r"(?P<where>cluster-resources/(?P<resource>[a-z0-9-]+)/)[^/]+\.(?:json|yaml)$"), None),
        ),
        # support-bundle-2006-01-02T15_04_05: the collector's local time, no zone
        name_time=re.compile(r"support-bundle-(\d{4}-\d{2}-\d{2})T(\d{2})_(\d{2})_(\d{2})"),
        collect_logs=(
            "add part {part}'s collector to the troubleshoot spec: {collector} "
            "(forensics collect --troubleshoot prints the whole spec); or {command}"
        ),
    ),
    Layout(
        "crust-gather",
        "ecosystem.md §1c; crust-gather/crust-gather src/gather/representation.rs",
        signs=(re.compile(r"^collected\.timestamp$|^namespaces/[^/]+/v1/event/"),),
        pod_logs=(
            # namespaces/<ns>/v1/pod/<pod>/<container>/{current,previous}.log
            re.compile(r"namespaces/(?P<ns>[^/]+)/v1/pod/(?P<pod>[^/]+)/(?P<container>[^/]+)/" + _CURRENT + _ROT),
        ),
        objects=(
            # namespaces/<ns>/<group>-<version>|<version>/<kind lower-cased>/<name>.yaml, cluster/...
            (
                _re(
                    r"(?:namespaces/[^/]+|cluster)/(?P<where>(?:(?P<group>[a-z0-9.-]+)-)?",
                    _VERSION,
                    r"/(?P<resource>[a-z0-9]+)/)[^/]+\.yaml$",
                ),
                "",
            ),
        ),
        stamp_file="collected.timestamp",  # RFC3339, or epoch seconds
    ),
    Layout(
        "must-gather",
        "ecosystem.md §1c; openshift/oc pkg/cli/admin/inspect",
        signs=(re.compile(r"(?:^|/)namespaces/[^/]+/core/events\.yaml$|cluster-scoped-resources/"),),
        pod_logs=(
            # namespaces/<ns>/pods/<pod>/<container>/<container>/logs/{current,previous}.log
            re.compile(
                r"namespaces/(?P<ns>[^/]+)/pods/(?P<pod>[^/]+)/(?P<container>[^/]+)/[^/]+/logs/" + _CURRENT + _ROT
            ),
        ),
        objects=(
            # namespaces/<ns>/pods/<pod>/<pod>.yaml
            (_re(r"namespaces/[^/]+/(?P<where>(?P<resource>pods)/)(?P<pod>[^/]+)/(?P=pod)\.yaml$"), ""),
            # namespaces/<ns>/<group|core>/<plural>.yaml (a list) ...
            (_re(r"namespaces/[^/]+/(?P<where>(?P<group>[a-z0-9.-]+)/(?P<resource>[a-z0-9-]+)\.yaml)$"), ""),
            # ... or namespaces/<ns>/<group|core>/<plural>/<name>.yaml (one object)
            (_re(r"namespaces/[^/]+/(?P<where>(?P<group>[a-z0-9.-]+)/(?P<resource>[a-z0-9-]+)/)[^/]+\.yaml$"), ""),
        ),
    ),
    Layout(
        "cluster-info-dump",
        "ecosystem.md §1b; kubectl pkg/cmd/clusterinfo/clusterinfo_dump.go",
        # <ns>/events.json beside <ns>/<pod>/logs.txt, whose markers name each block's pod
        signs=(re.compile(r"(?:^|/)[^/]+/events\.json$"), re.compile(r"/logs\.txt$")),
        objects=(
            # <namespace>/<plural>.json (`.yaml` with -o yaml); a loose file named so too
            (_re(r"(?P<where>(?P<resource>[a-z]+)\.(?:json|yaml|yml))$"), None),
        ),
    ),
    Layout(
        "loose",
        "a folder or archive of kubectl/flux output; files copied from a node (sos report: ecosystem.md §1c, §1f)",
        pod_logs=(
            # kubelet: /var/log/pods/<ns>_<pod>_<uid>/<container>/<restart>.log[.<date>]
            re.compile(r"pods/(?P<ns>[^/_]+)_(?P<pod>[^/_]+)_[0-9a-f-]+/(?P<container>[^/]+)/\d+\.log" + _ROT + _NEVER),
            # kubelet: /var/log/containers/<pod>_<ns>_<container>-<64 hex id>.log
            re.compile(
                r"containers/(?P<pod>[^/_]+)_(?P<ns>[^/_]+)_(?P<container>[^/]+)-[0-9a-f]{64}\.log" + _ROT + _NEVER
            ),
        ),
    ),
)
BY_NAME = {layout.name: layout for layout in LAYOUTS}
STAMP_FILES = frozenset(layout.stamp_file for layout in LAYOUTS if layout.stamp_file)
_POD_LOGS = tuple(pattern for layout in LAYOUTS for pattern in layout.pod_logs)
OBJECT_PATHS = tuple(entry for layout in LAYOUTS for entry in layout.objects)


def detect(paths: set[str]) -> str:
    """The name of the first layout whose signs all match some of these member paths (the
    last, "loose", has none)."""
    found = (layout for layout in LAYOUTS if all(any(sign.search(path) for path in paths) for sign in layout.signs))
    return next(found).name


def log_context(path: str) -> dict:
    """Pod, container and namespace of a log file, from its path in a known layout."""
    for pattern in _POD_LOGS:
        found = pattern.search(path)
        if found:
            return {
                "pod": found["pod"],
                "container": found["container"],
                "pod_namespace": found["ns"],
                "previous": bool(found["prev"]),
            }
    return {"pod": None, "container": None, "pod_namespace": None, "previous": False}
