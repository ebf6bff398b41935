"""Rule MG001: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.exprs import (
    LONG_SUCCESS,
    V036_READY_MESSAGE,
    human,
    msg_matches,
    ready_condition,
)
from forensics.model import Label, Severity
from forensics.rules._base import TS, Context, Rule, cite, controller_logs, no_findings
from forensics.rules._exprs import flux, fmt, latest, stamp

TABLE_ONLY = "from a `flux get hr` / `kubectl get hr` table row only (Ready message in the v0.36 wording); {basis}"
VISITED = "the new controller logged {new_lines} line(s) for it, yet its status keeps the v2beta1 shape"


class StatusNotMigrated(Rule):
    """A HelmRelease still carries the status the old (v0.36) controller wrote, after the upgrade.

    What it detects
    ---------------
    A HelmRelease whose status has the v2beta1 shape that only helm-controller <= v0.36 writes
    (`lastReleaseRevision`, `lastAttemptedValuesChecksum`, no `history`, no `storageNamespace`,
    conditions without `observedGeneration`, Ready `ReconciliationSucceeded` /
    "Release reconciliation succeeded"), in a bundle that shows a helm-controller >= v0.37
    running (container image, image pull, v0.37 log wording, or other releases with the new
    status shape) or, with low confidence, only the Flux >= 2.2 CRD (the object was dumped as
    `v2beta2`/`v2`, which only that CRD serves). The new controller rewrites the whole status on its first
    reconcile, so this shape means it never reconciled the object. From a `flux get hr` table alone, the Ready
    message "Release reconciliation succeeded" next to rows in the v0.37 long format is the
    same sign, with lower confidence.

    Why it matters
    --------------
    The release is frozen at what the old controller last did: spec changes are not applied,
    and the status shown to people and to dependents is not the new controller's view. It was
    the first symptom of the Flux 2.1 -> 2.2 upgrade incident (fluxcd/flux2#4524).
    Known false positives: a suspended release is left alone on purpose (not reported here);
    within the first minutes after an upgrade the controller may simply not have reached the
    object yet (reported with low confidence); a bundle whose statuses were captured before the
    upgrade (older dump files) shows old shapes for every release.

    Evidence
    --------
    The status field that shows the v2beta1 shape, the Ready condition written by v0.36, the
    helm-controller status write in managedFields made through API v2beta1, the old
    controller's last log line for the release, and the first sign of the new controller.

    Remediation
    -----------
    Make the new controller reconcile it with a one-off Helm upgrade, which rewrites the whole
    status: `flux reconcile helmrelease NAME -n NAMESPACE --force` (flux CLI >= 2.2.0; it sets
    the `reconcile.fluxcd.io/forceAt` annotation). A plain `flux reconcile helmrelease` lets the
    new controller adopt the release without an upgrade (the status then keeps the short
    message "Helm upgrade succeeded"). Do not use a `fluxcd.io/upgradeTo` annotation: it is not
    a Flux annotation and does nothing.
    """

    id = "MG001"
    name = "status-not-migrated"
    label = Label.migration_skip
    severity = Severity.error
    needs = ("releases",)
    summary = (
        "status never rewritten by the new controller: still the v2beta1 shape of helm-controller <= v0.36"
        " (Ready: {ready})"
    )

    def check(self, ctx: Context) -> pl.DataFrame:
        frames, state = ctx.frames, ctx.controller
        releases = frames["releases"]
        old_shape = (pl.col("status_format") == "v2beta1") | (
            (pl.col("input_format") != "object") & (pl.col("ready_message") == V036_READY_MESSAGE)
        )
        candidates = releases.filter(old_shape & ~pl.col("suspended").fill_null(False))
        new_controller = _new_controller(ctx) if candidates.height else None
        if new_controller is None:
            return no_findings()
        basis, known_new, long_messages = new_controller

        hc_logs = controller_logs(ctx)
        since = state.new_generation_since
        logs_cover = since is not None and bool(hc_logs.select((pl.col("ts") >= since).any()).item())
        # only the candidates' rows are counted and cited (not a copy of every log line)
        theirs = hc_logs.filter(
            pl.col("release").is_not_null() & pl.col("release").is_in(candidates["release"].unique().sort().to_list())
        )
        after = theirs.filter(pl.col("ts") >= since) if since is not None else theirs.head(0)
        running_for = (ctx.window_end - since) if (since is not None and ctx.window_end) else None
        visited = after.group_by("release").agg(new_lines=pl.len())
        long_enough = logs_cover and running_for is not None and running_for.total_seconds() >= 300
        table_only = pl.col("input_format") != "object"
        new_lines = pl.col("new_lines").fill_null(0) > 0
        level = (
            pl.when(table_only)
            .then(pl.lit("medium" if (known_new or long_messages) else "low"))
            .when(new_lines)
            .then(pl.lit("medium"))
            .when(pl.lit(long_enough))
            .then(pl.lit("high"))
            .otherwise(pl.lit("medium" if known_new else "low"))
        )
        silent = f"{basis}; its logs ({human(running_for)}) have no line for this release"
        unconfirmed = f"{basis}; no logs of the new controller to confirm it never visited"
        reason = (
            pl.when(table_only)
            .then(pl.lit(TABLE_ONLY.format(basis=basis)))
            .when(new_lines)
            .then(fmt(VISITED))
            .when(pl.lit(logs_cover))
            .then(pl.lit(silent))
            .otherwise(pl.lit(unconfirmed))
        )
        verdicts = candidates.join(visited, on="release", how="left").select(
            "release",
            ready=pl.coalesce(pl.col("ready_message"), pl.lit("none")),
            confidence=level,
            confidence_reason=reason,
            remediation=flux("reconcile", " --force"),
            since=pl.lit(since, TS),
        )
        before = theirs.filter(pl.col("ts") < since) if since is not None else theirs
        return self.findings(_evidence(ctx, candidates, before), verdicts)


def _new_controller(ctx: Context) -> tuple[str, bool, int] | None:
    """Whether a >= v0.37 controller is evidenced, and how: (basis, known to run now, count of
    v0.37+ success messages); None when nothing shows one."""
    state, releases = ctx.controller, ctx.frames["releases"]
    new_shapes = releases.filter(pl.col("status_format").is_in(["v2beta2", "v2"])).height
    served_new = releases.filter(msg_matches(r"/v2(beta2)?$", "api_version")).sort("api_version")
    long_messages = ctx.frames["conditions"].filter(msg_matches(LONG_SUCCESS)).height
    since = state.new_generation_since
    if state.current_generation in ("v2beta2", "v2") or since is not None:
        basis = f"helm-controller {state.current_version or '>= v0.37'} is running"
        if since is not None:
            basis += f" since {since:%Y-%m-%d %H:%M:%S}Z"
        return basis, True, long_messages
    if new_shapes or long_messages:
        return (
            f"{new_shapes + long_messages} other release status(es) were written by a >= v0.37 controller",
            False,
            long_messages,
        )
    if served_new.height:
        # kubectl/troubleshoot ask for the preferred version: a v2beta2/v2 dump means the
        # Flux >= 2.2 CRD was installed when the bundle was taken (helm-controller.md §0.2).
        served = served_new["api_version"][0]
        return (
            f"the HelmRelease CRD served {served} when the bundle was taken (Flux >= 2.2 CRDs installed)",
            False,
            long_messages,
        )
    return None


def _evidence(ctx: Context, candidates: pl.DataFrame, before: pl.DataFrame) -> list[pl.DataFrame]:
    """The old-shape status, its Ready condition, the last status write through v2beta1, the
    last line the old controller logged (`before` the new one), the controller upgrade."""
    frames, upgrade = ctx.frames, ctx.controller.upgrade
    written = stamp("last_transition").fill_null("at an unknown time")
    old_writes = frames["managed_fields"].filter(
        (pl.col("manager") == "helm-controller") & pl.col("api_version").str.ends_with("/v2beta1")
    )
    upgrades = [
        pl.DataFrame(
            [
                {
                    "release": r,
                    "ts": ev.ts,
                    "source": ev.source,
                    "line": ev.line,
                    "excerpt": ev.excerpt,
                    "note": ev.note,
                }
                for r in candidates["release"]
            ],
            schema={
                "release": pl.String,
                "ts": TS,
                "source": pl.String,
                "line": pl.Int64,
                "excerpt": pl.String,
                "note": pl.String,
            },
        )
        for ev in (upgrade.evidence[-1:] if upgrade else [])
    ]
    return [
        cite(
            candidates.filter(pl.col("input_format") == "object"),
            "status in the v2beta1 shape ({status_format_basis})",
            ts=None,
        ),
        cite(
            ready_condition(frames["conditions"]),
            fmt("Ready {status} / {reason} last written {at}", reason=pl.col("reason").fill_null("?"), at=written),
            ts="last_transition",
        ),
        cite(old_writes, "last status write by helm-controller through API v2beta1 ({time:ts})", ts="time"),
        cite(latest(before), "last line logged for it by the old controller"),
        *upgrades,
    ]
