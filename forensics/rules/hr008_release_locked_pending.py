"""Rule HR008: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context
from forensics.rules._exprs import HELM_HISTORY, flux, fmt
from forensics.rules._failure import FailureRule

ROLLBACK = "helm rollback {release.name} <last deployed revision> -n {release.namespace}"


class ReleaseLockedPending(FailureRule):
    """Helm's storage keeps the release locked in a pending-install/-upgrade/-rollback state.

    What it detects
    ---------------
    v0.36: failures `another operation (install/upgrade/rollback) is in progress` (the
    controller never unlocks by itself; with retries 0 it cycles `Helm upgrade has started` /
    `Helm upgrade failed` forever). v0.37+: a Warning `PendingRelease` event `Unlock of Helm
    release ... failed`, or the newest Helm history snapshot still `pending-*` at the end of
    the window (v0.37+ normally unlocks a stale pending release by itself: `release locked`
    then `Unlocked Helm release ...`, which is not reported).

    Why it matters
    --------------
    Every further action fails until the pending revision is resolved. It is typically left
    by a controller that died during an action (OOMKilled, node drain) or a Helm CLI run
    interrupted by hand. Known false positives: an action that is still running when the
    bundle was collected (its revision is pending legitimately).

    Evidence
    --------
    The failing condition, the repeated failure events with their count, the history
    snapshot in a pending state, and the controller's error.

    Remediation
    -----------
    helm-controller >= v0.37 unlocks a stale pending release itself; upgrading Flux to >= 2.2
    is the durable fix. By hand: `helm history RELEASE -n NAMESPACE`, then
    `helm rollback RELEASE <last deployed revision> -n NAMESPACE`, or delete the pending
    revision's Secret `sh.helm.release.v1.RELEASE.v<N>`; then
    `flux reconcile helmrelease NAME -n NAMESPACE --force`.
    """

    id = "HR008"
    name = "release-locked-pending"
    label = Label.stuck_pending
    severity = Severity.error
    summary = "Helm release locked in a pending state: {failure}"

    def remediation(self, ctx: Context) -> pl.Expr:
        unlock = fmt(f"{HELM_HISTORY}\n{ROLLBACK}\n") + flux("reconcile", " --force")
        if ctx.controller.current_generation == "v2beta1":
            return unlock + pl.lit(
                "\n# helm-controller >= v0.37 (Flux >= 2.2) unlocks stale pending releases by itself"
            )
        return unlock
