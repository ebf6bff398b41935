"""Known error signatures: which root-cause label a failure message points at.

A data table, not code: each row is a label, the regex of the controller's / Helm's /
Kubernetes' own error text (reference/helm-controller.md §2-§4, §8) and what it means.
`classify()` turns the table into one Polars expression; the first matching row wins, so
the order is the precedence (a lock message explains a later timeout, not the reverse).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Signature:
    label: str
    pattern: str
    meaning: str


SIGNATURES: tuple[Signature, ...] = (
    Signature(
        "stuck-pending",
        r"another operation \(install/upgrade/rollback\) is in progress|Unlock of Helm release .* failed",
        "Helm's storage holds the release in a pending-install/-upgrade/-rollback state",
    ),
    Signature(
        "immutable-field",
        r"field is immutable|(?i:immutable field)",
        "Kubernetes rejected the change of a field that cannot be changed in place",
    ),
    Signature(
        "values-missing",
        r"chart values reference '|could not find (ConfigMap|Secret) '|missing key '[^']*' in (ConfigMap|Secret)|unable to read values from key",
        "a valuesFrom ConfigMap/Secret or one of its keys does not exist",
    ),
    Signature(
        "chart-fetch",
        r"(HelmChart|OCIRepository|ExternalArtifact|HelmRepository) '[^']+' is not ready|(Chart|Source) not ready: artifact not found|"
        r"has no artifact|failed to download (chart|artifact)|[Cc]ould not load chart|could not get (HelmChart|Source) object|"
        r"chart reconciliation failed|does not have an artifact|integrity failure: computed digest",
        "the chart or its source artifact could not be fetched",
    ),
    Signature(
        "timeout",
        r"context deadline exceeded|timed out waiting for the condition|timed out waiting for|[Tt]imeout waiting for",
        "the Helm action waited for its resources until spec.timeout ran out",
    ),
)

# Ready/Released reasons and message prefixes of a failed Helm action (v0.37+ / v0.36).
ACTION_REASONS = {
    "InstallFailed": "install-failed",
    "UpgradeFailed": "upgrade-failed",
    "RollbackFailed": "rollback-failed",
    "TestFailed": "test-failed",
}
ACTION_MESSAGES = r"^Helm (install|upgrade|rollback|test) failed"

# A failure that exhausted the retry budget: v0.37+ Stalled/RetriesExceeded and terminal
# error; v0.36 Ready message.
RETRIES_EXHAUSTED = r"retries exhausted|exceeded maximum retries|Failed to (install|upgrade) after \d+ attempt"


def classify(text: pl.Expr) -> pl.Expr:
    """The label of the first signature the text matches, else null."""
    expr = None
    for signature in SIGNATURES:
        hit = text.str.contains(signature.pattern).fill_null(False)
        expr = pl.when(hit).then(pl.lit(signature.label)) if expr is None else expr.when(hit).then(pl.lit(signature.label))
    return expr.otherwise(pl.lit(None, pl.String))


def meaning(label: str) -> str:
    return next((s.meaning for s in SIGNATURES if s.label == label), "")


def action_label(reason: pl.Expr, message: pl.Expr) -> pl.Expr:
    """install-failed / upgrade-failed / ... from a Ready/Released reason or a v0.36 message."""
    by_reason = reason.replace_strict(ACTION_REASONS, default=None, return_dtype=pl.String)
    by_message = message.str.extract(ACTION_MESSAGES, 1)
    return pl.coalesce(by_reason, pl.when(by_message.is_not_null()).then(by_message + pl.lit("-failed")))
