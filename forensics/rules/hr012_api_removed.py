"""Rule HR012: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context
from forensics.rules._exprs import flux
from forensics.rules._failure import FailureRule

NO_MATCH = r'no matches for kind "([^"]+)" in version "([^"]+)"'
MAPPING = r"resource mapping not found for name|ensure CRDs are installed first|no matches for kind"
FIX = (
    "kubectl api-versions   # what the cluster serves\n"
    "# upgrade the chart to a version that uses served APIs (or install the CRDs first, with dependsOn on the"
    " release that installs them);\n"
    "# a stored Helm release that still references a removed API: helm mapkubeapis RELEASE -n NAMESPACE\n"
)


class ApiRemoved(FailureRule):
    """The chart renders a kind/apiVersion the cluster does not serve (a removed API, or a CRD not installed).

    What it detects
    ---------------
    A release whose current failure text carries the API server's / Helm's "not served"
    answer for the chart's own objects: `unable to build kubernetes objects from release
    manifest: [unable to recognize "": no matches for kind "<Kind>" in version "<group/version>",
    ...]`, `resource mapping not found for name: ... ensure CRDs are installed first`. When the
    group is a Flux toolkit group (`*.toolkit.fluxcd.io`) the label is `crd-mismatch` instead
    (Flux's own CRDs). The failed action's own finding comes with it.

    Versions: every helm-controller version (Helm 3 and 4 build the objects with the same
    client and the same words); the API that disappears depends on the Kubernetes version.

    Why it matters
    --------------
    Helm cannot even build the objects: nothing is applied until the chart stops using the API
    (a Kubernetes upgrade removed it: `extensions/v1beta1` Ingress, `rbac.authorization.k8s.io/
    v1beta1`, `policy/v1beta1` PodSecurityPolicy, ...) or the CRD that defines the kind is
    installed first. Known false positives: a CRD that another release installs a moment later
    (an ordering problem: `dependsOn` on the CRD release).

    Evidence
    --------
    The failing condition, event or log naming each kind and apiVersion.

    Remediation
    -----------
    `kubectl api-versions` shows what the cluster serves; upgrade the chart to a version that
    uses those APIs (or install the CRDs first, with `dependsOn` on the release that installs
    them); a stored release that still references a removed API needs `helm mapkubeapis`; then
    `flux reconcile helmrelease NAME -n NAMESPACE --force`.
    """

    id = "HR012"
    name = "api-removed"
    label = Label.api_removed
    severity = Severity.error
    summary = "the chart uses {apis} the cluster does not serve{during}: {unserved}"
    cause = MAPPING

    def columns(self, ctx: Context) -> dict[str, pl.Expr]:
        kind_version = pl.element().str.extract(NO_MATCH, 1) + pl.lit(" ") + pl.element().str.extract(NO_MATCH, 2)
        kinds = pl.col("text").str.extract_all(NO_MATCH).list.eval(kind_version).list.unique(maintain_order=True)
        listed = kinds.list.len() > 0
        return {
            "apis": pl.when(listed).then(pl.lit("APIs")).otherwise(pl.lit("an API")),
            "unserved": pl.when(listed).then(kinds.list.join(", ")).otherwise(pl.col("cause")),
        }

    def remediation(self, ctx: Context) -> pl.Expr:
        return pl.lit(FIX) + flux("reconcile", " --force")
