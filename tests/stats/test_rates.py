"""Counts per unit against R 4.2 ``poisson.test(x, T)$conf.int`` (tests/reference/stats.json)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from ovaregen.stats.rates import count_rate

REFERENCE = json.loads((Path(__file__).parents[1] / "reference" / "stats.json").read_text())


@pytest.mark.parametrize("case", [pytest.param(case, id=case["id"]) for case in REFERENCE["rates"]])
def test_exact_poisson_interval_matches_r(case: dict[str, Any]) -> None:
    expected = case["expected"]
    result = count_rate(case["input"]["count"], case["input"]["units"])
    assert result.n == case["input"]["units"]
    assert result.estimate == pytest.approx(expected["estimate"], rel=1e-15)
    for name in ("ci_low", "ci_high"):
        actual = getattr(result, name)
        assert actual is not None
        assert math.isclose(actual, expected[name], rel_tol=case["rel_tol"], abs_tol=1e-15), name


def test_study_b_infants_per_woman_is_a_rate_not_a_proportion() -> None:
    result = count_rate(32, 105)  # STUDIES.md: the paper's "live birth rate" 30.48%
    assert result.estimate == pytest.approx(0.3048, abs=5e-5)
    assert "Poisson" in result.method and result.options["count"] == 32


def test_no_units_is_undefined_not_an_error() -> None:
    result = count_rate(0, 0)
    assert result.estimate is None and result.warnings


@pytest.mark.parametrize("bad", [(-1, 5), (1.5, 5), (2, -1)])
def test_misuse_is_refused(bad: tuple[float, int]) -> None:
    with pytest.raises(ValueError):
        count_rate(*bad)  # type: ignore[arg-type]
