"""The report's layout in headless Chromium: at a phone's width (375 px) and a desktop's (1400 px)
the page never scrolls sideways and no figure or diagram is clipped (nor its text cut at its
edge); every link of the table of contents, and every other link inside the document, leads to
an element that exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_report_in_chromium import demo_report, opened

WIDTHS = (375, 1400)
TOLERANCE_PX = 0.5
"""Sub-pixel rounding of bounding boxes."""

CLIPPED_FIGURES = """() => {
  const width = window.innerWidth;
  const clipped = [];
  for (const svg of document.querySelectorAll("svg")) {
    const box = svg.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // inside a closed <details>
    const name = (svg.closest("figure, [id]") || svg).id || "an unnamed svg";
    if (box.left < -TOL || box.right > width + TOL) {
      clipped.push(`${name}: ${Math.round(box.left)}..${Math.round(box.right)} of ${width}`);
      continue;
    }
    for (const text of svg.querySelectorAll("text")) {
      const inner = text.getBoundingClientRect();
      if (inner.width === 0) continue;
      if (inner.left < box.left - TOL || inner.right > box.right + TOL
          || inner.top < box.top - TOL || inner.bottom > box.bottom + TOL) {
        clipped.push(`${name}: the text "${text.textContent}" runs out of its drawing`);
        break;
      }
    }
    for (let up = svg.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX === "visible") continue;
      const frame = up.getBoundingClientRect();
      if (box.left < frame.left - TOL || box.right > frame.right + TOL) {
        const frameName = `${up.tagName.toLowerCase()}.${up.getAttribute("class")}`;
        clipped.push(`${name}: wider than its ${frameName}`);
        break;
      }
    }
  }
  return clipped;
}""".replace("TOL", str(TOLERANCE_PX))

BROKEN_LINKS = """(selector) => {
  const broken = [];
  for (const link of document.querySelectorAll(selector)) {
    const target = decodeURIComponent(link.getAttribute("href").slice(1));
    if (!document.getElementById(target)) broken.push(link.getAttribute("href"));
  }
  return broken;
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_report(tmp_path_factory.mktemp("demo"))


@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_does_not_scroll_sideways_and_no_figure_is_clipped(
    report: Path, width: int
) -> None:
    with opened(report, width=width) as state:
        page = state.page
        scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
        inner_width = page.evaluate("window.innerWidth")
        clipped = page.evaluate(CLIPPED_FIGURES)
        drawn = page.evaluate(
            "[...document.querySelectorAll('figure svg')]"
            ".filter(s => s.getBoundingClientRect().width > 0).length"
        )
        if scroll_width > inner_width:
            wide = page.evaluate(
                """(limit) => [...document.querySelectorAll("body *")]
                  .filter(e => e.getBoundingClientRect().right > limit + 0.5)
                  .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right
                               <= limit + 0.5)
                  .slice(0, 10)
                  .map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.getAttribute("class")}`)""",
                inner_width,
            )
        else:
            wide = []
    assert state.problems == []
    assert drawn >= 6
    assert scroll_width <= inner_width, f"the page scrolls sideways at {width} px: {wide}"
    assert clipped == [], f"clipped at {width} px: {clipped}"


def test_every_contents_link_leads_to_an_element(report: Path) -> None:
    with opened(report) as state:
        page = state.page
        contents = page.locator("nav.toc a[href^='#']").count()
        nested = page.locator("nav.toc ol ol a[href^='#']").count()
        broken_contents = page.evaluate(BROKEN_LINKS, "nav.toc a[href^='#']")
        broken = page.evaluate(BROKEN_LINKS, "a[href^='#']")
    assert contents > 3 * 5  # three studies, each with its sections, and the appendices
    assert nested > 0  # the contents are nested: studies, then their sections
    assert broken_contents == []
    assert broken == [], f"in-document links to nothing: {broken[:20]}"
