"""The tables of the fleet dataset (`forensics fleet`): their Arrow schemas, and the order of a
bundle's worst verdict. Read by the fleet job (`forensics.fleet`), which writes the tables, and
by the fleet summary (`forensics.report.fleet`), which reads them back.

A column that holds a field of the analysis models (`forensics.model`) takes its name and type
from that field (`columns`): a model change shows in the tables without a copy to keep in step.
The other columns are the fleet's own (which bundle, counts, a cited line) and are written out.
Columns are added, never renamed; `FLEET_SCHEMA_VERSION` changes when that happens.
"""

from __future__ import annotations

import types
import typing
from datetime import datetime

import pyarrow as pa
from pydantic import BaseModel

from forensics.model import BundleInfo, ControllerVersion, Finding, InventoryEntry, TimelineEntry, Upgrade, Verdict

FLEET_SCHEMA_VERSION = "1"
TABLES = ("bundles", "findings", "verdicts", "timeline", "inventory", "controllers", "upgrades")
WORST_ORDER = ("failed", "error", "warning", "info", "unexplained", "healthy", "empty")

TS = pa.timestamp("us", tz="UTC")


def arrow_type(annotation) -> pa.DataType:
    """The Arrow type of a model field's type: a string for `str` and string enums (labels,
    severities), int64, float64, bool, a UTC timestamp for `datetime`, a list of the item's
    type; `X | None` is X's type (every column is nullable)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in args if arg is not type(None)]
        return arrow_type(inner)
    if origin is list:
        return pa.list_(arrow_type(args[0]))
    simple = {datetime: TS, bool: pa.bool_(), int: pa.int64(), float: pa.float64()}
    if annotation in simple:
        return simple[annotation]
    if isinstance(annotation, type) and issubclass(annotation, str):
        return pa.string()
    raise TypeError(f"no Arrow type for {annotation!r}")


def columns(model: type[BaseModel], *names: str, exclude: tuple[str, ...] = ()) -> list[tuple[str, pa.DataType]]:
    """(name, Arrow type) of these fields of a model, in this order; every field but `exclude`,
    in the model's order, when none is named."""
    fields = model.model_fields
    return [(name, arrow_type(fields[name].annotation)) for name in names or [n for n in fields if n not in exclude]]


STRING, INT = pa.string(), pa.int64()
COMMON = [  # every table: which bundle, read when, by which version
    ("bundle_id", STRING),
    ("bundle_name", STRING),
    ("source_path", STRING),
    ("analysed_at", TS),
    ("tool_version", STRING),
]
CHART = [("chart", STRING), ("chart_version", STRING)]  # the release's chart, from the releases frame

SCHEMAS: dict[str, pa.Schema] = {
    "bundles": pa.schema(
        COMMON
        + [("status", STRING), ("error", STRING)]  # ok | failed, and why
        + columns(BundleInfo, "layout")
        + [("collected_at", pa.timestamp("us"))]  # as in the bundle name: collector's local time
        + columns(BundleInfo, "window_start", "window_end")
        + [("releases", INT), ("broken", INT), ("findings", INT)]
        + [("worst", STRING), ("worst_label", STRING)]  # one of WORST_ORDER, and its label
        + [("problems", INT), ("size_bytes", INT), ("seconds", pa.float64())]
        + [("report", STRING), ("schema_version", STRING)]  # relative to DIR; FLEET_SCHEMA_VERSION
    ),
    "findings": pa.schema(
        COMMON
        + columns(Finding, "id", "rule", "name", "label", "release", "severity", "confidence", "confidence_reason")
        + columns(Finding, "summary", "first_ts", "last_ts")
        + [("evidence", INT), ("cited", STRING)]  # how many lines it cites, and the first as source:line
        + columns(Finding, "remediation")
        + CHART
    ),
    "verdicts": pa.schema(
        COMMON
        + columns(Verdict, "release", "healthy", "primary", "rule", "severity", "confidence", "since", "summary")
        + [("chain", pa.list_(STRING))]  # the releases of the chain
        + columns(Verdict, "findings", "ready", "ready_message", "status_format")
        + CHART
    ),
    "timeline": pa.schema(
        COMMON
        + columns(TimelineEntry, "release", "ts", "ts_end")
        + [("ts_desc", STRING)]
        + columns(TimelineEntry, "origin", "level", "reason", "message", "count", "source", "line")
    ),
    "inventory": pa.schema(COMMON + columns(InventoryEntry)),
    "controllers": pa.schema(COMMON + columns(ControllerVersion, exclude=("evidence",))),
    "upgrades": pa.schema(COMMON + columns(Upgrade, exclude=("evidence",))),
}
