"""Rule HR003: the class docstring is its documentation."""

from __future__ import annotations

from forensics.model import Label, Severity
from forensics.rules._failure import FailureRule


class RollbackFailed(FailureRule):
    """The rollback that remediated a failed upgrade failed too.

    What it detects
    ---------------
    A release whose current state is a failed rollback remediation: Remediated/Ready
    `RollbackFailed` (v0.37+: `Helm rollback to previous release <rel> with chart <chart>
    failed: <err>`; v0.36: `Helm rollback failed: <err>`), or the latest `RollbackFailed` /
    `error` event.

    Why it matters
    --------------
    The upgrade failed and the way back failed as well: the release can be half on the new
    revision. v0.37+ stalls with `MissingRollbackTarget` when there is nothing to roll back to.
    Known false positives: none known.

    Evidence
    --------
    The failing Remediated/Ready condition, the `RollbackFailed` event with the Helm log tail,
    and the controller's error.

    Remediation
    -----------
    Look at `helm history RELEASE -n NAMESPACE`, fix the failing resource, then
    `flux reconcile helmrelease NAME -n NAMESPACE --force`; if the storage is inconsistent,
    roll back by hand with `helm rollback RELEASE REVISION -n NAMESPACE` first.
    """

    id = "HR003"
    name = "rollback-failed"
    label = Label.rollback_failed
    severity = Severity.error
    summary = "rollback-failed: {failure}"
