"""Rule DR001: the class docstring is its documentation."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from forensics.exprs import human, msg_matches
from forensics.lines import with_raw
from forensics.model import Label, Severity
from forensics.rules._base import TS, Context, Rule, cite, no_findings, release_logs
from forensics.rules._exprs import fmt, latest

MIN_CORRECTIONS = 3
CURRENT = timedelta(minutes=30)  # the controller retries within 15m at most (--max-retry-delay)

DETECTED_LOG = r"^detected changes in cluster state: |^diff in cluster resources compared to release"
CORRECTED_LOG = r"^running 'correct cluster drift' action"
OBJECTS = r"(\w+)/([\w.-]+)/([\w.-]+) (?:changed|removed|configured|created)"
PATCHED_PATH = r'"path":\s*"([^"]+)"'
DETECTED_NOTE = "DriftDetected ×{count} from {first_ts:hms} to {last_ts:hms}"

# The field another writer owns -> who that writer usually is.
WRITERS = (
    (r"^/spec/replicas$", "a HorizontalPodAutoscaler (or KEDA) scaling it"),
    (r"caBundle", "a CA injector (e.g. cert-manager's cainjector) writing the caBundle"),
    (r"^/spec/template/metadata/annotations", "`kubectl rollout restart` or a reloader patching the pod template"),
    (r"/image$", "an image updater writing the image"),
    (r"/resources", "a VerticalPodAutoscaler adjusting resources"),
    (r"^/metadata/(annotations|labels)", "another controller or a mutating webhook"),
)
UNCONFIRMED = "unconfirmed — often an HPA on /spec/replicas; the field is logged only at --log-level=debug"
UNKNOWN = "unknown (run helm-controller with --log-level=debug to see the patched fields)"
IGNORE_SNIPPET = (
    'spec:\n  driftDetection:\n    mode: enabled\n    ignore:\n      - paths: ["{paths}"]\n'
    "        target:\n          kind: {kind}"
)
USUAL_PATH = "# the path below is the usual one for an HPA; confirm it with debug logs first\n"


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
    summary = (
        "drift corrected {n} times from {first:hms} to {last:hms} (about every {period}): {drifting}{at_field};"
        " other writer: {writer}"
    )

    def check(self, ctx: Context) -> pl.DataFrame:
        events = ctx.frames["events"].filter(pl.col("release").is_not_null())
        v036_diff = (pl.col("reason") == "info") & msg_matches("^diff in cluster resources compared to release")
        v036_fix = (pl.col("reason") == "info") & (pl.col("message") == "Helm upgrade has started")
        detected_events = events.filter((pl.col("reason") == "DriftDetected") | v036_diff)
        corrected_events = events.filter(pl.col("reason").is_in(["DriftCorrected", "DriftCorrectionFailed"]) | v036_fix)
        detected_logs = release_logs(ctx, msg_matches(DETECTED_LOG, "msg"))
        corrected_logs = release_logs(ctx, msg_matches(CORRECTED_LOG, "msg"))
        modified = with_raw(release_logs(ctx, pl.col("msg") == "resource modified"))  # the patch is in the line
        loops = _loops(detected_events, corrected_events, detected_logs, corrected_logs, modified)
        end = ctx.window_end
        current = (pl.col("last") >= pl.lit(end - CURRENT, TS)) if end else pl.lit(True)
        loops = loops.filter((pl.col("n") >= MIN_CORRECTIONS) & (pl.col("fix_n").fill_null(0) > 0) & current)
        if loops.height == 0:
            return no_findings()
        verdicts = loops.select(
            "release",
            "n",
            "first",
            "last",
            "since",
            period=_human((pl.col("last") - pl.col("first")) / (pl.col("n") - 1)),
            drifting=pl.when(pl.col("what") != "").then("what").otherwise(pl.lit("objects not named in the evidence")),
            at_field=pl.when(pl.col("field") != "").then(fmt(" at {field}")).otherwise(pl.lit("")),
            writer=_writer(),
            confidence=pl.lit("high"),
            confidence_reason=_recency(end),
            remediation=_ignore_snippet(),
        )
        evidence = [
            cite(detected_events, DETECTED_NOTE, ts="last_ts"),
            cite(corrected_events, "{reason} ×{count}", ts="last_ts"),
            cite(latest(detected_logs), "latest drift detection logged"),
            cite(latest(corrected_logs), "latest drift correction logged"),
            cite(latest(modified), "the patched fields (debug log)"),
        ]
        return self.findings(evidence, verdicts)


def _loops(
    detected_events: pl.DataFrame,
    corrected_events: pl.DataFrame,
    detected_logs: pl.DataFrame,
    corrected_logs: pl.DataFrame,
    modified: pl.DataFrame,
) -> pl.DataFrame:
    """Per release: detections (n, first, last), corrections (fix_n), drifting objects (what) and
    patched fields (paths, field)."""
    objects = pl.col("message").str.extract_all(OBJECTS).list.eval(pl.element().str.replace(r" \w+$", ""))
    by_events = detected_events.group_by("release").agg(
        ev_n=pl.col("count").sum(),
        ev_first=pl.col("first_ts").min(),
        ev_last=pl.col("last_ts").max(),
        objects=objects.list.explode(keep_nulls=False, empty_as_null=False).unique().sort(),
    )
    by_logs = detected_logs.group_by("release").agg(
        log_n=pl.len(), log_first=pl.col("ts").min(), log_last=pl.col("ts").max()
    )
    fixes = (
        pl.concat(
            [corrected_events.select("release", n="count"), corrected_logs.select("release", n=pl.lit(1, pl.Int64))]
        )
        .group_by("release")
        .agg(fix_n=pl.col("n").sum())
    )
    paths = pl.col("raw").str.extract_all(PATCHED_PATH).list.eval(pl.element().str.extract(PATCHED_PATH))
    fields = (
        modified.select("release", paths=paths)
        .explode("paths")
        .group_by("release")
        .agg(pl.col("paths").drop_nulls().unique().sort())
    )
    return (
        by_events.join(by_logs, on="release", how="full", coalesce=True)
        .join(fixes, on="release", how="left")
        .join(fields, on="release", how="left")
        .with_columns(
            n=pl.max_horizontal(pl.col("ev_n").fill_null(0), pl.col("log_n").fill_null(0)),
            first=pl.min_horizontal("ev_first", "log_first"),
            last=pl.max_horizontal("ev_last", "log_last"),
            what=pl.col("objects").fill_null([]).list.join(", "),
            field=pl.col("paths").fill_null([]).list.join(", "),
        )
        .with_columns(since="first")
    )


def _human(duration: pl.Expr) -> pl.Expr:
    """A duration column as exprs.human writes it (45s, 12m, 3h05m)."""
    return duration.map_batches(lambda s: s.map_elements(human, return_dtype=pl.String), return_dtype=pl.String)


def _writer() -> pl.Expr:
    """Who else writes the drifting field: by the patched path (WRITERS), else a guess for a workload."""
    writer = pl.lit(None, pl.String)
    for pattern, who in reversed(WRITERS):
        owns = pl.col("paths").fill_null([]).list.eval(pl.element().str.contains(pattern)).list.any()
        writer = pl.when(owns).then(pl.lit(who)).otherwise(writer)
    workload = pl.col("what").str.contains(r"^(Deployment|StatefulSet)/")
    return pl.coalesce(writer, pl.when(workload).then(pl.lit(UNCONFIRMED)), pl.lit(UNKNOWN))


def _recency(end: datetime | None) -> pl.Expr:
    ago = _human(pl.lit(end, TS) - pl.col("last")) if end else pl.lit("?")
    return fmt("{n} detections with corrections, the last one {ago} before the end of the evidence", ago=ago)


def _ignore_snippet() -> pl.Expr:
    """A `driftDetection.ignore` entry for the patched fields (the usual HPA path when none is logged)."""
    kind = pl.col("what").str.extract(r"^(\w+)/", 1).fill_null("Deployment")
    paths = (
        pl.when(pl.col("field") != "")
        .then(pl.col("field").str.replace_all(", ", '", "'))
        .otherwise(pl.lit("/spec/replicas"))
    )
    note = pl.when(pl.col("field") == "").then(pl.lit(USUAL_PATH)).otherwise(pl.lit(""))
    return note + fmt(IGNORE_SNIPPET, paths=paths, kind=kind)
