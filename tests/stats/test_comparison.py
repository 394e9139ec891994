"""Two-sample comparisons against R 4.2: ``t.test(x, y, var.equal = ...)`` and
``wilcox.test(x, y, exact = ..., correct = ...)``; each case's call is in
``tests/reference/stats.json``."""

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

from ovaregen.stats.comparison import TwoSampleResult, as_float_array, mann_whitney, t_test

REFERENCE = json.loads((Path(__file__).parents[1] / "reference" / "stats.json").read_text())
CASES: list[dict[str, Any]] = REFERENCE["comparison"]


def cases(kind: str) -> list[Any]:
    return [pytest.param(case, id=case["id"]) for case in CASES if case["kind"] == kind]


def case_named(case_id: str) -> dict[str, Any]:
    return next(case for case in CASES if case["id"] == case_id)


def close(actual: float | None, expected: float, rel: float) -> bool:
    return actual is not None and math.isclose(actual, expected, rel_tol=rel, abs_tol=1e-14)


def finite_or_none(result: TwoSampleResult) -> bool:
    numbers = (result.statistic, result.df, result.p_value, result.estimate, result.ci_low)
    numbers += (result.ci_high, result.mean_x, result.mean_y)
    return all(v is None or math.isfinite(v) for v in numbers)


@pytest.mark.parametrize("case", cases("t_test"))
def test_t_test_matches_r(case: dict[str, Any]) -> None:
    data, expected = case["input"], case["expected"]
    result = t_test(data["x"], data["y"], equal_var=data["equal_var"])
    for name in ("statistic", "df", "p_value", "estimate", "ci_low", "ci_high"):
        assert close(getattr(result, name), expected[name], case["rel_tol"]), name
    assert close(result.mean_x, expected["mean_x"], 1e-12)
    assert close(result.mean_y, expected["mean_y"], 1e-12)
    assert (result.n_x, result.n_y) == (len(data["x"]), len(data["y"]))
    assert result.options["equal_var"] is data["equal_var"]
    if data["equal_var"]:
        assert "Student" in result.method and expected["method"].strip() == "Two Sample t-test"
    else:
        assert result.method == expected["method"] == "Welch Two Sample t-test"


@pytest.mark.parametrize("case", cases("wilcox"))
def test_mann_whitney_matches_r(case: dict[str, Any]) -> None:
    data, expected = case["input"], case["expected"]
    result = mann_whitney(
        data["x"], data["y"], exact=data.get("exact"), correct=data.get("correct", True)
    )
    assert close(result.statistic, expected["statistic"], 1e-12)
    assert close(result.p_value, expected["p_value"], case["rel_tol"])
    assert result.method == expected["method"]  # says exact or normal approximation
    assert result.options["exact"] is (expected["method"] == "Wilcoxon rank sum exact test")
    tied = len(set(data["x"]) | set(data["y"])) < len(data["x"]) + len(data["y"])
    assert any("ties present" in w for w in result.warnings) is tied


def test_r_choice_rule_for_the_exact_p_value() -> None:
    small = case_named("cd34_wilcox")["input"]
    assert mann_whitney(small["x"], small["y"]).options["exact"] is True
    seeded = case_named("seeded_wilcox")["input"]  # 60 and 55 values: normal approximation
    assert len(seeded["x"]) >= 50
    assert mann_whitney(seeded["x"], seeded["y"]).options["exact"] is False
    assert mann_whitney(seeded["x"], seeded["y"], exact=True).options["exact"] is True
    assert mann_whitney(small["x"], small["y"], exact=False).options["exact"] is False


def test_missing_values_are_dropped_per_group() -> None:
    clean = case_named("cd34_welch")["input"]
    x = [None, *clean["x"], float("nan")]
    y = pl.Series([*clean["y"], None])
    result = t_test(x, y)
    reference = t_test(clean["x"], clean["y"])
    assert (result.n_x, result.n_y, result.n) == (12, 9, 21)
    assert result.p_value == reference.p_value and result.statistic == reference.statistic
    assert any("2 in x, 1 in y" in w for w in result.warnings)
    ranked = mann_whitney(x, y)
    assert ranked.p_value == mann_whitney(clean["x"], clean["y"]).p_value
    assert ranked.n == 21


def test_pandas_missing_values() -> None:
    pd = pytest.importorskip("pandas")
    values = as_float_array([1.0, pd.NA, 3.0])
    assert np.isnan(values[1]) and values[2] == 3.0
    series = as_float_array(pd.Series([1, None, 2], dtype="Int64"))
    assert series.size == 3 and np.isnan(series[1])


def test_welch_needs_two_per_group_student_does_not() -> None:
    welch = t_test([3.0], [1.0, 2.0, 4.0])
    assert (welch.statistic, welch.p_value, welch.estimate) == (None, None, None)
    assert welch.mean_x == 3.0 and any("at least 2" in w for w in welch.warnings)
    student = t_test([3.0], [1.0, 2.0, 4.0], equal_var=True)
    assert student.p_value is not None  # R allows it (singleton_student case)


@pytest.mark.parametrize(
    ("x", "y"), [([], [1.0, 2.0]), ([1.0, 2.0], [None, float("nan")]), ([], [])]
)
def test_empty_group_gives_none_and_a_warning(x: list[Any], y: list[Any]) -> None:
    for equal_var in (False, True):
        result = t_test(x, y, equal_var=equal_var)
        assert (result.statistic, result.p_value) == (None, None)
        assert any("not enough observations" in w for w in result.warnings)
    ranked = mann_whitney(x, y)
    assert (ranked.statistic, ranked.p_value) == (None, None)
    assert any("group is empty" in w for w in ranked.warnings)


def test_constant_data() -> None:
    for equal_var in (False, True):
        result = t_test([5.0, 5.0, 5.0], [5.0, 5.0], equal_var=equal_var)
        assert result.p_value is None and result.df is None
        assert any("essentially constant" in w for w in result.warnings)
        assert result.mean_x == result.mean_y == 5.0
    ranked = mann_whitney([5.0, 5.0], [5.0, 5.0, 5.0])
    assert ranked.statistic == 3.0 and ranked.p_value is None
    assert any("all values are equal" in w for w in ranked.warnings)


values = st.lists(
    st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6), st.sampled_from([0.0, 1.0])),
    max_size=12,
)


@given(values, values)
def test_any_input_gives_finite_numbers_or_none(x: list[float | None], y: list[float]) -> None:
    for result in (t_test(x, y), t_test(x, y, equal_var=True), mann_whitney(x, y)):
        assert finite_or_none(result)
        assert result.p_value is None or 0 <= result.p_value <= 1
