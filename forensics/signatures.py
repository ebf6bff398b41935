"""Known error signatures: which root-cause label a failure message points at.

A data table, not code: each row is a label, the regex of the controller's / Helm's /
Kubernetes' own error text (reference/helm-controller.md §2-§4, §8, §10; helm/helm
pkg/action, pkg/engine, pkg/chartutil; fluxcd/pkg ssa; fluxcd/source-controller
internal/helm/chart/errors.go) and what it means. `classify()` turns the table into one Polars
expression.

Precedence: the first matching row wins, so the order of SIGNATURES is the precedence. The
rules behind the order:
  * a lock explains everything that follows it (stuck-pending first), and a drift check that
    fails quotes the API server's answer about the live object (any words can follow it);
  * a Flux kind/version the cluster does not serve (crd-mismatch) before a chart's own API
    that is not served (api-removed): `no matches for kind "X" in version "G/V"` is
    crd-mismatch when G is a `*.toolkit.fluxcd.io` group and api-removed otherwise;
  * the errors Helm raises before it applies anything (values schema, ownership, rendering)
    before the errors of applying (immutable field) and of waiting (timeout), because a later
    wait or retry never explains an earlier refusal;
  * the timeout wordings last: `context deadline exceeded` also ends errors whose cause is
    named earlier in the same text (an artifact download, an API call).

A row with `unless` does not match a text that also matches `unless` (another mechanism with
similar words). A row with `explains_action` names the sub-cause of a failed Helm action: the
action's own label (install-failed, upgrade-failed, ...) is reported beside it when the text
or the reason names the action (the eight labels added for helm-controller v1.x do; the older
specific labels replace the action label, as they always have).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Signature:
    label: str
    pattern: str
    meaning: str
    unless: str | None = None
    explains_action: bool = False


# Flux's own kinds, as `kubectl` and the controllers' reflectors name them.
FLUX_KINDS = (
    r"(?:HelmRelease|HelmChart|HelmRepository|OCIRepository|GitRepository|Bucket|ExternalArtifact|Kustomization"
    r"|Alert|Provider|Receiver|ImageRepository|ImagePolicy|ImageUpdateAutomation)"
)
# A client built for a newer Flux API than the cluster serves (the flux CLI, controller-runtime's
# REST mapper): a version skew of the tool that printed it, not a state of the cluster.
CLIENT_SKEW = r"failed to get API group resources: unable to retrieve the complete list of server APIs"

SIGNATURES: tuple[Signature, ...] = (
    Signature(
        "stuck-pending",
        r"another operation \(install/upgrade/rollback\) is in progress|Unlock of Helm release .* failed",
        "Helm's storage holds the release in a pending-install/-upgrade/-rollback state",
    ),
    Signature(
        "drift",
        # the drift check itself fails: v0.36 (DetectDrift gate) Ready=False DiffFailed
        # `failed to diff release against cluster resources: %s`; v0.37+ Ready=False StateError
        # `Could not determine release state: unable to determine cluster state: %w` and the log
        # `diff of release against cluster state completed with error`
        r"failed to diff release against cluster resources|unable to determine cluster state: |diff of release against "
        r"cluster (?:resources|state) (?:finished|completed) with error",
        "drift detection's dry-run of the release against the live objects fails: another writer left an object the "
        "dry-run rejects",
    ),
    Signature(
        "crd-mismatch",
        # kubectl / kustomize-controller / Helm asking for a Flux kind in a version that is not served;
        # the API server's schema validation of a Flux object (`<Kind>.<group> "<name>" is invalid`,
        # kubectl's `The <Kind> "<name>" is invalid`, SSA's `field not declared in schema`);
        # a CRD update refused by its storedVersions; a controller's reflector that cannot list its
        # own kind (client-go reflector.go); API discovery that lists a Flux group version it cannot serve.
        r'no matches for kind "[^"]+" in version "[\w.-]*toolkit\.fluxcd\.io/'
        r'|\.toolkit\.fluxcd\.io "[^"]*" is invalid: '
        rf'|The {FLUX_KINDS} "[^"]+" is invalid: '
        rf"|{FLUX_KINDS}/\S+ dry-run failed.*not declared in schema|toolkit\.fluxcd\.io.*field not declared in schema"
        r"|(?s:toolkit\.fluxcd\.io.*must appear in spec\.versions)"
        rf"|failed to list \*v\w+\.{FLUX_KINDS}: the server could not find"
        r"|unable to retrieve the complete list of server APIs: [^\n]*toolkit\.fluxcd\.io/\w+: the server could not "
        r"find",
        "Flux's CRDs and its objects disagree: a Flux kind/version the cluster does not serve, or a Flux object its "
        "CRD schema rejects",
        unless=CLIENT_SKEW,
        explains_action=True,
    ),
    Signature(
        "api-removed",
        r'no matches for kind "[^"]+" in version "|resource mapping not found for name|ensure CRDs are installed first',
        "the chart renders a kind/apiVersion the cluster does not serve (an API removed by a Kubernetes upgrade, or a "
        "CRD not installed)",
        explains_action=True,
    ),
    Signature(
        "values-schema",
        r"values don't meet the specifications of the schema\(s\)",
        "the chart's values.schema.json rejects the values",
        explains_action=True,
    ),
    Signature(
        "ownership-conflict",
        r"exists and cannot be imported into the current release|invalid ownership metadata|rendered manifests contain "
        r"a resource that already exists",
        "an object the chart renders exists already and Helm will not adopt it",
        explains_action=True,
    ),
    Signature(
        "immutable-field",
        r"field is immutable|(?i:immutable field)",
        "Kubernetes rejected the change of a field that cannot be changed in place",
    ),
    Signature(
        "render-failed",
        # Go text/template errors as Helm's engine returns them, the manifest splitter's YAML errors,
        # the rendered manifest failing validation, and a post-renderer (Kustomize patches) that fails.
        r"(?:^|: |\n)template: [^\s:]+:\d+(?::\d+)?: |(?:parse|execution) error (?:at|in) \("
        r"|YAML parse error on |error converting YAML to JSON|error validating data: "
        r"|error while running post render on files",
        "the chart does not render with these values (template, YAML or validation error, or a failing post-renderer)",
        explains_action=True,
    ),
    Signature(
        "release-missing",
        r'"[^"]+" has no deployed releases|missing target release for rollback|Helm release revision \d+ is '
        r"uninstalling"
        r"|rollback to previous release \S+ with chart \S+ failed: release: not found",
        "Helm's storage does not hold the release the controller expects (uninstalled or rolled back outside Flux, "
        "stuck uninstalling)",
        explains_action=True,
    ),
    Signature(
        "values-missing",
        r"chart values reference '|could not find (ConfigMap|Secret) '|missing key '[^']*' in (ConfigMap|Secret)|"
        r"unable to read values from key|"
        # Flux v1's helm-operator: `failed to compose values for chart release: secrets "x" not found`
        r"failed to compose values for chart release",
        "a valuesFrom ConfigMap/Secret or one of its keys does not exist",
    ),
    Signature(
        "health-check-canceled",
        r"Health checks canceled due to new reconciliation triggered by |New reconciliation triggered by |canceling "
        r"health checks",
        "helm-controller >= v1.5 canceled the running health check because a newer revision arrived",
        explains_action=True,
    ),
    Signature(
        "chart-fetch",
        r"(HelmChart|OCIRepository|ExternalArtifact|HelmRepository) '[^']+' is not ready|(Chart|Source) not ready: "
        r"artifact not found|"
        r"has no artifact|failed to download (chart|artifact)|[Cc]ould not load chart|could not get (HelmChart|Source) "
        r"object|"
        r"chart reconciliation failed|does not have an artifact|integrity failure: computed digest|"
        r"artifact revision \S+ does not match chart version|invalid artifact revision|"
        r"(?:invalid chart reference|chart pull error|chart metadata patch error|values files merge error|dependency "
        r"build error|chart package error|chart verification error): "
        # Flux v1's helm-operator: `failed to prepare chart for release: chart unavailable: ...`
        r"|failed to prepare chart for release: |chart unavailable: ",
        "the chart or its source artifact could not be fetched",
    ),
    Signature(
        "timeout",
        r"context deadline exceeded|timed out waiting for the condition|timed out waiting for|[Tt]imeout waiting for|"
        r"failed early due to stalled resources",
        "the Helm action waited for its resources until spec.timeout ran out (or, with the poller, one of them failed "
        "first)",
    ),
)

# Labels whose finding keeps the failed action's own label beside it.
EXPLAINS_ACTION = tuple(s.label for s in SIGNATURES if s.explains_action)

# Text that is never a release's failure, wherever it appears (dropped before classifying):
# a status update that lost a race (the controller retries on its own: fluxcd/helm-controller#509),
# and a client's own version skew (CLIENT_SKEW).
NOT_A_FAILURE = r"Operation cannot be fulfilled on [\w.]+ \"[^\"]*\": the object has been modified|" + CLIENT_SKEW

# A Kustomization health check that waits on the release (kustomize-controller
# `health check failed after %s: %w` / v0.2x `Health check failed after %s, %w`, reason
# HealthCheckFailed, the poller's `timeout waiting for: [HelmRelease/<ns>/<name> status: ...]`):
# a consequence of the release's state, never a failure of the release's own action.
HEALTH_CHECK_OF_RELEASE = r"(?i)health check failed after |running health checks "

# Ready/Released reasons and message prefixes of a failed Helm action (v0.37+ / v0.36).
ACTION_REASONS = {
    "InstallFailed": "install-failed",
    "UpgradeFailed": "upgrade-failed",
    "RollbackFailed": "rollback-failed",
    "TestFailed": "test-failed",
}
# v0.36 messages (`Helm upgrade failed: ...`, events `reconciliation failed: Helm install failed: ...`,
# the 2021 `Reconciler error` log's error) and v0.37+ (`Helm upgrade failed for release ...`).
ACTION_MESSAGES = r"^(?:reconciliation failed: )?Helm (install|upgrade|rollback|test) failed"
# v0.36 install remediation (an uninstall) that found nothing to uninstall: the install never
# stored a release (Helm `uninstall: Release not loaded: <name>: release: not found`).
INSTALL_NEVER_STORED = r"^(?:reconciliation failed: )?Helm uninstall failed: .*Release not loaded: .*release: not found"
# v0.37+ state (internal/reconcile/state.go): the release's test hook failed (info log
# `release is in a failed state: release has test in failed phase`).
TEST_FAILED_STATE = r"release has test in failed"

# Ready reasons that name a label by themselves, for inputs that carry a reason but no message
# (kube-state-metrics alert labels, a table row): helm-controller v0.37+/v1.x reasons (§4.2).
REASON_LABELS = {
    "ArtifactFailed": "chart-fetch",
    "HelmChartNotReady": "chart-fetch",
    "SourceNotReady": "chart-fetch",
    "ChartMutateError": "chart-fetch",
    "ValuesError": "values-missing",
    "HealthCheckCanceled": "health-check-canceled",
    "MissingRollbackTarget": "release-missing",
}

# A failure that exhausted the retry budget: v0.37+ Stalled/RetriesExceeded and terminal
# error; v0.36 Ready message.
RETRIES_EXHAUSTED = r"retries exhausted|exceeded maximum retries|Failed to (install|upgrade) after \d+ attempt"
# Lines that say a failure happened (or will be retried) without saying why: with nothing
# else, the cause is not in the evidence. v1.4.0-v1.4.2 RetryOnFailure put only
# `Will retry after <interval>` in Ready (§10.1 W1); v1.4.3+ `retrying after <interval>`.
CAUSELESS = (
    RETRIES_EXHAUSTED
    + r"|^Will retry after \S+$|^retrying after \S+$|^previous release attempt remediation failed$|^release is in a "
    r"failed state$"
)


def classify(text: pl.Expr) -> pl.Expr:
    """The label of the first signature the text matches, else null."""
    expr = None
    for signature in SIGNATURES:
        hit = text.str.contains(signature.pattern).fill_null(False)
        if signature.unless:
            hit = hit & ~text.str.contains(signature.unless).fill_null(False)
        expr = (
            pl.when(hit).then(pl.lit(signature.label)) if expr is None else expr.when(hit).then(pl.lit(signature.label))
        )
    return expr.otherwise(pl.lit(None, pl.String))


def meaning(label: str) -> str:
    return next((s.meaning for s in SIGNATURES if s.label == label), "")


def action_label(reason: pl.Expr, message: pl.Expr) -> pl.Expr:
    """install-failed / upgrade-failed / ... from a Ready/Released reason or a v0.36 message."""
    by_reason = reason.replace_strict(ACTION_REASONS, default=None, return_dtype=pl.String)
    by_message = message.str.extract(ACTION_MESSAGES, 1)
    never_stored = message.str.contains(INSTALL_NEVER_STORED).fill_null(False)
    test_failed = message.str.contains(TEST_FAILED_STATE).fill_null(False)
    return pl.coalesce(
        by_reason,
        pl.when(by_message.is_not_null()).then(by_message + pl.lit("-failed")),
        pl.when(never_stored).then(pl.lit("install-failed")),
        pl.when(test_failed).then(pl.lit("test-failed")),
    )


def reason_label(reason: pl.Expr) -> pl.Expr:
    """The label a Ready reason names by itself (REASON_LABELS), else null."""
    return reason.replace_strict(REASON_LABELS, default=None, return_dtype=pl.String)


def is_cut(text: pl.Expr) -> pl.Expr:
    """A message cut by the paste or by kubectl's column width (it ends with `...` or `…`)."""
    return text.str.strip_chars_end().str.contains(r"(\.\.\.|…)$").fill_null(False)
