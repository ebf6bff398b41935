"""Geometry for the report's inline SVG: the incident timeline and a swimlane timeline per
release (the dependency graph's is in `graph.py`).

Only positions and display strings are computed here; the template draws them and Jinja2
escapes every string (titles and labels come from the bundle). Text in the drawings is set in
a monospace font so that its width is known here: labels sit on fixed rows, and one that would
overlap another is moved to its other side or dropped (its text stays in the mark's title and
in the records table the mark links to). Every drawing has a viewBox and scales to its box.
"""

from __future__ import annotations

import bisect
import math
from datetime import datetime, timedelta, timezone

from forensics.model import Analysis, TimelineEntry

# (lane, origins drawn in it); "controller" is the global lane (records without a release).
LANES = (
    ("controller", ("controller",)),  # plus every record without a release
    ("log", ("log",)),
    ("event", ("event",)),
    ("condition", ("condition",)),
    ("history", ("history",)),
    ("managed-field", ("managed-field",)),
)
WIDTH, LEFT, RIGHT = 960, 112, 14  # viewBox width; the lane names' column; the right margin
FONT = 11  # px, every text of the timelines
CHAR_W = 0.62 * FONT  # a monospace glyph is 0.6 em wide (DejaVu Sans Mono, Menlo, Courier New, Consolas 0.55)
GAP = 6  # between two labels on a row
LANE_HEIGHT = 26
OVERVIEW_Y, OVERVIEW_H = 4, 10  # the strip of the whole window above a zoomed timeline
MARKER_ROWS = (32, 47)  # baselines of the controller upgrade/restart labels
TOP = 72  # the first lane
BIN = 4  # in the whole window, records closer than this (viewBox units) share one mark
FOCUS_PAD, FOCUS_MIN_PAD = 0.1, timedelta(seconds=30)  # around what a release's window is opened on
ZOOMED = 0.8  # a window narrower than this share of the whole gets the overview and the toggle
TITLE_CHARS = 160  # of a record's message in its mark's tooltip (the records table has it all)
STEPS = (
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10800,
    21600,
    43200,
    86400,
    172800,
    604800,
    2592000,
    31536000,
)
LEVELS = {"error": 2, "warning": 1}  # worst first when records share a mark
INCIDENT_LEFT, INCIDENT_ROW, INCIDENT_TOP, INCIDENT_ROWS = 250, 24, 48, 40  # INCIDENT_TOP: the controllers' row
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def fmt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else ""


def text_width(text: str) -> float:
    return len(text) * CHAR_W


def duration(seconds: float) -> str:
    """A span in the largest two units: `2 d 5 h`, `3 min 20 s`."""
    seconds = int(round(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
    return " ".join(parts[:2])


class Rows:
    """Labels on fixed text rows (one per baseline): a label takes the first of its candidate
    positions where it overlaps nothing on its row and stays inside [lo, hi], or is dropped."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = lo, hi
        self.rows: dict[float, list[tuple[float, float]]] = {}

    def place(self, y: float, text: str, starts: list[float], cls: str = "") -> dict | None:
        width = text_width(text)
        row = self.rows.setdefault(y, [])
        for start in starts:
            end = start + width
            if start < self.lo or end > self.hi:
                continue
            i = bisect.bisect_left(row, (start, end))
            if (i and row[i - 1][1] + GAP > start) or (i < len(row) and row[i][0] < end + GAP):
                continue
            row.insert(i, (start, end))
            return {"x": round(start, 1), "y": y, "text": text, "cls": cls, "w": round(width, 1)}
        return None


def _scale(start: datetime, end: datetime, left: float, right: float):
    """x of a time between `start` and `end`; earlier or later times sit on the edges."""
    span = max((end - start).total_seconds(), 1e-6)
    factor = (right - left) / span

    def x(ts: datetime) -> float:
        return round(left + factor * min(max((ts - start).total_seconds(), 0.0), span), 1)

    return x


def ticks(start: datetime, end: datetime, x, left: float, right: float, y: float) -> list[dict]:
    """Axis ticks at round times (1 s ... 1 year apart), as many as their labels allow."""
    span = max((end - start).total_seconds(), 1)
    for step in STEPS:
        form = (
            "%H:%M:%S" if step < 60 else ("%H:%M" if span <= 86400 else "%m-%d %H:%M") if step < 86400 else "%Y-%m-%d"
        )
        if span / step * (text_width(start.strftime(form)) + 3 * CHAR_W) <= right - left:
            break
    rows = Rows(0, WIDTH)
    out = []
    at = math.ceil((start - EPOCH).total_seconds() / step) * step
    while (moment := EPOCH + timedelta(seconds=at)) <= end:
        label = moment.strftime(form)
        cx = x(moment)
        placed = rows.place(y, label, [min(max(cx - text_width(label) / 2, 0), WIDTH - text_width(label))])
        out.append({"x": cx, "at": moment, "label": placed})
        at += step
    return out


def _lane_of(entry: TimelineEntry) -> str | None:
    if entry.release is None:
        return "controller"
    return next((name for name, origins in LANES if entry.origin in origins), None)


def _end(entry: TimelineEntry) -> datetime:
    return entry.ts_end if entry.ts_end and entry.ts_end > entry.ts else entry.ts


def _title(entry: TimelineEntry) -> str:
    count = f" ×{entry.count}" if entry.count and entry.count > 1 else ""
    until = f" → {fmt(entry.ts_end)}" if entry.ts_end and entry.ts_end > entry.ts else ""
    message = entry.message if len(entry.message) <= TITLE_CHARS else entry.message[: TITLE_CHARS - 1] + "…"
    return f"{fmt(entry.ts)}{until} {entry.reason or ''}{count} {message} ({entry.source}:{entry.line})"


def focus_window(interest: list[datetime]) -> tuple[datetime, datetime] | None:
    """The window a timeline opens on: the times of interest with a margin on each side."""
    if not interest:
        return None
    low, high = min(interest), max(interest)
    pad = max((high - low) * FOCUS_PAD, FOCUS_MIN_PAD)
    return low - pad, high + pad


def timeline(
    rows: list[tuple[TimelineEntry, str]], markers: list[dict], interest: list[datetime], cited: dict
) -> dict | None:
    """One release's swimlanes. `rows` are its records and the controller lane's, each with the
    id of its row in a records table (a mark links there); `markers` are {ts, label, kind,
    title} vertical lines; `interest` the times the timeline opens on (cited evidence, failed
    records); `cited` maps (source, line) of cited records to a label ("" draws no label).

    Two views: the window around `interest` (opened; with a strip of the whole window above it)
    and the whole window, where records closer than BIN share a mark."""
    entries = [entry for entry, _ in rows]
    if not any(e.release for e in entries):
        return None
    # The whole window: what was recorded (logs, events, the controller's upgrades); older status
    # times (history and managedFields reach back to the release's creation) sit on its left edge.
    recorded = [e.ts for e in entries if e.origin in ("log", "event", "controller")] + [m["ts"] for m in markers]
    end = max([_end(e) for e in entries] + [m["ts"] for m in markers])
    start = min(recorded) if recorded else min(e.ts for e in entries)
    focus = focus_window(interest)
    if focus:
        start, end = min(start, focus[0]), max(end, focus[1])
    start = min(start, end - timedelta(minutes=1))
    zoomed = focus is not None and (focus[1] - focus[0]) < ZOOMED * (end - start)
    window = focus if zoomed else (start, end)
    used = {lane for lane in map(_lane_of, entries) if lane}
    top = TOP if any(m["label"] for m in markers) else TOP - 30  # room for the markers' labels
    lanes = [
        {"name": name, "y": top + i * LANE_HEIGHT} for i, name in enumerate(name for name, _ in LANES if name in used)
    ]
    if not lanes:
        return None
    lane_y = {lane["name"]: lane["y"] for lane in lanes}
    axis_y = lanes[-1]["y"] + 16
    focus_view = _view(rows, markers, cited, window, lane_y, axis_y, binned=False)
    whole_view = _view(rows, markers, cited, (start, end), lane_y, axis_y, binned=True) if zoomed else None
    overview = None
    if zoomed:
        x = _scale(start, end, LEFT, WIDTH - RIGHT)
        bins: dict[int, int] = {}
        for entry in entries:
            key = int(x(entry.ts) // BIN)
            bins[key] = max(bins.get(key, -1), LEVELS.get(entry.level or "", 0))
        names = {2: "error", 1: "warning", 0: "info"}
        x0, x1 = x(window[0]), x(window[1])
        overview = {
            "y": OVERVIEW_Y,
            "h": OVERVIEW_H,
            "bins": [{"x": key * BIN, "cls": names[level]} for key, level in sorted(bins.items())],
            "window": {"x": x0, "w": max(round(x1 - x0, 1), 2)},
        }
    outside = sum(1 for e in entries if _lane_of(e) and (_end(e) < window[0] or e.ts > window[1]))
    return {
        "width": WIDTH,
        "height": axis_y + 22,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "axis_y": axis_y,
        "lanes": lanes,
        "focus": focus_view,
        "whole": whole_view,
        "overview": overview,
        "start": window[0],
        "end": window[1],
        "span": duration((window[1] - window[0]).total_seconds()),
        "whole_start": start,
        "whole_end": end,
        "whole_span": duration((end - start).total_seconds()),
        "outside": outside,
    }


def _view(rows, markers, cited, window, lane_y, axis_y, binned: bool) -> dict:
    """Marks, markers, ticks and laid-out labels of one time window."""
    start, end = window
    x = _scale(start, end, LEFT, WIDTH - RIGHT)
    labels = Rows(LEFT, WIDTH)
    placed = []
    shown_markers = []
    for marker in sorted(markers, key=lambda m: (m["ts"], m["label"])):
        if not start <= marker["ts"] <= end:
            continue
        mx = x(marker["ts"])
        shown_markers.append({"x": mx, "kind": marker["kind"], "title": marker["title"]})
        if marker["label"]:
            width = text_width(marker["label"])
            for y in MARKER_ROWS:
                label = labels.place(y, marker["label"], [mx + 3, mx - 3 - width], "marker-label " + marker["kind"])
                if label:
                    placed.append(label)
                    break
    marks = _binned_marks(rows, x, lane_y, start) if binned else _marks(rows, x, lane_y, window, cited)
    # a cited record's label first (the finding's label on its first record), then event counts
    wanted = sorted((m for m in marks if m.get("label")), key=lambda m: (m["label_rank"], m["x"]))
    for mark in wanted:
        text = mark["label"]
        label = labels.place(
            mark["y"] - 8, text, [mark["x"] + mark["w"] + 5, mark["x"] - 5 - text_width(text)], mark["label_cls"]
        )
        if label:
            placed.append(label)
    return {
        "ticks": ticks(start, end, x, LEFT, WIDTH - RIGHT, axis_y + 16),
        "markers": shown_markers,
        "marks": marks,
        "labels": placed,
    }


def _marks(rows, x, lane_y, window, cited) -> list[dict]:
    start, end = window
    marks = []
    for entry, rid in rows:
        lane = _lane_of(entry)
        if lane is None or _end(entry) < start or entry.ts > end:
            continue
        x0, x1 = x(entry.ts), x(_end(entry))
        label = cited.get((entry.source, entry.line)) if entry.release else None
        count = entry.count if entry.count and entry.count > 1 else None
        mark = {
            "x": x0,
            "w": round(x1 - x0, 1),
            "y": lane_y[lane],
            "cls": entry.level or "info",
            "cited": label is not None,
            "title": _title(entry),
            "href": rid,
        }
        if label:
            mark.update(label=label, label_rank=0, label_cls="mark-label")
        elif count:
            mark.update(label=f"×{count}", label_rank=1, label_cls="count")
        marks.append(mark)
    marks.sort(key=lambda m: m["cited"])  # cited marks drawn last, on top of their neighbours
    return marks


def _binned_marks(rows, x, lane_y, start) -> list[dict]:
    """Records of a lane closer than BIN share one mark: the worst level, the first record's link."""
    bins: dict[tuple, dict] = {}
    for entry, rid in rows:
        lane = _lane_of(entry)
        if lane is None:
            continue
        x0, x1 = x(entry.ts), x(_end(entry))
        key = (lane, int(x0 // BIN), int(x1 // BIN))
        group = bins.get(key)
        if group is None:
            bins[key] = {
                "x": x0,
                "w": round(x1 - x0, 1),
                "y": lane_y[lane],
                "first": entry,
                "last": entry,
                "n": 1,
                "level": entry.level,
                "href": rid,
            }
            continue
        group["n"] += 1
        group["last"] = entry if entry.ts >= group["last"].ts else group["last"]
        if LEVELS.get(entry.level or "", 0) > LEVELS.get(group["level"] or "", 0):
            group["level"] = entry.level
    marks = []
    for group in bins.values():
        first, n = group["first"], group["n"]
        older = "(before the plotted range) " if first.ts < start else ""
        what = f"{fmt(first.ts)} {first.reason or first.origin} ({first.source}:{first.line})"
        title = older + (
            what if n == 1 else f"{n} records {fmt(first.ts)} → {fmt(group['last'].ts)}, the first: {what}"
        )
        marks.append(
            {
                "x": group["x"],
                "w": group["w"],
                "y": group["y"],
                "cls": group["level"] or "info",
                "cited": False,
                "title": title,
                "href": group["href"],
            }
        )
    return marks


def markers(analysis: Analysis) -> list[dict]:
    """Vertical lines: helm-controller upgrades, and its restarts not already explained by one."""
    found = [
        {
            "ts": u.at,
            "label": f"upgrade {u.to_version}",
            "kind": "upgrade",
            "title": f"{u.controller} {u.from_version} → {u.to_version} at {fmt(u.at)} ({u.basis})",
        }
        for u in analysis.upgrades
        if u.at
    ]
    for restart in analysis.restarts:
        if restart.controller != "helm-controller":
            continue
        near = any(abs((restart.at - m["ts"]).total_seconds()) < 60 for m in found if m["kind"] == "upgrade")
        reason = f", last termination {restart.reason}" if restart.reason else ""
        found.append(
            {
                "ts": restart.at,
                "label": "" if near else ("restart " + restart.reason if restart.reason else "restart"),
                "kind": "restart",
                "title": f"{restart.pod or restart.controller} started {fmt(restart.at)} (restarts "
                f"{restart.restarts}{reason}) {restart.source}:{restart.line}",
            }
        )
    return found


def incident(rows: list[dict], markers: list[dict]) -> dict | None:
    """The bundle's incident on one time axis: controller upgrades and restarts, and one row per
    release that failed (its cited evidence from first to last), a dependency drawn from the
    blocked release's row to its upstream's. `rows` carry release, first, last, label, cls,
    href, upstream, recovered; at most INCIDENT_ROWS are drawn (earliest first)."""
    rows = sorted((r for r in rows if r["first"]), key=lambda r: (r["first"], r["release"]))
    if not rows and not markers:
        return None
    shown = rows[:INCIDENT_ROWS]
    times = [r["first"] for r in shown] + [r["last"] for r in shown] + [m["ts"] for m in markers]
    low, high = min(times), max(times)
    pad = max((high - low) * 0.04, FOCUS_MIN_PAD)
    start, end = low - pad, high + pad
    x = _scale(start, end, INCIDENT_LEFT, WIDTH - RIGHT)
    labels = Rows(INCIDENT_LEFT, WIDTH)
    placed = []
    controller_y = INCIDENT_TOP if markers else None  # no controller event: no row for them
    first_y = INCIDENT_TOP + INCIDENT_ROW if markers else 20
    chars = int((INCIDENT_LEFT - 10) // CHAR_W)
    drawn, y_of = [], {}
    for i, row in enumerate(shown):
        y = first_y + i * INCIDENT_ROW
        y_of[row["release"]] = y
        x0, x1 = x(row["first"]), x(row["last"])
        name = row["release"] if len(row["release"]) <= chars else row["release"][: chars - 1] + "…"
        text = "recovered" if row["recovered"] else row["label"]
        drawn.append({**row, "y": y, "x": x0, "w": max(round(x1 - x0, 1), 4), "name": name, "text": text})
    for row in drawn:  # beside its bar, or over it (the label has a halo) when the bar fills the row
        width = text_width(row["text"])
        label = labels.place(
            row["y"] + 4, row["text"], [row["x"] + row["w"] + 5, row["x"] - 5 - width, row["x"] + 5], "bar-label"
        )
        if label:  # drawn on a background of its own: it may sit on its bar
            placed.append(label)
    shown_markers = []
    for marker in sorted(markers, key=lambda m: (m["ts"], m["label"])):
        mx = x(marker["ts"])
        shown_markers.append({"x": mx, "kind": marker["kind"], "title": marker["title"]})
        if marker["label"]:
            width = text_width(marker["label"])
            for y in (18, 33):
                label = labels.place(y, marker["label"], [mx + 3, mx - 3 - width], "marker-label " + marker["kind"])
                if label:
                    placed.append(label)
                    break
    deps = [
        {
            "x": row["x"],
            "y1": row["y"],
            "y2": y_of[row["upstream"]],
            "title": f"{row['release']} waits on {row['upstream']}",
        }
        for row in drawn
        if row["upstream"] in y_of
    ]
    axis_y = first_y + max(len(drawn) - 1, 0) * INCIDENT_ROW + 18
    return {
        "width": WIDTH,
        "height": axis_y + 22,
        "left": INCIDENT_LEFT,
        "right": WIDTH - RIGHT,
        "controller_y": controller_y,
        "axis_y": axis_y,
        "rows": drawn,
        "more": len(rows) - len(shown),
        "markers": shown_markers,
        "labels": placed,
        "deps": deps,
        "ticks": ticks(start, end, x, INCIDENT_LEFT, WIDTH - RIGHT, axis_y + 16),
        "start": start,
        "end": end,
    }
