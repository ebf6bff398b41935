"""Rule HR011: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.exprs import msg_matches
from forensics.model import Label, Severity
from forensics.rules._base import Context
from forensics.rules._exprs import HELM_TEMPLATE, flux, fmt
from forensics.rules._failure import FailureRule
from forensics.signatures import SIGNATURES

RENDER = next(s.pattern for s in SIGNATURES if s.label == "render-failed")
POST_RENDER = r"error while running post render on files"
V150_POST_RENDER_BUG = r"invalid document separator|wrong node kind"
FIX_POST_RENDERER = (
    "# the post-renderer fails: check spec.postRenderers (Kustomize patches: targets, kinds, separators)\n"
)
FIX_VALUES = "# reproduce with the HelmRelease's values, fix the value or template the error names:\n"
V150_BUG = "# helm-controller v1.5.0-v1.5.2 post-render bug (fixed in v1.5.3): upgrade Flux to >= 2.8.3\n"
V160_HOOKS = (
    "# helm-controller >= v1.6.0 post-renders hooks too (postRenderStrategy combined);"
    " spec.postRenderStrategy: nohooks keeps the old behaviour\n"
)


class RenderFailed(FailureRule):
    """The chart does not render: a template, YAML or validation error, or a failing post-renderer.

    What it detects
    ---------------
    A release whose current failure text carries one of Helm's rendering errors: Go template
    errors as Helm's engine returns them (`template: <chart>/templates/<file>:<line>:<col>:
    executing ...`, `parse error at (<file>:<line>): ...`, `execution error at (...)` from
    `required`/`fail`), the manifest splitter's `YAML parse error on <file>: error converting
    YAML to JSON: ...`, a rendered manifest that fails validation (`error validating data:
    ...`), or a post-renderer (the HelmRelease's Kustomize patches) that fails: `error while
    running post render on files: ...` (Helm 3 and 4). The failed action's own finding comes
    with it. A chart using an API the cluster does not serve is `api-removed`, a values schema
    violation `values-schema`: both are checked first.

    Versions: helm-controller v1.5.0-v1.5.2 (Helm 4) had post-render bugs (`invalid document
    separator`, `wrong node kind`, fixed in v1.5.3); v1.6.0 runs post-renderers on hooks too
    by default (`spec.postRenderStrategy: combined`), so a patch that starts failing right
    after an upgrade to Flux 2.9 is that change, not a user change.

    Why it matters
    --------------
    Nothing is applied, and a retry renders the same error. Known false positives: none known.

    Evidence
    --------
    The failing condition, event or log quoting the template file and line.

    Remediation
    -----------
    Reproduce with `helm template NAME CHART --version VERSION -f values.yaml` (with the
    HelmRelease's values), fix the value or template the error names (or the
    `spec.postRenderers` patch), then `flux reconcile helmrelease NAME -n NAMESPACE --force`.
    """

    id = "HR011"
    name = "render-failed"
    label = Label.render_failed
    severity = Severity.error
    summary = "the chart does not render{during}: {cause}"
    cause = RENDER
    cause_lines = 1

    def remediation(self, ctx: Context) -> pl.Expr:
        post = msg_matches(POST_RENDER, "text")
        steps = pl.when(post).then(pl.lit(FIX_POST_RENDERER)).otherwise(pl.lit(FIX_VALUES))
        notes = pl.lit("")
        if ctx.controller.between("v1.5.0", "v1.5.2"):
            notes = pl.when(msg_matches(V150_POST_RENDER_BUG, "text")).then(pl.lit(V150_BUG)).otherwise(pl.lit(""))
        if ctx.controller.at_least("v1.6.0"):
            notes = notes + pl.when(post).then(pl.lit(V160_HOOKS)).otherwise(pl.lit(""))
        return steps + notes + fmt(HELM_TEMPLATE + "\n") + flux("reconcile", " --force")
