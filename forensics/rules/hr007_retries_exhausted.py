"""Rule HR007: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context
from forensics.rules._exprs import flux, fmt
from forensics.rules._failure import FailureRule, action_of, first_line
from forensics.rules._state import failure_state

# The action whose retries ran out, in the wording of each version (v0.36, then v0.37+ twice).
V036_EXHAUSTED = (
    r"(install|upgrade) retries exhausted|Failed to (?:install|upgrade) after|cannot (?:install|upgrade) release"
)
V037_STALLED = r"Failed to (install|upgrade) after"
V037_TERMINAL = r"cannot (install|upgrade) release"
V036_RESET = (
    "# helm-controller <= v0.36: fix the cause, then create a new state (bump the chart version or a value);\n"
    "# upgrading to Flux >= 2.2 gives: "
)


class RetriesExhausted(FailureRule):
    """Install/upgrade kept failing until the retry budget ran out; the controller stopped trying.

    What it detects
    ---------------
    helm-controller v0.37+/v1.x: `Stalled=True` reason `RetriesExceeded` ("Failed to upgrade
    after N attempt(s)"), or the terminal error `exceeded maximum retries: cannot upgrade
    release`. v0.36: Ready=False "upgrade retries exhausted" / "install retries exhausted" and
    events `reconciliation failed: upgrade retries exhausted`. The finding names the last
    underlying failure (its own label is reported by that rule too).

    Why it matters
    --------------
    A terminal state: nothing happens until the spec or the source changes or someone resets
    the counter, so the release stays broken even after the cause is gone.
    Known false positives: none known; a release that was reset and then succeeded is history.

    Evidence
    --------
    The Stalled (or Ready) condition with the attempt count, the last failure event and the
    terminal `Reconciler error` line.

    Remediation
    -----------
    Fix the underlying failure, then reset the counter: `flux reconcile helmrelease NAME -n
    NAMESPACE --reset` (flux CLI >= 2.2.0, helm-controller >= v0.37), or `--force` for a
    one-off attempt. helm-controller <= v0.36 resets only on a new state (chart version,
    values or Helm release revision change).
    """

    id = "HR007"
    name = "retries-exhausted"
    label = Label.retries_exhausted
    severity = Severity.error
    summary = "{what}{after}; the failure behind it ({cause_label}): {cause}"

    def may_fire(self, ctx: Context) -> bool:
        return bool(failure_state(ctx)["exhausted"].any())

    def select(self, state: pl.DataFrame) -> pl.DataFrame:
        return state.filter(pl.col("exhausted"))

    def columns(self, ctx: Context) -> dict[str, pl.Expr]:
        # the failure that used the retries up: a labelled component (timeout, upgrade-failed, ...)
        cause_label = pl.col("messages").list.eval(pl.element().struct.field("label")).list.first()
        cause_text = pl.col("messages").list.eval(pl.element().struct.field("message")).list.first()
        text = pl.col("text")
        action = pl.coalesce(
            *(text.str.extract(p, 1) for p in (V036_EXHAUSTED, V037_STALLED, V037_TERMINAL)), action_of()
        )
        return {
            "what": pl.when(action.is_not_null())
            .then(fmt("{a} retries exhausted", a=action))
            .otherwise(pl.lit("retries exhausted")),
            "after": pl.when(pl.col("attempts").is_not_null())
            .then(fmt(" after {attempts} attempt(s)"))
            .otherwise(pl.lit("")),
            "cause_label": pl.coalesce(cause_label, pl.col("label"), pl.lit("not in the evidence")),
            "cause": first_line(pl.coalesce(cause_text, text), 200),
        }

    def remediation(self, ctx: Context) -> pl.Expr:
        if ctx.controller.current_generation == "v2beta1":
            return pl.lit(V036_RESET) + flux("reconcile", " --reset")
        return flux("reconcile", " --reset")
