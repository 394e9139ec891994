"""The report's figures (issue 12, item 5): drawn counts add up to the captions, the month
histogram keeps every pregnancy, Kaplan–Meier has its numbers at risk, the forest plot its numeric
columns and panels, and every SVG fits the page (≤ 7 in, text ≥ 9 pt, Okabe–Ito colours)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.result import Analysis
from ovaregen.io.reader import read_dataset
from ovaregen.report.figure_data import Figure, flow_figure, study_figures
from ovaregen.report.figures import MAX_WIDTH, PALETTE, text_width, wrapped
from tests.reconstructions.study_b import write_study_b

DATA = Path(__file__).parents[1] / "reference" / "data"
STUDIES = (
    ("regenera", "regenera-random"),
    ("mensc", "mensc-random"),
    ("ucmsc-rct", "ucmsc-random"),
)
ALLOWED = {c.lower() for c in PALETTE}


@cache
def analyses() -> tuple[Analysis, ...]:
    return tuple(run_plan(plan, read_dataset(DATA / folder)) for plan, folder in STUDIES)


@cache
def all_figures() -> tuple[tuple[str, Figure], ...]:
    made: list[tuple[str, Figure]] = []
    for index, analysis in enumerate(analyses(), start=1):
        stem = f"s{index}-{analysis.plan}"
        flow = flow_figure(analysis, stem)
        assert flow is not None
        made += [(stem, flow), *((stem, f) for f in study_figures(analysis, stem))]
    return tuple(made)


def _study_b(tmp_path: Path) -> Analysis:
    return run_plan("mensc", read_dataset(write_study_b(tmp_path / "b")))


def _svg_text(svg: str) -> str:
    return " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))


def test_every_figure_counts_add_up_to_its_caption() -> None:
    sizes = {f"s{i}-{a.plan}": {p.n for p in a.populations} for i, a in enumerate(analyses(), 1)}
    for stem, figure in all_figures():
        assert figure.tallies, figure.id
        for tally in figure.tallies:
            assert sum(tally.counts.values()) == tally.total, (figure.id, tally)
            stated = figure.caption if not figure.id.endswith("-flow") else figure.svg
            assert f"n = {tally.total}" in stated, (figure.id, tally.what)
            if tally.what in ("analysis population", "primary analysis"):
                assert tally.total in sizes[stem], (figure.id, "every woman accounted for")
        assert figure.id.startswith(stem)
        assert not figure.caption.startswith("Figure")


def test_figure_ids_are_unique_per_study() -> None:
    ids = [figure.id for _, figure in all_figures()]
    assert len(ids) == len(set(ids))


def test_the_month_histogram_keeps_every_pregnancy(tmp_path: Path) -> None:
    analysis = _study_b(tmp_path)
    figure = next(f for f in study_figures(analysis, "s2-mensc") if f.id == "s2-mensc-months")
    (tally,) = figure.tallies
    per_pregnancy = analysis.result("live_birth_rate_per_pregnancy")
    table = analysis.table("pregnancies_by_month").frame
    assert tally.total == 43 == per_pregnancy.extra["denominator"]
    assert tally.total == int(table.get_column("pregnancies").sum())
    assert "n = 43 pregnancies" in figure.caption
    half_months = table.filter(table["months_after_treatment"] == 5.5)
    assert half_months.height, "the reconstruction has the 5.5-month IVF pregnancy"
    whole = table.filter(
        (table["months_after_treatment"] == 5.0) & (table["conception"] == "ivf")
    ).get_column("pregnancies")
    expected = int(half_months.get_column("pregnancies").sum()) + int(whole.sum())
    assert tally.counts["ivf, month 5"] == expected
    assert "5.5 months in bar 5" in figure.caption


def test_kaplan_meier_prints_numbers_at_risk_and_its_counts(tmp_path: Path) -> None:
    analysis = _study_b(tmp_path)
    figure = next(f for f in study_figures(analysis, "s2-mensc") if f.id == "s2-mensc-km")
    result = analysis.result("time_to_pregnancy_km")
    text = _svg_text(figure.svg)
    assert "Number at risk" in text
    assert f"n = {result.n} women" in figure.caption
    assert f"{result.extra['n_events']} pregnant (events)" in figure.caption
    km = analysis.table("time_to_pregnancy_km").frame
    censored = int(km.get_column("n_censor").sum())
    assert f"{censored} censored" in figure.caption
    at_twelve = km.filter(km["time"] >= 12).get_column("n_risk")[0]
    numbers = re.findall(r"<text[^>]*>(\d+)</text>", figure.svg)
    assert str(result.n) in numbers and str(at_twelve) in numbers


def test_forest_plot_has_numeric_columns_panels_and_methods() -> None:
    figure = next(f for _, f in all_figures() if f.id == "s3-ucmsc-rct-forest")
    text = _svg_text(figure.svg)
    assert "Estimate (95% CI)" in text
    assert "Relative risk, log scale" in text and "Risk difference (percentage points)" in text
    assert "Mean difference (follicles)" in text
    for method in ("Newcombe", "Katz", "Welch", "ANCOVA"):
        assert method in figure.caption, method
    assert "primary outcome is in bold" in figure.caption
    result = analyses()[2].result("arm_difference_pregnant")
    assert result.estimate is not None
    pp = f"{100 * result.estimate:.3g}"
    assert any(t.startswith(pp) for t in re.findall(r"<text[^>]*>([^<]*)</text>", figure.svg))


@pytest.mark.parametrize("plan", [plan for plan, _ in STUDIES])
def test_svgs_fit_the_page(plan: str) -> None:
    for stem, figure in all_figures():
        if stem.endswith(plan):
            _fits(figure)


def _fits(figure: Figure) -> None:
    width = float(re.search(r'width="([\d.]+)pt"', figure.svg).group(1))  # type: ignore[union-attr]
    assert width <= MAX_WIDTH * 72 + 0.5, figure.id
    assert "max-width: 100%" in figure.svg and "viewBox" in figure.svg
    sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", figure.svg)]
    assert sizes and min(sizes) >= 9, figure.id
    colours = set(re.findall(r'(?:fill|stroke)(?:: |=")(#[0-9a-fA-F]{6})', figure.svg))
    for colour in colours:
        grey = colour[1:3] == colour[3:5] == colour[5:7]
        assert grey or colour.lower() in ALLOWED, (figure.id, colour)


def test_wrapped_lines_fit_and_keep_every_word() -> None:
    text = "not met: ovarian failure — POR (Bologna), DOR (POSEIDON 3–4), POI (ESHRE 2016): 30"
    lines = wrapped(text, 2.0)
    assert len(lines) > 1
    assert all(text_width(line) <= 2.0 for line in lines)
    assert " ".join(lines) == text
    count = wrapped("Analysed for the primary outcome (n = 145)", 1.8)
    assert len(count) > 1 and count[-1].endswith("(n = 145)")
