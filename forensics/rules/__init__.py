"""The rule registry: an explicit, ordered tuple. No decorators, no directory scanning.

`select()` resolves ids, names and labels with a stated precedence: id > name > label.
"""

from __future__ import annotations

from forensics.rules._base import Context, Rule
from forensics.rules.cr001_flux_crd_mismatch import FluxCrdMismatch
from forensics.rules.dp001_false_dependency_block import FalseDependencyBlock
from forensics.rules.dp002_blocked_by_failing_dependency import (
    BlockedByFailingDependency,
)
from forensics.rules.dp003_dependency_missing import DependencyMissing
from forensics.rules.dr001_drift_correction_loop import DriftCorrectionLoop
from forensics.rules.dr002_drift_check_failed import DriftCheckFailed
from forensics.rules.eg001_cause_not_in_bundle import CauseNotInBundle
from forensics.rules.hc001_controller_died_mid_action import ControllerDiedMidAction
from forensics.rules.hr001_install_failed import InstallFailed
from forensics.rules.hr002_upgrade_failed import UpgradeFailed
from forensics.rules.hr003_rollback_failed import RollbackFailed
from forensics.rules.hr004_test_failed import TestFailed
from forensics.rules.hr005_action_timed_out import ActionTimedOut
from forensics.rules.hr006_immutable_field_rejected import ImmutableFieldRejected
from forensics.rules.hr007_retries_exhausted import RetriesExhausted
from forensics.rules.hr008_release_locked_pending import ReleaseLockedPending
from forensics.rules.hr009_values_schema_rejected import ValuesSchemaRejected
from forensics.rules.hr010_ownership_conflict import OwnershipConflict
from forensics.rules.hr011_render_failed import RenderFailed
from forensics.rules.hr012_api_removed import ApiRemoved
from forensics.rules.hr013_release_missing import ReleaseMissing
from forensics.rules.hr014_health_check_canceled import HealthCheckCanceled
from forensics.rules.mg001_status_not_migrated import StatusNotMigrated
from forensics.rules.sc001_chart_not_available import ChartNotAvailable
from forensics.rules.st001_adopted_short_message import AdoptedShortMessage
from forensics.rules.st002_observed_generation_behind import ObservedGenerationBehind
from forensics.rules.st003_source_ready_after_status import SourceReadyAfterStatus
from forensics.rules.st004_helm_operator_stale_message import HelmOperatorStaleMessage
from forensics.rules.su001_release_suspended import ReleaseSuspended
from forensics.rules.vl001_values_reference_missing import ValuesReferenceMissing

RULES: tuple[type[Rule], ...] = (
    StatusNotMigrated,
    AdoptedShortMessage,
    ObservedGenerationBehind,
    SourceReadyAfterStatus,
    HelmOperatorStaleMessage,
    FalseDependencyBlock,
    BlockedByFailingDependency,
    DependencyMissing,
    DriftCorrectionLoop,
    DriftCheckFailed,
    ReleaseLockedPending,
    RetriesExhausted,
    InstallFailed,
    UpgradeFailed,
    RollbackFailed,
    TestFailed,
    ActionTimedOut,
    ImmutableFieldRejected,
    ValuesSchemaRejected,
    OwnershipConflict,
    RenderFailed,
    ApiRemoved,
    FluxCrdMismatch,
    ReleaseMissing,
    HealthCheckCanceled,
    ChartNotAvailable,
    ValuesReferenceMissing,
    ReleaseSuspended,
    ControllerDiedMidAction,
    CauseNotInBundle,
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


def catalog_markdown() -> str:
    """The rule catalog as a Markdown table (the README embeds it; tests/test_docs.py checks)."""
    rows = ["| rule | label | severity | what it detects |", "|---|---|---|---|"]

    def cell(text: str) -> str:
        return text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")

    rows += [f"| {r.id} {r.name} | `{r.label}` | {r.severity.value} | {cell(r.description())} |" for r in RULES]
    return "\n".join(rows) + "\n"
