"""The rule catalog's own contract: ids, names, labels, documentation, registry and cases."""

from __future__ import annotations

import importlib
import pkgutil
import re

import forensics.rules as rules_package
from forensics.model import LABELS
from forensics.rules import RULES, lookup, select
from forensics.rules._base import SECTIONS, Rule

from ..conftest import SAMPLES


def test_ids_names_labels():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert re.fullmatch(r"[A-Z]{2}\d{3}", rule.id), rule.id
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
        assert rule.label in LABELS, rule.label
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
        own = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Rule) and v.__module__ == module.__name__]
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
