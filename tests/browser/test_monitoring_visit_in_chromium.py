"""A monitoring visit end to end in headless Debian Chromium at 1400 and 375 px (issue 13,
Tests: "a person will run a monitoring visit (queries, SDV, signature, lock) in a real
browser"), against a real ``ovaregen serve`` on a fresh data folder of two sites.

Each person has her own login (``ovaregen user add --site CODE``) and her own browser window:
a coordinator at MAD1 and one at BCN1, an investigator at MAD1, and a monitor and a data
manager who look after both sites. The MAD1 coordinator screens and enrols a woman of study A
and never sees BCN1's woman; the monitor raises a query on her AMH, the coordinator answers
it changing the value with a reason, the monitor closes it and marks the form verified; the
investigator signs the casebook with her password; a later change shows the signature broken
and the mark cleared; the data manager locks the casebook (the form reads only, a save is
refused 423) and unlocks it (docs/gcp-queries.md, gcp-sdv.md, gcp-locks.md).

What a person sees is asserted on each page. On every page no part is wider than the window,
and every button or link pressed is scrolled on screen and not covered; no console error,
page error or request to another host is tolerated, but for the refusals the walk asks for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.test_clinic_in_chromium import (
    CHROMIUM,
    PASSWORD,
    fill_eligible_regenera_screening,
    serving,
)

STUDY = "regenera"
WIDTHS = (1400, 375)
PEOPLE = {
    "mad-coordinator": ("coordinator", ("MAD1",), "Marta Ruiz"),
    "bcn-coordinator": ("coordinator", ("BCN1",), "Berta Vidal"),
    "investigator-lopez": ("investigator", ("MAD1",), "Dr Ana López"),
    "monitor-ana": ("monitor", ("MAD1", "BCN1"), "Ana Monitor"),
    "data-manager-dana": ("data_manager", ("MAD1", "BCN1"), "Dana Data"),
}
"""Username → role, sites and printed name: the site staff at their own site, the monitor
and the data manager at each site they look after (nobody is given ``all``)."""
STUDY_LINK = f"main a[href='/studies/{STUDY}']"
"""The study's link on the home page and in each page's breadcrumbs."""
SCREENING_FORM = "#visits a[href$='/visits/screening']"
"""Her screening form's row in the casebook's list of forms."""
UTC_TIME = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC"
REACHABLE = """(b) => {
  b.scrollIntoView({block: "center", inline: "center"});
  const boxes = [...b.getClientRects()].filter(r => r.width > 0 && r.height > 0);
  if (!boxes.length || getComputedStyle(b).visibility === "hidden") return "not shown";
  for (const r of boxes)
    if (r.left < -1 || r.right > window.innerWidth + 1)
      return `off screen: ${Math.round(r.left)}–${Math.round(r.right)} px of ${window.innerWidth}`;
  const hits = boxes.map(r =>
    document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
  if (!hits.some(hit => hit === b || b.contains(hit)))
    return `covered by ${hits[0] ? hits[0].outerHTML.slice(0, 80) : "nothing"}`;
  return "";
}"""
"""Why a button or link cannot be pressed once scrolled into view ("" when it can): each of
its line boxes inside the window, and the middle of one of them not covered by another."""
LOCKED_SAVE = """async ([study, code]) => {
  const token = document.querySelector("input[name=csrf_token]").value;
  const answer = await fetch(`/api/studies/${study}/participants/${code}/visits/screening`, {
    method: "PUT",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
    body: JSON.stringify({values: {afc: 9}, version: 3, reason: "saved anyway"}),
  });
  return [answer.status, await answer.json()];
}"""
"""A save of her screening form through the API from the coordinator's page."""


def _ovaregen(*args: str, stdin: str | None = None) -> None:
    """Run an ``ovaregen`` command in this process (the command line's own command, without a
    second interpreter's start-up), failing with its output if it fails."""
    from typer.testing import CliRunner  # noqa: PLC0415

    from ovaregen.cli import app  # noqa: PLC0415

    result = CliRunner().invoke(app, list(args), input=stdin)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("monitoring")
    _ovaregen("site", "add", "--data", str(data), "--code", "MAD1", "--name", "Clinic Madrid")
    _ovaregen("site", "add", "--data", str(data), "--code", "BCN1", "--name", "Clinic Barcelona")
    for username, (role, sites, name) in PEOPLE.items():
        at = [option for site in sites for option in ("--site", site)]
        _ovaregen("user", "add", "--data", str(data), "--username", username, "--role", role,
                  "--name", name, *at, "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    yield from serving(data)


class Walk:
    """The people of the visit, each in her own browser window of one width, logged in on
    first use; every page they see and every button they press is checked as it comes."""

    def __init__(self, browser: Any, server: str, width: int) -> None:
        self.browser = browser
        self.server = server
        self.width = width
        self.pages: dict[str, Any] = {}
        self.page: Any = None
        self.problems: list[str] = []
        self.refusals: dict[str, str] = {}
        """URL → status of the refusals the walk asks for (another site's woman, a locked
        save): the browser logs each as a failed load, which is right there."""

    def person(self, username: str) -> Any:
        """Her window, on the Studies page; she logs in the first time."""
        from playwright.sync_api import expect  # noqa: PLC0415

        if username in self.pages:
            self.page = self.pages[username]
            self.go("/")
        else:
            self.page = self.pages[username] = self._window()
            self.go("/login")
            self.page.fill("input[name=username]", username)
            self.page.fill("input[name=password]", PASSWORD)
            self.press(self.page.locator("main button[type=submit]"))
        expect(self.page.locator("h1")).to_have_text("Studies")
        expect(self.page.locator("form.who")).to_contain_text(username)
        return self.page

    def _window(self) -> Any:
        page = self.browser.new_context(viewport={"width": self.width, "height": 800}).new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on(
            "request",
            lambda r: (
                self.problems.append(f"outside request {r.url}")
                if not r.url.startswith(self.server)
                else None
            ),
        )
        return page

    def _console(self, message: Any) -> None:
        url = message.location.get("url", "")
        refused = url in self.refusals and f"status of {self.refusals[url]}" in message.text
        if message.type == "error" and not refused:
            self.problems.append(f"{message.text} ({url})")

    def fits(self) -> None:
        """The page is no wider than the window (at 375 px nothing scrolls sideways)."""
        wide, window = self.page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        if wide > window:
            self.problems.append(f"{self.width}px {self.page.url}: page {wide} px wide")

    def press(self, locator: Any) -> None:
        """Scroll the button (or link) into view, check it can be pressed there, press it."""
        from playwright.sync_api import expect  # noqa: PLC0415

        self.fits()
        expect(locator).to_have_count(1)
        trouble = locator.evaluate(REACHABLE)
        if trouble:
            html = locator.evaluate("b => b.outerHTML.slice(0, 80)")
            self.problems.append(f"{self.width}px {self.page.url}: {html} {trouble}")
        locator.click()
        self.page.wait_for_load_state()
        self.fits()

    def one_line(self, locator: Any) -> None:
        """A participant code is read whole: never broken into "MAD1-" / "0001"."""
        lines = locator.evaluate("a => a.getClientRects().length")
        if lines != 1:
            text = locator.inner_text()
            self.problems.append(f"{self.width}px {self.page.url}: {text!r} on {lines} lines")

    def beside_its_words(self, box: Any) -> None:
        """A tick box sits before its words, on their line (not stretched to a row above)."""
        placed = box.evaluate(
            """(box) => {
              const words = document.createRange();
              words.selectNodeContents(box.closest("label"));
              words.setStartAfter(box);
              const b = box.getBoundingClientRect(), w = words.getBoundingClientRect();
              return [Math.round(b.width), Math.abs((b.top + b.bottom - w.top - w.bottom) / 2)];
            }"""
        )
        if placed[0] > 40 or placed[1] > 10:
            self.problems.append(f"{self.width}px {self.page.url}: tick box {placed} off its words")

    def go(self, path: str) -> Any:
        answer = self.page.goto(self.server + path)
        self.fits()
        return answer

    def log_out_everyone(self) -> None:
        from playwright.sync_api import expect  # noqa: PLC0415

        for page in self.pages.values():
            self.page = page
            self.go("/")
            self.press(self.page.locator("form.who button"))
            expect(self.page.locator("h1")).to_have_text("Log in")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_monitoring_visit_in_chromium(clinic: str, width: int) -> None:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: run `make test` (it installs Debian's chromium)")
    from playwright.sync_api import expect, sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        walk = Walk(browser, clinic, width)

        # 1. BCN1's coordinator starts screening a woman at her site.
        page = walk.person("bcn-coordinator")
        walk.press(page.locator(STUDY_LINK))
        walk.press(page.get_by_role("button", name="Start screening"))
        bcn_code = page.locator("#summary td").first.inner_text()
        assert bcn_code.startswith("BCN1-"), bcn_code
        expect(page.locator("#summary")).to_contain_text("BCN1 — Clinic Barcelona")

        # The MAD1 coordinator screens her woman: eligibility live, then saved; she enrols her.
        page = walk.person("mad-coordinator")
        walk.press(page.locator(STUDY_LINK))
        expect(page.locator("#scope")).to_contain_text("Your sites only: MAD1")
        walk.press(page.get_by_role("button", name="Start screening"))
        code = page.locator("#summary td").first.inner_text()
        assert code.startswith("MAD1-"), code
        casebook = page.url.removeprefix(clinic)
        walk.press(page.locator(SCREENING_FORM))
        fill_eligible_regenera_screening(page)
        walk.press(page.locator("#save"))
        expect(page.locator("#flash")).to_have_text("saved (version 1)")
        walk.press(page.get_by_role("link", name=code))
        walk.press(page.locator("#enrol"))
        expect(page.locator("#status")).to_contain_text("enrolled")

        # She never sees BCN1's woman: not in the list, not found by search, her page 404.
        walk.press(page.locator(STUDY_LINK).first)
        expect(page.locator("#participants")).to_contain_text(code)
        expect(page.locator("#participants")).not_to_contain_text("BCN1")
        walk.one_line(page.locator("#participants a", has_text=code))
        page.fill("#search input[name=q]", bcn_code)
        walk.press(page.locator("#search button"))
        expect(page.locator("#participants")).to_contain_text("Nobody matches this search.")
        other = f"/studies/{STUDY}/participants/{bcn_code}"
        walk.refusals[clinic + other] = "404"
        answer = walk.go(other)
        assert answer is not None and answer.status == 404
        expect(page.locator("h1")).to_have_text("Not found")
        expect(page.locator("main")).not_to_contain_text("Clinic Barcelona")
        walk.press(page.locator("#back"))

        # 2. The monitor opens her casebook and raises a query on her AMH.
        page = walk.person("monitor-ana")
        walk.press(page.locator(STUDY_LINK))
        expect(page.locator("#participants")).to_contain_text(bcn_code)  # both her sites
        walk.one_line(page.locator("#participants a", has_text=code))
        walk.one_line(page.locator("#participants a", has_text=bcn_code))
        walk.press(page.get_by_role("link", name=code))
        expect(page.locator("h1")).to_have_text(f"Participant {code}")
        expect(page.locator("#queries-open")).to_have_text("0 open")
        raising = page.locator("#raise-form")
        raising.locator("select[name=visit]").select_option("screening")
        raising.locator("input[name=variable]").fill("amh_ng_ml")
        raising.locator("input[name=message]").fill("AMH 0.4 here; the lab report says 0.5")
        walk.press(page.locator("#raise-query"))
        expect(page.locator("#flash")).to_have_text("query raised")
        expect(page.locator("h1")).to_contain_text("(open)")
        query_url = page.url.split("?")[0].removeprefix(clinic)
        query_id = query_url.rsplit("/", 1)[1]
        expect(page.locator("#value-when-raised")).to_have_text("0.4")
        expect(page.locator("#thread")).to_contain_text("AMH 0.4 here; the lab report says 0.5")
        expect(page.locator("#thread")).to_contain_text("raise by monitor-ana (monitor)")
        expect(page.locator("#answer-form")).to_have_count(0)  # the monitor changes no value

        # 3. The coordinator sees it among the raised queries and beside the field, and
        # answers it, changing the value with a reason for change.
        page = walk.person("mad-coordinator")
        walk.press(page.locator(STUDY_LINK))
        walk.press(page.locator("nav.tabs a", has_text="Data queries"))
        walk.press(page.locator("nav.tabs a", has_text="Raised queries"))
        row = page.locator("#raised-queries tr", has=page.locator(f"a[href='{query_url}']"))
        expect(row).to_contain_text(code)
        expect(row.locator(".state")).to_have_text("open")
        expect(row).to_contain_text("AMH 0.4 here")
        walk.one_line(row.locator("a", has_text=code))
        walk.press(row.locator("a", has_text=code))
        expect(page.locator("#queries-open")).to_have_text("1 open")
        walk.press(page.locator(SCREENING_FORM))
        marker = page.locator("#field-amh_ng_ml .query-marker")
        expect(marker).to_have_text(f"query #{query_id} open")
        walk.press(marker)
        expect(page.locator("h1")).to_contain_text(f"Query #{query_id}")
        page.fill("#answer-message", "Typing slip: the lab report says 0.5")
        walk.beside_its_words(page.locator("#answer-change"))
        page.check("#answer-change")
        page.fill("#answer-value", "0.5")
        page.fill("#answer-reason", "transcription error, corrected from the lab report")
        walk.press(page.locator("#answer"))
        expect(page.locator("#flash")).to_have_text("answer saved")
        expect(page.locator("#state")).to_contain_text("answered")
        expect(page.locator("#value-now")).to_have_text("0.5")
        expect(page.locator("#thread")).to_contain_text("value changed: 0.4 → 0.5")

        # 4. The monitor sees the answer and the new value, closes the query, and marks the
        # screening form verified against the source.
        page = walk.person("monitor-ana")
        walk.go(casebook)
        expect(page.locator("#queries-answered")).to_have_text("1 answered")
        walk.press(page.locator("#queries-panel a", has_text="raised queries"))
        walk.press(page.locator(f"#raised-queries a[href='{query_url}']"))
        expect(page.locator("#value-now")).to_have_text("0.5")
        expect(page.locator("#thread")).to_contain_text("Typing slip: the lab report says 0.5")
        expect(page.locator("#thread")).to_contain_text("answer by mad-coordinator (coordinator)")
        expect(page.locator("#thread")).to_contain_text("value changed: 0.4 → 0.5")
        page.fill("#close-message", "matches the source")
        walk.press(page.locator("#close"))
        expect(page.locator("#flash")).to_have_text("query closed")
        expect(page.locator("h1")).to_contain_text("(closed)")
        walk.press(page.locator("#query-summary a", has_text=code))
        expect(page.locator("#queries-closed")).to_have_text("1 closed")
        expect(page.locator("#sdv-screening")).to_contain_text("not verified against source")
        walk.press(page.locator(SCREENING_FORM))
        expect(page.locator("#in-amh_ng_ml")).to_have_value("0.5")
        expect(page.locator("#save")).to_have_count(0)  # the monitor enters no data
        walk.press(page.locator("#verify"))
        verified = re.compile(rf"verified by monitor-ana on {UTC_TIME} \(version 2\)")
        expect(page.locator("#form-verification")).to_contain_text(verified)
        expect(page.locator("#verify")).to_have_count(0)
        walk.press(page.get_by_role("link", name=code))
        expect(page.locator("#sdv-screening")).to_contain_text(verified)
        expect(page.locator("#sdv-screening button")).to_have_count(0)
        expect(page.locator("#sign")).to_have_count(0)  # the monitor does not sign

        # 5. The investigator signs the casebook by typing her password again; the signature
        # shows her printed name and username (docs/gcp-sdv.md).
        page = walk.person("investigator-lopez")
        walk.go(casebook)
        expect(page.locator("#signatures")).to_contain_text("Not signed.")
        page.select_option("#casebook-meaning", "reviewed and approved")
        page.fill("#casebook-password", PASSWORD)
        walk.press(page.locator("#sign"))
        signature = page.locator("#signature-states li").first
        expect(signature).to_contain_text(
            re.compile(rf"^Casebook: signed by Dr Ana López \(investigator-lopez\) on {UTC_TIME}")
        )
        expect(signature).to_contain_text("meaning: reviewed and approved")
        expect(signature).to_contain_text(re.compile(r"valid$"))

        # A later change by the coordinator breaks the signature and clears the mark.
        page = walk.person("mad-coordinator")
        walk.go(casebook)
        walk.press(page.locator(SCREENING_FORM))
        page.fill("#in-afc", "4")
        page.fill("#reason", "AFC recounted on the scan")
        walk.press(page.locator("#save"))
        expect(page.locator("#flash")).to_have_text("saved (version 3)")
        expect(page.locator("#form-verification")).to_contain_text("verification cleared")
        walk.press(page.get_by_role("link", name=code))
        cleared = page.locator("#sdv-screening")
        expect(cleared).to_contain_text("verification cleared: changed by mad-coordinator")
        expect(cleared).to_contain_text("after verification by monitor-ana")
        expect(cleared).to_contain_text("(version 2 → 3)")
        expect(page.locator("#signature-states li").first).to_contain_text(
            "broken: values changed since signing: Screening version 2 → 3"
        )

        # 6. The data manager locks her casebook with a reason.
        page = walk.person("data-manager-dana")
        walk.go(casebook)
        expect(page.locator("#locks")).to_contain_text("Nothing of hers is locked.")
        page.fill("#casebook-lock-form input[name=reason]", "monitoring visit done, clean")
        walk.press(page.locator("#casebook-lock-form button"))
        expect(page.locator("#casebook-lock")).to_contain_text(
            re.compile(
                rf"Her casebook is locked by data-manager-dana on {UTC_TIME} "
                r"\(reason: monitoring visit done, clean\)"
            )
        )

        # The coordinator sees the form read-only, and a save is refused 423.
        page = walk.person("mad-coordinator")
        walk.go(casebook)
        expect(page.locator("#casebook-lock")).to_contain_text("data-manager-dana")
        walk.press(page.locator(SCREENING_FORM))
        expect(page.locator("#lock-notice")).to_contain_text(
            re.compile(
                r"The casebook of participant MAD1-\d+ is locked by data-manager-dana "
                rf"since {UTC_TIME}"
            )
        )
        expect(page.locator("#lock-notice")).to_contain_text("monitoring visit done, clean")
        expect(page.locator("#save")).to_have_count(0)
        expect(page.locator("#in-afc")).to_be_disabled()
        walk.refusals[f"{clinic}/api/studies/{STUDY}/participants/{code}/visits/screening"] = "423"
        status, body = page.evaluate(LOCKED_SAVE, [STUDY, code])
        assert status == 423, body
        assert "locked by data-manager-dana" in body["detail"], body
        assert "nothing was saved" in body["detail"], body
        crafted = page.request.post(
            f"{clinic}{casebook}/screening",
            form={
                "csrf_token": page.locator("input[name=csrf_token]").first.input_value(),
                "version": "3", "afc": "9", "reason": "a crafted form post",
            },
        )  # fmt: skip
        assert crafted.status == 423, crafted.status
        assert "locked by data-manager-dana" in crafted.text()
        page.reload()
        expect(page.locator("#in-afc")).to_have_value("4")  # nothing was saved

        # 7. The data manager unlocks it with a reason; the history keeps both.
        page = walk.person("data-manager-dana")
        walk.go(casebook)
        page.fill("#casebook-lock-form input[name=reason]", "query on a value reopened")
        walk.press(page.locator("#casebook-lock-form button", has_text="Unlock her casebook"))
        expect(page.locator("#locks")).to_contain_text("Nothing of hers is locked.")
        walk.press(page.locator("#locks summary"))
        history = page.locator("#lock-history")
        expect(history).to_contain_text("by data-manager-dana: monitoring visit done, clean")
        expect(history).to_contain_text("by data-manager-dana: query on a value reopened")

        # The coordinator can save her form again.
        page = walk.person("mad-coordinator")
        walk.go(casebook + "/screening")
        expect(page.locator("#lock-notice")).to_have_count(0)
        expect(page.locator("#save")).to_be_enabled()
        walk.log_out_everyone()
        browser.close()
    assert walk.problems == [], "\n".join(walk.problems)
