#!/usr/bin/env python3
"""Take the README's screenshot of the example report: reports/upgrade-2.1-to-2.2.html in
Chromium (Debian's /usr/bin/chromium, through Playwright) at 1440 px wide, the top of the
page, into docs/report.png.

    .venv/bin/python docs/screenshot.py

Run it after `make golden` when the report's look changed. Offline: the report is loaded
from its file and makes no request.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "reports" / "upgrade-2.1-to-2.2.html"
TARGET = ROOT / "docs" / "report.png"
WIDTH, HEIGHT = 1440, 900
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(
            viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1, color_scheme="light"
        )
        page.goto(REPORT.as_uri())
        page.screenshot(path=str(TARGET), clip={"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT})
        browser.close()
    print(f"wrote {TARGET.relative_to(ROOT)} ({TARGET.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
