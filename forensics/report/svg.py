"""Geometry for the report's inline SVG: a swimlane timeline per release and the dependency graph.

Only positions and display strings are computed here; the template draws them and Jinja2
escapes every string (titles and labels come from the bundle).
"""

from __future__ import annotations

from datetime import datetime, timedelta

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
WIDTH, LANE_HEIGHT, LEFT, RIGHT, TOP = 960, 26, 110, 24, 34
GRAPH_NODE_W, GRAPH_NODE_H, GRAPH_COL, GRAPH_ROW = 270, 26, 340, 38
GRAPH_MAX_DEPTH = 40  # columns of the dependency graph: a longer chain shares the last one


def fmt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else ""


def _lane_of(entry: TimelineEntry) -> str | None:
    if entry.release is None:
        return "controller"
    return next((name for name, origins in LANES if entry.origin in origins), None)


def timeline(entries: list[TimelineEntry], markers: list[dict]) -> dict | None:
    """Positions of one release's swimlanes. `entries` holds the release's records and the
    global (controller) records; `markers` are {ts, label, kind} vertical lines."""
    times = [e.ts for e in entries] + [e.ts_end for e in entries if e.ts_end] + [m["ts"] for m in markers]
    if not any(e.release for e in entries):
        return None
    # Zoom on what was recorded (logs, events, the upgrade); older status times (history,
    # managedFields reach back to the release's creation) are pinned to the left edge.
    recorded = [e.ts for e in entries if e.origin in ("log", "event")] + [m["ts"] for m in markers]
    start, end = (min(recorded) if recorded else min(times)), max(times)
    start = min(start, end - timedelta(minutes=1))
    span = (end - start).total_seconds()

    def x(ts: datetime) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * max((ts - start).total_seconds(), 0) / span, 1)

    lanes = [{"name": name, "y": TOP + i * LANE_HEIGHT} for i, (name, _) in enumerate(LANES)]
    lane_y = {lane["name"]: lane["y"] for lane in lanes}
    marks = []
    for entry in entries:
        lane = _lane_of(entry)
        if lane is None:
            continue
        x0 = x(entry.ts)
        x1 = x(entry.ts_end) if entry.ts_end and entry.ts_end > entry.ts else x0
        count = f" ×{entry.count}" if entry.count and entry.count > 1 else ""
        older = "(before the plotted range) " if entry.ts < start else ""
        until = f" → {fmt(entry.ts_end)}" if entry.ts_end and entry.ts_end > entry.ts else ""
        title = f"{older}{fmt(entry.ts)}{until} {entry.reason or ''}{count} {entry.message[:200]} ({entry.source}:{entry.line})"
        marks.append(
            {
                "x": x0,
                "w": round(max(x1 - x0, 0), 1),
                "y": lane_y[lane],
                "cls": entry.level or "info",
                "title": title,
                "count": entry.count if entry.count and entry.count > 1 else None,
            }
        )
    ticks = [{"x": x(start + (end - start) * i / 4), "label": (start + (end - start) * i / 4).strftime("%m-%d %H:%M")} for i in range(5)]
    placed = []
    for i, marker in enumerate(sorted(markers, key=lambda m: (m["ts"], m["label"]))):
        placed.append({"x": x(marker["ts"]), "label": marker["label"], "kind": marker["kind"], "y": 11 + 11 * (i % 2), "title": marker["title"]})
    return {
        "width": WIDTH,
        "height": TOP + len(LANES) * LANE_HEIGHT + 6,
        "lanes": lanes,
        "marks": marks,
        "markers": placed,
        "ticks": ticks,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "axis_y": TOP + len(LANES) * LANE_HEIGHT - 10,
    }


def markers(analysis: Analysis) -> list[dict]:
    """Vertical lines: helm-controller upgrades, and its restarts not already explained by one."""
    found = [
        {"ts": u.at, "label": f"upgrade {u.to_version}", "kind": "upgrade", "title": f"{u.controller} {u.from_version} → {u.to_version} at {fmt(u.at)} ({u.basis})"}
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
                "label": "" if near else "restart",
                "kind": "restart",
                "title": f"{restart.pod or restart.controller} started {fmt(restart.at)} (restarts {restart.restarts}{reason}) {restart.source}:{restart.line}",
            }
        )
    return found


def _depths(names: list[str], deps: dict[str, list[str]]) -> dict[str, int]:
    """Each node's column: one more than its deepest dependency (0 without any), walked with an
    explicit stack, not recursion (a 3,000-long dependsOn chain); an edge back into the walk (a
    cycle) counts as depth 0, and columns stop at GRAPH_MAX_DEPTH (deeper nodes share the last)."""
    depth: dict[str, int] = {}
    for root in names:
        if root in depth:
            continue
        on_path = {root}
        stack = [(root, iter(deps.get(root, [])))]
        while stack:
            name, pending = stack[-1]
            child = next(pending, None)
            if child is None:
                stack.pop()
                on_path.discard(name)
                depth[name] = min(GRAPH_MAX_DEPTH, 1 + max((depth.get(d, 0) if d not in on_path else 0 for d in deps.get(name, [])), default=-1))
            elif child not in depth and child not in on_path:
                on_path.add(child)
                stack.append((child, iter(deps.get(child, []))))
    return depth


def dependency_graph(analysis: Analysis, anchor) -> dict | None:
    """Nodes in columns by depth (dependencies left of their dependents); edges of a blocked
    chain (a dependency-* verdict) are flagged so the template highlights them."""
    edges_in = [(e.release, e.depends_on, f"{e.source}:{e.line}") for e in analysis.dependencies]
    known = {(a, b) for a, b, _ in edges_in}
    for verdict in analysis.verdicts:  # a pasted table has no dependsOn, but a chain may name one
        for a, b in zip(verdict.chain, verdict.chain[1:]):
            if b.relation == "depends on" and (a.release, b.release) not in known:
                known.add((a.release, b.release))
                edges_in.append((a.release, b.release, "from the dependency message"))
    if not edges_in:
        return None
    verdicts = {v.release: v for v in analysis.verdicts}
    blocked = set()
    for verdict in analysis.verdicts:
        if verdict.primary and verdict.primary.startswith("dependency-"):
            for a, b in zip(verdict.chain, verdict.chain[1:]):
                blocked.add((a.release, b.release))
    deps: dict[str, list[str]] = {}
    for release, depends_on, _ in edges_in:
        deps.setdefault(release, []).append(depends_on)
    names = sorted({a for a, _, _ in edges_in} | {b for _, b, _ in edges_in})
    depth = _depths(names, deps)
    columns: dict[int, list[str]] = {}
    for name in names:
        columns.setdefault(depth[name], []).append(name)
    pos, nodes = {}, []
    for col, members in sorted(columns.items()):
        for row, name in enumerate(members):
            x, y = 10 + col * GRAPH_COL, 10 + row * GRAPH_ROW
            pos[name] = (x, y)
            verdict = verdicts.get(name)
            label = verdict.label if verdict else "not in bundle"
            severity = (verdict.severity.value if verdict.severity else ("ok" if verdict.healthy else "warning")) if verdict else "missing"
            text = name if len(name) <= 34 else name[:33] + "…"
            nodes.append({"x": x, "y": y, "name": name, "text": text, "label": label, "cls": severity, "anchor": anchor(name) if verdict else None})
    edges = []
    for release, depends_on, where in edges_in:
        (x1, y1), (x2, y2) = pos[release], pos[depends_on]
        # from the dependent's left side to the dependency's right side
        sx, sy, ex, ey = x1, y1 + GRAPH_NODE_H / 2, x2 + GRAPH_NODE_W, y2 + GRAPH_NODE_H / 2
        if sx <= ex:  # same column (a cycle): go around on the right
            sx, ex = x1 + GRAPH_NODE_W, x2 + GRAPH_NODE_W
        mid = (sx + ex) / 2 if sx > ex else sx + 40
        edges.append(
            {
                "path": f"M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}",
                "blocked": (release, depends_on) in blocked,
                "title": f"{release} depends on {depends_on} ({where})",
            }
        )
    rows = max(len(m) for m in columns.values())
    return {
        "width": 20 + (max(columns) * GRAPH_COL) + GRAPH_NODE_W + 10,
        "height": 20 + rows * GRAPH_ROW,
        "nodes": nodes,
        "edges": edges,
        "node_w": GRAPH_NODE_W,
        "node_h": GRAPH_NODE_H,
        "blocked": len(blocked),
    }
