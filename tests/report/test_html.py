"""The self-contained HTML study report (issue 4, item 2)."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.result import Analysis
from ovaregen.io.reader import read_dataset
from ovaregen.report.figure_data import number, p_value
from ovaregen.report.html import render_report
from tests.reconstructions.study_a import write_study_a

DATA = Path(__file__).parents[1] / "reference" / "data"
STUDIES = (
    ("regenera", "regenera-random"),
    ("mensc", "mensc-random"),
    ("ucmsc-rct", "ucmsc-random"),
)
EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.IGNORECASE,
)


@cache
def analyses() -> tuple[Analysis, ...]:
    return tuple(run_plan(plan, read_dataset(DATA / folder)) for plan, folder in STUDIES)


@cache
def combined() -> str:
    return render_report(analyses(), published={"regenera": {"activation_rate": "99/145 (68.28%)"}})


def test_no_external_reference() -> None:
    html = combined()
    assert not EXTERNAL.search(html)
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "<img" not in html.lower()
    assert "<!DOCTYPE svg" not in html and "<?xml" not in html


def test_every_section_and_figure_present() -> None:
    html = combined()
    for heading in ("What the study is", "Data quality", "Participant flow", "Results", "Figures"):
        assert html.count(heading) >= 3, heading
    for name in ("Stem Cell Regenera", "MenSC", "NCT05308342"):
        assert name in html
    figures = re.findall(r'<svg class="figure"[^>]*aria-label="([^"]+)"', html)
    assert len(figures) >= 6
    for stem in (
        "s1-regenera-flow",
        "s1-regenera-scatter",
        "s1-regenera-roc_cd34_activation",
        "s1-regenera-roc_wbc_activation",
        "s1-regenera-gcsf",
        "s1-regenera-age_by_activation_box",
        "s2-mensc-flow",
        "s2-mensc-months",
        "s2-mensc-km",
        "s2-mensc-age_by_pregnancy_box",
        "s3-ucmsc-rct-flow",
        "s3-ucmsc-rct-forest",
    ):
        assert stem in figures, stem
    assert "Table 1" in html
    assert '<section id="footnotes"' in html


def test_flow_counts_are_printed() -> None:
    html = combined()
    flow = analyses()[0].table("flow").frame
    for stage in ("recruited", "eligible", "analysed"):
        n = flow.filter(flow["stage"] == stage)["n"].item()
        assert f"(n = {n})" in html


def test_footnotes_name_methods_and_are_referenced() -> None:
    html = combined()
    notes = re.findall(r'<li id="fn(\d+)"', html)
    assert notes and notes == [str(i) for i in range(1, len(notes) + 1)]
    for number_ in notes:
        assert f'href="#fn{number_}"' in html
    for method in ("Yates", "Welch", "DeLong", "Wilson", "Fisher", "Kaplan"):
        assert method in html, method


def test_published_beside_reproduced() -> None:
    html = combined()
    row = re.search(r"<tr>(?:(?!</tr>).)*99/145 \(68\.28%\)(?:(?!</tr>).)*</tr>", html, re.S)
    assert row is not None
    activation = analyses()[0].result("activation_rate")
    reproduced = f"{activation.extra['numerator']}/{activation.extra['denominator']}"
    assert reproduced in row.group(0)
    assert '<th scope="col">Published</th>' in html
    assert "Published</th>" not in render_report(analyses()[:1])


def test_a_synthetic_cohort_states_its_assumptions() -> None:
    chosen = {"ucmsc-rct": ["assumed effect: AFC +2 follicles <in the UC-MSC arm>"]}
    html = render_report(analyses(), assumptions=chosen)
    assert html.count("About this synthetic cohort") == 1
    assert "assumed effect: AFC +2 follicles &lt;in the UC-MSC arm&gt;" in html
    assert "About this synthetic cohort" not in render_report(analyses())


def test_autoescape() -> None:
    hostile = replace(analyses()[2], dataset="<script>alert('x')</script>")
    html = render_report([hostile], title="<b>title</b>")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<b>title</b>" not in html


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (3, "3"),
        (0.123456, "0.123"),
        (12.3456, "12.3"),
        (1234.5, "1\u2009234"),
        (0.00012345, "0.000123"),
    ],
)
def test_number(value: float | None, text: str) -> None:
    assert number(value) == text


def test_p_value() -> None:
    assert p_value(0.0000324) == "< 0.001"
    assert p_value(0.0123) == "0.012"
    assert p_value(1.0) == "> 0.999"
    assert p_value(None) == "—"


def test_a_fresh_run_renders_the_same_combined_report() -> None:
    """Reading, analysing and rendering again gives the same bytes (the time it takes is a
    benchmark: bench/bench_report.py, bar 20 s)."""
    fresh = tuple(run_plan(plan, read_dataset(DATA / folder)) for plan, folder in STUDIES)
    published = {"regenera": {"activation_rate": "99/145 (68.28%)"}}
    assert render_report(fresh, published=published) == combined()


def test_reconstructed_study_a_shows_published_counts(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    write_study_a(folder)
    html = render_report(
        [run_plan("regenera", read_dataset(folder))],
        published={"regenera": {"activation_rate": "99/145 (68.28%)"}},
    )
    for n in (265, 182, 145):
        assert f"(n = {n})" in html
    assert "99/145 (68.28%)</td>" in html
    assert html.count("99/145 (68.28%)") >= 2
