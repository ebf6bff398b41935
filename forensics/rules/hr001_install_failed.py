"""Rule HR001: the class docstring is its documentation."""

from __future__ import annotations

from forensics.model import Label, Severity
from forensics.rules._failure import FailureRule


class InstallFailed(FailureRule):
    """The Helm install of the release failed, for a reason no more specific rule names.

    What it detects
    ---------------
    A release whose current state is a failed install: Ready/Released `InstallFailed`
    (v0.37+: `Helm install failed for release <ns>/<name> with chart <chart>@<version>: <err>`;
    v0.36: `Helm install failed: <err>`), or, without a status, an `InstallFailed` / `error`
    event newer than any success. Failures whose text matches a known signature (timeout,
    immutable field, lock, values, chart) get that label instead.

    Why it matters
    --------------
    Nothing of the release is running. The message names the Helm error (a resource that
    already exists, a rejected manifest, a failed hook). Known false positives: an install that
    failed and then succeeded is history (not reported); a bundle whose status is older than its
    logs may show a failure that has since recovered.

    Evidence
    --------
    The failing Ready/Released condition, the latest `InstallFailed` event (with the Helm log
    tail), the `running 'install' action` log line and the controller's error.

    Remediation
    -----------
    Fix the error the message names (`helm template` the chart with the same values, look for
    the clashing resource), then `flux reconcile helmrelease NAME -n NAMESPACE --force`.
    """

    id = "HR001"
    name = "install-failed"
    label = Label.install_failed
    severity = Severity.error
    summary = "install-failed: {failure}"
