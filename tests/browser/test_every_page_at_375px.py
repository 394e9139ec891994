"""Every page of a demo-like clinic in headless Debian Chromium at 1400 and 375 px (issue 13
item 9): no horizontal overflow of the page, each form's submit button reachable, and no submit
button on a data form for a reader who may not save it (monitor, statistician, data manager, the
treatment team on a visit that is not a treatment visit).

The clinic: users of every role, site MAD1, small synthetic cohorts of studies A and C imported;
the pages are found by following the links of each role's pages (a bounded crawl).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from ovaregen.io.writer import write_dataset
from ovaregen.synth import synthesize
from tests.browser.test_clinic_in_chromium import CHROMIUM, PASSWORD, _cli, serving

ROLES = ("coordinator", "investigator", "monitor", "statistician", "data_manager", "treatment")
"""Every role that reads the clinic (admin, who sets it up, is left out to keep it short)."""
READ_ONLY = ("monitor", "statistician", "data_manager")
DATA_FORMS = re.compile(r"/(visits/[^/?#]+|screening|followup|pregnancies|adverse-events|gcsf)")
"""Actions of the forms that save study data."""
WIDTHS = (1400, 375)
PAGES_PER_ROLE = 28
SKIPPED = re.compile(r"/logout|/export|\.zip|\.csv|/api/|/static/|/docs|/openapi")


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("clinic375")
    _cli("site", "add", "--data", str(data), "--code", "MAD1", "--name", "Clinic Madrid")
    for role in ROLES:
        _cli("user", "add", "--data", str(data), "--username", f"w-{role}", "--role", role,
             "--site", "all", "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    for study in ("regenera", "ucmsc-rct"):
        source = tmp_path_factory.mktemp(f"synth-{study}")
        write_dataset(synthesize(study, 20, 13), source)
        _cli("import", "--data", str(data), "--study", study, str(source), "--site", "MAD1")
    yield from serving(data)


def _reachable(page, selector: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Submit buttons that cannot be brought on screen (visible, inside the page's width)."""
    return list(
        page.evaluate(
            """(selector) => {
              const bad = [];
              for (const b of document.querySelectorAll(selector)) {
                b.scrollIntoView({block: "center", inline: "center"});
                const r = b.getBoundingClientRect();
                const hidden = getComputedStyle(b).visibility === "hidden";
                const shown = r.width > 0 && r.height > 0 && !hidden;
                const off = r.left < -1 || r.right > window.innerWidth + 1;
                if (!shown || off) bad.push(b.outerHTML.slice(0, 80));
              }
              return bad;
            }""",
            selector,
        )
    )


def _data_form_buttons(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Actions of data forms that offer a submit button on this page."""
    return list(
        page.evaluate(
            """() => {
              const found = [];
              for (const f of document.querySelectorAll("form[method=post]")) {
                const own = f.querySelector("button[type=submit], button:not([type])");
                const outside = f.id && document.querySelector(`button[form="${f.id}"]`);
                if (own || outside) found.push(new URL(f.action).pathname);
              }
              return found;
            }"""
        )
    )


def test_every_page_fits_375_px_and_read_only_readers_get_read_only_forms(clinic: str) -> None:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: run `make test` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    problems: list[str] = []
    visited = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for role in ROLES:
            context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
            page = context.new_page()
            page.goto(f"{clinic}/login")
            page.fill("input[name=username]", f"w-{role}")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            queue: list[str] = [f"{clinic}/"]
            seen: set[str] = set()
            while queue and len(seen) < PAGES_PER_ROLE:
                url = queue.pop(0)
                if url in seen:
                    continue
                seen.add(url)
                page.set_viewport_size({"width": WIDTHS[0], "height": 900})
                answer = page.goto(url)
                if answer is None or answer.status >= 400:
                    continue
                visited += 1
                links = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
                queue += [
                    link.split("#")[0]
                    for link in links
                    if link.startswith(clinic) and not SKIPPED.search(link)
                ]
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 800})
                    wide = page.evaluate(
                        "() => [document.documentElement.scrollWidth, window.innerWidth]"
                    )
                    if wide[0] > wide[1]:
                        problems.append(f"{role} {width}px {url}: page {wide[0]} px wide")
                    for button in _reachable(page, "main button[type=submit]"):
                        problems.append(f"{role} {width}px {url}: unreachable {button}")
                path = url.removeprefix(clinic)
                data_forms = [a for a in _data_form_buttons(page) if DATA_FORMS.search(a)]
                treatment_visit = "/visits/treatment" in path or "/visits/cell_injection" in path
                if role in READ_ONLY or (role == "treatment" and not treatment_visit):
                    problems += [f"{role} {path}: a save button on {a}" for a in data_forms]
            context.close()
        browser.close()
    assert visited >= 3 * len(ROLES), f"only {visited} pages visited"
    assert problems == [], "\n".join(problems)
