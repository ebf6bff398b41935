"""Kubernetes Event objects (core/v1 and events.k8s.io/v1) -> the events frame.

One Event object can stand for many occurrences (client-go aggregates repeats into one
object with `count` and a moving `lastTimestamp`), so each row is a span: `first_ts`,
`last_ts`, `count` (ecosystem.md §1e). events.k8s.io/v1 renames the fields (`regarding`,
`note`, `deprecatedFirstTimestamp`, `series`); both shapes map to the same row.
Flux annotations `helm.toolkit.fluxcd.io/revision` and `/token` become columns.

This is the reference, per object; a big core/v1 EventList is read column-wise by
`parsers.event_list_fast`, which gives the same rows or declines.
"""

from __future__ import annotations


from parsers._base import excerpt, ts_value
from parsers.kube import KubeObject, Locator

KINDS = ("Event",)


def extract(obj: KubeObject, lines: list[str], source: str) -> dict[str, list[dict]]:
    doc = obj.doc
    if "severity" in doc and "involvedObject" in doc:
        return _notification(obj, lines, source)
    meta = doc.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    fields = _NEW if "regarding" in doc or "note" in doc else _CORE  # events.k8s.io/v1 renames them
    regarding = doc.get(fields["regarding"]) or {}
    message = doc.get(fields["message"])
    first_ts, last_ts = _span(doc, meta, fields)
    kind, namespace, name = (
        regarding.get("kind"),
        regarding.get("namespace") or meta.get("namespace"),
        regarding.get("name"),
    )
    where = Locator(lines, obj.start, obj.end)
    line = where.value(fields["message"], message) if message else None
    line = line or where.value("reason", doc.get("reason")) or obj.start
    return {
        "events": [
            {
                "first_ts": first_ts,
                "last_ts": last_ts,
                "count": (doc.get("series") or {}).get("count") or doc.get(fields["count"]) or 1,
                "type": doc.get("type"),
                "reason": doc.get("reason"),
                "message": message,
                "kind": kind,
                "namespace": namespace,
                "name": name,
                "field_path": regarding.get("fieldPath"),
                "release": f"{namespace}/{name}" if kind == "HelmRelease" else None,
                "component": _component(doc, fields is _NEW),
                "revision": annotations.get("helm.toolkit.fluxcd.io/revision"),
                "token": annotations.get("helm.toolkit.fluxcd.io/token"),
                "uid": meta.get("uid"),
                "approximate": False,
                "excerpt": excerpt(where.text(line)),
                "source": source,
                "line": line,
            }
        ]
    }


# The fields of the two Event shapes: core/v1 and events.k8s.io/v1.
_CORE = {
    "regarding": "involvedObject",
    "message": "message",
    "first": "firstTimestamp",
    "last": "lastTimestamp",
    "count": "count",
}
_NEW = {
    "regarding": "regarding",
    "message": "note",
    "first": "deprecatedFirstTimestamp",
    "last": "deprecatedLastTimestamp",
    "count": "deprecatedCount",
}


def _span(doc: dict, meta: dict, fields: dict[str, str]) -> tuple:
    """(first_ts, last_ts): the first time seen, else the event time, else the object's
    creation; the series' last observation, else the last time seen, else the first."""
    first_ts = (
        ts_value(doc.get(fields["first"])) or ts_value(doc.get("eventTime")) or ts_value(meta.get("creationTimestamp"))
    )
    last_ts = (
        ts_value((doc.get("series") or {}).get("lastObservedTime")) or ts_value(doc.get(fields["last"])) or first_ts
    )
    return first_ts, last_ts


def _component(doc: dict, new_style: bool):
    if new_style:
        return doc.get("reportingController")
    return (doc.get("source") or {}).get("component") or doc.get("reportingComponent")


def _notification(obj: KubeObject, lines: list[str], source: str) -> dict[str, list[dict]]:
    """A Flux event as notification-controller receives and forwards it (a webhook or alert
    payload, fluxcd/pkg `apis/event/v1beta1`): `involvedObject`, `severity` (trace|info|error),
    `timestamp`, `message`, `reason`, `metadata` (revision, token, ...: not an ObjectMeta),
    `reportingController`."""
    doc = obj.doc
    regarding = doc.get("involvedObject") or {}
    extra = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    kind, namespace, name = regarding.get("kind"), regarding.get("namespace"), regarding.get("name")
    at = ts_value(doc.get("timestamp"))
    where = Locator(lines, obj.start, obj.end)
    line = (where.value("message", doc.get("message")) if doc.get("message") else None) or obj.start
    return {
        "events": [
            {
                "first_ts": at,
                "last_ts": at,
                "count": 1,
                "type": "Warning" if doc.get("severity") == "error" else "Normal",
                "reason": doc.get("reason"),
                "message": doc.get("message"),
                "kind": kind,
                "namespace": namespace,
                "name": name,
                "release": f"{namespace}/{name}" if kind == "HelmRelease" else None,
                "component": doc.get("reportingController"),
                "revision": extra.get("revision"),
                "token": extra.get("token"),
                "uid": regarding.get("uid"),
                "approximate": False,
                "excerpt": excerpt(where.text(line)),
                "source": source,
                "line": line,
            }
        ]
    }
