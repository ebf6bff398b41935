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


# --- large core/v1 EventLists, vectorised -------------------------------------------------------

FAST_MIN_BYTES = 1 << 20  # smaller members take `extract` per object (the reference path)
_ITEM_START = "    {"  # Go's json.MarshalIndent(list, "", "  "): each item opens on its own line
_RFC3339 = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z$"


def parse_event_list(data: bytes, source: str, name: str):
    """A large `EventList` (troubleshoot's `events/<ns>.json`, `kubectl get events -o json`)
    parsed column-wise: one C `json.loads`, fields gathered per column, and the cited line,
    its excerpt and the timestamps computed by Polars over the file's lines instead of a
    `Locator` scan and `ts_value` per object. Gives exactly the rows of `extract`; returns
    None (the caller takes the per-object path) for anything it is not sure to read the
    same way: other shapes, other kinds, events.k8s.io/v1 objects, other indentation.
    """
    import json

    import polars as pl

    from parsers._base import EXCERPT_MAX, SCHEMAS, ParseResult
    from parsers.kube import _needle

    head = data[:4096]
    if not head.lstrip().startswith(b"{") or b'"EventList"' not in data[:256] and b'"EventList"' not in data[-512:]:
        return None
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return None
    items = doc.get("items") if isinstance(doc, dict) else None
    if doc.get("kind") != "EventList" or not isinstance(items, list) or not items:
        return None
    for item in items:
        if not isinstance(item, dict) or item.get("kind", "Event") not in ("Event", "", None) or "regarding" in item or "note" in item:
            return None
        meta = item.get("metadata")
        if not all(isinstance(part or {}, dict) for part in (meta, item.get("involvedObject"), item.get("series"), item.get("source"), (meta or {}).get("annotations"))):
            return None
    lines = pl.read_lines(data, name="text").with_row_index("line", offset=1).with_columns(pl.col("line").cast(pl.Int64))
    starts = lines.filter(pl.col("text") == _ITEM_START)["line"]
    ends = lines.filter(pl.col("text").is_in(["    }", "    },"]))["line"]
    if len(starts) != len(items) or len(ends) != len(items) or not ((ends > starts).all() and (starts.slice(1) > ends.slice(0, len(ends) - 1)).all()):
        return None

    def get(obj, key):
        return obj.get(key) if isinstance(obj, dict) else None

    metas = [item.get("metadata") or {} for item in items]
    involved = [item.get("involvedObject") or {} for item in items]
    annotations = [m.get("annotations") or {} for m in metas]
    messages = [item.get("message") for item in items]
    reasons = [item.get("reason") for item in items]
    kinds = [o.get("kind") for o in involved]
    namespaces = [o.get("namespace") or m.get("namespace") for o, m in zip(involved, metas)]
    names = [o.get("name") for o in involved]
    columns = {
        "count": [get(item.get("series"), "count") or item.get("count") or 1 for item in items],
        "type": [item.get("type") for item in items],
        "reason": reasons,
        "message": messages,
        "kind": kinds,
        "namespace": namespaces,
        "name": names,
        "field_path": [o.get("fieldPath") for o in involved],
        "release": [f"{ns}/{n}" if k == "HelmRelease" else None for k, ns, n in zip(kinds, namespaces, names)],
        "component": [(item.get("source") or {}).get("component") or item.get("reportingComponent") for item in items],
        "revision": [a.get("helm.toolkit.fluxcd.io/revision") for a in annotations],
        "token": [a.get("helm.toolkit.fluxcd.io/token") for a in annotations],
        "uid": [m.get("uid") for m in metas],
        "approximate": [False] * len(items),
        "source": [source] * len(items),
    }
    events = pl.DataFrame(columns, schema={k: SCHEMAS["events"][k] for k in columns}, strict=False)

    spans = pl.DataFrame({"_item": pl.int_range(len(items), eager=True), "start": starts, "end": ends})
    message_line = _first_line(lines, spans, "message", messages, _needle)
    reason_line = _first_line(lines, spans, "reason", reasons, _needle)
    has_message = pl.Series([bool(m) for m in messages])
    line = pl.when(has_message).then(message_line).otherwise(None)
    cited = spans.select(pl.coalesce(line, reason_line, pl.col("start")).alias("line"))["line"]
    text = lines["text"].gather(cited - 1).str.replace_all("\r", "", literal=True).str.strip_chars()
    excerpt_col = pl.when(text.str.len_chars() > EXCERPT_MAX).then(text.str.slice(0, EXCERPT_MAX - 1) + "…").otherwise(text)

    first = _ts([item.get("firstTimestamp") for item in items])
    event_time = _ts([item.get("eventTime") for item in items])
    created = _ts([m.get("creationTimestamp") for m in metas])
    observed = _ts([get(item.get("series"), "lastObservedTime") for item in items])
    last = _ts([item.get("lastTimestamp") for item in items])
    times = pl.DataFrame({"first": first, "event_time": event_time, "created": created, "observed": observed, "last": last}).select(
        pl.coalesce("first", "event_time", "created").alias("first_ts")
    )
    times = times.with_columns(pl.coalesce(observed, last, times["first_ts"]).alias("last_ts"))
    events = events.with_columns(
        times["first_ts"], times["last_ts"], cited.alias("line"), pl.DataFrame({"e": text}).select(excerpt_col.alias("excerpt"))["excerpt"]
    )
    result = ParseResult(name)
    result.add("events", events)
    result.note = f"Event×{len(items)}"
    return result


def _first_line(lines, spans, key: str, values: list, needle_of):
    """Per item, the line `Locator.value(key, value)` gives: the first line of the item's span
    holding `key` and the value's needle, else the first holding `"key"`, else `key:`."""
    import polars as pl

    needles = [needle_of(v) if v else "" for v in values]
    hits = lines.filter(pl.col("text").str.contains(key, literal=True)).join_asof(
        spans.select("start", "end", "_item"), left_on="line", right_on="start", strategy="backward"
    ).filter(pl.col("line") <= pl.col("end"))
    hits = hits.join(pl.DataFrame({"_item": pl.int_range(len(values), eager=True), "_needle": needles}), on="_item")
    ranked = hits.with_columns(
        pl.when((pl.col("_needle") != "") & pl.col("text").str.contains(pl.col("_needle"), literal=True))
        .then(0)
        .when(pl.col("text").str.contains(f'"{key}"', literal=True))
        .then(1)
        .when(pl.col("text").str.contains(f"{key}:", literal=True))
        .then(2)
        .alias("_rank")
    ).drop_nulls("_rank")
    best = ranked.sort("_rank", "line").group_by("_item").agg(pl.col("line").first())
    return spans.join(best, on="_item", how="left").sort("_item")["line"]


def _ts(values: list):
    """`ts_value` of each value: RFC3339 UTC strings vectorised, anything else by `ts_value`."""
    import polars as pl

    from parsers._base import TS

    strings = pl.Series([v if isinstance(v, str) else None for v in values], dtype=pl.String)
    fast = strings.str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="us", time_zone="UTC", strict=False)
    simple = strings.str.contains(_RFC3339).fill_null(False)
    out = fast.zip_with(simple, pl.Series([None] * len(values), dtype=TS))
    others = [i for i, (v, ok) in enumerate(zip(values, simple.to_list())) if v and not ok]
    if others:
        out = out.scatter(others, pl.Series([ts_value(values[i]) for i in others], dtype=TS))
    return out
