"""Contingency tables against R 4.2 (``tests/reference/stats.R`` → ``stats.json``).

Each reference case carries the R call that produced its numbers, e.g.
``chisq.test(b_table2_age, correct = TRUE)`` or ``fisher.test(small_expected)``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ovaregen.stats.contingency import (
    ChiSquareResult,
    CrossTable,
    chi_square,
    cross_table,
    fisher_exact,
    relative_risk,
    risk_difference,
)
from ovaregen.stats.result import Estimate

REFERENCE = json.loads((Path(__file__).parents[1] / "reference" / "stats.json").read_text())
CASES: list[dict[str, Any]] = REFERENCE["contingency"]


def cases(kind: str) -> list[Any]:
    return [pytest.param(case, id=case["id"]) for case in CASES if case["kind"] == kind]


def close(actual: float | None, expected: float | None, rel: float, abs_: float = 1e-12) -> bool:
    """Equal to ``rel`` relative (``abs_`` absolute near 0); None where R gives NA or ±Inf."""
    if expected is None:
        return actual is None
    return actual is not None and math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_)


def all_finite_or_none(result: Estimate) -> bool:
    numbers = (result.statistic, result.df, result.p_value, result.estimate)
    numbers += (result.ci_low, result.ci_high)
    return all(v is None or (isinstance(v, float) and math.isfinite(v)) for v in numbers)


# --- R reference -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases("chisq"))
def test_chi_square_matches_r(case: dict[str, Any]) -> None:
    expected = case["expected"]
    result = chi_square(case["input"]["table"], correct=case["input"]["correct"])
    assert isinstance(result, ChiSquareResult)
    assert close(result.statistic, expected["statistic"], case["rel_tol"])
    assert close(result.p_value, expected["p_value"], case["rel_tol"])
    assert result.df == expected["df"]
    assert result.method == expected["method"]
    assert result.expected is not None
    np.testing.assert_allclose(result.expected, expected["expected"], rtol=1e-12)
    assert result.n == sum(map(sum, case["input"]["table"]))
    small = [w for w in result.warnings if "expected count below 5" in w]
    assert bool(small) == (expected["min_expected"] < 5)


@pytest.mark.parametrize("case", cases("fisher"))
def test_fisher_matches_r(case: dict[str, Any]) -> None:
    expected = case["expected"]
    result = fisher_exact(case["input"]["table"])
    assert result.method == expected["method"]
    assert close(result.p_value, expected["p_value"], 1e-9)
    # Conditional MLE and exact limits, solved to 1e-14 in R (fisher.test's equations).
    assert close(result.estimate, expected["estimate"], case["rel_tol"])
    assert close(result.ci_low, expected["ci_low"], case["rel_tol"])
    assert close(result.ci_high, expected["ci_high"], case["rel_tol"])
    # fisher.test's own output stops at uniroot's default tolerance (about 1e-4 on its scale).
    assert close(result.estimate, expected["fisher_test_estimate"], 1e-2)
    low, high = expected["fisher_test_ci"]
    assert close(result.ci_low, low, 1e-2, abs_=1e-4)
    assert close(result.ci_high, high, 1e-2)
    assert result.conf_level == 0.95


@pytest.mark.parametrize("case", cases("risk_difference"))
def test_risk_difference_matches_prop_test(case: dict[str, Any]) -> None:
    expected = case["expected"]
    result = risk_difference(case["input"]["table"])
    assert result.options["ci"] == "Wald"
    for name in ("estimate", "ci_low", "ci_high"):
        assert close(getattr(result, name), expected[name], case["rel_tol"]), name
    assert result.p_value is None


@pytest.mark.parametrize("case", cases("relative_risk"))
def test_relative_risk_matches_katz_formula(case: dict[str, Any]) -> None:
    expected = case["expected"]
    result = relative_risk(case["input"]["table"])
    assert result.options["ci"] == "log (Katz)"
    assert close(result.estimate, expected["estimate"], case["rel_tol"])
    if case["input"]["table"][0][0] == 0:
        # R's formula gives exp(-Inf - Inf) = 0 and NaN: no interval, and a warning.
        assert (result.ci_low, result.ci_high) == (None, None)
        assert any("no event in the first group" in w for w in result.warnings)
    else:
        assert close(result.ci_low, expected["ci_low"], case["rel_tol"])
        assert close(result.ci_high, expected["ci_high"], case["rel_tol"])


# --- Study B, Table 2 (STUDIES.md) ---------------------------------------------------------------


def test_study_b_table2_age_as_published() -> None:
    result = chi_square([[12, 11], [26, 56]])
    assert result.method == "Pearson's Chi-squared test with Yates' continuity correction"
    assert result.statistic is not None and result.p_value is not None
    assert round(result.statistic, 4) == 2.4321
    assert round(result.p_value, 4) == 0.1189
    assert result.n == 105
    assert result.warnings == ()


def test_study_b_table2_menses_yates_correction_is_capped() -> None:
    """|O − E| = 0.067 < 0.5: the correction removes the whole difference, X² = 0, p = 1."""
    result = chi_square([[33, 58], [5, 9]])
    assert result.statistic is not None
    assert result.statistic == pytest.approx(0, abs=1e-12)
    assert result.p_value == pytest.approx(1, abs=1e-12)
    uncorrected = chi_square([[33, 58], [5, 9]], correct=False)
    assert uncorrected.statistic is not None and uncorrected.statistic > 0


def test_study_b_table2_injections() -> None:
    result = chi_square([[29, 41], [9, 26]])
    difference = risk_difference([[29, 41], [9, 26]])
    assert difference.estimate == pytest.approx(29 / 70 - 9 / 35, rel=1e-12)
    assert result.p_value is not None and 0.1 < result.p_value < 0.2


def test_study_b_table2_from_patient_level_labels() -> None:
    ages = [30] * 23 + [40] * 82
    pregnant = [True] * 12 + [False] * 11 + [True] * 26 + [False] * 56
    table = cross_table([age < 35 for age in ages], pregnant)
    assert table.counts == ((12, 11), (26, 56))
    assert table.row_levels == (True, False) and table.column_levels == (True, False)
    assert chi_square(table).statistic == pytest.approx(2.432096976606058, rel=1e-9)


# --- Cross tables from arrays ------------------------------------------------------------------


def test_cross_table_complete_cases_and_missing_kinds() -> None:
    rows = ["a", "b", None, "a", float("nan"), "b", "a"]
    columns = [True, False, True, None, False, True, np.True_]
    table = cross_table(rows, columns)
    assert table.counts == ((2, 0), (1, 1))
    assert table.row_levels == ("a", "b")
    assert (table.n, table.n_incomplete) == (4, 3)
    result = chi_square(table, correct=False)
    assert result.n == 4
    assert any("3 incomplete cases" in w for w in result.warnings)


def test_cross_table_from_polars_and_given_levels() -> None:
    arm = pl.Series(["HRT", "HRT+MSC", None, "HRT+MSC"])
    menses = pl.Series(["resumed", "absent", "resumed", "resumed"])
    table = cross_table(
        arm, menses, row_levels=["HRT+MSC", "HRT"], column_levels=["resumed", "absent", "other"]
    )
    assert table.counts == ((1, 1, 0), (1, 0, 0))
    assert table.n_incomplete == 1
    with pytest.raises(ValueError, match="outside the given levels"):
        cross_table(["x"], ["y"], row_levels=["z"])
    with pytest.raises(ValueError, match="differ in length"):
        cross_table([1, 2], [1])


def test_cross_table_with_pandas_missing_values() -> None:
    pd = pytest.importorskip("pandas")
    rows = pd.Series([1, 2, pd.NA, 1], dtype="Int64")
    columns = pd.Series(["y", "n", "y", pd.NA], dtype="string")
    table = cross_table(rows, columns)
    assert table.counts == ((0, 1), (1, 0))
    assert (table.n, table.n_incomplete) == (2, 2)
    assert table.row_levels == (1, 2) and table.column_levels == ("n", "y")


# --- Rules and edge cases ----------------------------------------------------------------------


def test_yates_only_on_two_by_two() -> None:
    table = [[10, 20], [15, 12], [30, 8]]
    assert chi_square(table, correct=True).statistic == chi_square(table, correct=False).statistic
    assert chi_square(table).options["correction_applied"] is False
    assert chi_square(table).method == "Pearson's Chi-squared test"


def test_table_at_its_expectation_gets_no_correction() -> None:
    result = chi_square([[2, 2], [2, 2]])
    assert result.statistic == 0 and result.p_value == pytest.approx(1)
    assert result.method == "Pearson's Chi-squared test"  # R: the correction was 0
    assert result.options["correction_applied"] is True
    assert any("expected count below 5 in 4 of 4" in w for w in result.warnings)


@pytest.mark.parametrize("table", [[[0, 0], [3, 4]], [[0, 5], [0, 7]], [[0, 0], [0, 0]]])
def test_empty_row_or_column_gives_none_and_a_warning(table: list[list[int]]) -> None:
    for result in (chi_square(table), chi_square(table, correct=False), fisher_exact(table)):
        assert (result.statistic, result.p_value, result.estimate) == (None, None, None)
        assert any("empty" in w for w in result.warnings)
    assert all_finite_or_none(risk_difference(table))
    assert all_finite_or_none(relative_risk(table))


def test_a_single_row_or_column_is_degenerate_not_an_error() -> None:
    for result in (chi_square([[1, 2, 3]]), chi_square([[4], [5]]), fisher_exact([[4], [5]])):
        assert (result.statistic, result.p_value, result.estimate) == (None, None, None)
        assert any("fewer than 2 non-empty rows or columns" in w for w in result.warnings)


def test_degenerate_arrays() -> None:
    every_woman_pregnant = cross_table([True, False, True], [True, True, True])
    assert every_woman_pregnant.counts == ((2, 0), (1, 0))  # both levels kept
    assert chi_square(every_woman_pregnant).p_value is None
    difference = risk_difference(every_woman_pregnant)
    assert (difference.estimate, difference.ci_low, difference.ci_high) == (0.0, 0.0, 0.0)
    assert any("zero width" in w for w in difference.warnings)
    one_arm = cross_table(["HRT", "HRT"], ["resumed", "absent"])
    assert one_arm.counts == ((1, 1),)
    for result in (risk_difference(one_arm), relative_risk(one_arm)):
        assert (result.estimate, result.ci_low, result.ci_high) == (None, None, None)
        assert any("not a 2 × 2" in w for w in result.warnings)
    nothing = cross_table([], [])
    assert nothing.n == 0
    for result in (chi_square(nothing), fisher_exact(nothing), risk_difference(nothing)):
        assert result.n == 0 and result.estimate is None and result.warnings


def test_empty_group_for_risk_measures() -> None:
    for result in (risk_difference([[0, 0], [3, 4]]), relative_risk([[3, 4], [0, 0]])):
        assert (result.estimate, result.ci_low, result.ci_high) == (None, None, None)
        assert any("group is empty" in w for w in result.warnings)
    no_reference_event = relative_risk([[3, 4], [0, 6]])
    assert no_reference_event.estimate is None
    assert any("second group" in w for w in no_reference_event.warnings)


def test_fisher_infinite_odds_ratio_is_none_with_a_warning() -> None:
    result = fisher_exact([[7, 0], [2, 6]])
    assert result.estimate is None and result.ci_high is None
    assert result.ci_low is not None and result.ci_low > 1
    assert result.p_value is not None and result.p_value < 0.01
    assert any("unbounded" in w for w in result.warnings)


def test_invalid_tables_raise() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        chi_square([[1, -1], [2, 3]])
    with pytest.raises(ValueError, match="whole numbers"):
        chi_square([[1.5, 1], [2, 3]])
    with pytest.raises(ValueError, match="2 dimensions"):
        chi_square([1, 2, 3])
    with pytest.raises(ValueError, match="2 × 2"):
        fisher_exact([[1, 2, 3], [4, 5, 6]])


def test_results_are_plain_estimates() -> None:
    table = CrossTable(counts=((5, 5), (2, 8)), row_levels=("a", "b"), column_levels=(1, 0))
    for result in (fisher_exact(table), risk_difference(table), relative_risk(table)):
        assert isinstance(result, Estimate)
        assert result.n == 20


counts = st.integers(min_value=0, max_value=60)


@given(st.tuples(counts, counts, counts, counts))
def test_any_two_by_two_gives_finite_numbers_or_none(cells: tuple[int, int, int, int]) -> None:
    a, b, c, d = cells
    table = [[a, b], [c, d]]
    corrected, plain = chi_square(table), chi_square(table, correct=False)
    fisher = fisher_exact(table)
    for result in (corrected, plain, fisher, risk_difference(table), relative_risk(table)):
        assert all_finite_or_none(result)
        assert result.p_value is None or 0 <= result.p_value <= 1
        low, high = result.ci_low, result.ci_high
        if result.estimate is not None and low is not None and high is not None:
            slack = 1e-9 * abs(result.estimate) + 1e-12
            assert low - slack <= result.estimate <= high + slack
    if corrected.statistic is not None and plain.statistic is not None:
        assert corrected.statistic <= plain.statistic + 1e-12


def test_fisher_p_only_skips_the_odds_ratio_and_keeps_the_p_value() -> None:
    """The p-only form (used where only Fisher's p is reported) gives R's p unchanged."""
    table = [[12, 11], [26, 56]]
    whole, quick = fisher_exact(table), fisher_exact(table, odds_ratio_estimate=False)
    assert quick.p_value == whole.p_value
    assert quick.estimate is None and quick.ci_low is None and whole.estimate is not None
