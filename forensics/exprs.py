"""Shared predicates and patterns over the frames; rules compose these, never re-implement them.

The message patterns are the controller's own strings (reference/helm-controller.md §3, §4).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

# v0.37+ success message: "Helm upgrade succeeded for release apps/podinfo.v4 with chart podinfo@6.5.4"
LONG_SUCCESS = r"^Helm (install|upgrade|test|rollback) succeeded for release \S+/\S+\.v\d+ with chart \S+"
# v0.36 action message (condition Released/TestSuccess/Remediated, event `info`): "Helm upgrade succeeded"
SHORT_SUCCESS = r"^Helm (install|upgrade|test|rollback) succeeded$"
# v0.36 Ready=True message.
V036_READY_MESSAGE = "Release reconciliation succeeded"
# Ready=False / log text of a dependency check (v0.36 .. v1.x): dependency '<ns>/<name>' is not ready
DEPENDENCY_NOT_READY = r"dependency '([^'/]+/[^']+)' is not ready"
# Log line of a failed dependency check, v0.36 (", retrying in") and v0.37+ (": retrying in").
DEPENDENCY_CHECK_FAILED = r"^dependencies do not meet ready condition \("
DEPENDENCY_CHECK_PASSED = r"^all dependencies are ready(, proceeding with release)?$"
# Ready reasons of a successful v0.37+ action.
SUCCESS_REASONS = ("InstallSucceeded", "UpgradeSucceeded", "TestSucceeded")


def msg_matches(pattern: str, column: str = "message") -> pl.Expr:
    """The column matches the regex (null-safe: null is False)."""
    return pl.col(column).str.contains(pattern).fill_null(False)


def is_ready_true() -> pl.Expr:
    return pl.col("ready_status") == "True"


def ready_condition(conditions: pl.DataFrame) -> pl.DataFrame:
    """The Ready condition rows of a conditions frame."""
    return conditions.filter(pl.col("type") == "Ready")


def human(delta: timedelta | None) -> str:
    """A short duration: 45s, 12m, 3h05m, 2d4h."""
    if delta is None:
        return "?"
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    return f"{seconds // 86400}d{(seconds % 86400) // 3600}h"
