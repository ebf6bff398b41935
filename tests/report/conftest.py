"""Chromium for the browser tests: Playwright driving Debian's /usr/bin/chromium, network blocked.

Needs /usr/bin/chromium (`make test` installs it with apt-get when run as root) and the
`playwright` package (the `test` extra); never `playwright install`. Without either, the
browser tests skip.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ..conftest import ROOT, SAMPLES

REPORTS = sorted((ROOT / "reports").glob("*.html"))
ACTUAL = ROOT / "tests" / "actual"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ORIGIN = "http://report.test/"  # the report is served from here by the route below; nothing else is


# Package scope: Playwright's sync API keeps an event loop running on this thread until it
# stops, which later asyncio tests (forensics mcp) cannot share.
@pytest.fixture(scope="package")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip(
            "Chromium not found at /usr/bin/chromium: `make test` installs it as root (apt-get install chromium)"
        )
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as error:  # an unusable Chromium is a missing Chromium
            pytest.skip(f"Chromium at {CHROMIUM} does not start: {error}")
        yield browser
        browser.close()


class Opened:
    """A report open in its own browser context, with what left the page and the script errors."""

    def __init__(self, browser, report: Path, **options) -> None:
        self.report = report
        self.requests: list[str] = []
        self.errors: list[str] = []
        options.setdefault("viewport", {"width": 1280, "height": 900})
        self.context = browser.new_context(service_workers="block", **options)
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        body = report.read_bytes()

        def route(route):
            if route.request.url == ORIGIN + report.name:
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)
            else:
                route.abort("blockedbyclient")

        self.context.route("**/*", route)
        self.page.goto(ORIGIN + report.name, wait_until="load")

    def close(self) -> None:
        self.context.close()
        assert not self.errors, self.errors
        assert self.requests == [ORIGIN + self.report.name], f"requests left the page: {self.requests}"


@pytest.fixture
def open_report(browser):
    opened: list[Opened] = []

    def open_(report: Path, **options) -> Opened:
        opened.append(Opened(browser, report, **options))
        return opened[-1]

    yield open_
    for item in opened:
        item.close()


def sample_of(report: Path) -> Path:
    for candidate in (SAMPLES / report.stem, SAMPLES / f"{report.stem}.tar.gz"):
        if candidate.exists():
            return candidate
    pytest.fail(f"no sample for {report.name}")
