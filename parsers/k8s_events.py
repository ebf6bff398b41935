"""Kubernetes Event objects (core/v1 and events.k8s.io/v1) -> the events frame.

One Event object can stand for many occurrences (client-go aggregates repeats into one
object with `count` and a moving `lastTimestamp`), so each row is a span: `first_ts`,
`last_ts`, `count` (ecosystem.md §1e). events.k8s.io/v1 renames the fields (`regarding`,
`note`, `deprecatedFirstTimestamp`, `series`); both shapes map to the same row.
Flux annotations `helm.toolkit.fluxcd.io/revision` and `/token` become columns.
"""

from __future__ import annotations

from parsers._base import excerpt, ts_value
from parsers.kube import KubeObject, Locator

KINDS = ("Event",)


def extract(obj: KubeObject, lines: list[str], source: str) -> dict[str, list[dict]]:
    doc = obj.doc
    meta = doc.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    new_style = "regarding" in doc or "note" in doc
    regarding = (doc.get("regarding") if new_style else doc.get("involvedObject")) or {}
    series = doc.get("series") or {}
    message = doc.get("note") if new_style else doc.get("message")
    first = doc.get("deprecatedFirstTimestamp") if new_style else doc.get("firstTimestamp")
    last = doc.get("deprecatedLastTimestamp") if new_style else doc.get("lastTimestamp")
    event_time = doc.get("eventTime")
    first_ts = ts_value(first) or ts_value(event_time) or ts_value(meta.get("creationTimestamp"))
    last_ts = ts_value(series.get("lastObservedTime")) or ts_value(last) or first_ts
    count = series.get("count") or (doc.get("deprecatedCount") if new_style else doc.get("count")) or 1
    kind = regarding.get("kind")
    namespace = regarding.get("namespace") or meta.get("namespace")
    name = regarding.get("name")
    component = (
        doc.get("reportingController")
        if new_style
        else (doc.get("source") or {}).get("component") or doc.get("reportingComponent")
    )
    where = Locator(lines, obj.start, obj.end)
    line = where.value("note" if new_style else "message", message) if message else None
    line = line or where.value("reason", doc.get("reason")) or obj.start
    return {
        "events": [
            {
                "first_ts": first_ts,
                "last_ts": last_ts,
                "count": count,
                "type": doc.get("type"),
                "reason": doc.get("reason"),
                "message": message,
                "kind": kind,
                "namespace": namespace,
                "name": name,
                "field_path": regarding.get("fieldPath"),
                "release": f"{namespace}/{name}" if kind == "HelmRelease" else None,
                "component": component,
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
