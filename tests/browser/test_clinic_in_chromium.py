"""End to end in headless Debian Chromium (Playwright, ``executable_path``) against a real
``ovaregen serve`` process on a fresh data folder: log in, screen with live eligibility, enrol,
randomise (study C), record the four G-CSF days with the titration proposal and the
investigator's decision (study A), follow up, and see the dashboard.

No console error, page error or request to another host is tolerated on any page.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "end to end password"
EXCLUSIONS_C = (
    "karyotype_abnormal", "partner_karyotype_abnormal", "endometriosis", "adenomyosis",
    "ovarian_tumor_history", "uterine_dysplasia", "autoimmune_disease", "serious_illness",
    "hrt_contraindication", "recent_poi_trial", "partner_severe_male_factor",
)  # fmt: skip
EXCLUSIONS_A = (
    "genetic_poi", "autoimmune_poi", "endometriosis", "pelvic_adhesions", "ovaries_inaccessible",
    "hbsag", "anti_hbc", "hcv", "hiv", "syphilis", "lab_abnormality", "product_allergy",
)  # fmt: skip


def fill_eligible_regenera_screening(page: Any) -> None:
    """Study A's screening form filled for an eligible woman (41 years, AMH 0.4 ng/mL, AFC 3,
    two poor-response cycles, consent, no exclusion), and the live verdict says so."""
    from playwright.sync_api import expect  # noqa: PLC0415 - as the tests import it

    page.fill("#in-age_years", "41")
    page.fill("#in-amh_ng_ml", "0.4")
    page.fill("#in-afc", "3")
    page.fill("#in-prior_oocytes_retrieved", "2")
    page.fill("#in-prior_por_cycles", "2")
    page.select_option("#in-consent", "true")
    for condition in EXCLUSIONS_A:
        page.select_option(f"#in-{condition}", "false")
    expect(page.locator("#eligible")).to_have_text("true")


def _cli(*args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "ovaregen", *args], input=stdin, text=True, check=True,
        capture_output=True,
    )  # fmt: skip


def serving(data: Path, *options: str) -> Iterator[str]:
    """A real ``ovaregen serve`` on a free local port of ``data``; yields its address and
    stops it afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "ovaregen", "serve", "--data", str(data), "--port", str(port),
         *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("ovaregen serve did not start")
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("clinic")
    for role in ("admin", "coordinator", "investigator"):
        _cli("user", "add", "--data", str(data), "--username", f"e2e-{role}", "--role", role,
             "--site", "all", "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    _cli("site", "add", "--data", str(data), "--code", "MAD1", "--name", "Clinic Madrid")
    yield from serving(data)


def test_a_clinic_day_in_chromium(server: str, tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: run `make test` (it installs Debian's chromium)")
    from playwright.sync_api import expect, sync_playwright  # noqa: PLC0415

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on(
            "request",
            lambda r: (
                problems.append(f"outside request {r.url}")
                if not r.url.startswith(server)
                else None
            ),
        )

        def log_in(role: str) -> None:
            page.goto(f"{server}/login")
            page.fill("input[name=username]", f"e2e-{role}")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Studies")

        def log_out() -> None:
            page.click("form.who button")
            expect(page.locator("h1")).to_have_text("Log in")

        # The administrator generates study C's concealed allocation list.
        log_in("admin")
        page.goto(f"{server}/studies/ucmsc-rct/randomisation")
        page.click("text=Generate the list")
        expect(page.locator("main")).to_contain_text("block")
        log_out()

        # The coordinator screens a woman for study C; eligibility updates while typing.
        log_in("coordinator")
        page.goto(f"{server}/studies/ucmsc-rct")
        page.click("text=Start screening")
        page.click("a[href$='/screening']")
        expect(page.locator("#eligible")).to_have_text("unknown")
        page.fill("#in-age_years", "32")
        page.select_option("#in-married", "true")
        page.select_option("#in-consent", "true")
        page.fill("#in-amh_ng_ml", "0.1")
        page.fill("#in-afc", "1")
        page.fill("#in-fsh_1_iu_l", "48")
        page.fill("#in-fsh_1_date", "2026-06-01")
        page.fill("#in-fsh_2_iu_l", "52")
        page.fill("#in-fsh_2_date", "2026-08-01")
        page.fill("#in-amenorrhea_months", "8")
        page.select_option("#in-menses", "amenorrhea")
        page.select_option("#in-spontaneous_follicular_activity", "false")
        page.fill("#in-ovary_left_mm", "14")
        page.fill("#in-ovary_right_mm", "15")
        for condition in EXCLUSIONS_C[:-1]:
            page.select_option(f"#in-{condition}", "false")
        expect(page.locator("#eligible")).to_have_text("unknown")  # one exclusion still unknown
        page.select_option(f"#in-{EXCLUSIONS_C[-1]}", "false")
        expect(page.locator("#eligible")).to_have_text("true")  # live, before saving
        page.click("#save")
        expect(page.locator("#eligible")).to_have_text("true")
        page.click(f"a[href='{page.url.rsplit('/', 1)[0]}']".replace(server, ""))
        page.click("#enrol")
        expect(page.locator("#status")).to_contain_text("enrolled")
        page.click("#randomise")  # the confirmation: her code, factors, eligibility, consent
        expect(page.locator("#confirmation")).to_contain_text("recorded")
        page.check("input[name=confirm]")
        page.click("#allocate")
        allocation = page.locator("#allocation")
        expect(allocation).to_contain_text("R-")
        assert "hrt" not in allocation.inner_text().lower()  # the coordinator is blinded

        # Study A: screen, enrol, then the four G-CSF days.
        page.goto(f"{server}/studies/regenera")
        page.click("text=Start screening")
        participant_url = page.url
        page.click("a[href$='/screening']")
        fill_eligible_regenera_screening(page)
        page.click("#save")
        page.goto(participant_url)
        page.click("#enrol")
        expect(page.locator("#status")).to_contain_text("enrolled")
        page.goto(participant_url + "/gcsf")
        doses = {1: "10", 2: "10", 3: "10", 4: "10"}
        leukocytes = {1: "9.5", 2: "28", 3: "41", 4: "52"}
        for day in range(1, 5):
            form = f"[form='day-form-{day}']"
            page.fill(f"input[name=weight_kg]{form}", "62")
            page.fill(f"input[name=gcsf_d{day}_ug_kg]{form}", doses[day])
            page.fill(f"input[name=wbc_d{day}_10e9_l]{form}", leukocytes[day])
            page.select_option(f"select[name=symptoms_d{day}]{form}", "mild")
            page.click(f"button[form='day-form-{day}']")
            expect(page.locator("#gcsf-days")).to_contain_text("620")  # total dose 62 kg × 10
        expect(page.locator("main")).to_contain_text("roposal")
        log_out()

        # The investigator records the clinician's decision on day 1's proposal.
        log_in("investigator")
        page.goto(participant_url + "/gcsf")
        decision = page.locator("form[action$='/gcsf/decision']").first
        decision.locator("button").click()
        expect(page.locator("main")).to_contain_text("e2e-investigator")

        # Follow-up: the schedule's follow-up visit, then the dashboard.
        page.goto(participant_url + "/visits/followup")
        page.fill("#in-afc_post", "7")
        page.fill("#in-amh_post_ng_ml", "0.6")
        page.click("#save")
        expect(page.locator("main")).to_contain_text("aved")
        page.goto(f"{server}/studies/regenera/dashboard")
        expect(page.locator("main")).to_contain_text("nrol")
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        browser.close()
    assert not problems, problems
