"""The import graph of `forensics` and `parsers`: every module imports, dependencies point one
way (DESIGN.md §1: `forensics` imports `parsers`, never the reverse) and there is no cycle.

The graph is read from the source (`ast`), with the imports inside functions (a lazy import
still ties two modules together) and without those under `if TYPE_CHECKING:` (annotations only).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("forensics", "parsers")
KNOWN_CYCLES: list[set[str]] = []


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module of ours an imported name lives in (a module, or a name in a package's module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for statement in node.body
        for child in ast.walk(statement)
    }
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], *([base] if base else [])]
                )
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {resolved for name in names if (resolved := _resolve(name))}
    return found - {module}


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _cycles() -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in GRAPH:
        if start in index:
            continue
        work = [(start, iter(sorted(GRAPH[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(GRAPH[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_imports(module):
    importlib.import_module(module)


def test_parsers_never_import_forensics():
    wrong = {
        module: sorted(d for d in deps if d.startswith("forensics"))
        for module, deps in GRAPH.items()
        if module.startswith("parsers")
    }
    assert not {module: deps for module, deps in wrong.items() if deps}


def test_no_import_cycle():
    assert [cycle for cycle in _cycles() if cycle not in KNOWN_CYCLES] == []


def test_the_graph_sees_lazy_imports_and_cycles():
    """The walk would see a cycle made of imports inside functions (as the one between the fleet
    job and its summary was)."""
    assert "forensics.report.fleet" in GRAPH["forensics.cli.fleet"]  # imported inside a function
    assert "forensics.fleet" not in GRAPH["forensics.report.fleet"]
    for cycle in KNOWN_CYCLES:
        assert cycle in _cycles(), f"the cycle {sorted(cycle)} is gone: remove it from KNOWN_CYCLES"
