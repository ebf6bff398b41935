"""The rule catalog's own contract: ids, names, labels, documentation, registry and cases; the
label vocabulary (one enum) and the verdicts' cause -> effect table written in it."""

from __future__ import annotations

import importlib
import pkgutil
import re

import forensics.rules as rules_package
from forensics import causes, plan, verdicts
from forensics.model import LABELS, Label
from forensics.rules import RULES, lookup, select
from forensics.rules._base import SECTIONS, Rule
from forensics.schema import json_schema

from ..conftest import ROOT, SAMPLES


def test_ids_names_labels():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert re.fullmatch(r"[A-Z]{2}\d{3}", rule.id), rule.id
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
        assert isinstance(rule.label, Label), f"{rule.id}: label {rule.label!r} is not a model.Label"
        assert rule.needs, f"{rule.id} declares no frames"


def test_docstrings_have_the_sections_in_order():
    for rule in RULES:
        doc = rule.documentation()
        positions = [doc.find(f"\n{title}\n") for title in SECTIONS]
        assert all(p > 0 for p in positions), f"{rule.id} lacks a section: {positions}"
        assert positions == sorted(positions), f"{rule.id}: sections out of order"
        assert rule.description() and not rule.description().startswith("Rule "), rule.id
        assert all(text.strip() for text in rule.sections().values())


def test_every_rule_module_is_registered():
    modules = [m.name for m in pkgutil.iter_modules(rules_package.__path__) if not m.name.startswith("_")]
    classes = set()
    for name in modules:
        module = importlib.import_module(f"forensics.rules.{name}")
        own = [
            v
            for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, Rule) and v.__module__ == module.__name__
        ]
        assert len(own) == 1, f"{name} should define exactly one rule"
        classes |= set(own)
        expected = f"{own[0].id.lower()}_"
        assert name.startswith(expected), f"module {name} should start with {expected}"
    assert classes == set(RULES)


def test_every_rule_has_fires_and_quiet_cases():
    for rule in RULES:
        cases = [p.name for p in (SAMPLES / "cases" / rule.id).glob("*")]
        assert any(c.startswith("fires-") for c in cases), rule.id
        assert any(c.startswith("quiet-") for c in cases), rule.id


def test_selection_precedence():
    assert lookup("MG001") == lookup("status-not-migrated") == lookup("migration-skip")
    assert select(exclude=["ST001"]) == [r for r in RULES if r.id != "ST001"]
    assert lookup("nothing") == []


def test_one_label_vocabulary():
    assert LABELS == tuple(label.value for label in Label)
    assert all(label.meaning.strip() for label in Label)
    # every label DESIGN.md §5 documents is in the enum, and the other way round
    design = ROOT.parent / "shared" / "DESIGN.md"
    if design.exists():
        section = design.read_text().split("## 5.")[1].split("\n## ")[0]
        documented = {
            name
            for row in re.findall(r"^\| (`[^|]+) \|", section, flags=re.M)
            for name in re.findall(r"`([a-z-]+)`", row)
        }
        assert documented == set(LABELS)


def test_the_cause_effect_table_is_written_in_the_vocabulary():
    assert set(causes.CAUSES) == set(LABELS)
    for cause, effects in causes.CAUSES.items():
        assert set(effects) <= set(LABELS), f"{cause} -> {set(effects) - set(LABELS)}"
    for group in (
        verdicts.DEPENDENCY_LABELS,
        causes.MOMENTS,
        plan.CONTROLLER_WIDE,
        plan.GENERIC_ACTIONS,
        causes.NOT_FAILURES,
        plan.FIX_BY_RECONCILE,
    ):
        assert set(group) <= set(LABELS), group


def test_the_published_schema_lists_the_labels():
    schema = json_schema()
    assert schema["$defs"]["Label"]["enum"] == list(LABELS)
    assert schema["$defs"]["Label"]["enumDescriptions"] == [label.meaning for label in Label]
    finding = schema["$defs"]["Finding"]["properties"]["label"]
    assert finding == {"$ref": "#/$defs/Label"}
    assert {"$ref": "#/$defs/Label"} in schema["$defs"]["Verdict"]["properties"]["primary"]["anyOf"]
