"""Rule VL001: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context
from forensics.rules._failure import FailureRule, first_line, flux


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

    def summary(self) -> pl.Expr:
        return pl.format("values reference missing: {}", first_line(pl.col("text")))

    def remediation(self, ctx: Context) -> pl.Expr:
        ref = pl.col("text").str.extract(r"(ConfigMap|Secret)(?: chart values reference)? '([^'/]+)/([^']+)'", 0)
        kind = pl.col("text").str.extract(r"(ConfigMap|Secret)(?: chart values reference)? '([^'/]+)/([^']+)'", 1)
        ns = pl.col("text").str.extract(r"(ConfigMap|Secret)(?: chart values reference)? '([^'/]+)/([^']+)'", 2)
        name = pl.col("text").str.extract(r"(ConfigMap|Secret)(?: chart values reference)? '([^'/]+)/([^']+)'", 3)
        check = pl.when(ref.is_not_null()).then(pl.format("kubectl -n {} get {} {}\n", ns, kind.str.to_lowercase(), name)).otherwise(pl.lit(""))
        return check + flux("reconcile")
