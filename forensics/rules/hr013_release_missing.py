"""Rule HR013: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context
from forensics.rules._exprs import HELM_HISTORY, flux, fmt
from forensics.rules._failure import FailureRule
from forensics.signatures import SIGNATURES

MISSING = next(s.pattern for s in SIGNATURES if s.label == "release-missing")
FIX = (
    HELM_HISTORY + "   # the storage namespace (spec.storageNamespace, default the HelmRelease's)\n"
    "# a deployed revision exists: helm rollback {release.name} <revision> -n {release.namespace}\n"
    "# none (failed/uninstalling only): delete the stuck revision's Secret sh.helm.release.v1.{release.name}.v<N>"
    " so the controller installs again\n"
)


class ReleaseMissing(FailureRule):
    """Helm's storage does not hold the release the controller expects (no deployed revision, a missing rollback
    target, stuck uninstalling).

    What it detects
    ---------------
    A release whose current failure says Helm's storage lacks what the controller works from:
    Helm's `"<release>" has no deployed releases` (an upgrade of a release with no `deployed`
    revision: its revisions are `failed`, `uninstalling` or were deleted by hand),
    helm-controller v0.37+'s `Stalled=True MissingRollbackTarget` / `missing target release
    for rollback` (the revision to roll back to is gone from storage), a rollback that fails
    with `release: not found`, or a latest Helm revision left `uninstalling` well after any
    action could still run (an interrupted uninstall; Helm's storage Secret labels or
    `status.history`). The failed action's own finding comes with it.

    Versions: Helm's messages are the same in Helm 3 and 4 (every helm-controller version);
    `MissingRollbackTarget` is helm-controller v0.37+; from v0.37 a changed release object
    (an uninstall or rollback by hand) reads `release not managed by controller: release
    digest verification error` before the upgrade that fails.

    Why it matters
    --------------
    The controller keeps failing on the storage state, whatever the chart or values: someone
    ran `helm uninstall`/`helm rollback` outside Flux, deleted release Secrets, or an uninstall
    was interrupted. Known false positives: an uninstall in progress at collection time (not
    reported within ten minutes of its last update).

    Evidence
    --------
    The failing condition or event, and the Helm storage revision (or history entry) in the
    stuck state.

    Remediation
    -----------
    `helm history RELEASE -n STORAGE_NAMESPACE`; roll back to a deployed revision when there is
    one, else delete the stuck revision's storage Secret (`sh.helm.release.v1.RELEASE.vN`) so
    the controller installs again; then `flux reconcile helmrelease NAME -n NAMESPACE --force`.
    """

    id = "HR013"
    name = "release-missing"
    label = Label.release_missing
    severity = Severity.error
    summary = "Helm's storage does not hold the release the controller expects{during}: {cause}"
    cause = MISSING
    cause_lines = 1

    def remediation(self, ctx: Context) -> pl.Expr:
        return fmt(FIX) + flux("reconcile", " --force")
