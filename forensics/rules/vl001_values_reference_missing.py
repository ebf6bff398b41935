"""Rule VL001: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context
from forensics.rules._exprs import extract, flux, fmt
from forensics.rules._failure import FailureRule

REFERENCE = r"(ConfigMap|Secret)(?: chart values reference)? '([^'/]+)/([^']+)'"


class ValuesReferenceMissing(FailureRule):
    """A `valuesFrom` ConfigMap or Secret (or a key in it) does not exist.

    What it detects
    ---------------
    v0.37+/v1.x: Ready=False `ValuesError` `could not resolve [optional ]<Kind> chart values
    reference '<ns>/<name>'[ with key '<key>']: resource not found | key not found`; v0.36:
    Ready=False `InitFailed` with `could not find <Kind> '<ns>/<name>'` or
    `missing key '<key>' in <Kind> '<ns>/<name>'`.

    Why it matters
    --------------
    The controller stops before rendering the chart; nothing changes until the reference
    resolves. Often the Secret is created by another tool (External Secrets, SOPS decryption
    by kustomize-controller) that has not run yet or failed. Known false positives: a
    reference that appears a moment later (ordering at install time; history once resolved).

    Evidence
    --------
    The failing Ready condition and the controller's error naming the reference.

    Remediation
    -----------
    Create the ConfigMap/Secret or the key (`kubectl -n NAMESPACE get secret NAME -o
    jsonpath='{.data}'`), or mark the reference `optional: true` if the chart can do without
    it; then `flux reconcile helmrelease NAME -n NAMESPACE`.
    """

    id = "VL001"
    name = "values-reference-missing"
    label = Label.values_missing
    severity = Severity.error
    summary = "values reference missing: {failure}"

    def remediation(self, ctx: Context) -> pl.Expr:
        reference, kind, ns, name = extract(REFERENCE, 0, 1, 2, 3)
        get = fmt("kubectl -n {ns} get {kind} {name}\n", ns=ns, kind=kind.str.to_lowercase(), name=name)
        return pl.when(reference.is_not_null()).then(get).otherwise(pl.lit("")) + flux("reconcile")
