"""Hop 4: present a finished Analysis. Renderers format; they never recompute analysis.

Heavy imports (Jinja2, rich) happen inside the functions that need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the models load with the analysis (on its own thread), not before it
    from forensics.model import Analysis


def render(analysis: Analysis, fmt: str) -> str:
    """The Analysis as `html`, `json` or `md` text."""
    if fmt == "json":
        return analysis.model_dump_json(indent=2) + "\n"
    if fmt == "html":
        from forensics.report.html import render_html

        return render_html(analysis)
    if fmt == "md":
        from forensics.report.markdown import render_markdown

        return render_markdown(analysis)
    raise ValueError(f"unknown format {fmt!r}")


def print_triage(analysis: Analysis, console=None) -> None:
    from forensics.report.terminal import print_triage as _print

    _print(analysis, console)


def print_timeline(analysis: Analysis, timeline, release: str, limit: int, console=None) -> bool:
    from forensics.report.terminal import print_timeline as _print

    return _print(analysis, timeline, release, limit, console)
