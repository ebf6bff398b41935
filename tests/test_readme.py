"""The README for users (issue 19, item 7): its two commands first, no link that leaves the
repository, tables that GitHub renders as written, the screenshot small, and every command it
shows a command that exists."""

from __future__ import annotations

import re

from forensics.cli import main

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_two_make_commands_come_first():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    assert [line.split()[:2] for line in first_block.splitlines()] == [["make", "demo"], ["make", "test"]]
    assert README.index("```sh") < README.index("\n## ")


def test_no_link_leaves_the_repository():
    assert not re.search(r"https?://", README)
    targets = re.findall(r"\]\(([^)]+)\)", README) + re.findall(r"^\[[^\]]+\]:\s*(\S+)", README, re.M)
    assert targets, "the README links to bench/README.md and the screenshot"
    for target in targets:
        assert not target.startswith(("/", "..")) and (ROOT / target).exists(), target
    assert "../" not in README


def test_table_rows_have_as_many_cells_as_their_header_on_github():
    """GitHub splits a row on every `|` not escaped, inside code spans too."""
    for table in re.findall(r"(?:^\|.*\|\n)+", README, re.M):
        rows = table.splitlines()
        cells = [len(re.split(r"(?<!\\)\|", row)) for row in rows]
        assert len(set(cells)) == 1, [row[:60] for row, n in zip(rows, cells, strict=True) if n != cells[0]]


def test_the_screenshot_is_there_and_small():
    shot = ROOT / "docs" / "report.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size < 300_000
    width = int.from_bytes(shot.read_bytes()[16:20], "big")
    assert width == 1440


def test_every_command_it_shows_exists():
    shown = set(re.findall(r"(?:^|[\s`(])forensics ([a-z]+)", README, re.M))
    assert {"analyze", "timeline", "collect", "completion", "fleet", "mcp", "explain"} <= shown
    assert shown <= set(main.commands), shown - set(main.commands)


def test_the_terms_are_defined_once():
    for term in ("label", "rule", "verdict", "confidence"):
        assert len(re.findall(rf"^- \*\*{term}\*\*: ", README, re.M)) == 1, term
