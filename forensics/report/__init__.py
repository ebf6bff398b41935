"""Hop 4: present a finished Analysis. Renderers format; they never recompute analysis.

Heavy imports (Jinja2, rich) happen inside the functions that need them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forensics import Run
    from forensics.model import Analysis

# The formats of `forensics analyze`, and the file suffix of each: `--output FILE` takes its
# format from its suffix. jsonl and csv are the whole timeline for Timesketch (as `forensics
# export --timesketch`); terminal is the triage table as printed.
SUFFIXES = {"html": ".html", "json": ".json", "md": ".md", "jsonl": ".jsonl", "csv": ".csv", "terminal": ".txt"}
FORMATS = tuple(SUFFIXES)
# Output names other tools use for a format, and what to say instead.
NOT_FORMATS = {
    "yaml": "there is no YAML output: -o json prints the analysis as JSON",
    "yml": "there is no YAML output: -o json prints the analysis as JSON",
    "wide": "the triage table is as wide as the terminal: COLUMNS=200 forensics analyze ... -f terminal",
    "table": "the triage table is the terminal format: -f terminal",
    "markdown": "the Markdown format is md: -o md",
    "ndjson": "the Timesketch JSON lines format is jsonl: -o jsonl",
}


def format_of(name: str) -> str | None:
    """The format a file name's suffix names (`report.html` -> html), or None."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    return next((fmt for fmt, known in SUFFIXES.items() if known == suffix), None)


def targets(formats: tuple[str, ...], output: str | None) -> list[tuple[str, str | None]]:
    """Where each output of `forensics analyze` goes, from its --format and --output:
    (format, where), where is a file, "-" (standard output) or None (the terminal for
    `terminal`, OUT_DIR/<bundle>.<suffix> for the others). ValueError says what is wrong."""
    from pathlib import Path

    if output is None:
        return [(fmt, None) for fmt in formats or ("html", "terminal")]
    if output.lower() in NOT_FORMATS:
        raise ValueError(f"-o {output}: {NOT_FORMATS[output.lower()]}")
    if output in FORMATS:  # kubectl's `-o json`: that format on standard output
        if formats and formats != (output,):
            raise ValueError(
                f"-o {output} prints {output}, but --format asks for {', '.join(formats)}: give one of them"
            )
        return [(output, "-")]
    if Path(output).is_dir():
        raise ValueError(
            f"--output {output} is a folder: give a file name (or --out-dir {output} for the default names)"
        )
    if len(formats) > 1:
        raise ValueError("--output FILE holds one format; for several, leave it out (one file each in --out-dir)")
    named = None if output == "-" else format_of(output)
    fmt = formats[0] if formats else named
    if fmt is None and output == "-":
        raise ValueError(f"-o - needs a --format ({', '.join(FORMATS)}), or -o json and the like")
    if fmt is None:
        raise ValueError(
            f"--output {output}: no format of this name; end it in {', '.join(SUFFIXES.values())}, or add --format"
        )
    if named and named != fmt:
        raise ValueError(f"--output {output}: its name says {named}, but --format says {fmt}")
    return [(fmt, output)]


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


def render_run(run: Run, fmt: str) -> str:
    """A Run in any file format: the Analysis's (`render`), or its whole timeline for
    Timesketch (`jsonl`, `csv`)."""
    if fmt not in ("jsonl", "csv"):
        return render(run.analysis, fmt)
    return _timeline_export(run, fmt)


def render_run_pieces(run: Run, fmt: str) -> Iterator[str]:
    """`render_run`'s text in pieces as they are made, for a file: the HTML or JSON report of a
    bundle of 200,000 files (its inventory) is never held whole (bench/README.md)."""
    if fmt == "html":
        from forensics.report.html import html_pieces

        yield from html_pieces(run.analysis)
    elif fmt == "json":
        yield from json_pieces(run.analysis)
    else:
        yield render_run(run, fmt)


# Inventory entries serialised at once by `json_pieces`.
JSON_CHUNK = 5000
_INVENTORY_KEY = '\n  "inventory": []'  # the key of the top level, its list empty (indent=2)


def json_pieces(analysis: Analysis, chunk: int | None = None) -> Iterator[str]:
    """`render(analysis, "json")` in pieces that make the same text: the rest of the Analysis,
    then the inventory a chunk of entries at a time. Whole, the text of 200,000 entries and its
    copies (Rust's, Python's, with its newline) took the crust-gather shape over the memory
    target (bench/README.md)."""
    entries, chunk = analysis.inventory, chunk or JSON_CHUNK
    if len(entries) <= chunk:
        yield render(analysis, "json")
        return
    from pydantic import TypeAdapter

    from forensics.model import InventoryEntry

    before, key, after = (
        analysis.model_copy(update={"inventory": []}).model_dump_json(indent=2).partition(_INVENTORY_KEY)
    )
    if not key:  # pragma: no cover - the model always has the key
        yield render(analysis, "json")
        return
    yield before + _INVENTORY_KEY[:-1] + "\n"
    adapter = TypeAdapter(list[InventoryEntry])
    for start in range(0, len(entries), chunk):
        # `[\n  {...},\n  {...}\n]` at the top; one level deeper in the report (JSON text
        # holds no raw newline inside a string, so lines are indented safely)
        text = adapter.dump_json(entries[start : start + chunk], indent=2).decode()
        yield ("" if start == 0 else ",\n") + "  " + text[2:-2].replace("\n", "\n  ")
    yield "\n  ]" + after + "\n"


def _timeline_export(run: Run, fmt: str) -> str:
    from forensics.report.export import neutral, timesketch_frame

    frame = timesketch_frame(run.timeline)
    return frame.write_ndjson() if fmt == "jsonl" else neutral(frame).write_csv()


def print_triage(analysis: Analysis, console=None, *, verbose: bool = False) -> None:
    from forensics.report.terminal import print_triage as _print

    _print(analysis, console, verbose=verbose)


def print_timeline(analysis: Analysis, timeline, release: str, limit: int, console=None) -> bool:
    from forensics.report.terminal import print_timeline as _print

    return _print(analysis, timeline, release, limit, console)
