"""Correlation against R 4.2: ``cor.test(x, y)`` and ``cor.test(x, y, method = "spearman")``;
each case's call is in ``tests/reference/stats.json``."""

from __future__ import annotations

import json
import math
from itertools import permutations
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ovaregen.stats.correlation import (
    EDGEWORTH,
    EXACT,
    T_APPROXIMATION,
    pearson,
    spearman,
    spearman_tail_probability,
)
from ovaregen.stats.result import Estimate

REFERENCE = json.loads((Path(__file__).parents[1] / "reference" / "stats.json").read_text())
CASES: list[dict[str, Any]] = REFERENCE["correlation"]


def cases(kind: str) -> list[Any]:
    return [pytest.param(case, id=case["id"]) for case in CASES if case["kind"] == kind]


def case_named(case_id: str) -> dict[str, Any]:
    return next(case for case in CASES if case["id"] == case_id)


def close(actual: float | None, expected: float | None, rel: float, abs_: float = 1e-14) -> bool:
    if expected is None:
        return actual is None
    return actual is not None and math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_)


def finite_or_none(result: Estimate) -> bool:
    numbers = (result.statistic, result.df, result.p_value, result.estimate)
    numbers += (result.ci_low, result.ci_high)
    return all(v is None or math.isfinite(v) for v in numbers)


@pytest.mark.parametrize("case", cases("pearson"))
def test_pearson_matches_r(case: dict[str, Any]) -> None:
    data, expected = case["input"], case["expected"]
    result = pearson(data["x"], data["y"])
    assert result.method == "Pearson's product-moment correlation"
    assert result.n == len(data["x"])
    for name in ("estimate", "statistic", "df", "p_value", "ci_low", "ci_high"):
        assert close(getattr(result, name), expected[name], case["rel_tol"]), name


@pytest.mark.parametrize("case", cases("spearman"))
def test_spearman_matches_r(case: dict[str, Any]) -> None:
    data, expected = case["input"], case["expected"]
    result = spearman(data["x"], data["y"], exact=data.get("exact"))
    assert result.method == "Spearman's rank correlation rho"
    assert close(result.estimate, expected["estimate"], 1e-12)
    # S is on the scale of n³: near 0 it is compared absolutely.
    assert close(result.statistic, expected["statistic"], 1e-12, abs_=1e-9)
    assert close(result.p_value, expected["p_value"], case["rel_tol"])


def test_spearman_states_r_choice_of_p_value() -> None:
    def how(case_id: str, exact: bool | None = None) -> str:
        data = case_named(case_id)["input"]
        return str(spearman(data["x"], data["y"], exact=exact).options["p_value"])

    assert how("seven_spearman") == EXACT  # n = 7, no ties
    assert how("nine_spearman") == EXACT
    assert how("ten_spearman") == EDGEWORTH  # AS 89 switches at n = 10
    assert how("smooth_spearman") == EDGEWORTH
    assert how("smooth_spearman", exact=False) == T_APPROXIMATION
    assert how("big_spearman") == T_APPROXIMATION  # n = 1300 > 1290
    assert how("tied_spearman") == T_APPROXIMATION
    assert how("wbc_cd34_spearman") == T_APPROXIMATION  # ties in CD34+
    data = case_named("tied_spearman")["input"]
    assert any("ties present" in w for w in spearman(data["x"], data["y"]).warnings)


@pytest.mark.parametrize("n", range(2, 8))
def test_exact_tail_against_brute_force(n: int) -> None:
    distances = [sum((i - p) ** 2 for i, p in enumerate(perm)) for perm in permutations(range(n))]
    total = len(distances)
    for s in range(0, max(distances) + 3):
        upper = sum(d >= s for d in distances) / total
        expected_upper = 1.0 if s <= 0 else upper
        assert spearman_tail_probability(n, s, lower_tail=False) == pytest.approx(expected_upper)
        if s > 0:
            assert spearman_tail_probability(n, s, lower_tail=True) == pytest.approx(1 - upper)


def test_pearson_study_a_style_missing_pairs() -> None:
    data = case_named("leukocytes_pearson")["input"]
    x = [*data["x"], None, 40.0]
    y = pl.Series([*data["y"], 12.0, None])
    result = pearson(x, y)
    assert result.n == 10
    assert result.estimate == pearson(data["x"], data["y"]).estimate
    assert result.warnings == ("2 incomplete pairs left out (complete cases)",)
    assert spearman(x, y).n == 10


def test_pearson_three_pairs_has_no_interval() -> None:
    result = pearson([1, 2, 4], [2, 1, 5])
    assert result.p_value is not None
    assert (result.ci_low, result.ci_high, result.conf_level) == (None, None, None)
    assert any("no confidence interval" in w for w in result.warnings)


@pytest.mark.parametrize(("x", "y"), [([1.0, 2.0], [3.0, 1.0]), ([], []), ([1.0], [None])])
def test_too_few_pairs_for_pearson(x: list[Any], y: list[Any]) -> None:
    result = pearson(x, y)
    assert (result.estimate, result.p_value, result.statistic) == (None, None, None)
    assert any("Pearson's test needs 3" in w for w in result.warnings)


def test_constant_variable_gives_none() -> None:
    for result in (pearson([1, 2, 3, 4], [5, 5, 5, 5]), spearman([1, 2, 3], [7, 7, 7])):
        assert (result.estimate, result.p_value) == (None, None)
        assert any("constant" in w for w in result.warnings)
    single = spearman([1.0], [2.0])
    assert single.estimate is None and any("fewer than 2" in w for w in single.warnings)


def test_perfect_correlation() -> None:
    result = pearson([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])
    assert result.estimate == pytest.approx(1)
    assert result.statistic is None and result.p_value == 0
    assert result.ci_low == pytest.approx(1) and result.ci_high == pytest.approx(1)
    two = spearman([1.0, 2.0], [5.0, 3.0], exact=False)
    assert two.estimate == pytest.approx(-1) and two.p_value is None


def test_mismatched_lengths_raise() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        pearson([1, 2, 3], [1, 2])


values = st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6), st.sampled_from([0.0]))


@given(st.lists(st.tuples(values, values), max_size=14))
def test_any_input_gives_finite_numbers_or_none(pairs: list[tuple[Any, Any]]) -> None:
    x, y = [a for a, _ in pairs], [b for _, b in pairs]
    for result in (pearson(x, y), spearman(x, y), spearman(x, y, exact=False)):
        assert finite_or_none(result)
        assert result.p_value is None or 0 <= result.p_value <= 1
        assert result.estimate is None or -1 - 1e-12 <= result.estimate <= 1 + 1e-12
