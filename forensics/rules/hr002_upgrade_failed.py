"""Rule HR002: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context
from forensics.rules._exprs import flux
from forensics.rules._failure import FailureRule, retry_reset


class UpgradeFailed(FailureRule):
    """The Helm upgrade of the release failed, for a reason no more specific rule names.

    What it detects
    ---------------
    A release whose current state is a failed upgrade: Ready/Released `UpgradeFailed`
    (v0.37+: `Helm upgrade failed for release <ns>/<name> with chart <chart>@<version>: <err>`;
    v0.36: `Helm upgrade failed: <err>`), or, without a status, an `UpgradeFailed` / `error`
    event newer than any success. Failures whose text matches a known signature (timeout,
    immutable field, lock, values, chart) get that label instead.

    Why it matters
    --------------
    The cluster runs the previous revision (or a half-applied one, without atomic rollback)
    while Git says otherwise. Known false positives: an upgrade that failed and was then
    retried successfully is history (not reported).

    Evidence
    --------
    The failing Ready/Released condition, the latest `UpgradeFailed` event (with the Helm log
    tail), the `running 'upgrade' action` log line and the controller's error.

    Remediation
    -----------
    Fix the error the message names, then `flux reconcile helmrelease NAME -n NAMESPACE --force`
    (a one-off upgrade, flux CLI >= 2.2.0).
    """

    id = "HR002"
    name = "upgrade-failed"
    label = Label.upgrade_failed
    severity = Severity.error
    summary = "upgrade-failed: {failure}"

    def remediation(self, ctx: Context) -> pl.Expr:
        return flux("reconcile", " --force") + pl.lit(retry_reset(ctx))
