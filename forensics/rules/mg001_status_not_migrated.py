"""Rule MG001: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.exprs import LONG_SUCCESS, V036_READY_MESSAGE, human, msg_matches
from forensics.model import Label, Severity
from forensics.rules._base import Context, Rule, cite, findings, flux, controller_logs


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
    `v2beta2`/`v2`, which only that CRD serves). The new controller rewrites the whole status on its first reconcile, so this
    shape means it never reconciled the object. From a `flux get hr` table alone, the Ready
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

    def check(self, ctx: Context) -> pl.DataFrame:
        frames, state = ctx.frames, ctx.controller
        releases = frames["releases"]
        conditions = frames["conditions"]
        old_shape = (pl.col("status_format") == "v2beta1") | (
            (pl.col("input_format") != "object") & (pl.col("ready_message") == V036_READY_MESSAGE)
        )
        candidates = releases.filter(old_shape & ~pl.col("suspended").fill_null(False))
        if candidates.height == 0:
            return findings([], candidates)

        # Is a >= v0.37 controller evidenced, and since when?
        new_shapes = releases.filter(pl.col("status_format").is_in(["v2beta2", "v2"])).height
        served_new = releases.filter(pl.col("api_version").str.contains(r"/v2(beta2)?$").fill_null(False)).sort("api_version")
        long_messages = conditions.filter(msg_matches(LONG_SUCCESS)).height
        since = state.new_generation_since
        if state.current_generation in ("v2beta2", "v2") or since is not None:
            basis = f"helm-controller {state.current_version or '>= v0.37'} is running"
            if since is not None:
                basis += f" since {since:%Y-%m-%d %H:%M:%S}Z"
            known_new = True
        elif new_shapes or long_messages:
            basis = f"{new_shapes + long_messages} other release status(es) were written by a >= v0.37 controller"
            known_new = False
        elif served_new.height:
            # kubectl/troubleshoot ask for the preferred version: a v2beta2/v2 dump means the
            # Flux >= 2.2 CRD was installed when the bundle was taken (helm-controller.md §0.2).
            basis = f"the HelmRelease CRD served {served_new['api_version'][0]} when the bundle was taken (Flux >= 2.2 CRDs installed)"
            known_new = False
        else:
            return findings([], candidates.head(0))

        hc_logs = controller_logs(ctx)
        logs_cover = since is not None and bool(hc_logs.select((pl.col("ts") >= since).any()).item())
        # only the candidates' rows are counted and cited (not a copy of every log line)
        theirs = hc_logs.filter(pl.col("release").is_not_null() & pl.col("release").is_in(candidates["release"].unique().sort().to_list()))
        after = theirs.filter(pl.col("ts") >= since) if since is not None else theirs.head(0)
        running_for = (ctx.window_end - since) if (since is not None and ctx.window_end) else None
        visited = after.group_by("release").agg(pl.len().alias("new_lines"))

        table_only = pl.col("input_format") != "object"
        conf = (
            pl.when(table_only)
            .then(pl.lit("medium" if (known_new or long_messages) else "low"))
            .when(pl.col("new_lines").fill_null(0) > 0)
            .then(pl.lit("medium"))
            .when(pl.lit(logs_cover and running_for is not None and running_for.total_seconds() >= 300))
            .then(pl.lit("high"))
            .otherwise(pl.lit("medium" if known_new else "low"))
        )
        conf_reason = (
            pl.when(table_only)
            .then(pl.lit(f"from a `flux get hr` / `kubectl get hr` table row only (Ready message in the v0.36 wording); {basis}"))
            .when(pl.col("new_lines").fill_null(0) > 0)
            .then(pl.format("the new controller logged {} line(s) for it, yet its status keeps the v2beta1 shape", pl.col("new_lines")))
            .when(pl.lit(logs_cover))
            .then(pl.lit(f"{basis}; its logs ({human(running_for)}) have no line for this release"))
            .otherwise(pl.lit(f"{basis}; no logs of the new controller to confirm it never visited"))
        )
        verdicts = candidates.join(visited, on="release", how="left").select(
            "release",
            pl.format(
                "status never rewritten by the new controller: still the v2beta1 shape of helm-controller <= v0.36 (Ready: {})",
                pl.coalesce(pl.col("ready_message"), pl.lit("none")),
            ).alias("summary"),
            conf.alias("confidence"),
            conf_reason.alias("confidence_reason"),
            flux("reconcile", " --force").alias("remediation"),
            pl.lit(since, pl.Datetime("us", "UTC")).alias("since"),
        )

        shape = cite(
            candidates.filter(pl.col("input_format") == "object"),
            pl.format("status in the v2beta1 shape ({})", "status_format_basis"),
            ts=None,
        )
        ready = cite(
            conditions.filter(pl.col("type") == "Ready"),
            pl.format("Ready {} / {} last written {}", "status", pl.col("reason").fill_null("?"), pl.col("last_transition").dt.to_string("%Y-%m-%d %H:%M:%SZ").fill_null("at an unknown time")),
            ts="last_transition",
        )
        writes = cite(
            frames["managed_fields"].filter((pl.col("manager") == "helm-controller") & pl.col("api_version").str.ends_with("/v2beta1")),
            pl.format("last status write by helm-controller through API v2beta1 ({})", pl.col("time").dt.to_string("%Y-%m-%d %H:%M:%SZ")),
            ts="time",
        )
        before = theirs
        if since is not None:
            before = before.filter(pl.col("ts") < since)
        last_old = cite(before.sort("ts").group_by("release").last(), "last line logged for it by the old controller")
        controller = [
            pl.DataFrame(
                [{"release": r, "ts": ev.ts, "source": ev.source, "line": ev.line, "excerpt": ev.excerpt, "note": ev.note} for r in candidates["release"]],
                schema={"release": pl.String, "ts": pl.Datetime("us", "UTC"), "source": pl.String, "line": pl.Int64, "excerpt": pl.String, "note": pl.String},
            )
            for ev in (state.upgrade.evidence[-1:] if state.upgrade else [])
        ]
        return findings([shape, ready, writes, last_old, *controller], verdicts)
