"""Kubernetes object documents (JSON/YAML, any container form) dispatched by `kind`.

The container formats are read by `parsers.kube`; each object then goes to the extractor of
its kind (`EXTRACTORS`). Objects of other kinds are counted in the inventory note, not
reported as problems: a bundle holds many kinds this tool has no use for.
"""

from __future__ import annotations

from collections import Counter

from parsers import controllers, helmrelease, k8s_events, kube
from parsers._base import ParseResult, frame

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
}

_SUFFIXES = (".json", ".yaml", ".yml", ".txt", "")


def matches(path: str, head: bytes) -> bool:
    name = path.rsplit("/", 1)[-1]
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return suffix in _SUFFIXES and kube.looks_like_objects(head)


def parse(data: bytes, source: str) -> ParseResult:
    result = ParseResult(NAME)
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in data:
        result.problem(source, None, "invalid UTF-8 replaced with U+FFFD")
    objects, problems = kube.load(text)
    for line, reason in problems:
        result.problem(source, line, reason)
    lines = text.split("\n")
    rows: dict[str, list[dict]] = {}
    kinds: Counter[str] = Counter()
    for obj in objects:
        kind = str(obj.doc.get("kind") or "")
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
        result.add(frame_kind, frame(frame_kind, frame_rows))
    result.note = ", ".join(f"{kind}×{n}" for kind, n in sorted(kinds.items())) or "no objects"
    return result
