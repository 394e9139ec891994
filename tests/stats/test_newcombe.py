"""Risk difference with Newcombe's interval and relative risk with Katz's, against R.

``tests/reference/effects.R`` (``effects.json``) computes, for 2 × 2 tables including the edge
cases (no event in one or both groups, every woman with the event, very unequal n, levels other
than 95%), Newcombe's hybrid score interval from the Wilson limits of ``prop.test(correct =
FALSE)`` and the relative risk with its log (Katz) interval. Tolerance 1e-9 relative.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovaregen.stats.contingency import relative_risk
from ovaregen.stats.newcombe import newcombe_risk_difference

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "reference" / "effects.json").read_text(encoding="utf-8")
)
REL = REFERENCE["tolerance"]
CASES = [pytest.param(case, id=case["name"]) for case in REFERENCE["cases"]]


def table(case: dict[str, Any]) -> list[list[int]]:
    a, n1 = case["events_first"], case["n_first"]
    c, n2 = case["events_second"], case["n_second"]
    return [[a, n1 - a], [c, n2 - c]]


def same(actual: float | None, expected: float | None) -> bool:
    if expected is None:
        return actual is None
    return actual is not None and math.isclose(actual, expected, rel_tol=REL, abs_tol=1e-15)


@pytest.mark.parametrize("case", CASES)
def test_newcombe_interval_matches_r(case: dict[str, Any]) -> None:
    got = newcombe_risk_difference(table(case), conf_level=case["conf_level"])
    expected = case["risk_difference"]
    assert same(got.estimate, expected["estimate"])
    assert same(got.ci_low, expected["ci_low"]), (got.ci_low, expected["ci_low"])
    assert same(got.ci_high, expected["ci_high"]), (got.ci_high, expected["ci_high"])
    assert got.n == case["n_first"] + case["n_second"]
    assert got.conf_level == case["conf_level"]


@pytest.mark.parametrize("case", CASES)
def test_relative_risk_matches_r(case: dict[str, Any]) -> None:
    got = relative_risk(table(case), conf_level=case["conf_level"])
    expected = case["relative_risk"]
    assert same(got.estimate, expected["estimate"])
    assert same(got.ci_low, expected["ci_low"])
    assert same(got.ci_high, expected["ci_high"])
    if expected["estimate"] is None:
        assert any("not defined" in w for w in got.warnings)


def test_the_interval_never_collapses_where_wald_does() -> None:
    """Both risks 0 (or both 1): Wald gives "0 to 0", Newcombe a real interval around 0."""
    for events in ([[0, 10], [0, 12]], [[10, 0], [10, 0]]):
        got = newcombe_risk_difference(events)
        assert got.estimate == 0
        assert got.ci_low is not None and got.ci_high is not None
        assert got.ci_low < 0 < got.ci_high


def test_an_empty_group_gives_no_interval_and_says_why() -> None:
    got = newcombe_risk_difference([[0, 0], [3, 5]])
    assert got.estimate is None and got.ci_low is None
    assert any("empty" in w for w in got.warnings)


@settings(max_examples=200, deadline=None)
@given(
    a=st.integers(0, 40),
    b=st.integers(0, 40),
    c=st.integers(0, 40),
    d=st.integers(0, 40),
)
def test_the_interval_holds_the_estimate_and_stays_in_minus_one_to_one(
    a: int, b: int, c: int, d: int
) -> None:
    got = newcombe_risk_difference([[a, b], [c, d]])
    if a + b == 0 or c + d == 0:
        assert got.estimate is None
        return
    assert got.ci_low is not None and got.ci_high is not None and got.estimate is not None
    assert -1 <= got.ci_low <= got.estimate <= got.ci_high <= 1
