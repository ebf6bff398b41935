"""Rule HR004: the class docstring is its documentation."""

from __future__ import annotations

from forensics.model import Label, Severity
from forensics.rules._failure import FailureRule


class TestFailed(FailureRule):
    """A Helm test hook of the release failed.

    What it detects
    ---------------
    A release whose current state is a failed test: TestSuccess/Ready `TestFailed`
    (v0.37+: `Helm test failed for release <rel> with chart <chart>: <err>`; v0.36:
    `Helm test failed: <err>`), or the latest `TestFailed` / `error` event.

    Why it matters
    --------------
    With `spec.test.enable` the release is only Ready when its tests pass; unless
    `spec.test.ignoreFailures` is set, a failed test triggers remediation (rollback or
    uninstall). Known false positives: flaky test pods that passed on a later run (history).

    Evidence
    --------
    The failing TestSuccess/Ready condition and the `TestFailed` event naming the test hook.

    Remediation
    -----------
    `kubectl -n NAMESPACE logs <test pod>` to see why the test failed; fix it, then
    `flux reconcile helmrelease NAME -n NAMESPACE --force`. To keep a release Ready despite a
    failing test, set `spec.test.ignoreFailures: true`.
    """

    id = "HR004"
    name = "test-failed"
    label = Label.test_failed
    severity = Severity.error
    summary = "test-failed: {failure}"
    __test__ = False  # not a pytest test class
