"""The fleet tables' columns take the names and types of the analysis models' fields."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pytest

from forensics import model
from forensics.fleet_schema import COMMON, SCHEMAS, TABLES, TS, arrow_type, columns

MODELS = {
    "bundles": model.BundleInfo,
    "findings": model.Finding,
    "verdicts": model.Verdict,
    "timeline": model.TimelineEntry,
    "inventory": model.InventoryEntry,
    "controllers": model.ControllerVersion,
    "upgrades": model.Upgrade,
}
# Columns named like a model field that hold something else, and what.
OWN = {
    ("bundles", "collected_at"): pa.timestamp("us"),  # as in the bundle's name: the collector's local time
    ("findings", "evidence"): pa.int64(),  # how many lines the finding cites
    ("verdicts", "chain"): pa.list_(pa.string()),  # the releases of the chain
}


def test_every_table_has_a_schema_and_the_common_columns_first():
    assert tuple(SCHEMAS) == TABLES
    for schema in SCHEMAS.values():
        assert [(f.name, f.type) for f in schema][: len(COMMON)] == COMMON
        assert all(f.nullable for f in schema)


@pytest.mark.parametrize("table", TABLES)
def test_a_column_named_like_a_model_field_has_its_type(table):
    fields = MODELS[table].model_fields
    for field in SCHEMAS[table]:
        if field.name in fields:
            expected = OWN.get((table, field.name)) or arrow_type(fields[field.name].annotation)
            assert field.type == expected, (table, field.name)
    for (of, name), own in OWN.items():  # each exception is one: the model's type differs
        if of == table:
            assert _model_type(fields[name].annotation) != own, name


def _model_type(annotation) -> pa.DataType | None:
    """The Arrow type of a model field, None for a nested model (no column type of its own)."""
    try:
        return arrow_type(annotation)
    except TypeError:
        return None


def test_the_tables_of_a_model_hold_all_of_its_fields():
    for table in ("inventory", "controllers", "upgrades"):
        names = [name for name in MODELS[table].model_fields if name != "evidence"]
        assert SCHEMAS[table].names[len(COMMON) :] == names, table


def test_arrow_types_of_model_types():
    assert arrow_type(str) == arrow_type(model.Label) == arrow_type(model.Severity) == pa.string()
    assert arrow_type(int | None) == pa.int64() and arrow_type(bool) == pa.bool_() and arrow_type(float) == pa.float64()
    assert arrow_type(datetime | None) == TS and arrow_type(list[str]) == pa.list_(pa.string())
    assert arrow_type(model.Label | None) == pa.string()
    with pytest.raises(TypeError):
        arrow_type(model.Evidence)  # a nested model: a column of its own says what of it is kept
    assert columns(model.Upgrade, "to_version", "at") == [("to_version", pa.string()), ("at", TS)]
