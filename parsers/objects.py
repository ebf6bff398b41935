"""Kubernetes object documents (JSON/YAML, any container form) dispatched by `kind`.

The container formats are read by `parsers.kube`; each object then goes to the extractor of
its kind (`EXTRACTORS`). Objects of other kinds are counted in the inventory note, not
reported as problems: a bundle holds many kinds this tool has no use for.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import polars as pl

from parsers import controllers, helm_storage, helmrelease, k8s_events, kube, sources
from parsers._base import PYTHON_BOUND, SCHEMAS, TS, ParseResult, frame

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
}

_SUFFIXES = (".json", ".yaml", ".yml", ".txt", "")


_STATUS_DOC = b"# Status documentation: https://fluxcd.io/flux/components/helm/helmreleases/#helmrelease-status"
_STATUS_KEYS = frozenset(
    {
        "observedGeneration", "conditions", "history", "helmChart", "lastAttemptedRevision", "lastAppliedRevision",
        "lastReleaseRevision", "lastAttemptedValuesChecksum", "lastAttemptedGeneration", "lastAttemptedConfigDigest",
        "lastAttemptedReleaseAction", "lastAttemptedReleaseActionDuration", "lastAttemptedRevisionDigest", "storageNamespace",
        "failures", "installFailures", "upgradeFailures", "lastHandledReconcileAt", "lastHandledForceAt",
        "lastHandledResetAt", "observedPostRenderersDigest", "observedCommonMetadataDigest", "inventory",
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
        if dtype == TS and all(value is None or (type(value) is datetime and value.tzinfo is timezone.utc) for value in values):
            columns[name] = [None if value is None else (value - _EPOCH) // _MICROSECOND for value in values]
            schema[name] = pl.Int64
            timestamps.append(name)
    if not rows or not timestamps:
        return frame(kind, rows)
    return pl.DataFrame(columns, schema=schema, strict=False).with_columns(pl.col(timestamps).cast(TS))


# dump_logs.MARKER (START only); Python's \S is narrower than Polars', so a match here is one there.
_DUMP_MARKER = re.compile(r"(?m)^==== START logs for container \S+ of pod [^/\s]+/\S+ ====\r?$")


def parse(data: bytes, source: str) -> ParseResult:
    if b"\n==== START logs for container " in data and _DUMP_MARKER.search(data.decode("utf-8", errors="replace")):  # a real marker: no ping-pong with dump_logs
        # `kubectl cluster-info dump` on stdout: objects interleaved with log blocks.
        from parsers import dump_logs

        return dump_logs.parse(data, source)
    if len(data) >= k8s_events.FAST_MIN_BYTES:  # a big EventList: column-wise, same rows
        fast = k8s_events.parse_event_list(data, source, NAME)
        if fast is not None:
            return fast
    with PYTHON_BOUND:
        return _per_object(data, source)


def _per_object(data: bytes, source: str) -> ParseResult:
    """Every object of the member decoded and handed to its kind's extractor, in Python."""
    result = ParseResult(NAME)
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in data:
        result.problem(source, None, "invalid UTF-8 replaced with U+FFFD")
    lines = kube.Lines(text)  # text.split("\n"), searchable as one string by the Locators
    objects, problems = kube.load(text, lines)
    for line, reason in problems:
        result.problem(source, line, reason)
    rows: dict[str, list[dict]] = {}
    kinds: Counter[str] = Counter()
    for obj in objects:
        kind = str(obj.doc.get("kind") or "")
        if not kind and "metadata" not in obj.doc and "spec" not in obj.doc:
            wrapped = _status_only(obj.doc, source, result)
            if wrapped:
                obj = kube.KubeObject(wrapped, obj.start, obj.end)
                kind = helmrelease.KIND
        if not kind and helmrelease.looks_like(obj.doc):
            kind = helmrelease.KIND  # a HelmRelease pasted without its kind
        kinds[kind or "(no kind)"] += 1
        extract = EXTRACTORS.get(kind)
        if extract is None:
            continue
        try:
            for frame_kind, frame_rows in extract(obj, lines, source).items():
                rows.setdefault(frame_kind, []).extend(frame_rows)
        except (AttributeError, TypeError, ValueError) as error:
            result.problem(source, obj.start, f"{kind} object not understood: {error}")
    for frame_kind, frame_rows in rows.items():
        result.add(frame_kind, _frame(frame_kind, frame_rows))
    result.note = ", ".join(f"{kind}×{n}" for kind, n in sorted(kinds.items())) or "no objects"
    return result
