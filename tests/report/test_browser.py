"""The example reports in a real browser: what a reader does with them (filter, sort with the
keyboard, follow a timeline mark to its record) and where each timeline opens.

Screenshots are written to tests/actual/<report>-1440.png for a human to look at.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from forensics.report.html import CONFIDENCE, RANK, verdict_severity

from .conftest import ACTUAL, REPORTS, sample_of

IDS = [r.name for r in REPORTS]


@pytest.mark.parametrize("report", REPORTS, ids=IDS)
def test_report_in_chromium(open_report, report, analyses):
    analysis = analyses(sample_of(report)).analysis
    releases = sorted(v.release for v in analysis.verdicts)
    timed = {e.release for e in analysis.timeline if e.release}
    page = open_report(report, viewport={"width": 1440, "height": 900}).page

    # the triage table lists every release (healthy ones collapsed, but in the table)
    rows = page.locator("table.triage tr[data-release]")
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.release)")) == releases
    visible = lambda: sorted(
        page.locator("table.triage tr[data-release]:visible").evaluate_all("rs => rs.map(r => r.dataset.release)")
    )
    broken = visible()
    assert broken == sorted(v.release for v in analysis.verdicts if not v.healthy)  # healthy ones collapsed
    page.locator("#show-healthy").check()
    assert visible() == releases

    # filtering works, reaches collapsed healthy releases too, and applies to every part that
    # belongs to a release (incident list, plan, release details), not only to the table
    page.locator("#show-healthy").uncheck()
    target = releases[-1]
    page.locator("#filter").fill(target)
    assert visible() == [r for r in releases if target in r]
    for selector in ("details.release", "ol.plan > li[data-release]", "ol.events > li[data-release]"):
        shown = set(page.locator(f"{selector}:visible").evaluate_all("els => els.map(e => e.dataset.release)"))
        assert shown <= {r for r in releases if target in r}, selector
    assert page.locator("details.release:visible").count() == sum(1 for r in releases if target in r)
    page.locator("#filter").fill("no-such-release-anywhere")
    assert visible() == []
    assert (
        page.locator(
            "details.release:visible, ol.plan > li[data-release]:visible, ol.events > li[data-release]:visible"
        ).count()
        == 0
    )
    page.locator("#filter").fill("")
    assert visible() == broken

    # a per-release timeline renders: an SVG with marks, laid out with a real size
    # (a pasted `flux get hr` table has no timestamps: then the report says so instead)
    page.locator("#show-healthy").check()
    assert page.locator("figure.timeline svg").count() == len(timed)
    if timed:
        page.evaluate("document.querySelectorAll('details.release').forEach(d => d.open = true)")
        timeline = page.locator("figure.timeline svg").first
        timeline.scroll_into_view_if_needed()
        box = timeline.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100
        assert timeline.locator(".focus-view .mark").count() > 0
    else:
        assert page.locator("p.none").count() == len(releases)
    page.locator("#show-healthy").uncheck()

    # the ±5 minute slice opens on demand
    slice_ = page.locator("tr.slice details").first
    if slice_.count():
        slice_.locator("summary").click()
        assert slice_.locator("table.records tr").first.is_visible()

    ACTUAL.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ACTUAL / f"{report.stem}-1440.png"))


# Per release timeline: its window, the plot's box, and the box of every link in the opened
# window by target record; and per record-table row: its source:line.
LAYOUT = """() => {
  const figures = {};
  document.querySelectorAll("details.release figure.timeline").forEach(f => {
    const marks = {};
    f.querySelectorAll(".focus-view a").forEach(a => { marks[a.getAttribute("href").slice(1)] = a.getBoundingClientRect().toJSON(); });
    figures[f.closest("details.release").dataset.release] = {start: f.dataset.start, end: f.dataset.end, svg: f.querySelector("svg").getBoundingClientRect().toJSON(), marks};
  });
  const records = [...document.querySelectorAll("table.records tr[id]")].map(r => [r.querySelector("td.cite").textContent, r.id]);
  return {figures, records};
}"""


@pytest.mark.parametrize("report", REPORTS, ids=IDS)
def test_each_timeline_opens_on_its_cited_evidence(open_report, report, analyses):
    """The window a release's timeline opens on holds every cited record with a time, drawn as
    a mark inside the plot, and is at most about twice as wide as their span (plus margins)."""
    from forensics.report.html import _anchor

    analysis = analyses(sample_of(report)).analysis
    page = open_report(report).page
    page.locator("#show-healthy").check()
    page.evaluate("document.querySelectorAll('details.release').forEach(d => d.open = true)")
    layout = page.evaluate(LAYOUT)
    records: dict[str, list[str]] = {}
    for cite, rid in layout["records"]:
        records.setdefault(cite, []).append(rid)
    checked = 0
    for verdict in analysis.verdicts:
        cited = [ev for f in analysis.findings if f.release == verdict.release for ev in f.evidence if ev.ts]
        figure = layout["figures"].get(verdict.release)
        if not cited or not figure:
            continue
        start, end = datetime.fromisoformat(figure["start"]), datetime.fromisoformat(figure["end"])
        first, last = min(ev.ts for ev in cited), max(ev.ts for ev in cited)
        assert start <= first and last <= end, (verdict.release, start, end, first, last)
        span = (last - first).total_seconds()
        assert (end - start).total_seconds() <= 2 * span + 120, (verdict.release, start, end, first, last)
        svg = figure["svg"]
        own = (_anchor(verdict.release) + ".", "ctl.")  # its records and the controller lane's
        for ev in cited:
            ids = [rid for rid in records.get(f"{ev.source}:{ev.line}", []) if rid.startswith(own)]
            if not ids:  # not a record of its timeline (an object's status line, another release's record)
                continue
            boxes = [figure["marks"][rid] for rid in ids if rid in figure["marks"]]
            assert boxes, (verdict.release, ev.source, ev.line)
            assert any(svg["left"] <= b["left"] and b["right"] <= svg["right"] + 1 and b["width"] > 0 for b in boxes)
            checked += 1
    if any(f.evidence for f in analysis.findings) and analysis.timeline:
        assert checked, "no cited record was checked"


def test_a_mark_leads_to_its_record_and_the_whole_window_can_be_shown(open_report):
    page = open_report(next(r for r in REPORTS if r.stem == "v1-controller-crash")).page
    figure = page.locator("#r-monitoring-kube-prometheus-stack figure.timeline")
    mark = figure.locator(".focus-view a .mark.cited").first
    href = mark.locator("xpath=..").get_attribute("href")
    row = page.locator(f'[id="{href[1:]}"]')
    assert not row.is_visible()  # in the collapsed records table
    mark.click()
    assert row.is_visible() and row.locator("td.cite").text_content().count(":") >= 1
    assert page.evaluate("location.hash") == href

    # the whole window: the toggle swaps the opened window for all of it
    assert figure.locator(".whole-view").is_hidden() and figure.locator(".overview").is_visible()
    figure.locator("input.whole-toggle").check()
    assert figure.locator(".focus-view").is_hidden() and figure.locator(".whole-view .mark").count() > 0
    whole = figure.locator(".whole-view .tick").all_text_contents()
    assert whole and whole != figure.locator(".focus-view .tick").all_text_contents()
    figure.locator("input.whole-toggle").uncheck()
    assert figure.locator(".focus-view .mark").first.is_visible()


def _ranks(page, key: str) -> list[int]:
    return page.locator("table.triage tbody.broken-rows tr").evaluate_all(
        f"rs => rs.map(r => Number(r.cells[{key}].dataset.sort))"
    )


@pytest.mark.parametrize(
    "report", [r for r in REPORTS if r.stem in ("v036-failures", "v1-controller-crash")], ids=lambda r: r.name
)
def test_sorting_by_keyboard_follows_severity_and_confidence_order(open_report, report, analyses):
    analysis = analyses(sample_of(report)).analysis
    page = open_report(report).page
    headers = page.locator("table.triage thead th")
    names = headers.all_text_contents()
    severity_col, confidence_col = names.index("Severity"), names.index("Confidence")
    assert headers.nth(severity_col).get_attribute("aria-sort") == "descending"  # as rendered
    expected = {
        v.release: (RANK[verdict_severity(v)], CONFIDENCE.get(v.confidence.value, 0) if v.confidence else 0)
        for v in analysis.verdicts
    }
    rendered = page.locator("table.triage tbody.broken-rows tr").evaluate_all("rs => rs.map(r => r.dataset.release)")
    assert [expected[r][0] for r in rendered] == sorted((expected[r][0] for r in rendered), reverse=True)

    page.locator("#filter").focus()
    for _ in range(12):  # Tab from the filter to the Confidence header
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Confidence":
            break
    else:
        pytest.fail("the Confidence header is not reachable with Tab")
    page.keyboard.press("Enter")
    assert headers.nth(confidence_col).get_attribute("aria-sort") == "descending"
    assert headers.nth(severity_col).get_attribute("aria-sort") is None
    ranks = _ranks(page, confidence_col)
    assert ranks == sorted(ranks, reverse=True)  # high, medium, low: not alphabetical
    order = page.locator("table.triage tbody.broken-rows tr").evaluate_all("rs => rs.map(r => r.dataset.release)")
    assert [expected[r][1] for r in order] == ranks
    page.keyboard.press("Space")
    assert headers.nth(confidence_col).get_attribute("aria-sort") == "ascending"
    assert _ranks(page, confidence_col) == sorted(ranks)

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent") == "Severity"
    page.keyboard.press("Enter")
    assert headers.nth(severity_col).get_attribute("aria-sort") == "descending"  # most severe first
    severities = _ranks(page, severity_col)
    assert severities == sorted(severities, reverse=True)
    page.keyboard.press("Enter")
    assert headers.nth(severity_col).get_attribute("aria-sort") == "ascending"
    severities = _ranks(page, severity_col)
    assert severities == sorted(severities)
    labels = page.locator("table.triage tbody.broken-rows tr td:nth-child(2)").all_text_contents()
    assert len(set(labels)) < 2 or labels != sorted(labels)  # warning before error: by rank, not alphabet
