"""In headless Debian Chromium against a real ``ovaregen serve``: the page warns before an
unused session ends, and a form saved after it ended keeps what was typed through the new login,
saving it only on confirmation (issue 10)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.test_clinic_in_chromium import CHROMIUM, PASSWORD, _cli, serving

IDLE_MINUTES = 1
"""The server logs an unused session out after a minute: the warning comes after 30 s."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("clinic")
    _cli("user", "add", "--data", str(data), "--username", "kept-coordinator", "--role",
         "coordinator", "--site", "all", "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    _cli("site", "add", "--data", str(data), "--code", "MAD1", "--name", "Clinic Madrid")
    yield from serving(data, "--session-idle-minutes", str(IDLE_MINUTES))


def test_typed_entries_survive_an_ended_session(server: str) -> None:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: run `make test` (it installs Debian's chromium)")
    from playwright.sync_api import expect, sync_playwright  # noqa: PLC0415

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        context = browser.new_context()
        context.clock.install()  # the page's timers, moved on below instead of waited for
        page = context.new_page()
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on(
            "console",
            lambda m: (
                problems.append(m.text) if m.type == "error" and "401" not in m.text else None
            ),
        )

        def log_in() -> None:
            page.fill("input[name=username]", "kept-coordinator")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")

        page.goto(f"{server}/login")
        log_in()
        expect(page.locator("h1")).to_have_text("Studies")
        page.goto(f"{server}/studies/ucmsc-rct")
        page.click("text=Start screening")
        page.click("a[href$='/screening']")
        page.fill("#in-age_years", "34")
        page.fill("#in-amenorrhea_months", "7")
        page.select_option("#in-married", "true")
        # Half the idle time later the page warns that the session will end, not before: the
        # page's clock jumps (as when a laptop's lid is closed and opened again) instead of the
        # test waiting 30 s.
        page.clock.fast_forward("00:29")
        expect(page.locator("#session-warning")).to_have_count(0)
        page.clock.fast_forward("00:02")
        expect(page.locator("#session-warning")).to_contain_text("save what you typed")
        context.clear_cookies()  # the session has ended (as after the idle time, or a restart)
        page.click("#save")
        expect(page.locator("#kept-login")).to_contain_text("entries are kept")
        log_in()
        expect(page.locator("#kept-entries")).to_contain_text("age_years")
        expect(page.locator("#kept-entries")).to_contain_text("34")
        page.click("#save-kept")
        expect(page.locator("#in-age_years")).to_have_value("34")
        expect(page.locator("main")).to_contain_text("saved (version 1)")
        expect(page.locator("#in-amenorrhea_months")).to_have_value("7")
        browser.close()
    assert problems == [], problems
