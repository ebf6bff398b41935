"""Geometry for the report's dependency graph: each release in a column by its depth, an edge
from each dependent to its dependency, the edges of a blocked chain flagged.

It shares no time axis and no label rows with the timelines of `svg.py`, so it lives apart;
as there, only positions and display strings are computed here and the template draws them.
"""

from __future__ import annotations

from forensics.model import Analysis

GRAPH_NODE_W, GRAPH_NODE_H, GRAPH_COL, GRAPH_ROW = 270, 26, 340, 38
GRAPH_MAX_DEPTH = 40  # columns of the dependency graph: a longer chain shares the last one


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
                depth[name] = min(
                    GRAPH_MAX_DEPTH,
                    1 + max((depth.get(d, 0) if d not in on_path else 0 for d in deps.get(name, [])), default=-1),
                )
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
            severity = (
                (verdict.severity.value if verdict.severity else ("ok" if verdict.healthy else "warning"))
                if verdict
                else "missing"
            )
            text = name if len(name) <= 34 else name[:33] + "…"
            nodes.append(
                {
                    "x": x,
                    "y": y,
                    "name": name,
                    "text": text,
                    "label": label,
                    "cls": severity,
                    "anchor": anchor(name) if verdict else None,
                }
            )
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
