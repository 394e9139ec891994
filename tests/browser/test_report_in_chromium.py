"""The study report opens in a real browser: headless Debian Chromium driven by Playwright.

The browser is the system's (``executable_path``; a browser download is impossible here and not
wanted). ``make test`` installs the Debian package ``chromium`` when it is missing. The test opens
the combined report of the three calibrated synthetic cohorts from a file URL with the network
blocked, fails on any console error, page error or request leaving the file, checks that every
figure rendered with a size, and keeps a full-page screenshot beside the report.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ovaregen.demo import demo_steps

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    steps, path = demo_steps(tmp_path_factory.mktemp("demo"))
    for step in steps:
        step.run()
    return path


def test_report_opens_without_console_errors_and_is_screenshotted(report: Path) -> None:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: run `make test` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (only this test needs it)

    problems: list[str] = []
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on(
            "console",
            lambda message: problems.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: problems.append(str(error)))

        def block_outside(route: object) -> None:
            url = route.request.url  # type: ignore[attr-defined]
            if url.startswith("file://"):
                route.continue_()  # type: ignore[attr-defined]
            else:
                outside.append(url)
                route.abort()  # type: ignore[attr-defined]

        page.route("**/*", block_outside)
        page.goto(report.as_uri(), wait_until="load")
        figures = page.locator("svg")
        count = figures.count()
        sizes = [figures.nth(i).bounding_box() for i in range(count)]
        headings = page.locator("h2").all_inner_texts()
        screenshot = report.with_suffix(".png")
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    assert problems == []
    assert outside == []
    assert count >= 6
    assert all(box is not None and box["width"] > 50 and box["height"] > 50 for box in sizes)
    assert any("Regenera" in h for h in headings) and any("NCT05308342" in h for h in headings)
    assert screenshot.stat().st_size > 50_000
