"""Kubernetes object documents (JSON/YAML, any container form) dispatched by `kind`.

The container formats are read by `parsers.kube`; each object then goes to the extractor of
its kind (`EXTRACTORS`). Objects of other kinds are counted in the inventory note, not
reported as problems: a bundle holds many kinds this tool has no use for.

Real tools write objects without `kind`: Go the items of its typed lists, older troubleshoot
versions (a 2021 bundle) their lists as bare arrays, users `kind: List` pastes of such items.
Such an object's kind comes from the strongest evidence there is: the list's kind
(`EventList`: the writer declares it; taken by `parsers.kube`), else the member's path in a
known layout, else the object's shape (`infer_kind`). The inventory note says which kinds
were inferred from a path or a shape. Without such evidence, or when path and shape
disagree, the object stays "(no kind)".
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import polars as pl

from parsers import (
    controllers,
    event_list_fast,
    helm_storage,
    helmrelease,
    k8s_events,
    kube,
    kustomizations,
    sources,
    yaml_fast,
)
from parsers._base import PYTHON_BOUND, SCHEMAS, TS, ParseResult, frame
from parsers.layouts import OBJECT_PATHS
from parsers.paste.yamlish import renest, unknown_names

NAME = "kubernetes-objects"
KIND = "releases, events, controllers"
TIMESTAMPS = {
    "first_ts": "Event firstTimestamp",
    "last_ts": "Event lastTimestamp",
    "last_transition": "Condition lastTransitionTime",
    "last_deployed": "History lastDeployed",
    "time": "managedFields time",
}

EXTRACTORS = {
    helmrelease.KIND: helmrelease.extract,
    **{kind: k8s_events.extract for kind in k8s_events.KINDS},
    **{kind: controllers.extract for kind in controllers.KINDS},
    **{kind: sources.extract for kind in sources.KINDS},
    **{kind: helm_storage.extract for kind in helm_storage.KINDS},
    **{kind: kustomizations.extract for kind in kustomizations.KINDS},
}

_SUFFIXES = (".json", ".yaml", ".yml", ".txt", "")


_STATUS_DOC = b"# Status documentation: https://fluxcd.io/flux/components/helm/helmreleases/#helmrelease-status"
_STATUS_KEYS = frozenset(
    {
        "observedGeneration",
        "conditions",
        "history",
        "helmChart",
        "lastAttemptedRevision",
        "lastAppliedRevision",
        "lastReleaseRevision",
        "lastAttemptedValuesChecksum",
        "lastAttemptedGeneration",
        "lastAttemptedConfigDigest",
        "lastAttemptedReleaseAction",
        "lastAttemptedReleaseActionDuration",
        "lastAttemptedRevisionDigest",
        "storageNamespace",
        "failures",
        "installFailures",
        "upgradeFailures",
        "lastHandledReconcileAt",
        "lastHandledForceAt",
        "lastHandledResetAt",
        "observedPostRenderersDigest",
        "observedCommonMetadataDigest",
        "inventory",
    }
)


def matches(path: str, head: bytes) -> bool:
    name = path.rsplit("/", 1)[-1]
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if suffix not in _SUFFIXES:
        return False
    # `flux debug hr NAME --show-status` output, or a `status:` fragment pasted alone.
    return kube.looks_like_objects(head) or head.lstrip().startswith((_STATUS_DOC, b"status:"))


def _status_only(doc: dict, source: str, result: ParseResult) -> dict | None:
    """A HelmRelease made of a bare status (`flux debug hr --show-status`, a `status:` paste).

    The status names no object: the key is taken from the newest history snapshot (the Helm
    release's name and namespace, which are the HelmRelease's by default), else unknown.
    """
    status = doc["status"] if set(doc) == {"status"} and isinstance(doc.get("status"), dict) else doc
    if not status or not set(status) <= _STATUS_KEYS:
        return None
    history = [h for h in status.get("history") or [] if isinstance(h, dict)]
    name = history[0].get("name") if history else None
    namespace = history[0].get("namespace") if history else None
    if not name:
        name = source.rsplit("/", 1)[-1].split(".", 1)[0]
        result.problem(source, None, f"status without a name: release named after the file ({name}), namespace unknown")
    return {"kind": helmrelease.KIND, "metadata": {"name": name, "namespace": namespace or "unknown"}, "status": status}


_EPOCH, _MICROSECOND = datetime(1970, 1, 1, tzinfo=timezone.utc), timedelta(microseconds=1)


def _frame(kind: str, rows: list[dict]) -> pl.DataFrame:
    """`frame(kind, rows)`, with the timestamps (`ts_value`'s UTC datetimes) handed to Polars as
    microseconds: the same frame, converted several times faster."""
    schema = dict(SCHEMAS[kind])
    columns = {name: [row.get(name) for row in rows] for name in schema}
    timestamps = []
    for name, dtype in schema.items():
        values = columns[name]
        if dtype == TS and all(
            value is None or (type(value) is datetime and value.tzinfo is timezone.utc) for value in values
        ):
            columns[name] = [None if value is None else (value - _EPOCH) // _MICROSECOND for value in values]
            schema[name] = pl.Int64
            timestamps.append(name)
    if not rows or not timestamps:
        return frame(kind, rows)
    return pl.DataFrame(columns, schema=schema, strict=False).with_columns(pl.col(timestamps).cast(TS))


def parse(data: bytes, source: str) -> ParseResult:
    if len(data) >= event_list_fast.MIN_BYTES:  # a big EventList: column-wise, the same rows
        fast = event_list_fast.parse(data, source, NAME)
        if fast is not None:
            return fast
    with PYTHON_BOUND:
        return _per_object(data, source)


def twin(data: bytes, json_path: str, json_data: bytes) -> ParseResult | None:
    """A YAML member that holds exactly the documents of the JSON member read before it
    (troubleshoot writes each custom resource file as `<ns>.json` and `<ns>.yaml`): a note
    instead of the same rows twice (the release dedupe would drop them, other kinds would be
    counted twice). None when they differ or either cannot be read so surely (json.loads, and
    yaml-rs where `yaml_fast` is sure PyYAML reads the text alike): the member is parsed."""
    try:
        expected = json.loads(json_data)
        text = data.decode("utf-8")
    except (ValueError, RecursionError):
        return None
    found = yaml_fast.load(text)
    if found is None or not yaml_fast.identical(found[0], expected, ordered=False):
        return None
    result = ParseResult(NAME)
    result.note = f"the same objects as {json_path.rsplit('/', 1)[-1]} (read there)"
    return result


def _per_object(data: bytes, source: str) -> ParseResult:
    """Every object of the member decoded and handed to its kind's extractor, in Python."""
    result = ParseResult(NAME)
    text = _text(data, source, result)
    lines = kube.Lines(text)
    loaded = kube.load(text, lines)
    if len(data) >= event_list_fast.MIN_BYTES and not loaded[1] and not result.problem_count():
        fast = event_list_fast.from_objects(loaded[0], lines, source, NAME)  # a YAML EventList
        if fast is not None:
            return fast
    for frame_kind, frame_rows in _rows_of(text, lines, source, result, loaded).items():
        result.add(frame_kind, _frame(frame_kind, frame_rows))
    return result


def parse_many(members: list[tuple[str, bytes]]) -> list[ParseResult | None]:
    """`parse` of each of many small members (crust-gather writes every object, every Event,
    as a file of its own): the same rows, problems and notes, but the frames of a run of
    members built once, on the run's last member's result (the others count their rows:
    `ParseResult.counted`). A frame costs a millisecond whatever its size: 200,000 one-event
    files would take minutes, and as many chunks in every frame after. None for a member
    whose result `parsers.parse_member` would not take as it is (no rows from a member not read
    whole, a problem, an error: the caller parses it alone); a run ends before it, so the rows keep member order."""
    results: list[ParseResult | None] = []
    run: list[tuple[ParseResult, dict[str, list[dict]]]] = []

    def close() -> None:
        combined: dict[str, list[dict]] = {}
        for result, rows in run:
            result.counted = sum(len(kind_rows) for kind_rows in rows.values())
            for frame_kind, kind_rows in rows.items():
                combined.setdefault(frame_kind, []).extend(kind_rows)
        for frame_kind, kind_rows in combined.items():
            run[-1][0].add(frame_kind, _frame(frame_kind, kind_rows))
        run.clear()

    with PYTHON_BOUND:
        started = [ParseResult(NAME) for _ in members]
        texts = [_text(data, source, result) for (source, data), result in zip(members, started)]
        lines = [kube.Lines(text) for text in texts]
        try:
            loaded: list = kube.load_many(texts, lines)
        except Exception:  # noqa: BLE001 - each member read alone below
            loaded = [None] * len(members)
        for (source, _), result, text, known, found in zip(members, started, texts, lines, loaded):
            try:
                rows = _rows_of(text, known, source, result, found)
            except Exception:  # noqa: BLE001 - parsed alone, where a failure becomes a problem row
                rows = {}
            if not (any(rows.values()) or result.whole) or result.problem_count():
                close()
                results.append(None)
                continue
            run.append((result, rows))
            results.append(result)
        close()
    return results


def _text(data: bytes, source: str, result: ParseResult) -> str:
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in data:
        result.problem(source, None, "invalid UTF-8 replaced with U+FFFD")
    return text


def _rows_of(
    text: str, lines: kube.Lines, source: str, result: ParseResult, loaded: tuple | None = None
) -> dict[str, list[dict]]:
    """The rows of every frame kind from the member's objects (`loaded`: `kube.load`'s
    reading of it, when made already; `lines`: its `kube.Lines`, text.split("\\n") searchable
    as one string by the Locators); its problems and note on `result`."""
    objects, problems = loaded if loaded is not None else kube.load(text, lines)
    for line, reason in problems:
        result.problem(source, line, reason)
    rows: dict[str, list[dict]] = {}
    kinds: Counter[str] = Counter()
    inferred: Counter[tuple[str, str]] = Counter()
    repaired: list[str] = []
    shapeless = 0  # objects of no kind that are no Kubernetes object either (no metadata)
    for obj in objects:
        doc, renested = renest(obj.doc)
        if renested:  # a manifest whose indentation Markdown flattened
            obj = kube.KubeObject(doc, obj.start, obj.end)
            repaired.append(f"line {obj.start}: flattened indentation put back under {', '.join(renested)}")
        obj, kind, basis = _kind_of(obj, source, result)
        kinds[kind or "(no kind)"] += 1
        shapeless += not kind and not isinstance(obj.doc.get("metadata"), dict)
        if basis:
            inferred[kind, basis] += 1
        extract = EXTRACTORS.get(kind)
        if extract is None:
            continue
        manifest = (
            kind == helmrelease.KIND
            and isinstance(obj.doc.get("metadata"), dict)
            and not obj.doc["metadata"].get("namespace")
        )
        if manifest:  # a manifest, not an object read from a cluster: its namespace is not known
            obj = kube.KubeObject(
                {**obj.doc, "metadata": {**obj.doc["metadata"], "namespace": "?"}}, obj.start, obj.end
            )
        try:
            for frame_kind, frame_rows in extract(obj, lines, source).items():
                if manifest:
                    for row in frame_rows:
                        unknown_names(row)
                rows.setdefault(frame_kind, []).extend(frame_rows)
        except (AttributeError, TypeError, ValueError) as error:
            result.problem(source, obj.start, f"{kind} object not understood: {error}")
    result.note = "; ".join([_note(kinds, inferred), *repaired])
    # read whole: Kubernetes objects (of a kind no frame takes, or troubleshoot's items written
    # without one), or JSON holding none (`[]`); a mapping of no kind may be text YAML took in
    result.whole = not (shapeless or result.problem_count()) and (bool(objects) or kube._is_json(text))
    return rows


def _kind_of(obj: kube.KubeObject, source: str, result: ParseResult) -> tuple[kube.KubeObject, str, str]:
    """The object (a bare status wrapped into a HelmRelease), its kind and, when the kind was
    inferred, from what ("" when the object names its kind; kind "" when nothing tells)."""
    kind = str(obj.doc.get("kind") or "")
    if kind:
        return obj, kind, ""
    if "metadata" not in obj.doc and "spec" not in obj.doc:
        wrapped = _status_only(obj.doc, source, result)
        if wrapped:
            return kube.KubeObject(wrapped, obj.start, obj.end), helmrelease.KIND, "the shape of a HelmRelease status"
    kind, basis = infer_kind(obj.doc, path_kind(source)) or ("", "")
    if kind:
        obj.doc["kind"] = kind  # the extractors read it
    return obj, kind, basis


def _note(kinds: Counter[str], inferred: Counter[tuple[str, str]]) -> str:
    """The member's objects counted by kind (`(no kind)` for those without), and which kinds
    were inferred from what (`inferred`: (kind, basis) -> count)."""
    parts = []
    for kind, count in sorted(kinds.items()):
        bases = sorted((basis, n) for (of, basis), n in inferred.items() if of == kind)
        if not bases:
            parts.append(f"{kind}×{count}")
        elif len(bases) == 1 and bases[0][1] == count:
            parts.append(f"{kind}×{count} (kind inferred from {bases[0][0]})")
        else:
            parts.append(
                f"{kind}×{count} (kind inferred for " + "; ".join(f"{n} from {basis}" for basis, n in bases) + ")"
            )
    return ", ".join(parts) or "no objects"


# --- the kind of an object written without one -----------------------------------------------

# (API group, resource, kind) of the kinds the extractors read; a layout names the resource by
# its plural (troubleshoot, must-gather, `kubectl cluster-info dump`) or by the kind lower-cased
# (crust-gather).
_RESOURCES = (
    ("", "events", "Event"),
    ("events.k8s.io", "events", "Event"),
    ("", "pods", "Pod"),
    ("apps", "deployments", "Deployment"),
    ("apps", "replicasets", "ReplicaSet"),
    ("apps", "statefulsets", "StatefulSet"),
    ("apps", "daemonsets", "DaemonSet"),
    ("helm.toolkit.fluxcd.io", "helmreleases", "HelmRelease"),
    ("source.toolkit.fluxcd.io", "helmcharts", "HelmChart"),
    ("source.toolkit.fluxcd.io", "helmrepositories", "HelmRepository"),
    ("source.toolkit.fluxcd.io", "ocirepositories", "OCIRepository"),
    ("source.toolkit.fluxcd.io", "gitrepositories", "GitRepository"),
    ("source.toolkit.fluxcd.io", "buckets", "Bucket"),
    ("source.toolkit.fluxcd.io", "externalartifacts", "ExternalArtifact"),
)
_BY_RESOURCE = {(group, name): kind for group, plural, kind in _RESOURCES for name in (plural, kind.lower())}
# A path that names the resource without its group: the core and apps ones (their plurals differ).
_BUILTIN = {plural: kind for group, plural, kind in _RESOURCES if group in ("", "apps")}


@lru_cache(maxsize=64)  # asked for each object of a member that has no kind
def path_kind(source: str) -> tuple[str, str] | None:
    """What the member's path in a known layout (`parsers.layouts`, the first pattern that
    matches) says of the kind of its objects: (kind, the path part saying it),
    ("", the path part) when it names a resource of an API group whose kinds this tool does not
    read (its objects are no HelmRelease, whatever their shape: `helmcharts.helm.cattle.io`),
    None when it says nothing."""
    for pattern, implied in OBJECT_PATHS:
        found = pattern.search(source)
        if not found:
            continue
        resource, group = found["resource"], found.groupdict().get("group") or implied
        group = "" if group == "core" else group
        kind = _BUILTIN.get(resource) if group is None else _BY_RESOURCE.get((group, resource))
        if kind:
            return kind, found["where"]
        return ("", found["where"]) if group and "." in group else None
    return None


def infer_kind(doc: dict, path: tuple[str, str] | None) -> tuple[str, str] | None:
    """(kind, what says so) of an object written without `kind`: from the member's path
    (`path_kind`) when it names one and the object has `metadata`, else from the object's
    shape; None without evidence or when the two disagree."""
    shape = shape_kind(doc)
    if path is None:
        return shape
    kind, where = path
    if not kind or not isinstance(doc.get("metadata"), dict) or (shape and shape[0] != kind):
        return None
    return kind, f"the path {where}"


def shape_kind(doc: dict) -> tuple[str, str] | None:
    """(kind, the fields that say so) of an object by fields only its kind has, as the API
    server writes them (defaults included); None when they do not single one kind out."""
    spec, status = doc.get("spec"), doc.get("status")
    spec = spec if isinstance(spec, dict) else {}
    status = status if isinstance(status, dict) else {}
    if isinstance(doc.get("involvedObject"), dict) and "reason" in doc:
        return "Event", "the shape involvedObject+reason"
    if isinstance(doc.get("regarding"), dict) and "note" in doc:
        return "Event", "the shape regarding+note"
    if isinstance(spec.get("containers"), list) and ("containerStatuses" in status or "phase" in status):
        return "Pod", "the shape spec.containers+status"  # (a pod template has no status)
    if isinstance(spec.get("template"), dict) and isinstance(spec.get("selector"), dict):
        # Deployment, ReplicaSet, StatefulSet, DaemonSet (and Job) share these: the fields
        # each one alone has, or the label a Deployment gives its ReplicaSets.
        selected = spec["selector"].get("matchLabels")
        if "strategy" in spec:
            return "Deployment", "the shape spec.template+spec.strategy"
        for key in ("podManagementPolicy", "serviceName"):
            if key in spec:
                return "StatefulSet", f"the shape spec.template+spec.{key}"
        if "desiredNumberScheduled" in status:
            return "DaemonSet", "the shape spec.template+status.desiredNumberScheduled"
        if isinstance(selected, dict) and "pod-template-hash" in selected:
            return "ReplicaSet", "the shape spec.template+spec.selector pod-template-hash"
        return None
    # A HelmRelease's chart spec or status; k3s's HelmChart has a `spec.chart` too, a name.
    if helmrelease.looks_like(doc) and not isinstance(spec.get("chart"), str):
        field = next((f"spec.{key}" for key in ("chart", "chartRef") if key in spec), "of a HelmRelease status")
        return helmrelease.KIND, f"the shape {field}"
    return None
