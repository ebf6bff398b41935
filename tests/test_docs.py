"""The README's rule catalog is the registry's own (regenerate with `make golden`)."""

from __future__ import annotations

import re

from forensics.rules import catalog_markdown as rules_markdown

from .conftest import ROOT

MARKERS = re.compile(r"(<!-- rules:start[^\n]*-->\n)(.*?)(<!-- rules:end -->)", re.S)


def test_readme_lists_every_rule(update_golden):
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    found = MARKERS.search(text)
    assert found, "README.md lacks the rules markers"
    if update_golden:
        readme.write_text(text[: found.start(2)] + rules_markdown() + text[found.end(2) :], encoding="utf-8")
        return
    assert found.group(2) == rules_markdown(), "README rule catalog is out of date: run `make golden`"
