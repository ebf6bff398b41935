"""Rule DR001: the class docstring is its documentation."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.exprs import human
from forensics.lines import with_raw
from forensics.model import Label, Severity
from forensics.rules._base import TS, Context, Rule, cite, findings, controller_logs

MIN_CORRECTIONS = 3
CURRENT = timedelta(minutes=30)  # the controller retries within 15m at most (--max-retry-delay)

DETECTED_LOG = r"^detected changes in cluster state: |^diff in cluster resources compared to release"
CORRECTED_LOG = r"^running 'correct cluster drift' action"
OBJECTS = r"(\w+)/([\w.-]+)/([\w.-]+) (?:changed|removed|configured|created)"

# The field another writer owns -> who that writer usually is.
WRITERS = (
    (r"^/spec/replicas$", "a HorizontalPodAutoscaler (or KEDA) scaling it"),
    (r"caBundle", "a CA injector (e.g. cert-manager's cainjector) writing the caBundle"),
    (r"^/spec/template/metadata/annotations", "`kubectl rollout restart` or a reloader patching the pod template"),
    (r"/image$", "an image updater writing the image"),
    (r"/resources", "a VerticalPodAutoscaler adjusting resources"),
    (r"^/metadata/(annotations|labels)", "another controller or a mutating webhook"),
)


class DriftCorrectionLoop(Rule):
    """Drift is detected and corrected again and again: another writer keeps changing the objects.

    What it detects
    ---------------
    helm-controller v0.37+/v1.x with `spec.driftDetection.mode: enabled`: repeated
    `DriftDetected` (Warning) / `DriftCorrected` events for the release — one aggregated Event
    with a growing `count` — and the log lines `detected changes in cluster state: ...` and
    `running 'correct cluster drift' action ...`; v0.36 with the `DetectDrift` feature gate:
    repeated `diff in cluster resources compared to release` each followed by a Helm upgrade.
    At least three corrections, the last within 30 minutes of the end of the evidence (a
    single correction, or a loop that stopped, is not reported). Names the drifting objects
    from the event text, the fields from the debug `resource modified` patch lines when the
    controller ran at `--log-level=debug`, the likely other writer, and the loop period.

    Why it matters
    --------------
    Two writers fight over the same field. Each correction restarts the reconcile (v0.37+
    requeues with backoff up to 15m), so the release never concludes: its status can stay
    stale (a `DependencyNotReady` that outlives its cause before v0.37.4), dependents may be
    told it is not ready (v1.x sets Ready=Unknown "correcting cluster drift"), and the
    workload flaps between the two writers' values. Known false positives: a one-off manual
    edit corrected once (not reported).

    Evidence
    --------
    The `DriftDetected`/`DriftCorrected` events with count and span, the last detection and
    correction log lines, and the `resource modified` patch lines when present.

    Remediation
    -----------
    Tell drift detection to ignore the field the other writer owns, e.g. for an HPA:
    `spec.driftDetection.ignore: [{paths: ["/spec/replicas"], target: {kind: Deployment}}]`
    (or remove `replicas` from the chart's values when an HPA is enabled); or set
    `spec.driftDetection.mode: warn` while investigating.
    """

    id = "DR001"
    name = "drift-correction-loop"
    label = Label.drift
    severity = Severity.warning
    needs = ("events", "logs")

    def check(self, ctx: Context) -> pl.DataFrame:
        events = ctx.frames["events"].filter(pl.col("release").is_not_null())
        logs = controller_logs(ctx)  # each filter below also asks for a release: no copy of every line
        named = pl.col("release").is_not_null()
        v036_diff = (pl.col("reason") == "info") & pl.col("message").str.starts_with("diff in cluster resources compared to release").fill_null(False)
        v036_fix = (pl.col("reason") == "info") & (pl.col("message") == "Helm upgrade has started")
        detected_events = events.filter((pl.col("reason") == "DriftDetected") | v036_diff)
        corrected_events = events.filter(pl.col("reason").is_in(["DriftCorrected", "DriftCorrectionFailed"]) | v036_fix)
        detected_logs = logs.filter(named & pl.col("msg").str.contains(DETECTED_LOG).fill_null(False))
        corrected_logs = logs.filter(named & pl.col("msg").str.contains(CORRECTED_LOG).fill_null(False))
        modified = logs.filter(named & (pl.col("msg") == "resource modified"))

        by_events = detected_events.group_by("release").agg(
            pl.col("count").sum().alias("ev_n"), pl.col("first_ts").min().alias("ev_first"), pl.col("last_ts").max().alias("ev_last"),
            pl.col("message").str.extract_all(OBJECTS).list.eval(pl.element().str.replace(r" \w+$", "")).list.explode(keep_nulls=False, empty_as_null=False).unique().sort().alias("objects"),
        )
        by_logs = detected_logs.group_by("release").agg(pl.len().alias("log_n"), pl.col("ts").min().alias("log_first"), pl.col("ts").max().alias("log_last"))
        fixes = pl.concat(
            [corrected_events.select("release", pl.col("count").alias("n")), corrected_logs.select("release", pl.lit(1, pl.Int64).alias("n"))]
        ).group_by("release").agg(pl.col("n").sum().alias("fix_n"))
        modified = with_raw(modified)  # the patch is in the line, not in a decoded field
        fields = modified.select(
            "release", pl.col("raw").str.extract_all(r'"path":\s*"([^"]+)"').list.eval(pl.element().str.extract(r'"path":\s*"([^"]+)"')).alias("paths")
        ).explode("paths").group_by("release").agg(pl.col("paths").drop_nulls().unique().sort())

        loops = (
            by_events.join(by_logs, on="release", how="full", coalesce=True)
            .join(fixes, on="release", how="left")
            .join(fields, on="release", how="left")
            .with_columns(
                pl.max_horizontal(pl.col("ev_n").fill_null(0), pl.col("log_n").fill_null(0)).alias("n"),
                pl.min_horizontal("ev_first", "log_first").alias("first"),
                pl.max_horizontal("ev_last", "log_last").alias("last"),
            )
        )
        end = ctx.window_end
        current = (pl.col("last") >= pl.lit(end - CURRENT, TS)) if end else pl.lit(True)
        loops = loops.filter((pl.col("n") >= MIN_CORRECTIONS) & (pl.col("fix_n").fill_null(0) > 0) & current)
        if loops.height == 0:
            return findings([], loops)

        loops = loops.with_columns(
            ((pl.col("last") - pl.col("first")) / (pl.col("n") - 1)).alias("period"),
            pl.col("objects").fill_null([]).list.join(", ").alias("what"),
            pl.col("paths").fill_null([]).list.join(", ").alias("field"),
        )
        writer = pl.lit(None, pl.String)
        for pattern, who in reversed(WRITERS):
            writer = pl.when(pl.col("paths").fill_null([]).list.eval(pl.element().str.contains(pattern)).list.any()).then(pl.lit(who)).otherwise(writer)
        workload = pl.col("what").str.contains(r"^(Deployment|StatefulSet)/")
        writer = pl.coalesce(
            writer,
            pl.when(workload).then(pl.lit("unconfirmed — often an HPA on /spec/replicas; the field is logged only at --log-level=debug")),
            pl.lit("unknown (run helm-controller with --log-level=debug to see the patched fields)"),
        )
        kind = pl.col("what").str.extract(r"^(\w+)/", 1).fill_null("Deployment")
        paths = pl.when(pl.col("field") != "").then(pl.col("field").str.replace_all(", ", '", "')).otherwise(pl.lit("/spec/replicas"))
        snippet = pl.format(
            'spec:\n  driftDetection:\n    mode: enabled\n    ignore:\n      - paths: ["{}"]\n        target:\n          kind: {}', paths, kind
        )
        note = pl.when(pl.col("field") == "").then(pl.lit("# the path below is the usual one for an HPA; confirm it with debug logs first\n")).otherwise(pl.lit(""))
        verdicts = loops.with_columns(writer.alias("writer"), (note + snippet).alias("remediation")).select(
            "release",
            pl.format(
                "drift corrected {} times from {} to {} (about every {}): {}{}; other writer: {}",
                "n",
                pl.col("first").dt.to_string("%H:%M:%SZ"),
                pl.col("last").dt.to_string("%H:%M:%SZ"),
                pl.col("period").map_batches(lambda s: s.map_elements(human, return_dtype=pl.String), return_dtype=pl.String),
                pl.when(pl.col("what") != "").then("what").otherwise(pl.lit("objects not named in the evidence")),
                pl.when(pl.col("field") != "").then(pl.format(" at {}", "field")).otherwise(pl.lit("")),
                "writer",
            ).alias("summary"),
            pl.lit("high").alias("confidence"),
            pl.format("{} detections with corrections, the last one {} before the end of the evidence", "n", (pl.lit(end, TS) - pl.col("last")).map_batches(lambda s: s.map_elements(human, return_dtype=pl.String), return_dtype=pl.String) if end else pl.lit("?")).alias("confidence_reason"),
            "remediation",
            pl.col("first").alias("since"),
        )
        return findings(
            [
                cite(detected_events, pl.format("DriftDetected ×{} from {} to {}", "count", pl.col("first_ts").dt.to_string("%H:%M:%SZ"), pl.col("last_ts").dt.to_string("%H:%M:%SZ")), ts="last_ts"),
                cite(corrected_events, pl.format("{} ×{}", "reason", "count"), ts="last_ts"),
                cite(detected_logs.sort("ts").group_by("release").last(), "latest drift detection logged"),
                cite(corrected_logs.sort("ts").group_by("release").last(), "latest drift correction logged"),
                cite(modified.sort("ts").group_by("release").last(), "the patched fields (debug log)"),
            ],
            verdicts,
        )
