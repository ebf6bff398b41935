"""flux-forensics: offline root-cause analysis of FluxCD helm-controller incidents.

`analyze(path)` runs hops 1-3 (parse, correlate, explain) and returns the `Analysis`;
`run(path)` returns it together with the frames and the timeline, for exports.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

# Polars, pydantic and the rules are imported where they are used, not here: importing the
# package stays cheap (`forensics --help` loads none of them) and changes nothing else.
if TYPE_CHECKING:
    import polars as pl

    from forensics.load import Frames, Progress
    from forensics.model import Analysis, ControllerRestart, Dependency, TimelineEntry
    from forensics.timeline import Outline
    from forensics.versions import ControllerState

__version__ = "0.1.0"
MAX_PROBLEMS = 500
TIMELINE_PER_RELEASE = 400
# Entries handed to the renderers in all: past it (thousands of releases), only the releases
# that are not healthy keep their timeline in the report; every row stays in `Run.timeline`
# (exports, `forensics timeline`). Keeps the report's size and time independent of the bundle's.
TIMELINE_BUDGET = 20_000

__all__ = ["analyze", "run", "Run", "__version__"]


class Run:
    """An Analysis with the frames it comes from. `timeline` (every row, for the exports and
    `forensics timeline`) is built on first use: the analysis itself never needs all of it."""

    def __init__(
        self,
        analysis: Analysis,
        frames: Frames,
        timeline: pl.DataFrame | None = None,
        controller: ControllerState | None = None,
    ) -> None:
        self.analysis = analysis
        self.frames = frames
        self._timeline = timeline
        self._controller = controller

    @property
    def timeline(self) -> pl.DataFrame:
        from forensics import timeline, versions

        if self._timeline is None:
            self._timeline = timeline.build(self.frames, self._controller or versions.ControllerState())
        return self._timeline

    def last_rows(self, keep: int, releases: set[str]) -> pl.DataFrame:
        """The last `keep` timeline rows of each of `releases` (and of the global lane), in
        time order, without building the whole timeline (a big bundle's holds every log line)."""
        from forensics import timeline, versions

        return timeline.last_rows(self.frames, self._controller or versions.ControllerState(), keep, releases)


def run(
    path: str,
    *,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    generated_at: datetime | None = None,
    max_bytes: int | None = None,
    progress: Progress | None = None,
    max_members: int | None = None,
    max_ratio: int | None = None,
) -> Run:
    """Parse, correlate and explain one bundle. `progress(phase, member, size)` is called
    with phase "read" for every member as it is read, "parse" once all are, and "rules"
    when the frames are complete."""
    from forensics.load import load

    frames = load(path, max_bytes=max_bytes, progress=progress, max_members=max_members, max_ratio=max_ratio)
    if progress:
        progress("rules", "", 0)
    return _run(frames, include=include, exclude=exclude, generated_at=generated_at)


def _inventory(items: list, entry: type) -> list:
    """The inventory's entries, built without validating again what `load` typed, all sharing
    one set of the fields given: ~0.4 kB an entry instead of ~1.1 (a crust-gather bundle has
    200,000 files; bench/README.md)."""
    given = set(entry.model_fields)
    return [entry.model_construct(given, **vars(item)) for item in items]


def _run(frames: Frames, *, include: list[str] | None, exclude: list[str] | None, generated_at: datetime | None) -> Run:
    """Correlate and explain frames already read (hops 2 and 3)."""
    from forensics import engine, gaps, timeline, verdicts, versions
    from forensics.model import Analysis, BundleInfo, ControllerVersion, InventoryEntry, Problem, Upgrade
    from forensics.rules import Context, select
    from forensics.rules._base import controller_logs

    state = versions.analyse(frames["logs"], frames["events"], frames["controllers"])
    # The evidence window and the number of releases, from the timeline's time and release
    # columns: its rows (one per log line) are built only for the report's slice
    # (`_timeline_entries`) and, on demand, for the exports (`Run.timeline`).
    shape = timeline.outline(frames, state)
    start, end = shape.start, shape.end
    # No rule reads the timeline: they get its query, not millions of sorted rows.
    ctx = Context(
        frames=frames, timeline=timeline.lazy(frames, state), controller=state, window_start=start, window_end=end
    )
    found, results = engine.run(select(include, exclude), ctx)
    found.sort(key=lambda f: (-f.severity.rank, f.release, f.rule))
    problems = frames["problems"]
    bundle = frames.bundle
    analysis = Analysis(
        tool_version=__version__,
        generated_at=generated_at or datetime.now(timezone.utc),
        bundle=BundleInfo(
            name=bundle.name,
            root=bundle.root,
            layout=bundle.layout,
            collected_at=bundle.collected_at,
            window_start=start,
            window_end=end,
            rows={kind: df.height for kind, df in frames.data.items()},
        ),
        controllers=[ControllerVersion.model_validate(v.model_dump()) for v in state.versions],
        upgrades=[Upgrade.model_validate(u.model_dump()) for u in state.upgrades],
        restarts=(restarts := _restarts(frames["controllers"], start, end)),
        dependencies=_dependencies(frames["releases"]),
        findings=found,
        verdicts=(
            judged := verdicts.build(
                frames["releases"],
                found,
                conditions=frames["conditions"],
                restarts=restarts,
                controller=state,
                window_end=end,
            )
        ),
        plan=verdicts.bundle_plan(judged),
        gaps=gaps.find(frames, state, controller_logs(ctx)),  # the rules' filtered frame, not another copy
        rules=results,
        inventory=_inventory(frames.inventory, InventoryEntry),
        problems=[Problem(**row) for row in problems.head(MAX_PROBLEMS).iter_rows(named=True)],
        problems_total=problems.height,
        redactions=frames.redactions,  # in the frames and in the log lines read again so far
        timeline=_timeline_entries(frames, state, shape, {v.release for v in judged if not v.healthy}),
    )
    return Run(analysis=analysis, frames=frames, controller=state)


def analyze(path: str, **options) -> Analysis:
    """The Analysis of one bundle (see `run` for the options)."""
    return run(path, **options).analysis


def _dependencies(releases: pl.DataFrame) -> list[Dependency]:
    """The dependsOn edges of the HelmReleases, in release order."""
    from forensics.model import Dependency

    if not releases.height or "depends_on" not in releases.columns:
        return []
    edges = releases.select("release", "depends_on", "source", "line").explode("depends_on").drop_nulls("depends_on")
    return [Dependency(**row) for row in edges.sort("release", "depends_on").iter_rows(named=True)]


def _restarts(controllers: pl.DataFrame, start: datetime | None, end: datetime | None) -> list[ControllerRestart]:
    """Controller containers that started inside the evidence window (a restart or a new pod)."""
    import polars as pl

    from forensics.model import ControllerRestart

    if not controllers.height or start is None or end is None:
        return []
    started = controllers.filter(pl.col("started_at").is_not_null() & pl.col("started_at").is_between(start, end))
    rows = started.sort("started_at", "controller").select(
        "controller",
        "pod",
        pl.col("started_at").alias("at"),
        "restarts",
        pl.col("last_termination_reason").alias("reason"),
        "source",
        "line",
    )
    return [ControllerRestart(**row) for row in rows.iter_rows(named=True)]


def _timeline_entries(
    frames: Frames, state: ControllerState, shape: Outline, unhealthy: set[str] | None = None
) -> list[TimelineEntry]:
    """The timeline for renderers, capped per release (the last entries are kept)."""
    from forensics import timeline
    from forensics.model import TimelineEntry

    keep = unhealthy if unhealthy is not None and shape.releases * TIMELINE_PER_RELEASE > TIMELINE_BUDGET else None
    capped = timeline.last_rows(frames, state, TIMELINE_PER_RELEASE, keep)
    columns = ["release", "ts", "ts_end", "origin", "level", "reason", "message", "count", "source", "line"]
    return [
        TimelineEntry(**{**row, "message": row["message"] or ""})
        for row in capped.select(columns).iter_rows(named=True)
    ]
