"""Rule HR006: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context
from forensics.rules._exprs import extract, flux, fmt
from forensics.rules._failure import FailureRule, first_line

IMMUTABLE = r"((?:cannot patch|[\w.]+ \"[^\"]+\" is invalid)[^\n]*?field is immutable)"
PATCH = r'cannot patch "([^"]+)" with kind (\w+)'


class ImmutableFieldRejected(FailureRule):
    """Kubernetes rejected the upgrade because it changes an immutable field.

    What it detects
    ---------------
    A release whose current failure text contains `field is immutable` (the API server's
    answer to a patch of, e.g., a Deployment's `spec.selector`, a Service's `clusterIP`, a
    Job's template or a StatefulSet's `volumeClaimTemplates`).

    Why it matters
    --------------
    Retrying never helps: the same patch is rejected every time until the object is
    replaced. Known false positives: none known.

    Evidence
    --------
    The failing condition and the failure event quoting the API server's error, which names
    the object and the field.

    Remediation
    -----------
    Replace the object: delete it (`kubectl -n NAMESPACE delete <kind> <name>`) so the next
    upgrade recreates it, or set `spec.upgrade.force: true` for one upgrade (Helm replaces
    resources); then `flux reconcile helmrelease NAME -n NAMESPACE --force`.
    """

    id = "HR006"
    name = "immutable-field-rejected"
    label = Label.immutable_field
    severity = Severity.error
    summary = "upgrade rejected, immutable field: {rejected}"

    def columns(self, ctx: Context) -> dict[str, pl.Expr]:
        (rejected,) = extract(IMMUTABLE, 1)
        return {"rejected": pl.coalesce(rejected, first_line(pl.col("text"))).str.slice(0, 220)}

    def remediation(self, ctx: Context) -> pl.Expr:
        obj, kind = extract(PATCH, 1, 2)
        delete = fmt("kubectl -n {release.namespace} delete {kind} {obj}\n", kind=kind.str.to_lowercase(), obj=obj)
        return pl.when(obj.is_not_null()).then(delete).otherwise(pl.lit("")) + flux("reconcile", " --force")
