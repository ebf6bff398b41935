"""Golden files: the JSON analysis of each sample, and the example reports in reports/.

Compared byte for byte (the report time is fixed). On a mismatch the actual output is written
to tests/actual/ and its path printed. Rewrite after reviewing a change with:

    make golden        (= pytest tests/test_golden.py --update-golden)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.report import render

from .conftest import GOLDEN, ROOT, SAMPLES

ACTUAL = Path(__file__).resolve().parent / "actual"

# (sample analysed, expected file, format)
GOLDENS = [
    ("upgrade-2.1-to-2.2.tar.gz", GOLDEN / "upgrade-2.1-to-2.2.json", "json"),
    ("ticket-flux-get-hr", GOLDEN / "ticket-flux-get-hr.json", "json"),
    ("upgrade-2.1-to-2.2.tar.gz", ROOT / "reports" / "upgrade-2.1-to-2.2.html", "html"),
    ("upgrade-2.1-to-2.2.tar.gz", ROOT / "reports" / "upgrade-2.1-to-2.2.md", "md"),
    ("ticket-flux-get-hr", ROOT / "reports" / "ticket-flux-get-hr.html", "html"),
]
# Every other sample scenario (one per label family) has a JSON golden and an example report.
SCENARIOS = [
    p.stem
    for p in sorted((SAMPLES / "truth").glob("*.json"))
    if p.stem not in ("upgrade-2.1-to-2.2", "ticket-flux-get-hr")
]
GOLDENS += [(name, GOLDEN / f"{name}.json", "json") for name in SCENARIOS]
GOLDENS += [(name, ROOT / "reports" / f"{name}.html", "html") for name in SCENARIOS]


@pytest.mark.parametrize("sample, expected, fmt", GOLDENS, ids=[str(g[1].relative_to(ROOT)) for g in GOLDENS])
def test_golden(sample, expected, fmt, analyses, update_golden):
    text = render(analyses(SAMPLES / sample).analysis, fmt)
    if update_golden:
        expected.parent.mkdir(parents=True, exist_ok=True)
        expected.write_text(text, encoding="utf-8")
        return
    if not expected.exists() or expected.read_text(encoding="utf-8") != text:
        ACTUAL.mkdir(exist_ok=True)
        actual = ACTUAL / expected.name
        actual.write_text(text, encoding="utf-8")
        pytest.fail(
            f"{expected.relative_to(ROOT)} is out of date; actual output in {actual.relative_to(ROOT)} "
            "(review it, then run `make golden`)"
        )
