"""Rule DP001: the class docstring is its documentation."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from forensics.exprs import DEPENDENCY_NOT_READY, msg_matches, ready_condition
from forensics.model import Label, Severity
from forensics.rules._base import Context, Rule, cite, no_findings, release_logs
from forensics.rules._deps import dependency_checks, dependency_claims
from forensics.rules._exprs import flux, fmt, latest, stamp
from forensics.rules.dr001_drift_correction_loop import DETECTED_NOTE
from forensics.versions import version_tuple

RETRY_SLACK = timedelta(minutes=2)  # --requeue-dependency (30s) several times over
DRIFT_HINT = (
    "# first stop the drift loop, or the reconcile never concludes and the old Ready=False stays: ignore"
    "\n# the field another writer owns, e.g. /spec/replicas when an HPA scales the Deployment:"
    '\n#   driftDetection: {mode: enabled, ignore: [{paths: ["/spec/replicas"], target: {kind: Deployment}}]}\n'
)
FIXED_IN = "\n# then upgrade to Flux >= v2.2.3 (helm-controller >= v0.37.4), which fixes this"
# The dependency's generation is ahead of what its status describes (the v0.37.0-v0.37.3 check).
GENERATION_LAG = (
    pl.col("dep_generation").is_not_null()
    & pl.col("dep_observed").is_not_null()
    & (pl.col("dep_generation") != pl.col("dep_observed"))
)
# Why the dependency was Ready while the dependent said it was not.
PASSED = "the controller logged `all dependencies are ready` for it at {pass_ts:hms}"
NEVER_CONCLUDED = (
    ", but the reconcile never concluded ({corrections} drift corrections since), so the old Ready=False stayed"
)
LAGS = (
    "{dependency} is Ready=True but its observedGeneration {dep_observed} lags generation {dep_generation}:"
    " the v0.37.0-v0.37.3 check reports it not ready"
)
ONE_TABLE = (
    "both rows come from one `flux get hr` table; no times to confirm the dependency was Ready for longer than a retry"
)


class FalseDependencyBlock(Rule):
    """A release reports "dependency '<ns>/<name>' is not ready" while that dependency is Ready.

    What it detects
    ---------------
    A HelmRelease whose Ready condition (or, without a status, whose latest dependency-check log
    line) says `dependency '<ns>/<name>' is not ready`, while the named dependency's own Ready
    condition is True — and either the controller has since logged `all dependencies are ready`
    for it, or the dependency has been Ready for longer than the dependency retry interval
    (30s by default), or the dependency's `observedGeneration` lags its `generation`.

    Why it matters
    --------------
    The dependent looks blocked and blocks its own dependents in turn, although nothing is
    wrong upstream. Two mechanisms of helm-controller v0.37.0-v0.37.3 produce it
    (reference/helm-controller.md §9): a `DependencyNotReady` Ready=False outlives its cause
    until the release finishes a reconcile — which a drift-correction loop prevents (fixed in
    v0.37.4, "Remove stale Ready=False conditions values"), and the dependency check also requires
    `observedGeneration == generation`, which v0.37+ only writes when a reconcile ends cleanly, so a dependency that is
    Ready but mid-upgrade or retrying is reported "not ready" (loosened to the Ready condition
    in fluxcd/helm-controller#869). Known false positives: a dependency that only just became
    Ready (the dependent rechecks within 30s; not reported), and a table pasted at two
    different times (the rows may not be simultaneous).

    Evidence
    --------
    The dependent's Ready condition, its last failed dependency check and any later
    `all dependencies are ready` log line, what kept the reconcile from concluding (drift
    corrections and `DriftDetected` events), and the dependency's Ready=True condition with
    its transition time (and its generation/observedGeneration when they differ).

    Remediation
    -----------
    When drift corrections keep the reconcile from concluding, stop them first (ignore the field
    the other writer owns). Then `flux reconcile helmrelease NAME -n NAMESPACE --force` on the
    dependent rewrites its status (the release is in sync: a one-off upgrade is the fix).
    When the dependency's `observedGeneration` lags, reconcile the dependency first
    (`flux reconcile helmrelease DEP -n DEPNS --force`). Upgrading to Flux >= v2.2.3
    (helm-controller >= v0.37.4) removes both mechanisms.
    """

    id = "DP001"
    name = "false-dependency-block"
    label = Label.dependency_stale
    severity = Severity.error
    needs = ("releases",)
    summary = "reports dependency '{dependency}' not ready, but it is Ready"

    def check(self, ctx: Context) -> pl.DataFrame:
        frames = ctx.frames
        failed, _, first_pass_after = dependency_checks(ctx)
        rows = dependency_claims(ctx).filter(pl.col("dep_ready") == "True")
        if rows.height == 0:
            return no_findings()
        # What kept the reconcile from concluding after the check passed (the v0.37.0-v0.37.3
        # mechanism): typically a drift-correction loop.
        corrections = (
            release_logs(ctx, pl.col("msg").str.starts_with("running 'correct cluster drift'"))
            .join(first_pass_after.select("release", pass_ts="ts"), on="release")
            .filter(pl.col("ts") >= pl.col("pass_ts"))
        )
        loop = corrections.group_by("release").agg(corrections=pl.len())
        rows = rows.join(loop, on="release", how="left").with_columns(pl.col("corrections").fill_null(0))
        level, reason = confidence(ctx.window_end)
        rows = rows.with_columns(confidence=level, confidence_reason=reason).filter(pl.col("confidence").is_not_null())

        version = version_tuple(ctx.controller.current_version)
        fixed_in = FIXED_IN if version is not None and (0, 37, 0) <= version < (0, 37, 4) else ""
        fix = flux("reconcile", " --force")
        both = fmt(
            "{dependency_fix}\n{fix}", dependency_fix=flux("reconcile", " --force", column="dependency"), fix=fix
        )
        remediation = (
            pl.when(pl.col("corrections") > 0).then(pl.lit(DRIFT_HINT)).otherwise(pl.lit(""))
            + pl.when(GENERATION_LAG).then(both).otherwise(fix)
            + pl.lit(fixed_in)
        )
        verdicts = rows.unique("release", keep="first", maintain_order=True).select(  # one claim per release
            "release",
            "dependency",
            "confidence",
            "confidence_reason",
            "since",
            remediation=remediation,
            upstream="dependency",
        )

        ready = ready_condition(frames["conditions"])
        dependency_ready = (
            rows.select("release", "dependency")
            .join(ready.rename({"release": "dependency"}), on="dependency")
            .filter(pl.col("status") == "True")
        )
        since = stamp("last_transition").fill_null("(time not shown)")
        evidence = [
            cite(
                ready.filter(msg_matches(DEPENDENCY_NOT_READY)),
                "the dependent's Ready condition: blocked on the dependency",
                ts="last_transition",
            ),
            cite(latest(failed), "last failed dependency check logged"),
            cite(first_pass_after, "the controller found all dependencies ready after that"),
            cite(latest(corrections), "latest drift correction: the reconcile keeps restarting instead of concluding"),
            cite(frames["events"].filter(pl.col("reason") == "DriftDetected"), DETECTED_NOTE, ts="last_ts"),
            cite(
                dependency_ready,
                fmt("the dependency {dependency} is Ready=True since {at}", at=since),
                ts="last_transition",
            ),
        ]
        return self.findings(evidence, verdicts)


def confidence(end: datetime | None) -> tuple[pl.Expr, pl.Expr]:
    """(confidence, its reason) that the dependency was Ready while the dependent said it was not;
    null when nothing shows it was Ready for longer than a retry."""
    saw_ready = pl.col("pass_ts").is_not_null()
    ready_long = (
        (pl.col("dep_since").is_not_null() & (pl.lit(end) - pl.col("dep_since") > RETRY_SLACK))
        if end
        else pl.lit(False)
    )
    still_failing = (
        pl.col("fail_ts").is_not_null()
        & pl.col("dep_since").is_not_null()
        & (pl.col("fail_ts") > pl.col("dep_since") + pl.duration(seconds=30))
    )
    level = (
        pl.when(saw_ready | (GENERATION_LAG & still_failing))
        .then(pl.lit("high"))
        .when(ready_long | GENERATION_LAG | (pl.col("dep_input") != "object"))
        .then(pl.lit("medium"))
        .otherwise(pl.lit(None))
    )
    reason = (
        pl.when(saw_ready & (pl.col("corrections") > 0))
        .then(fmt(PASSED + NEVER_CONCLUDED))
        .when(saw_ready)
        .then(fmt(PASSED + ", but its status kept the old Ready=False"))
        .when(GENERATION_LAG)
        .then(fmt(LAGS))
        .when(ready_long)
        .then(fmt("{dependency} has been Ready since {dep_since:ts}; the check is retried every 30s"))
        .otherwise(pl.lit(ONE_TABLE))
    )
    return level, reason
