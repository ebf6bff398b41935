"""Fast path of the Event objects: a big list of core/v1 Events read column-wise.

Contract: `parse(data, source, name)` gives exactly the rows `parsers.k8s_events.extract`
(the reference) gives for every Event of the list, read per object by `parsers.objects`, or
None, and the caller takes the reference. 200,000 Events are ~2 s of Python per object; here
no Python code runs per Event: Arrow's JSON reader decodes the items into typed columns (only
the fields `extract` reads), Polars finds each item's cited line and computes excerpts and
times. It relies on the layout Go's `json.MarshalIndent(list, "", indent)` writes to tell the
items' lines apart (troubleshoot's `events/<ns>.json`: an `EventList`, two spaces; `kubectl
cluster-info dump`'s `<ns>/events.json`: an `EventList`, four; `kubectl get events -o json`: a
`List` of Events, four), and declines anything else.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import polars as pl
from polars.exceptions import PolarsError

from parsers._base import EXCERPT_MAX, TS, Background, ParseResult, excerpt_expr, ts_value
from parsers.kube import LONG_LINE

MIN_BYTES = 1 << 20  # smaller members take `extract` per object (the reference path)


class _Layout(NamedTuple):
    """The lines of Go's json.MarshalIndent(list, "", <unit spaces>): `"items": [` on its own
    line at one indent, then each item opening and closing on its own line at two, one right
    after the other, then `]`."""

    unit: int
    items_open: str  # '  "items": [' (two spaces)
    item_start: str  # "    {"
    item_ends: tuple[str, str]  # ("    },", "    }"): every item but the last, the last
    items_close: tuple[str, str]  # ("  ]", "  ],")
    boundary: bytes  # b"\n    },\n    {\n" between two items, and the same without its comma
    boundary_space: bytes
    items_open_line: bytes  # b'\n  "items": [\n'
    last_item_close: bytes  # b"\n    }\n  ]"


@lru_cache(maxsize=8)
def _layout(unit: int) -> _Layout:
    one, two = " " * unit, " " * (2 * unit)
    return _Layout(
        unit,
        f'{one}"items": [',
        f"{two}{{",
        (f"{two}}},", f"{two}}}"),
        (f"{one}]", f"{one}],"),
        f"\n{two}}},\n{two}{{\n".encode(),
        f"\n{two}}} \n{two}{{\n".encode(),
        f'\n{one}"items": [\n'.encode(),
        f"\n{two}}}\n{one}]".encode(),
    )


# The first key's line after the opening brace: its indent is the layout's unit.
_UNIT = re.compile(rb'\s*\{\n( {1,8})"')
# A list of Events: typed (`EventList`, whose items may leave out their kind) or kubectl's `List`.
_LIST_KINDS = ("EventList", "List")
_NEEDLE = r"""^([^"'\\\n\t]{1,40})"""  # kube._needle: the longest quote- and escape-free prefix, <= 40 characters
_MAX_BLOCK = (1 << 31) - 1  # Arrow's block size is a 32-bit int (a bigger list is read in blocks, or declined)
_MAX_DEPTH = 700  # nesting json.loads reads without RecursionError, with room for the caller's stack


def _item_type():
    import pyarrow as pa

    s = pa.string()
    return pa.struct(
        [
            ("kind", s),
            (
                "metadata",
                pa.struct(
                    [
                        ("namespace", s),
                        ("uid", s),
                        ("creationTimestamp", s),
                        (
                            "annotations",
                            pa.struct([("helm.toolkit.fluxcd.io/revision", s), ("helm.toolkit.fluxcd.io/token", s)]),
                        ),
                    ]
                ),
            ),
            ("involvedObject", pa.struct([("kind", s), ("namespace", s), ("name", s), ("fieldPath", s)])),
            ("reason", s),
            ("message", s),
            ("source", pa.struct([("component", s)])),
            ("reportingComponent", s),
            ("firstTimestamp", s),
            ("lastTimestamp", s),
            ("eventTime", s),
            ("count", pa.int64()),
            ("series", pa.struct([("count", pa.int64()), ("lastObservedTime", s)])),
            ("type", s),
        ]
    )


def parse(data: bytes, source: str, name: str):
    """A large `EventList` (troubleshoot's `events/<ns>.json`) parsed column-wise, with no
    Python code per event: the items decoded by Arrow's JSON reader into typed columns (only the
    fields `extract` reads), the list's own keys by `json.loads`, the cited line found by Polars
    over the file's lines, excerpts and timestamps computed by Polars.

    Gives exactly the rows of `extract`; returns None (the caller takes the per-object path)
    for anything it is not sure to read the same way: other shapes, other kinds,
    events.k8s.io/v1 objects, another layout than Go's `MarshalIndent(list, "", "  ")`, CR LF
    line ends, invalid UTF-8, a field of another JSON type than Kubernetes writes (a number for
    a string, `1.0` for a count), duplicate keys, nesting near the decoder's limit, text the
    JSON reader refuses.
    """
    head, tail = data[:4096], data[-512:]
    unit = _UNIT.match(head)
    if not unit or not any(f'"{kind}"'.encode() in head[:256] or f'"{kind}"'.encode() in tail for kind in _LIST_KINDS):
        return None
    if b"\r" in data:
        return None
    try:
        return _parse_event_list(data, source, name, _layout(len(unit.group(1))))
    except _Decline:
        return None
    except PolarsError:  # e.g. not UTF-8: Polars reads lines of UTF-8 only (json.loads refuses the rest too)
        return None


class _Decline(Exception):
    """Not read exactly as `extract` would: the per-object path instead."""


def _parse_event_list(data: bytes, source: str, name: str, layout: _Layout):

    # The items array, from the line after `"items": [` to the `}` before `]` (checked against
    # the lines), read by Arrow while Polars reads the lines on a thread.
    opened, closed = data.find(layout.items_open_line), data.rfind(layout.last_item_close)
    first_byte, last_byte = opened + len(layout.items_open_line), closed + 2 * layout.unit + 2  # after the `}`
    if opened < 0 or closed < 0 or last_byte <= first_byte:
        raise _Decline
    reading = Background(_read_lines, data, first_byte, LONG_LINE, layout, name="event-list-lines")
    try:
        table, list_kind = _read_items(data, first_byte, last_byte, layout)
    finally:
        found, starts, ends, candidates, lines = reading.result()  # raises what the thread raised

    n = len(starts)
    if table.num_rows != n:  # one row per item: see `_read_items`
        raise _Decline
    # Other fields are inferred, so the columns say which keys the items have, even null ones.
    if {"regarding", "note"} & set(table.column_names):  # events.k8s.io/v1
        raise _Decline
    # Nesting: json.loads raises RecursionError near 1000 levels; the inferred types nest as deep
    # as the items' fields (3 more levels: the list, its `items`, the item).
    if 3 + _depth(table.schema) > _MAX_DEPTH:
        raise _Decline
    items = pl.from_arrow(table.select([field.name for field in _item_type()]))
    # an EventList's items may leave out their kind (they are Events), a List's may not
    kinds = ["Event", ""] if list_kind == "EventList" else ["Event"]
    if not isinstance(items, pl.DataFrame) or not items["kind"].fill_null("").is_in(kinds).all():
        raise _Decline

    events = _timestamps(items, items.select(*_event_columns(source), *_timestamp_columns()))
    has_message = events["message"].fill_null("") != ""
    if lines is not None and has_message.all():
        # Each item's line with the message: the line `extract` cites.
        events = events.with_columns(lines["line"], lines["excerpt"])
    else:
        events = events.with_columns(
            _cited(data, found, candidates, starts, ends, lines, events, has_message, LONG_LINE, layout)
        )
    result = ParseResult(name)
    result.add("events", events)
    result.note = f"Event×{n}"
    return result


def _read_lines(data: bytes, first_byte: int, long_line: int, layout: _Layout):
    """The lines that matter (`_line_query`), the items' first and last lines (`_tiles`), the
    lines holding `message` in them, and when each item has one such line, those lines with
    their excerpts (else None)."""
    found = _line_query(data, "message", layout).collect()
    starts, ends = _tiles(found, data, first_byte, layout)
    candidates = _in_items(found.filter(pl.col("text").str.contains("message", literal=True)), starts, ends, long_line)
    lines = _only_lines(candidates, len(starts), "message")
    if lines is not None:
        lines = lines.with_columns(_excerpt(pl.col("text")).alias("excerpt"))
    return found, starts, ends, candidates, lines


def _excerpt(text):
    """`excerpt` of a line of JSON text (at most LONG_LINE characters): as `excerpt_expr`, with
    Polars' own whitespace, which differs from Python's only in control characters that JSON
    text does not hold (the text is refused otherwise)."""

    stripped = text.str.strip_chars()
    return (
        pl.when(stripped.str.len_chars() <= EXCERPT_MAX)
        .then(stripped)
        .otherwise(pl.concat_str(stripped.str.slice(0, EXCERPT_MAX - 1), pl.lit("…")))
    )


def _tiles(found, data: bytes, first_byte: int, layout: _Layout):
    """The first and last lines of the items. They must tile the array: `"items": [`, then each
    item's `{` line right after the previous item's `},` line, the last item's `}` line, then `]`.
    Every such pair of lines is an item boundary, then, and `first_byte` starts the first item."""
    text = pl.col("text")
    starts = found.filter(text == layout.item_start)["line"]
    ends = found.filter(text.is_in(layout.item_ends))
    n = len(starts)
    if not n or ends.height != n:
        raise _Decline
    closing, ends = ends["text"], ends["line"]
    if not (
        (ends > starts).all()
        and (starts.slice(1) == ends.slice(0, n - 1) + 1).all()
        and (closing.slice(0, n - 1) == layout.item_ends[0]).all()
        and closing[-1] == layout.item_ends[1]
        and _line_text(found, starts[0] - 1) == layout.items_open
        and _line_text(found, ends[-1] + 1) in layout.items_close
        and data.count(b"\n", 0, first_byte) == starts[0] - 1  # `find` found that `"items": [` line
    ):
        raise _Decline
    return starts, ends


def _cited(
    data: bytes, found, candidates, starts, ends, lines, events, has_message, long_line: int, layout: _Layout
) -> list:
    """The cited line and its excerpt when some item has no message, or not one line holding
    it: `Locator.value` for the message, else for the reason, else the item's first line."""

    n = len(starts)
    message = lines["line"] if lines is not None else _ranked(candidates, "message", events["message"], n)
    cited = pl.select(pl.when(pl.lit(has_message)).then(pl.lit(message))).to_series()
    known = found
    if cited.is_null().any():
        more = _line_query(data, "reason", layout).collect()
        reasons = _in_items(more.filter(pl.col("text").str.contains("reason", literal=True)), starts, ends, long_line)
        reason = _only_lines(reasons, n, "reason")
        reason = reason["line"] if reason is not None else _ranked(reasons, "reason", events["reason"], n)
        cited = pl.select(pl.coalesce(pl.lit(cited), pl.lit(reason), pl.lit(starts))).to_series()
        known = pl.concat([found, more]).unique("line")
    texts = pl.DataFrame({"line": cited}).join(
        known.select("line", "text"), on="line", how="left", maintain_order="left"
    )["text"]
    return [
        cited.alias("line"),
        pl.select(excerpt_expr(pl.lit(texts).str.slice(0, long_line))).to_series().alias("excerpt"),
    ]


def _line_query(data: bytes, key: str, layout: _Layout):
    """The numbered lines that matter: the items' first and last lines, the lines around them,
    and the lines holding `key`."""
    text = pl.col("text")
    return (
        pl.scan_lines(data, name="text", row_index_name="line", row_index_offset=1)
        .filter(
            text.is_in([layout.item_start, *layout.item_ends, layout.items_open, *layout.items_close])
            | text.str.contains(key, literal=True)
        )
        .with_columns(pl.col("line").cast(pl.Int64))
    )


def _line_text(found, number: int) -> str | None:
    row = found.filter(pl.col("line") == number)["text"]
    return row[0] if len(row) else None


def _read_items(data: bytes, first_byte: int, last_byte: int, layout: _Layout):
    """The items' fields by Arrow's JSON reader, after json.loads checked the list's own keys;
    and the list's kind."""
    import json

    import pyarrow as pa
    import pyarrow.json as pa_json

    # The list's own keys, by json.loads itself, with the items array replaced by a marker: the
    # marker comes back as `items` only if that array is the list's (last) `items` member.
    bracket, close = first_byte - 2, last_byte + 1 + layout.unit  # `[` ends the line before; `]` follows one indent
    if data[bracket : bracket + 1] != b"[" or data[close : close + 1] != b"]":
        raise _Decline
    marker = "\x00fast-path-items"
    try:
        doc = json.loads(data[:bracket] + json.dumps(marker).encode() + data[close + 1 :])
    except (ValueError, RecursionError):
        raise _Decline from None
    if not isinstance(doc, dict) or doc.get("items") != marker or doc.get("kind") not in _LIST_KINDS:
        raise _Decline
    # The items as a sequence of JSON objects, without the commas between them: an item that did
    # not end on its own `}` line would now hold `} {` (not JSON).
    # (Rewritten in the whole text and handed over as a view of the items: no match can cross
    # their first or last byte, and a copy of the slice first would cost a copy of the file.)
    body = memoryview(data.replace(layout.boundary, layout.boundary_space))[first_byte:last_byte]
    options = pa_json.ParseOptions(
        explicit_schema=pa.schema(list(_item_type())), newlines_in_values=True, unexpected_field_behavior="infer"
    )
    # One block: with values that may hold newlines, Arrow finds where a block may be cut by
    # parsing the text once more, which costs more CPU than the second thread saves (the
    # parsing threads are busy with other members anyway).
    try:
        table = pa_json.read_json(
            pa.py_buffer(body),
            read_options=pa_json.ReadOptions(block_size=min(len(body) + 1, _MAX_BLOCK)),
            parse_options=options,
        )
    except (pa.ArrowException, ValueError):
        raise _Decline from None
    return table, doc["kind"]


def _depth(schema) -> int:
    """How deeply the types of an Arrow schema nest (a struct or a list: one level)."""
    deepest, stack = 0, [(field.type, 1) for field in schema]
    while stack:
        kind, depth = stack.pop()
        if kind.num_fields:  # struct, list, map: nested
            deepest = max(deepest, depth)
            stack += [(kind.field(i).type, depth + 1) for i in range(kind.num_fields)]
    return deepest


def _event_columns(source: str) -> list:
    """The events frame's columns from the items' typed columns: `extract`, column-wise."""
    meta, involved, series = pl.col("metadata").struct, pl.col("involvedObject").struct, pl.col("series").struct
    annotations = meta.field("annotations").struct
    namespace = _or(involved.field("namespace"), meta.field("namespace"))
    kind = involved.field("kind")
    return [
        pl.when(series.field("count").fill_null(0) != 0)
        .then(series.field("count"))
        .when(pl.col("count").fill_null(0) != 0)
        .then(pl.col("count"))
        .otherwise(pl.lit(1, dtype=pl.Int64))
        .alias("count"),
        pl.col("type"),
        pl.col("reason"),
        pl.col("message"),
        kind.alias("kind"),
        namespace.alias("namespace"),
        involved.field("name").alias("name"),
        involved.field("fieldPath").alias("field_path"),
        pl.when(kind == "HelmRelease")
        .then(pl.concat_str(namespace.fill_null("None"), pl.lit("/"), involved.field("name").fill_null("None")))
        .alias("release"),
        _or(pl.col("source").struct.field("component"), pl.col("reportingComponent")).alias("component"),
        annotations.field("helm.toolkit.fluxcd.io/revision").alias("revision"),
        annotations.field("helm.toolkit.fluxcd.io/token").alias("token"),
        meta.field("uid").alias("uid"),
        pl.lit(False).alias("approximate"),
        pl.lit(source, dtype=pl.String).alias("source"),
    ]


def _or(left, right):
    """`left or right` of two string expressions (an empty string is false)."""
    return pl.when(left.fill_null("") != "").then(left).otherwise(right)


_TS_FIELDS = {
    "first": ("firstTimestamp",),
    "event_time": ("eventTime",),
    "created": ("metadata", "creationTimestamp"),
    "observed": ("series", "lastObservedTime"),
    "last": ("lastTimestamp",),
}
# RFC3339 UTC as Kubernetes writes it (20 characters; with a fraction of a second, more), which
# `datetime.fromisoformat` (`ts_value`) reads alike (not year 0, which it refuses).
_RFC3339 = (
    r"^(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?Z$"
)


def _timestamp_text(path: tuple[str, ...]):
    text = pl.col(path[0])
    for part in path[1:]:
        text = text.struct.field(part)
    return text


def _timestamp_columns() -> list:
    """Per timestamp field: `_ts_<name>`, its time when it is RFC3339 UTC of whole seconds (in
    Polars' fast fixed format), and `_ts_<name>_odd`, whether it is another non-empty value."""

    columns = []
    for name, path in _TS_FIELDS.items():
        text = _timestamp_text(path)
        whole = text.str.contains(_RFC3339).fill_null(False) & (text.str.len_bytes() == 20)
        columns += [
            pl.when(whole).then(text.str.strptime(TS, "%Y-%m-%dT%H:%M:%SZ", strict=False)).alias(f"_ts_{name}"),
            ((text.fill_null("") != "") & ~whole).alias(f"_ts_{name}_odd"),
        ]
    return columns


def _timestamps(items, events):
    """first_ts and last_ts as `extract` computes them: `ts_value(first) or ts_value(event_time)
    or ts_value(created)`, then `ts_value(observed) or ts_value(last) or first_ts`. From the
    `_timestamp_columns` when no field holds another value than RFC3339 of whole seconds; else
    field by field, each parsed only for the items still without a time (`ts_value` is not
    called on the others, as in `extract`)."""

    odd = [f"_ts_{name}_odd" for name in _TS_FIELDS]
    if not events.select(pl.any_horizontal(odd).any()).item():
        first_ts = pl.coalesce("_ts_first", "_ts_event_time", "_ts_created")
        return events.select(
            pl.exclude("^_ts_.*$"),
            first_ts.alias("first_ts"),
            pl.coalesce("_ts_observed", "_ts_last", first_ts).alias("last_ts"),
        )

    texts = items.select(*[_timestamp_text(path).alias(name) for name, path in _TS_FIELDS.items()])

    def chain(names):
        values = pl.repeat(None, len(texts), dtype=TS, eager=True)
        for name in names:
            missing = values.is_null()
            strings = texts[name]
            if not missing.any() or strings.null_count() == len(strings):
                continue
            if missing.all():
                values = _ts_values(strings)
            else:
                index = missing.arg_true()
                values = values.scatter(index, _ts_values(strings.gather(index)))
        return values

    first_ts = chain(["first", "event_time", "created"])
    last_ts = pl.select(pl.coalesce(pl.lit(chain(["observed", "last"])), pl.lit(first_ts))).to_series()
    return events.select(pl.exclude("^_ts_.*$")).with_columns(first_ts.alias("first_ts"), last_ts.alias("last_ts"))


def _ts_values(strings):
    """`ts_value` of each string: RFC3339 UTC by Polars (whole seconds in its fast fixed format),
    any other non-empty value (an offset, nanoseconds, spaces, ...) by `ts_value` itself."""

    text = pl.lit(strings)
    rfc3339 = text.str.contains(_RFC3339).fill_null(False)
    whole = rfc3339 & (text.str.len_bytes() == 20)
    checked = pl.select(
        pl.when(whole).then(text.str.strptime(TS, "%Y-%m-%dT%H:%M:%SZ", strict=False)).alias("value"),
        (rfc3339 & ~whole).alias("fraction"),
        ((text.fill_null("") != "") & ~rfc3339).alias("other"),
    )
    values = checked["value"]
    if checked["fraction"].any():
        index = checked["fraction"].arg_true()
        values = values.scatter(
            index,
            strings.gather(index).str.to_datetime(
                "%Y-%m-%dT%H:%M:%S%.fZ", time_unit="us", time_zone="UTC", strict=False
            ),
        )
    if checked["other"].any():
        index = checked["other"].arg_true()
        try:
            odd = [ts_value(text) for text in strings.gather(index).to_list()]
        except Exception:  # noqa: BLE001 - `extract` fails on it too: its problem row, by the per-object path
            raise _Decline from None
        values = values.scatter(index, pl.Series(odd, dtype=TS))
    return values


def _in_items(candidates, starts, ends, long_line: int):
    """The candidate lines inside an item (`_item`: its index), of at most `long_line` characters."""
    candidates = candidates.filter(pl.col("text").str.len_chars() <= long_line)
    item = starts.search_sorted(candidates["line"], side="right").cast(pl.Int64) - 1
    candidates = candidates.with_columns(_item=item).filter(pl.col("_item") >= 0)
    return candidates.filter(pl.col("line") <= pl.lit(ends).gather(pl.col("_item")))


def _only_lines(candidates, n: int, key: str):
    """When each item has exactly one line holding `key` and it holds `"key"`, those lines (and
    their text), in item order: the lines `Locator.value(key, ...)` finds. Else None."""
    if (
        candidates.height == n
        and (candidates["_item"] == pl.int_range(n, eager=True)).all()
        and candidates["text"].str.contains(f'"{key}"', literal=True).all()
    ):
        return candidates.select("line", "text")
    return None


def _ranked(candidates, key: str, values, n: int, yaml: bool = False):
    """Per item, the line `Locator.value(key, value)` gives: the first line of the item's span
    holding the key and the value's needle, else the first holding `"key"`, else `key:` (in
    YAML text, `key:` first); null when none does. `candidates`: all the lines of the items
    holding the key (`_in_items`)."""
    needles = values.str.extract(_NEEDLE, 1).fill_null("")
    forms = [f"{key}:", f'"{key}"'] if yaml else [f'"{key}"', f"{key}:"]
    ranked = (
        candidates.with_columns(pl.lit(needles).gather(pl.col("_item")).alias("_needle"))
        .select(
            "_item",
            "line",
            pl.when((pl.col("_needle") != "") & pl.col("text").str.contains(pl.col("_needle"), literal=True))
            .then(0)
            .when(pl.col("text").str.contains(forms[0], literal=True))
            .then(1)
            .when(pl.col("text").str.contains(forms[1], literal=True))
            .then(2)
            .alias("_rank"),
        )
        .drop_nulls("_rank")
    )
    best = ranked.group_by("_item").agg(pl.col("line").sort_by("_rank", "line").first())
    return pl.repeat(None, n, dtype=pl.Int64, eager=True).scatter(best["_item"], best["line"])


# --- Events read already (a YAML EventList) -----------------------------------------------------


def from_objects(objects: list, lines: list[str], source: str, name: str) -> ParseResult | None:
    """The Events of a big list that `kube` read already (a YAML EventList: must-gather's
    `core/events.yaml`, `kubectl get events -o yaml`), column-wise: exactly the rows `extract`
    gives each object, or None (the caller extracts them one by one). The objects' fields are
    converted by Arrow, which refuses another type than the column's (a number for a string);
    the cited lines are found by Polars over the member's lines (`lines`: `kube.Lines`), as
    `Locator` finds them. Declined: objects of another kind, events.k8s.io/v1 or Flux's
    notification shape, a flattened manifest, a count that is no integer."""
    import pyarrow as pa

    docs = [obj.doc for obj in objects]
    if not docs or not all(_plain_event(doc) for doc in docs):
        return None
    try:
        table = pa.Table.from_pylist(docs, schema=pa.schema(list(_item_type())))
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None
    items = pl.from_arrow(table)
    if not isinstance(items, pl.DataFrame):
        return None
    try:
        events = _timestamps(items, items.select(*_event_columns(source), *_timestamp_columns()))
    except _Decline:
        return None
    starts = pl.Series([obj.start for obj in objects], dtype=pl.Int64)
    ends = pl.Series([obj.end for obj in objects], dtype=pl.Int64)
    if not ((starts.slice(1) > ends.slice(0, len(ends) - 1)).all() and (ends >= starts).all()):
        return None  # the spans of a list's items follow each other
    numbered = pl.DataFrame({"text": pl.Series(list(lines), dtype=pl.String)}).with_row_index("line", offset=1)
    numbered = numbered.with_columns(pl.col("line").cast(pl.Int64))

    def cited(key: str, values) -> pl.Series:
        found = numbered.filter(pl.col("text").str.contains(key, literal=True))
        return _ranked(_in_items(found, starts, ends, LONG_LINE), key, values, len(docs), yaml=True)

    has_message = events["message"].fill_null("") != ""
    line = pl.select(pl.when(pl.lit(has_message)).then(pl.lit(cited("message", events["message"])))).to_series()
    if line.is_null().any():  # no message line: the reason's, else the item's first line
        reason = cited("reason", events["reason"])
        line = pl.select(pl.coalesce(pl.lit(line), pl.lit(reason), pl.lit(starts))).to_series()
    texts = numbered["text"].gather(line - 1)
    events = events.with_columns(
        line.alias("line"), pl.select(excerpt_expr(pl.lit(texts).str.slice(0, LONG_LINE))).to_series().alias("excerpt")
    )
    result = ParseResult(name)
    result.add("events", events)
    result.note = f"Event×{len(docs)}"
    return result


def _plain_event(doc) -> bool:
    """A core/v1 Event `extract` reads as such (not a notification, not events.k8s.io/v1, not
    a flattened manifest), whose counts are integers (Arrow would truncate a float)."""
    return (
        type(doc) is dict
        and doc.get("kind") == "Event"
        and "regarding" not in doc
        and "note" not in doc
        and "severity" not in doc
        and not ("metadata" in doc and doc["metadata"] is None and "name" in doc)
        and type(doc.get("count")) in _COUNT_TYPES
        and (type(doc.get("series")) is not dict or type(doc["series"].get("count")) in _COUNT_TYPES)
    )


_COUNT_TYPES = (int, type(None))
