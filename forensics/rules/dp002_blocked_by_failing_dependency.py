"""Rule DP002: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.exprs import ready_condition
from forensics.model import Label, Severity
from forensics.rules._base import Context, Rule, cite, no_findings
from forensics.rules._deps import dependency_checks, dependency_claims
from forensics.rules._exprs import flux, fmt, latest, pick
from forensics.rules._state import FULL_OBJECT

FIX_FIRST = (
    "# fix the dependency first; this release proceeds by itself afterwards\n"
    "flux get helmreleases -n {dependency.namespace}\n"
)


class BlockedByFailingDependency(Rule):
    """A release waits on a dependency that really is not Ready; the cause is upstream.

    What it detects
    ---------------
    A HelmRelease whose Ready condition (or latest dependency-check log line) says
    `dependency '<ns>/<name>' is not ready` while that dependency, present in the bundle,
    is itself not Ready (Ready=False/Unknown). The finding names the dependency in its
    `upstream` field, and the verdict's chain follows it to the dependency's own first cause
    (link by link, a cycle named where it closes).

    Why it matters
    --------------
    The dependent is healthy in itself; fixing it directly does nothing. The work is
    upstream, on the dependency's root cause. Known false positives: a dependency that was
    mid-upgrade at collection time (Ready=Unknown, Progressing) blocks briefly and legitimately.

    Evidence
    --------
    The dependent's Ready condition and last failed dependency check, and the dependency's
    own not-Ready condition.

    Remediation
    -----------
    Fix the dependency first (see its finding); the dependent retries every 30s
    (`--requeue-dependency`) and proceeds by itself. `flux get helmreleases -A` shows both.
    """

    id = "DP002"
    name = "blocked-by-failing-dependency"
    label = Label.dependency_failed
    severity = Severity.error
    needs = ("releases", "logs")
    summary = "blocked by dependency '{dependency}', which is not Ready: {dependency_says}"

    def check(self, ctx: Context) -> pl.DataFrame:
        rows = dependency_claims(ctx).filter(pl.col("dep_present") & (pl.col("dep_ready") != "True"))
        if rows.height == 0:
            return no_findings()
        verdicts = rows.unique("release", keep="first", maintain_order=True).select(  # one claim per release
            "release",
            "dependency",
            "since",
            dependency_says=pl.col("dep_message").fill_null("(no message)").str.slice(0, 180),
            # high only when both statuses are whole objects (a table row has no reason nor time)
            confidence=pick(
                (pl.col("claim_from") == "status")
                & pl.col("claim_input").is_in(FULL_OBJECT).fill_null(False)
                & pl.col("dep_input").is_in(FULL_OBJECT).fill_null(False),
                "high",
                "medium",
            ),
            confidence_reason=fmt(
                "the dependency's own Ready condition is {dep_ready} ({reason})",
                reason=pl.col("dep_reason").fill_null("reason not shown"),
            ),
            remediation=fmt(FIX_FIRST) + flux("reconcile", column="dependency"),
            upstream="dependency",
        )
        ready = ready_condition(ctx.frames["conditions"])
        failed, _, _ = dependency_checks(ctx)
        upstream = rows.select("release", "dependency").join(ready.rename({"release": "dependency"}), on="dependency")
        evidence = [
            cite(
                ready.join(rows.select("release"), on="release"),
                "the dependent's Ready condition: blocked on the dependency",
                ts="last_transition",
            ),
            cite(latest(failed), "last failed dependency check logged"),
            cite(
                upstream,
                fmt("the dependency {dependency} is Ready={status} ({reason})", reason=pl.col("reason").fill_null("")),
                ts="last_transition",
            ),
        ]
        return self.findings(evidence, verdicts)
