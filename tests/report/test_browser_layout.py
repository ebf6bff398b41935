"""The example reports at every width and medium: a phone, A4 paper, dark mode; labels that
never overlap, colours that follow severity, and no serious accessibility violation (axe-core,
shipped inside the axe-playwright-python package: nothing is fetched).

Screenshots and PDFs go to tests/actual/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import re

import pytest

from forensics.report.html import label_severity

from .conftest import ACTUAL, REPORTS

IDS = [r.name for r in REPORTS]
A4_WIDTH = round((210 - 2 * 12) / 25.4 * 96)  # px inside the 12 mm margins of the report's @page
OPEN_ALL = "document.querySelectorAll('details').forEach(d => d.open = true)"
# axe-core takes seconds per thousand elements: it checks every kind of part once (the first
# release of each kind opened with all it holds, the controller records, a rule's docs)
OPEN_SOME = """() => {
  const first = [document.querySelector('details.release:not(.healthy)'), document.querySelector('details.release.healthy'),
                 document.querySelector('#incident details'), document.querySelector('details.ruledoc')];
  first.filter(Boolean).forEach(d => { d.open = true; d.querySelectorAll('details').forEach(inner => inner.open = true); });
}"""
AXE_REPORTS = [r for r in REPORTS if r.stem in ("healthy-control", "ticket-flux-get-hr", "v036-failures")]
DARK_REPORTS = [r for r in REPORTS if r.stem in ("healthy-control", "v036-failures")]

# Pairs of overlapping <text> boxes in every visible drawing, and texts that leave their drawing.
OVERLAPS = """() => {
  const found = [];
  document.querySelectorAll("figure svg").forEach(svg => {
    const frame = svg.getBoundingClientRect();
    const boxes = [...svg.querySelectorAll("text")].map(t => [t.textContent, t.getBoundingClientRect()]).filter(([, r]) => r.width > 0);
    boxes.forEach(([text, r], i) => {
      if (r.left < frame.left - 0.5 || r.right > frame.right + 0.5) found.push(["outside", text]);
      boxes.slice(i + 1).forEach(([other, s]) => {
        const w = Math.min(r.right, s.right) - Math.max(r.left, s.left), h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
        if (w > 0.5 && h > 0.5) found.push([text, other]);
      });
    });
  });
  return found;
}"""

# Text drawn in the SVGs against the page background: WCAG contrast ratio of each distinct fill.
SVG_CONTRAST = """() => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const bg = getComputedStyle(document.body).backgroundColor;
  const seen = {};
  document.querySelectorAll("figure svg text").forEach(t => { if (t.getBoundingClientRect().width) { seen[t.getAttribute("class")] = ratio(getComputedStyle(t).fill, bg); } });
  return seen;
}"""


def _serious(page, *rules: str) -> list[str]:
    """axe-core's serious and critical violations on the page (only `rules` when given)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": list(rules)} if rules else {"resultTypes": ["violations"]})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("report", REPORTS, ids=IDS)
def test_no_horizontal_scroll_on_a_phone(open_report, report):
    page = open_report(report, viewport={"width": 390, "height": 844}).page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for box in page.locator("table.triage tbody.broken-rows td.reason").evaluate_all(
        "cs => cs.map(c => c.getBoundingClientRect().toJSON())"
    ):
        assert 0 <= box["left"] and box["right"] <= 390 and box["width"] > 200  # the reason is readable
    ACTUAL.mkdir(exist_ok=True)
    page.screenshot(path=str(ACTUAL / f"{report.stem}-390.png"))
    page.locator("#show-healthy").check()
    page.evaluate(OPEN_ALL)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # every part open, still no scroll


@pytest.mark.parametrize("report", REPORTS, ids=IDS)
def test_printed_on_a4_nothing_is_clipped(open_report, report):
    """Laid out for print at the width inside A4's margins, every drawing fits the page; the PDF
    itself is written for a human to look at."""
    opened = open_report(report, viewport={"width": A4_WIDTH, "height": 1000})
    page = opened.page
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_WIDTH
    boxes = page.locator("figure svg").evaluate_all(
        "ss => ss.map(s => s.getBoundingClientRect().toJSON()).filter(b => b.width)"
    )
    assert len(boxes) >= page.locator("details.release[open] figure.timeline, figure.incident").count()
    for box in boxes:
        assert box["left"] >= 0 and box["right"] <= A4_WIDTH + 0.5, box
    assert page.locator(".whole-toggle:visible, .tools:visible").count() == 0
    ACTUAL.mkdir(exist_ok=True)
    pdf = page.pdf(path=str(ACTUAL / f"{report.stem}.pdf"), prefer_css_page_size=True, print_background=True)
    media = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert media and abs(float(media[1]) - 595.3) < 2 and abs(float(media[2]) - 841.9) < 2  # A4 in points


@pytest.mark.parametrize("report", REPORTS, ids=IDS)
def test_labels_never_overlap(open_report, report):
    page = open_report(report, viewport={"width": 1440, "height": 900}).page
    page.locator("#show-healthy").check()
    page.evaluate(OPEN_ALL)
    assert page.evaluate(OVERLAPS) == []
    page.locator("input.whole-toggle").evaluate_all("bs => bs.forEach(b => b.click())")  # every whole window
    assert page.evaluate(OVERLAPS) == []
    page.set_viewport_size({"width": 390, "height": 844})  # scaled down, the layout holds
    assert page.evaluate(OVERLAPS) == []


def test_colours_follow_severity(open_report):
    """Every chip is coloured by its severity (a label's rule decides it), the same colour for
    one severity wherever it appears and a different one per severity; triage rows too."""
    page = open_report(next(r for r in REPORTS if r.stem == "v036-failures")).page
    page.locator("#show-healthy").check()
    chips = page.locator(".chip[class*='lbl-']").evaluate_all(
        "cs => cs.map(c => [c.className, getComputedStyle(c).backgroundColor, getComputedStyle(c).color])"
    )
    by_severity: dict[str, set] = {}
    for cls, background, colour in chips:
        severity = re.search(r"sev-(\S+)", cls)[1]
        label = re.search(r"lbl-(\S+)", cls)[1]
        if label not in ("healthy", "unexplained") and severity in ("error", "warning", "info"):
            # a verdict's or finding's own severity, or its label's rule's: never a grey chip
            assert severity == label_severity(label) or label == "drift", (label, severity)
        by_severity.setdefault(severity, set()).add((background, colour))
    assert {"error", "info", "ok"} <= set(by_severity)
    assert all(len(colours) == 1 for colours in by_severity.values()), by_severity
    assert len({next(iter(c)) for c in by_severity.values()}) == len(by_severity)  # one colour per severity
    borders = page.locator("table.triage tr[data-release]").evaluate_all(
        "rs => rs.map(r => [r.className.match(/sev-(\\S+)/)[1], getComputedStyle(r.cells[0]).borderLeftColor])"
    )
    assert len({c for s, c in borders if s == "error"}) == 1 and {c for s, c in borders if s == "error"}.isdisjoint(
        {c for s, c in borders if s != "error"}
    )


@pytest.mark.parametrize("report", DARK_REPORTS, ids=lambda r: r.name)
def test_dark_mode_is_readable(open_report, report):
    page = open_report(report, color_scheme="dark").page
    page.locator("#show-healthy").check()
    page.evaluate(OPEN_SOME)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    text = page.evaluate("getComputedStyle(document.body).color")
    assert sum(map(int, re.findall(r"\d+", background)[:3])) < 120 and sum(map(int, re.findall(r"\d+", text)[:3])) > 600
    assert _serious(page, "color-contrast") == []  # what dark mode changes
    assert {cls: ratio for cls, ratio in page.evaluate(SVG_CONTRAST).items() if ratio < 4.5} == {}
    ACTUAL.mkdir(exist_ok=True)
    page.screenshot(path=str(ACTUAL / f"{report.stem}-dark.png"))


@pytest.mark.parametrize("report", AXE_REPORTS, ids=lambda r: r.name)
def test_no_serious_accessibility_violation(open_report, report):
    page = open_report(report, viewport={"width": 1440, "height": 900}).page
    page.locator("#show-healthy").check()
    page.evaluate(OPEN_SOME)
    assert _serious(page) == []
    assert {cls: ratio for cls, ratio in page.evaluate(SVG_CONTRAST).items() if ratio < 4.5} == {}
