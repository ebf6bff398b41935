"""The rule registry: an explicit, ordered tuple. No decorators, no directory scanning.

`select()` resolves ids, names and labels with a stated precedence: id > name > label.
"""

from __future__ import annotations

from forensics.rules._base import Context, Rule
from forensics.rules.dp001_false_dependency_block import FalseDependencyBlock
from forensics.rules.mg001_status_not_migrated import StatusNotMigrated
from forensics.rules.st001_adopted_short_message import AdoptedShortMessage

RULES: tuple[type[Rule], ...] = (
    StatusNotMigrated,
    AdoptedShortMessage,
    FalseDependencyBlock,
)

__all__ = ["RULES", "Context", "Rule", "select", "lookup"]


def lookup(key: str) -> list[type[Rule]]:
    """Rules matching one id, name or label (in that precedence)."""
    key = key.strip()
    for attribute in ("id", "name", "label"):
        found = [rule for rule in RULES if getattr(rule, attribute).lower() == key.lower()]
        if found:
            return found
    return []


def select(include: list[str] | None = None, exclude: list[str] | None = None) -> list[type[Rule]]:
    """The rules to run: all, or those named by `include`, minus those named by `exclude`."""
    chosen = list(RULES) if not include else [rule for key in include for rule in lookup(key)]
    dropped = {rule for key in exclude or [] for rule in lookup(key)}
    unique = []
    for rule in chosen:
        if rule not in dropped and rule not in unique:
            unique.append(rule)
    return unique
