"""Proportions against R 4.2: ``prop.test(x, n, correct = FALSE)`` (Wilson) and
``binom.test(x, n)`` (Clopper–Pearson); the calls are in ``tests/reference/stats.json``."""

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

from ovaregen.stats.proportions import ProportionResult, proportion, proportion_of

REFERENCE = json.loads((Path(__file__).parents[1] / "reference" / "stats.json").read_text())
METHODS = {"wilson": "wilson", "clopper_pearson": "clopper-pearson"}


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case["id"]) for case in REFERENCE["proportions"]]
)
def test_interval_matches_r(case: dict[str, Any]) -> None:
    expected = case["expected"]
    count, n = case["input"]["count"], case["input"]["n"]
    result = proportion(count, n, method=METHODS[case["kind"]])  # type: ignore[arg-type]
    assert isinstance(result, ProportionResult)
    assert (result.count, result.n) == (count, n)
    assert result.estimate == pytest.approx(expected["estimate"], rel=1e-15)
    for name in ("ci_low", "ci_high"):
        actual = getattr(result, name)
        assert actual is not None
        assert math.isclose(actual, expected[name], rel_tol=case["rel_tol"], abs_tol=1e-15), name


def test_wilson_is_the_default_and_says_so() -> None:
    result = proportion(38, 105)  # study B: 38 of 105 women pregnant
    assert result.options == {"interval": "wilson", "continuity_correction": False}
    assert result.method == "Proportion with Wilson score interval"
    assert result.estimate == pytest.approx(0.3619, abs=5e-5)
    exact = proportion(38, 105, method="clopper-pearson")
    assert exact.method == "Proportion with Clopper-Pearson exact interval"
    assert exact.ci_low is not None and result.ci_low is not None
    assert exact.ci_low < result.ci_low  # the exact interval is the wider one here


def test_closed_ends_are_exact() -> None:
    for method in ("wilson", "clopper-pearson"):
        none = proportion(0, 10, method=method)  # type: ignore[arg-type]
        every = proportion(10, 10, method=method)  # type: ignore[arg-type]
        assert none.ci_low == 0.0 and every.ci_high == 1.0


def test_no_observations_gives_none_and_a_warning() -> None:
    result = proportion(0, 0)
    assert (result.estimate, result.ci_low, result.ci_high) == (None, None, None)
    assert result.warnings == ("no observations: the proportion is not defined",)
    assert proportion_of([None, float("nan")]).estimate is None


def test_invalid_counts_raise() -> None:
    with pytest.raises(ValueError, match="count <= n"):
        proportion(5, 3)
    with pytest.raises(ValueError, match="count <= n"):
        proportion(-1, 3)
    with pytest.raises(ValueError, match="unknown interval"):
        proportion(1, 3, method="wald")  # type: ignore[arg-type]


def test_proportion_of_values_uses_complete_cases() -> None:
    activated = pl.Series([True, False, None, True, True])
    result = proportion_of(activated)
    assert (result.count, result.n) == (3, 4)
    assert result.ci_low == proportion(3, 4).ci_low
    assert result.warnings == ("1 missing values left out of the denominator (complete cases)",)
    labels = proportion_of(
        np.array(["live birth", "miscarriage", "live birth"]), event="live birth"
    )
    assert (labels.count, labels.n, labels.warnings) == (2, 3, ())


@given(
    st.integers(min_value=0, max_value=500).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    )
)
def test_intervals_contain_the_estimate(count_n: tuple[int, int]) -> None:
    count, n = count_n
    for method in ("wilson", "clopper-pearson"):
        result = proportion(count, n, method=method)  # type: ignore[arg-type]
        if n == 0:
            assert result.estimate is None
            continue
        assert result.ci_low is not None and result.ci_high is not None
        assert result.estimate is not None
        assert 0 <= result.ci_low <= result.estimate <= result.ci_high <= 1
