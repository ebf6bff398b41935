"""Rule HR010: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context
from forensics.rules._exprs import extract, flux, fmt, name_ns
from forensics.rules._failure import FailureRule

OWNERSHIP = (
    r"rendered manifests contain a resource that already exists|Unable to continue with (?:install|update)"
    r"|\S+ \"[^\"]+\" in namespace \"[^\"]*\" exists and cannot be imported|exists and cannot be imported"
    r"|invalid ownership metadata"
)
OBJECT = r'(\w+) "([^"]+)" in namespace "([^"]*)" exists and cannot be imported'
HELM_NAME = (
    r'"meta\.helm\.sh/release-name": must be set to "([^"]+)"'
    r'|key "meta\.helm\.sh/release-name" must equal "([^"]+)"'
)
NAMED = "{kind} {ns}/{name} exists without this release's Helm ownership metadata: Helm will not adopt it{during}"
ADOPT = (
    "# let Helm adopt it (or delete it when nothing else owns it):\n"
    "kubectl -n {ns} annotate {kind} {name} meta.helm.sh/release-name={helm_name}"
    " meta.helm.sh/release-namespace={ns} --overwrite\n"
    "kubectl -n {ns} label {kind} {name} app.kubernetes.io/managed-by=Helm --overwrite\n"
)
ADOPT_UNNAMED = (
    "# annotate/label the existing object for Helm (meta.helm.sh/release-name, meta.helm.sh/release-namespace,"
    " app.kubernetes.io/managed-by=Helm) or delete it\n"
)
# Whether the controller adopts existing objects (helm-controller >= v1.1.0), by what the bundle shows.
TAKE_OWNERSHIP = {
    True: "# helm-controller >= v1.1.0 adopts existing objects unless spec.install/upgrade.disableTakeOwnership"
    " is true: remove it\n",
    False: "# helm-controller <= v1.0 never adopts: Flux >= 2.4 (helm-controller v1.1.0) takes ownership by default\n",
    None: "",
}


class OwnershipConflict(FailureRule):
    """Helm will not adopt an object the chart renders: it exists already without this release's ownership metadata.

    What it detects
    ---------------
    A release whose current failure text carries Helm's ownership check: `<Kind> "<name>" in
    namespace "<ns>" exists and cannot be imported into the current release: invalid ownership
    metadata; label validation error: ...; annotation validation error: ...`, after `Unable to
    continue with install` / `Unable to continue with update` (Helm 3.12 also prefixes
    `rendered manifests contain a resource that already exists`), from helm/helm
    `pkg/action/validate.go`. The failed action's own finding comes with it.

    Versions: helm-controller v1.1.0+ runs Helm with TakeOwnership by default, which adopts such
    objects; there the error appears only with `spec.install|upgrade.disableTakeOwnership: true`
    (v1.2.0+). On <= v1.0.x it is the default behaviour.

    Why it matters
    --------------
    Helm refuses before storing a release, so the controller retries forever with backoff
    (failures grow, install/upgrade failures do not, retries are never exhausted) and a
    forced reconcile hits the same wall. Usually the object was created by hand, by another
    tool, or by another Helm release (`meta.helm.sh/release-name` names another release).
    Known false positives: none known.

    Evidence
    --------
    The failing condition, event or log line that names the object and the missing metadata.

    Remediation
    -----------
    Let Helm adopt the object (`kubectl annotate KIND NAME meta.helm.sh/release-name=RELEASE
    meta.helm.sh/release-namespace=NAMESPACE` and `kubectl label KIND NAME
    app.kubernetes.io/managed-by=Helm`), or delete it when nothing else owns it, or (v1.2.0+)
    drop `disableTakeOwnership`; then `flux reconcile helmrelease NAME -n NAMESPACE`. A
    `--force` alone does not help.
    """

    id = "HR010"
    name = "ownership-conflict"
    label = Label.ownership_conflict
    severity = Severity.error
    summary = "{conflict}"
    cause = OWNERSHIP

    def columns(self, ctx: Context) -> dict[str, pl.Expr]:
        kind, name, ns = extract(OBJECT, 1, 2, 3)
        unnamed = fmt("Helm will not adopt an existing object{during}: {cause}")
        conflict = pl.when(kind.is_not_null()).then(fmt(NAMED, kind=kind, ns=ns, name=name)).otherwise(unnamed)
        return {"conflict": conflict}

    def remediation(self, ctx: Context) -> pl.Expr:
        kind, name, ns = extract(OBJECT, 1, 2, 3)
        # the Helm release name Helm expects (it says so in the annotation validation error)
        helm_name = pl.coalesce(*extract(HELM_NAME, 1, 2), name_ns()[0])
        adopt = fmt(ADOPT, ns=ns, kind=kind.str.to_lowercase(), name=name, helm_name=helm_name)
        adopt = pl.when(kind.is_not_null()).then(adopt).otherwise(pl.lit(ADOPT_UNNAMED))
        return adopt + pl.lit(TAKE_OWNERSHIP[ctx.controller.at_least("v1.1.0")]) + flux("reconcile")
