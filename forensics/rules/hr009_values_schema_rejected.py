"""Rule HR009: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context
from forensics.rules._exprs import HELM_TEMPLATE, flux, fmt
from forensics.rules._failure import FailureRule, from_match

SCHEMA = r"values don't meet the specifications of the schema\(s\)"
# the message and its violation lines (`<chart>:` then `- <path>: <violation>` per error)
VIOLATIONS = SCHEMA + r"[^\n]*(?:\n[\w.-]+:|\n- [^\n]*)*"
REPRODUCE = "# fix the value at the path the message names, or pin the previous chart version; reproduce with:\n"
SKIP = "\n# last resort (helm-controller >= v1.1.0): spec.upgrade.disableSchemaValidation: true (or spec.install...)"


class ValuesSchemaRejected(FailureRule):
    """The chart's values.schema.json rejects the release's values: Helm stops before rendering.

    What it detects
    ---------------
    A release whose current failure text carries Helm's schema validation error `values don't
    meet the specifications of the schema(s) in the following chart(s):` followed by
    `<chart>:` and one `- <path>: <violation>` line per error (helm/helm
    `pkg/chartutil/values.go` v3, `pkg/chart/common/util/values.go` v4), in the Ready/Released
    condition, an `InstallFailed`/`UpgradeFailed` event, a `Reconciler error` log or a pasted
    message. Every helm-controller version (v0.x and v1.x, Helm 3 and 4) writes it the same way.
    The failed action's own finding (install-failed / upgrade-failed) comes with it.

    Why it matters
    --------------
    Nothing is applied and retrying never helps: the same values fail the same schema. It often
    follows a chart bump (a new chart version with a stricter schema) rather than a values
    change. helm-controller >= v1.1.0 has `spec.install|upgrade.disableSchemaValidation` to
    skip the check. Known false positives: none known; a message cut by the paste (`...`) after
    the prefix still names the mechanism but not the violating path (low confidence).

    Evidence
    --------
    The failing Ready/Released condition or event quoting the violations, and the controller's
    error line.

    Remediation
    -----------
    Reproduce with `helm template NAME CHART --version VERSION -f values.yaml`, then fix the
    value at the path the message names (or pin the previous chart version); then
    `flux reconcile helmrelease NAME -n NAMESPACE --force`.
    """

    id = "HR009"
    name = "values-schema-rejected"
    label = Label.values_schema
    severity = Severity.error
    summary = "the chart's values schema rejects the values{during}: {violations}"

    def columns(self, ctx: Context) -> dict[str, pl.Expr]:
        violations = pl.coalesce(pl.col("text").str.extract(VIOLATIONS, 0), pl.col("text"))
        return {"violations": from_match(violations, SCHEMA)}

    def remediation(self, ctx: Context) -> pl.Expr:
        skip = SKIP if ctx.controller.at_least("v1.1.0") is not False else ""
        return fmt(REPRODUCE + HELM_TEMPLATE + "\n") + flux("reconcile", " --force") + pl.lit(skip)
