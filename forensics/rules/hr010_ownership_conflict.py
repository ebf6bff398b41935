"""Rule HR010: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context
from forensics.rules._failure import FailureRule, during, from_match

OWNERSHIP = r"rendered manifests contain a resource that already exists|Unable to continue with (?:install|update)|\S+ \"[^\"]+\" in namespace \"[^\"]*\" exists and cannot be imported|exists and cannot be imported|invalid ownership metadata"
OBJECT = r'(\w+) "([^"]+)" in namespace "([^"]*)" exists and cannot be imported'
HELM_NAME = r'"meta\.helm\.sh/release-name": must be set to "([^"]+)"|key "meta\.helm\.sh/release-name" must equal "([^"]+)"'


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

    def summary(self) -> pl.Expr:
        kind, name, ns = (pl.col("text").str.extract(OBJECT, i) for i in (1, 2, 3))
        named = pl.format("{} {}/{} exists without this release's Helm ownership metadata: Helm will not adopt it{}", kind, ns, name, during())
        return pl.when(kind.is_not_null()).then(named).otherwise(pl.format("Helm will not adopt an existing object{}: {}", during(), from_match(pl.col("text"), OWNERSHIP)))

    def remediation(self, ctx: Context) -> pl.Expr:
        kind, name, ns = (pl.col("text").str.extract(OBJECT, i) for i in (1, 2, 3))
        rel_name = pl.col("release").str.split("/").list.last()
        rel_ns = pl.col("release").str.split("/").list.first()
        # the Helm release name Helm expects (it says so in the annotation validation error)
        helm_name = pl.coalesce(pl.col("text").str.extract(HELM_NAME, 1), pl.col("text").str.extract(HELM_NAME, 2), rel_name)
        adopt = pl.when(kind.is_not_null()).then(
            pl.format(
                "# let Helm adopt it (or delete it when nothing else owns it):\n"
                "kubectl -n {} annotate {} {} meta.helm.sh/release-name={} meta.helm.sh/release-namespace={} --overwrite\n"
                "kubectl -n {} label {} {} app.kubernetes.io/managed-by=Helm --overwrite\n",
                ns, kind.str.to_lowercase(), name, helm_name, ns, ns, kind.str.to_lowercase(), name,
            )
        ).otherwise(pl.lit("# annotate/label the existing object for Helm (meta.helm.sh/release-name, meta.helm.sh/release-namespace, app.kubernetes.io/managed-by=Helm) or delete it\n"))
        take = ctx.controller.at_least("v1.1.0")
        note = {
            True: "# helm-controller >= v1.1.0 adopts existing objects unless spec.install/upgrade.disableTakeOwnership is true: remove it\n",
            False: "# helm-controller <= v1.0 never adopts: Flux >= 2.4 (helm-controller v1.1.0) takes ownership by default\n",
            None: "",
        }[take]
        return adopt + pl.lit(note) + pl.format("flux reconcile helmrelease {} -n {}", rel_name, rel_ns)
