"""The publication tables: results, effects, reproduction, completeness and every other table,
on the three demo analyses (synthesise → write → validate → run the plan, as ``ovaregen.demo``)."""

from __future__ import annotations

import re
import tempfile
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from ovaregen.analysis.left_out import total
from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.result import Analysis, LeftOut, Result, Table
from ovaregen.domain.protocols import load_protocol
from ovaregen.io.reader import validate_dataset
from ovaregen.io.writer import write_dataset
from ovaregen.report.labels import is_machine_table
from ovaregen.report.tables_view import (
    completeness_view,
    effects_view,
    reproduction_view,
    results_view,
    table_view,
)
from ovaregen.report.views import (
    DASH,
    Cell,
    Footnotes,
    TableView,
    interval_text,
    letters,
    p_text,
    plain,
)
from ovaregen.synth import PUBLISHED_SIZE, synthesize

STUDIES = ("regenera", "mensc", "ucmsc-rct")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
WORDS_P = {"< 0.001", "> 0.999"}


@cache
def demo_analysis(study: str) -> Analysis:
    """The demo's analysis of ``study`` (seed 2026, the published size)."""
    with tempfile.TemporaryDirectory() as folder:
        write_dataset(synthesize(study, PUBLISHED_SIZE[study], 2026), folder)
        protocol = load_protocol(study)
        report = validate_dataset(Path(folder), protocol)
        assert report.dataset is not None
        return run_plan(study, report.dataset, protocol)


def all_views(analysis: Analysis, notes: Footnotes) -> list[TableView]:
    return [
        results_view(analysis, notes),
        effects_view(analysis, notes),
        *(table_view(t, notes) for t in analysis.tables),
    ]


def _percent(text: str) -> float:
    assert text.endswith("%"), text
    return float(text.removesuffix("%"))


# --- cells ------------------------------------------------------------------------------------


@pytest.mark.parametrize("study", STUDIES)
def test_every_number_cell_is_plain_digits_and_has_no_footnote(study: str) -> None:
    for view in all_views(demo_analysis(study), Footnotes()):
        for row in view.rows:
            assert len(row) == len(view.headers), view.id
            for cell in row:
                if cell.numeric:
                    assert not cell.marks, (view.id, cell)
                if "num" not in cell.css.split():
                    continue
                text = cell.text
                if text in (DASH, "", *WORDS_P):
                    continue
                if text.endswith("%"):
                    text = text.removesuffix("%")
                assert NUMBER.fullmatch(text), (view.id, cell.text)
                float(text)


def test_a_footnote_on_a_number_cell_is_refused() -> None:
    with pytest.raises(ValueError, match="footnote"):
        Cell("0.047", "a", "num")
    assert Cell("Age", "a", "label", ("b", "a")).marks == ("a", "b")


def test_plain_numbers_have_no_thousands_separator_and_no_exponent() -> None:
    assert plain(33340) == "33340"
    assert plain(252522.4) == "252522"
    assert plain(0.000003841) == "0.00000384"
    assert plain(-0.3104) == "-0.310"
    assert interval_text(0.6031, 0.7530, 100.0, "%") == "60.31% to 75.30%"
    assert p_text(0.0479) == "0.048" and p_text(0.0004) == "< 0.001"


# --- footnotes ----------------------------------------------------------------------------------


def test_footnotes_are_letters_one_per_method_and_defining_options() -> None:
    notes = Footnotes()
    a = notes.cite("Rate per unit, exact Poisson", {"interval": "Garwood", "count": 32})
    b = notes.cite("Rate per unit, exact Poisson", {"interval": "Garwood", "count": 12})
    c = notes.cite("Welch Two Sample t-test")
    d = notes.cite("Welch Two Sample t-test", {"equal_var": False})
    e = notes.cite("Welch Two Sample t-test")
    f = notes.cite("Welch Two Sample t-test", {"equal_var": True})
    assert (a, b, c, d, e, f) == ("a", "a", "b", "b", "b", "c")
    assert [mark for mark, _ in notes.items] == ["a", "b", "c"]
    assert notes.items[1][1] == "Welch Two Sample t-test. Options: equal var: no"
    assert "count" not in notes.items[0][1]
    assert notes.note("a warning") == "d" == notes.note("a warning")
    assert [letters(i) for i in (0, 25, 26, 27, 51, 52)] == ["a", "z", "aa", "ab", "az", "ba"]


def test_the_demo_report_has_one_footnote_per_method_and_option_set() -> None:
    notes = Footnotes()
    for study in STUDIES:
        all_views(demo_analysis(study), notes)
    texts = [text for _, text in notes.items]
    assert len(texts) == len(set(texts))
    methods = [text.split(". Options:")[0] for text in texts]
    proportion = [m for m in methods if m.startswith("Proportion with Wilson")]
    assert len(proportion) == 1
    ancova = [m for m in methods if m.startswith("ANCOVA")]
    assert len(ancova) <= 1


# --- the results table ---------------------------------------------------------------------------


def _main_rows(view: TableView, analysis: Analysis) -> dict[str, list[Cell]]:
    """The rows of the results themselves (not their indented sub-rows), by result id."""
    rows = [row for row in view.rows if "sub" not in row[0].css.split()]
    assert len(rows) == len(analysis.results)
    return {result.id: row for result, row in zip(analysis.results, rows, strict=True)}


@pytest.mark.parametrize("study", STUDIES)
def test_results_rows_carry_n_estimate_interval_p_and_left_out(study: str) -> None:
    analysis = demo_analysis(study)
    view = results_view(analysis, Footnotes())
    assert view.headers == ["Result", "n", "Estimate", "95% CI", "p", "Left out"]
    rows = _main_rows(view, analysis)
    for result in analysis.results:
        label, n, estimate, ci, p, left = rows[result.id]
        assert label.marks, result.id  # the method's letter
        assert float(n.text) == result.n
        assert p.text == p_text(result.p_value)
        assert int(left.text) == total(result.left_out)
        if result.extra.get("numerator") is not None and result.extra.get("kind") != "count_rate":
            share, counts = estimate.text.split(" ")
            assert _percent(share) == pytest.approx(100 * (result.estimate or 0), abs=0.005)
            numerator, denominator = counts.strip("()").split("/")
            assert (int(numerator), int(denominator)) == (
                result.extra["numerator"],
                result.extra["denominator"],
            )
            if result.ci_low is not None:
                low, high = (_percent(part) for part in ci.text.split(" to "))
                assert low == pytest.approx(100 * result.ci_low, abs=0.005)
                assert high == pytest.approx(100 * (result.ci_high or 0), abs=0.005)


def test_each_kind_of_estimate_carries_its_unit() -> None:
    texts = {
        id: row[2].text
        for study in STUDIES
        for id, row in _main_rows(
            results_view(demo_analysis(study), Footnotes()), demo_analysis(study)
        ).items()
    }
    assert texts["activation_rate"] == "68.28% (99/145)"
    per_pregnancy = demo_analysis("mensc").result("infants_per_pregnancy").estimate
    assert texts["infants_per_pregnancy"].startswith(f"{plain(per_pregnancy)} infants")
    assert texts["infants_per_pregnancy"].endswith(" per pregnancy")
    assert texts["roc_cd34_activation"].startswith("AUC ")
    assert texts["wbc_cd34_correlation"].startswith("r = ")
    assert texts["age_by_activation"].endswith(" years")
    assert texts["primary_outcome_ancova"].endswith(" ng/mL")
    risk = demo_analysis("ucmsc-rct").result("arm_difference_oocyte_activation")
    assert texts[risk.id] == f"{plain(100 * (risk.estimate or 0))} percentage points"


def test_relative_risks_odds_ratios_and_cutoffs_are_rows_of_their_own() -> None:
    rows = [
        row[2].text
        for study in STUDIES
        for row in results_view(demo_analysis(study), Footnotes()).rows
    ]
    assert any(text.startswith("RR ") for text in rows)
    assert any(text.startswith("OR ") for text in rows)
    assert any(text.startswith("≥ ") and text.endswith("cells/µL") for text in rows)


def test_the_primary_outcome_is_flagged_in_words() -> None:
    analysis = demo_analysis("ucmsc-rct")
    view = results_view(analysis, Footnotes())
    primary = [row[0] for row in view.rows if "primary" in row[0].css.split()]
    assert len(primary) == 1
    assert primary[0].text.startswith("Primary outcome")


def test_a_low_auc_cutoff_carries_a_caution() -> None:
    analysis = demo_analysis("regenera")
    notes = Footnotes()
    view = results_view(analysis, notes)
    low = [r for r in analysis.results if "cutoff" in r.extra and (r.estimate or 1) < 0.5]
    assert low
    cutoffs = [row[0] for row in view.rows if "Youden cut-off" in row[0].text]
    cautions = {mark for cell in cutoffs for mark in cell.marks}
    texts = dict(notes.items)
    assert any("AUC below 0.5" in texts[mark] for mark in cautions)


def test_left_out_counts_every_reason() -> None:
    base = demo_analysis("regenera")
    result = base.results[0]
    changed = Result(
        **{
            **{f: getattr(result, f) for f in result.__dataclass_fields__},
            "left_out": (LeftOut(3, "AMH unknown"), LeftOut(2, "AFC unknown")),
        }
    )
    analysis = Analysis(
        base.plan,
        base.protocol_name,
        base.protocol_version,
        base.rules_version,
        base.dataset,
        base.populations,
        (changed,),
        (),
    )
    row = results_view(analysis, Footnotes()).rows[0]
    assert row[-1].text == "5"


# --- effects ------------------------------------------------------------------------------------


def test_effects_are_grouped_by_effect_and_unit() -> None:
    analysis = demo_analysis("ucmsc-rct")
    view = effects_view(analysis, Footnotes())
    assert view.headers == ["Comparison", "Effect", "Estimate", "95% CI", "p"]
    effects = [r for r in analysis.results if r.extra.get("effect")]
    assert len(view.rows) == len(effects)
    kinds = [row[1].text for row in view.rows]
    seen: list[str] = []
    for kind in kinds:
        if not seen or seen[-1] != kind:
            assert kind not in seen, "a group of effects is split"
            seen.append(kind)


# --- reproduction and completeness ---------------------------------------------------------------


def test_reproduction_prints_both_figures_with_units_and_a_status_class() -> None:
    frame = pl.DataFrame(
        {
            "target": ["a", "b", "c", "d", "e"],
            "section": ["Cohort", "Markers", "Markers", "Safety", "Flow"],
            "figure": ["age, mean", "AUC", "cut-off", "never symptomatic", "analysed"],
            "unit": ["years", "", "/mm³", "%", "women"],
            "published": [39.1, 0.487, 33340.0, 53.1, 145.0],
            "published_text": ["39,1", "", "33,340 / mm3", "", ""],
            "reproduced": [39.1034, 0.4957, 34155.0, 29.66, None],
            "status": [
                "exact",
                "differs",
                "within tolerance",
                "paper inconsistent",
                "not reproduced",
            ],
            "note": ["", "differs by 0.0085", "synthetic", "contradicts Table 3", "not held"],
        }
    )
    view = reproduction_view(Table("reproduction", "Reproduction", frame))
    assert view.headers == ["Section", "Figure", "Published", "Reproduced", "Status", "Note"]
    cells = [[c.text for c in row] for row in view.rows]
    assert cells[0][2:4] == ["39.1 years", "39.1 years"]
    assert cells[1][2:4] == ["0.487", "0.496"]
    assert cells[2][2:4] == ["33340 /mm³", "34155 /mm³"]
    assert cells[3][2:4] == ["53.1%", "29.7%"]
    assert cells[4][3] == DASH
    assert [row[4].css for row in view.rows] == [
        "status-exact",
        "status-differs",
        "status-within",
        "status-inconsistent",
        "status-missing",
    ]
    assert "39,1" in cells[0][5]


def test_completeness_prints_known_of_total() -> None:
    frame = pl.DataFrame(
        {
            "variable": ["amh_post_ng_ml", "age_years"],
            "label": ["AMH after treatment (ng/mL)", "Age (years)"],
            "known": [60, 66],
            "total": [66, 66],
            "percent": [100 * 60 / 66, 100.0],
            "role": ["primary endpoint", "baseline"],
        }
    )
    view = completeness_view(Table("completeness", "Completeness", frame))
    assert view.headers == ["Variable", "Known", "Of", "% known"]
    assert [c.text for c in view.rows[0]] == [
        "AMH after treatment (ng/mL) (primary endpoint)",
        "60",
        "66",
        "90.9%",
    ]
    assert "primary" in view.rows[0][0].css


# --- every other table ----------------------------------------------------------------------


@pytest.mark.parametrize("study", STUDIES)
def test_printed_tables_have_readable_headers(study: str) -> None:
    for table in demo_analysis(study).tables:
        if is_machine_table(table):
            continue
        view = table_view(table, Footnotes())
        for text in view.headers:
            assert "_" not in text, (table.id, text)
        for row in view.rows:
            for cell in row:
                assert cell.text not in ("true", "false", "not_recorded"), (table.id, cell)


def test_machine_tables_are_the_ones_that_repeat_results() -> None:
    ids = {t.id: is_machine_table(t) for s in STUDIES for t in demo_analysis(s).tables}
    for machine in ("outcomes", "comparisons", "arm_comparisons", "arm_summaries", "roc"):
        assert ids.get(machine, True), machine
    for curated in ("table1_baseline", "table2_day5", "menses_transition", "live_birth_measures"):
        assert ids.get(curated) is False, curated
    frame = pl.DataFrame({"id": ["x"], "method": ["m"], "estimate": [1.0]})
    assert is_machine_table(Table("anything", "Any", frame))


def test_a_long_table_is_collapsible() -> None:
    frame = pl.DataFrame({"day": list(range(40)), "n": list(range(40))})
    assert table_view(Table("daily", "Daily", frame), Footnotes()).long
    assert not table_view(Table("daily", "Daily", frame.head(5)), Footnotes()).long
