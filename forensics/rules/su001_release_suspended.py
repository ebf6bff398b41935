"""Rule SU001: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.model import Label, Severity
from forensics.rules._base import Context, Rule, cite, controller_logs
from forensics.rules._exprs import flux, latest

SUSPENDED = "reconciliation is suspended for this object"  # logged by every version (v0.36 capitalised)


class ReleaseSuspended(Rule):
    """Reconciliation of the release is suspended (`spec.suspend: true`).

    What it detects
    ---------------
    A HelmRelease with `spec.suspend: true` (or SUSPENDED True in a `flux get hr` table), and
    the controller's `reconciliation is suspended for this object` (v0.37+) /
    `Reconciliation is suspended for this object` (v0.36) lines.

    Why it matters
    --------------
    Nothing the controller would do happens: no upgrade, no remediation, no drift correction,
    and its status is not rewritten (after a controller upgrade a suspended release keeps its
    old status shape, which is expected, not a migration failure). Often a forgotten
    `flux suspend` from an earlier incident. Known false positives: a deliberate freeze.

    Evidence
    --------
    The `suspend: true` line of the object (or the table row) and the controller's suspended
    log lines.

    Remediation
    -----------
    `flux resume helmrelease NAME -n NAMESPACE` when the freeze is over.
    """

    id = "SU001"
    name = "release-suspended"
    label = Label.suspended
    severity = Severity.info
    needs = ("releases", "logs")
    summary = "reconciliation is suspended (spec.suspend: true): the controller does nothing for it"

    def check(self, ctx: Context) -> pl.DataFrame:
        releases = ctx.frames["releases"]
        suspended = releases.filter(pl.col("suspended").fill_null(False))
        # Its lowercase is that ASCII text only if the message has as many bytes (the one non-ASCII
        # character that lowercases to ASCII is the Kelvin sign, and there is no k in it): that
        # cheap test first, so that only a few messages are lowercased.
        logs = controller_logs(ctx).filter(pl.col("msg").str.len_bytes() == len(SUSPENDED))
        logs = logs.filter(pl.col("msg").str.to_lowercase() == SUSPENDED)
        from_logs = logs.select("release").unique().join(releases.select("release"), on="release", how="anti")
        verdicts = pl.concat([suspended.select("release"), from_logs]).select(
            "release",
            confidence=pl.lit("high"),
            confidence_reason=pl.lit("spec.suspend is true / the controller logs that it is suspended"),
            remediation=flux("resume"),
        )
        spec_lines = suspended.filter(pl.col("suspend_line").is_not_null()).with_columns(
            line="suspend_line", excerpt="suspend_excerpt"
        )
        evidence = [
            cite(spec_lines, "spec.suspend is true", ts=None),
            cite(latest(logs), "the controller skips it: suspended"),
        ]
        return self.findings(evidence, verdicts)
