"""ROC analysis against pROC 1.18.0 (``tests/reference/proc.R`` → ``proc.json``) and by brute force.

Each reference case carries the R call that produced its numbers (``case["call"]``); the tests
read only the JSON, so R is not needed to run them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from bench.bench_roc import measure
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from ovaregen.stats.roc import (
    delong_placements,
    roc_analysis,
    roc_test_paired,
    roc_test_unpaired,
)

REFERENCE = json.loads((Path(__file__).parent.parent / "reference" / "proc.json").read_text())
# Relative tolerance: the same arithmetic in a different summation order. p-values go through
# scipy's ndtr / stdtr instead of R's pnorm / pt and agree to ~1e-14, well inside it.
EXACT = 1e-9


def number(value: Any) -> float:
    """A JSON number from proc.json: null → NaN, "Inf"/"-Inf" → ±inf."""
    if value is None:
        return math.nan
    return float(value)


def values(items: list[Any]) -> np.ndarray:
    return np.array([number(v) for v in items])


def close(actual: float | None, expected: Any, rel: float = EXACT) -> bool:
    wanted = number(expected)
    if actual is None or math.isnan(wanted):
        return actual is None and math.isnan(wanted)
    return actual == pytest.approx(wanted, rel=rel, abs=1e-14)


def by_name(kind: str) -> list[Any]:
    return [pytest.param(case, id=case["name"]) for case in REFERENCE[kind]]


@pytest.mark.parametrize("case", by_name("single"))
def test_single_curve_matches_proc(case: dict[str, Any]) -> None:
    """AUC, DeLong variance and CI, Youden cut-off(s) and the whole curve, as pROC."""
    result = roc_analysis(values(case["marker"]), values(case["event"]))
    assert (result.n_cases, result.n_controls) == (case["n_cases"], case["n_controls"])
    assert close(result.auc, case["auc"])
    assert close(result.auc_variance, case["variance"])
    assert close(result.ci_low, case["ci_low"]) and close(result.ci_high, case["ci_high"])
    best = values(case["best_thresholds"])
    np.testing.assert_allclose(result.optimal_cutoffs, best, rtol=EXACT)
    expected_cutoff = best[0] if math.isfinite(best[0]) else None
    assert result.cutoff == expected_cutoff  # thresholds are exact: same two-value arithmetic
    assert close(result.sensitivity, case["best_sensitivities"][0])
    assert close(result.specificity, case["best_specificities"][0])
    assert result.curve is not None
    np.testing.assert_array_equal(result.curve.thresholds, values(case["thresholds"]))
    np.testing.assert_allclose(result.curve.sensitivities, values(case["sensitivities"]))
    np.testing.assert_allclose(result.curve.specificities, values(case["specificities"]))


@pytest.mark.parametrize("case", by_name("paired"))
def test_paired_delong_test_matches_proc(case: dict[str, Any]) -> None:
    result = roc_test_paired(
        values(case["marker1"]), values(case["marker2"]), values(case["event"])
    )
    assert close(result.auc1, case["auc1"]) and close(result.auc2, case["auc2"])
    assert close(result.statistic, case["statistic"])
    assert close(result.p_value, case["p_value"])
    assert close(result.ci_low, case["ci_low"]) and close(result.ci_high, case["ci_high"])
    assert result.paired and result.df is None


@pytest.mark.parametrize("case", by_name("unpaired"))
def test_unpaired_delong_test_matches_proc(case: dict[str, Any]) -> None:
    result = roc_test_unpaired(
        values(case["marker1"]),
        values(case["event1"]),
        values(case["marker2"]),
        values(case["event2"]),
    )
    assert close(result.auc1, case["auc1"]) and close(result.auc2, case["auc2"])
    assert close(result.statistic, case["statistic"])
    assert close(result.df, case["df"])
    assert close(result.p_value, case["p_value"])
    assert not result.paired


def test_study_a_like_auc_below_half_is_not_flipped() -> None:
    (case,) = [c for c in REFERENCE["single"] if c["name"] == "study_a_cd34"]
    result = roc_analysis(values(case["marker"]), values(case["event"]))
    assert result.auc is not None and result.auc < 0.5
    assert result.n_dropped == 2 and result.n == 143
    estimate = result.to_estimate()
    assert estimate.estimate == result.auc and estimate.ci_low == result.ci_low
    assert "never flipped" in result.options["direction"]


def test_cutoff_counts_values_at_or_above_it_as_positive() -> None:
    marker = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    event = np.array([0, 0, 0, 1, 1, 1])
    result = roc_analysis(marker, event)
    assert result.cutoff == 3.5 and result.sensitivity == 1.0 and result.specificity == 1.0
    assert result.youden_index == 1.0


def test_youden_ties_resolved_to_the_lowest_threshold() -> None:
    result = roc_analysis([1, 2, 3, 4, 5, 6, 7, 8], [0, 1, 0, 1, 0, 1, 0, 1])
    assert result.optimal_cutoffs == (1.5, 3.5, 5.5, 7.5)
    assert result.cutoff == 1.5 and result.sensitivity == 1.0


def test_no_cutoff_when_nothing_beats_chance() -> None:
    result = roc_analysis([4, 3, 2, 1], [0, 0, 1, 1])
    assert result.auc == 0.0 and result.cutoff is None
    assert result.optimal_cutoffs == (-math.inf, math.inf)
    assert any("chance" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("event", "auc_known"),
    [([0, 0, 0, 0], False), ([1, 1, 1, 1], False), ([0, 1, 0, 0], True), ([None] * 4, False)],
)
def test_too_few_cases_or_controls_give_none_not_an_exception(
    event: list[int | None], auc_known: bool
) -> None:
    result = roc_analysis([1.0, 2.0, 3.0, 4.0], np.array(event, dtype=float))
    assert (result.auc is not None) == auc_known
    assert result.auc_variance is None and result.ci_low is None and result.ci_high is None
    assert result.warnings
    assert result.to_estimate().ci_low is None


def test_tests_with_too_few_observations_give_none() -> None:
    paired = roc_test_paired([1, 2, 3], [3, 2, 1], [0, 1, 1])
    assert paired.statistic is None and paired.p_value is None and paired.warnings
    unpaired = roc_test_unpaired([1, 2], [0, 1], [1, 2, 3, 4], [0, 0, 1, 1])
    assert unpaired.statistic is None and unpaired.df is None and unpaired.warnings
    assert unpaired.to_estimate().estimate is None


def test_many_ties_warned_and_infinite_values_refused() -> None:
    tied = roc_analysis([1, 1, 1, 2, 2, 2], [0, 1, 0, 1, 0, 1])
    assert tied.tied_pair_fraction == pytest.approx(4 / 9)
    assert any("tied" in w for w in tied.warnings)
    infinite = roc_analysis([1.0, math.inf, 2.0, 3.0], [0, 1, 0, 1])
    assert infinite.auc is None and infinite.curve is None and infinite.warnings


def test_inputs_polars_and_invalid_codes() -> None:
    result = roc_analysis(pl.Series([1.0, None, 3.0, 4.0]), pl.Series([0, 1, None, 1]))
    assert (result.n_cases, result.n_controls, result.n_dropped) == (1, 1, 2)
    with pytest.raises(ValueError, match="0/1"):
        roc_analysis([1, 2, 3], [0, 2, 1])
    with pytest.raises(ValueError, match="same length"):
        roc_analysis([1, 2, 3], [0, 1])


def test_paired_identical_markers_give_z_zero() -> None:
    marker = [1.0, 2.5, 2.5, 4.0, 3.0, 0.5]
    result = roc_test_paired(marker, marker, [0, 1, 0, 1, 1, 0])
    assert result.statistic == 0.0 and result.p_value == 1.0
    assert result.to_estimate().estimate == 0.0


def brute_force(cases: np.ndarray, controls: np.ndarray) -> tuple[float, float]:
    """O(n²) Mann–Whitney AUC and DeLong variance from the pairwise kernel ψ (DeLong 1988)."""
    psi = (cases[:, None] > controls[None, :]) + 0.5 * (cases[:, None] == controls[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    variance = np.var(v10, ddof=1) / len(cases) + np.var(v01, ddof=1) / len(controls)
    return float(psi.mean()), float(variance)


samples = st.lists(st.integers(-6, 6) | st.floats(-3, 3, width=16), min_size=2, max_size=40)


@settings(max_examples=200, deadline=None)
@given(cases=samples, controls=samples)
def test_auc_and_variance_equal_the_quadratic_formulas(
    cases: list[float], controls: list[float]
) -> None:
    x, y = np.array(cases, dtype=float), np.array(controls, dtype=float)
    auc, variance = brute_force(x, y)
    marker = np.concatenate([x, y])
    event = np.concatenate([np.ones(len(x)), np.zeros(len(y))])
    result = roc_analysis(marker, event)
    assert result.auc == pytest.approx(auc, rel=1e-12, abs=1e-15)
    assert result.auc == pytest.approx(roc_auc_score(event, marker), rel=1e-12, abs=1e-15)
    assert result.auc_variance == pytest.approx(variance, rel=1e-9, abs=1e-15)
    assert delong_placements(x, y).variance == pytest.approx(variance, rel=1e-9, abs=1e-15)
    # The cut-off reaches the best sensitivity + specificity over every data threshold.
    best = max((x >= t).mean() + (y < t).mean() for t in np.append(marker, np.inf))
    assert result.sensitivity is not None and result.specificity is not None
    assert result.sensitivity + result.specificity == pytest.approx(best, abs=1e-12)
    if result.cutoff is not None:
        assert (x >= result.cutoff).mean() == result.sensitivity
        assert (y < result.cutoff).mean() == result.specificity


def test_benchmark_runs_on_a_small_sample_without_r() -> None:
    (measurement,) = measure(5_000, compare_with_r=False)
    assert measurement.n == 5_000 and measurement.seconds > 0
    assert measurement.target_seconds is None  # the 2 s bar is for 1,000,000


pairs = st.lists(
    st.tuples(st.integers(-4, 4), st.integers(-4, 4), st.booleans()), min_size=4, max_size=40
)


@settings(max_examples=150, deadline=None)
@given(rows=pairs)
def test_paired_z_equals_the_quadratic_covariance_formula(
    rows: list[tuple[int, int, bool]],
) -> None:
    """Z = ΔAUC / sqrt(L'SL), S from O(n²) placements (DeLong 1988; pROC's delong.paired)."""
    first, second, event = (np.array(column, dtype=float) for column in zip(*rows, strict=True))
    cases, controls = event == 1, event == 0
    if cases.sum() < 2 or controls.sum() < 2:
        return
    placements = []
    for marker in (first, second):
        x, y = marker[cases], marker[controls]
        psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
        placements.append((psi.mean(), psi.mean(axis=1), psi.mean(axis=0)))
    (auc1, x1, y1), (auc2, x2, y2) = placements
    s10, s01 = np.cov(np.vstack([x1, x2])), np.cov(np.vstack([y1, y2]))
    covariance = s10 / cases.sum() + s01 / controls.sum()
    variance = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    result = roc_test_paired(first, second, event)
    assert result.auc1 == pytest.approx(auc1) and result.auc2 == pytest.approx(auc2)
    if variance > 1e-12:
        assert result.statistic == pytest.approx((auc1 - auc2) / np.sqrt(variance), rel=1e-9)
    elif auc1 == auc2:
        assert result.statistic == 0.0 and result.p_value == 1.0


def test_paired_zero_se_with_unequal_aucs_is_reported_not_raised() -> None:
    # marker1 separates perfectly, marker2 is perfectly reversed: both placements constant.
    result = roc_test_paired([1, 2, 3, 4], [4, 3, 2, 1], [0, 0, 1, 1])
    assert result.auc1 == 1.0 and result.auc2 == 0.0
    assert result.statistic is None and result.p_value == 0.0 and result.warnings
