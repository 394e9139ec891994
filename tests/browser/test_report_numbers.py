"""A copied number equals the number: in headless Chromium, the ``innerText`` of every table cell of
the combined demo report, against the results (issue 12).

* every results row of every study, against its study's ``results.json``: the n cell is n, the p
  cell parses back to the p-value rounded as printed, the "Left out" cell the women left out;
* every cell of every printed table is exactly the text the renderer formatted (the document's
  view model), its footnote marks apart;
* no footnote mark sits against a digit, in any table (``0.047`` with mark ``i`` never copies
  as ``0.047i``).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from ovaregen.analysis.plans import run_plan
from ovaregen.demo import DEMO_STUDIES
from ovaregen.domain.protocols import load_protocol
from ovaregen.io.reader import validate_dataset
from ovaregen.report.html import ReportView, build_report
from ovaregen.synth import ASSUMPTIONS
from tests.browser.test_report_in_chromium import demo_report, opened

DASH = "—"
MARKS = "sup, .fn, .mark, .marks, a[href^='#fn']"
"""What renders a footnote mark inside a cell (the outermost such element is the mark)."""

TABLES = """(marks) => {
  const outermost = (cell) => [...cell.querySelectorAll(marks)]
    .filter(m => !m.parentElement.closest(marks) || !cell.contains(m.parentElement.closest(marks)));
  const read = (cell) => {
    const found = outermost(cell);
    const full = cell.innerText;
    const glued = found.filter(m => {
      const before = document.createRange();
      before.setStart(cell, 0);
      before.setEndBefore(m);
      return /\\d$/.test(before.toString());
    }).map(m => `${cell.innerText}`);
    const shown = found.map(m => m.style.display);
    found.forEach(m => { m.style.display = "none"; });
    const text = cell.innerText;
    found.forEach((m, i) => { m.style.display = shown[i]; });
    return {text, full, glued, css: cell.className,
            marks: found.map(m => m.innerText.trim()).filter(t => t)};
  };
  return [...document.querySelectorAll("table")].map(table => ({
    id: (table.closest("[id]") || {id: ""}).id,
    headers: [...table.querySelectorAll("thead th")].map(th => th.innerText.trim()),
    rows: [...table.querySelectorAll("tbody tr")].map(tr => [...tr.children].map(read)),
  }));
}"""


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReportView, list[Any]]:
    """The demo's report, its view model rebuilt from the demo's datasets, and the tables
    as Chromium shows them."""
    out = tmp_path_factory.mktemp("demo")
    report = demo_report(out)
    analyses = []
    for study in DEMO_STUDIES:
        protocol = load_protocol(study)
        checked = validate_dataset(out / study / "dataset", protocol)
        assert checked.dataset is not None
        analyses.append(run_plan(study, checked.dataset, protocol))
    view = build_report(analyses, assumptions=ASSUMPTIONS)
    with opened(report) as state:
        tables = state.page.evaluate(TABLES, MARKS)
    assert state.problems == []
    return report, view, tables


def _results(out: Path, study: str) -> list[dict[str, Any]]:
    document = json.loads((out / study / "analysis" / "results.json").read_text("utf-8"))
    results: list[dict[str, Any]] = document["results"]
    return results


def _p_matches(text: str, p: float | None) -> bool:
    """The printed p-value is the p-value rounded as printed (``< 0.001``, ``> 0.999``)."""
    if p is None or not math.isfinite(p):
        return text == DASH
    if text.startswith("<"):
        return p < float(text.lstrip("< "))
    if text.startswith(">"):
        return p > float(text.lstrip("> "))
    decimals = len(text.partition(".")[2])
    return abs(float(text) - p) <= 0.5 * 10.0**-decimals + 1e-12


def _results_table(tables: list[Any], stem: str) -> dict[str, Any]:
    found = [
        t
        for t in tables
        if t["id"].startswith(stem) and t["headers"][:2] == ["Result", "n"] and "p" in t["headers"]
    ]
    assert found, f"{stem}: no results table"
    table: dict[str, Any] = found[0]
    return table


@pytest.mark.parametrize("index", range(len(DEMO_STUDIES)))
def test_every_results_row_reads_back_as_its_result(
    demo: tuple[Path, ReportView, list[Any]], index: int
) -> None:
    report, view, tables = demo
    study = view.studies[index]
    plan = DEMO_STUDIES[index]
    table = _results_table(tables, study.anchor)
    headers = table["headers"]
    n_at, p_at = headers.index("n"), headers.index("p")
    left_at = headers.index("Left out") if "Left out" in headers else None
    rows = [r for r in table["rows"] if "sub" not in r[0]["css"].split()]
    results = _results(report.parent, plan)
    assert len(rows) == len(results)
    for row, result in zip(rows, results, strict=True):
        where = f"{plan} {result['id']}"
        assert result["title"] in row[0]["text"], where
        n = result["n"]
        assert row[n_at]["text"] == (DASH if n is None else str(n)), where
        assert _p_matches(row[p_at]["text"], result["p_value"]), (where, row[p_at]["text"])
        if left_at is not None:
            left_out = sum(o["count"] for o in result["left_out"])
            assert row[left_at]["text"] == str(left_out), where


def test_every_printed_cell_is_the_text_the_renderer_formatted(
    demo: tuple[Path, ReportView, list[Any]],
) -> None:
    _, view, tables = demo
    shown = {t["id"]: t for t in tables}
    compared = 0
    for study in view.studies:
        for table in study.printed_tables():
            anchor = study.table_anchor(table)
            assert anchor in shown, f"table {anchor} is not in the page"
            rows = shown[anchor]["rows"]
            assert len(rows) == len(table.rows), anchor
            for row, cells in zip(rows, table.rows, strict=True):
                assert len(row) == len(cells), anchor
                for read, cell in zip(row, cells, strict=True):
                    assert _flat(read["text"]) == _flat(cell.text), (anchor, read, cell)
                    assert read["marks"] == list(cell.marks), (anchor, read, cell)
                    compared += 1
    assert compared > 500


def test_no_footnote_mark_is_glued_to_a_number(demo: tuple[Path, ReportView, list[Any]]) -> None:
    _, _, tables = demo
    glued = [(t["id"], g) for t in tables for row in t["rows"] for c in row for g in c["glued"]]
    number_cells = [c for t in tables for row in t["rows"] for c in row if "num" in c["css"]]
    assert len(number_cells) > 200
    marked = [c["full"] for c in number_cells if c["marks"]]
    letter_after_digit = [c["full"] for c in number_cells if re.search(r"\d[a-z]", c["full"])]
    assert glued == [], glued
    assert marked == [], "a number cell carries a footnote mark"
    assert letter_after_digit == []
