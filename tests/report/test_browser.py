"""The example reports in a real browser: Playwright driving Debian's Chromium, network blocked.

Needs /usr/bin/chromium (`make test` installs it with apt-get when run as root) and the
`playwright` package (the `test` extra); never `playwright install`. Screenshots are written
to tests/actual/<report>.png for a human to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ..conftest import ROOT, SAMPLES

REPORTS = sorted((ROOT / "reports").glob("*.html"))
ACTUAL = ROOT / "tests" / "actual"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ORIGIN = "http://report.test/"  # the report is served from here by the route below; nothing else is


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not found at /usr/bin/chromium: `make test` installs it as root (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as error:  # an unusable Chromium is a missing Chromium
            pytest.skip(f"Chromium at {CHROMIUM} does not start: {error}")
        yield browser
        browser.close()


def _sample_of(report: Path) -> Path:
    for candidate in (SAMPLES / report.stem, SAMPLES / f"{report.stem}.tar.gz"):
        if candidate.exists():
            return candidate
    pytest.fail(f"no sample for {report.name}")


@pytest.mark.parametrize("report", REPORTS, ids=[r.name for r in REPORTS])
def test_report_in_chromium(browser, report, analyses):
    analysis = analyses(_sample_of(report)).analysis
    releases = sorted(v.release for v in analysis.verdicts)
    timed = {e.release for e in analysis.timeline if e.release}
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    body = report.read_bytes()

    def route(route):
        if route.request.url == ORIGIN + report.name:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)
        else:
            route.abort("blockedbyclient")

    context.route("**/*", route)
    page.goto(ORIGIN + report.name, wait_until="load")

    # the triage table lists every release (healthy ones collapsed, but in the table)
    rows = page.locator("table.triage tr[data-release]")
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.release)")) == releases
    visible = lambda: sorted(page.locator("table.triage tr[data-release]:visible").evaluate_all("rs => rs.map(r => r.dataset.release)"))
    broken = visible()
    assert broken == sorted(v.release for v in analysis.verdicts if not v.healthy)  # healthy ones collapsed
    page.locator("#show-healthy").check()
    assert visible() == releases

    # filtering works, and reaches collapsed healthy releases too
    page.locator("#show-healthy").uncheck()
    target = releases[-1]
    page.locator("#filter").fill(target)
    assert visible() == [r for r in releases if target in r]
    page.locator("#filter").fill("no-such-release-anywhere")
    assert visible() == []
    page.locator("#filter").fill("")
    assert visible() == broken

    # sorting by the Release column
    page.locator("table.triage th", has_text="Release").click()
    order = page.locator("table.triage tbody.broken-rows tr").evaluate_all("rs => rs.map(r => r.dataset.release)")
    assert order == sorted(order, key=str.lower) or order == sorted(order)

    # a per-release timeline renders: an SVG with marks, laid out with a real size
    # (a pasted `flux get hr` table has no timestamps: then the report says so instead)
    page.locator("#show-healthy").check()
    assert page.locator("figure.timeline svg").count() == len(timed)
    if timed:
        timeline = page.locator("details.release[open] figure.timeline svg, details.release.healthy figure.timeline svg").first
        page.evaluate("document.querySelectorAll('details.release').forEach(d => d.open = true)")
        timeline.scroll_into_view_if_needed()
        box = timeline.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100
        assert timeline.locator("circle.mark, rect.mark").count() > 0
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
    page.screenshot(path=str(ACTUAL / f"{report.stem}.png"), full_page=True)
    context.close()

    assert not errors, errors
    assert requests == [ORIGIN + report.name], f"requests left the page: {requests}"
