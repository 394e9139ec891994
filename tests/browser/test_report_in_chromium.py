"""The study report opens in a real browser: headless Debian Chromium driven by Playwright.

The browser is the system's (``executable_path``; a browser download is impossible here and not
wanted). ``make test`` installs the Debian package ``chromium`` when it is missing. The test opens
the combined report of the three calibrated synthetic cohorts from a file URL with the network
blocked, fails on any console error, page error or request leaving the file, checks that every
figure rendered with a size, and keeps a full-page screenshot beside the report.

The helpers here (:func:`demo_report`, :func:`opened`) are shared by the other report tests in
Chromium (``test_report_layout``, ``test_report_numbers``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ovaregen.demo import demo_steps

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Opened:
    """A report open in Chromium, and what went wrong while it was (errors, outside requests)."""

    page: Any
    problems: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


def demo_report(out_dir: Path) -> Path:
    """Run ``make demo``'s steps under ``out_dir``; the combined report's path."""
    steps, path = demo_steps(out_dir)
    for step in steps:
        step.run()
    return path


@contextmanager
def opened(report: Path, width: int = 1280, height: int = 900) -> Iterator[Opened]:
    """``report`` open in headless Chromium at ``width`` × ``height`` CSS pixels, every request
    but the report's own files refused."""
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: run `make test` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (only these tests need it)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height})
        state = Opened(page)
        page.on(
            "console",
            lambda message: (
                state.problems.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: state.problems.append(str(error)))

        def block_outside(route: Any) -> None:
            url = route.request.url
            if url.startswith("file://"):
                route.continue_()
            else:
                state.outside.append(url)
                route.abort()

        page.route("**/*", block_outside)
        page.goto(report.as_uri(), wait_until="load")
        try:
            yield state
        finally:
            browser.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_report(tmp_path_factory.mktemp("demo"))


def test_report_opens_without_console_errors_and_is_screenshotted(report: Path) -> None:
    screenshot = report.with_suffix(".png")
    with opened(report) as state:
        figures = state.page.locator("figure svg")
        count = figures.count()
        sizes = [figures.nth(i).bounding_box() for i in range(count)]
        headings = state.page.locator("section.study > h2").all_inner_texts()
        state.page.screenshot(path=str(screenshot), full_page=True)
    assert state.problems == []
    assert state.outside == []
    assert count >= 6
    assert all(box is not None and box["width"] > 50 and box["height"] > 50 for box in sizes)
    assert any("Regenera" in h for h in headings) and any("NCT05308342" in h for h in headings)
    assert screenshot.stat().st_size > 50_000
