"""ANCOVA (baseline-adjusted difference between two arms) against R's lm().

The expected numbers come from ``tests/reference/ancova.R`` (written to ``ancova.json``), each
case with its R call: ``d <- data.frame(y, arm = factor(arm, levels = c(second, first)),
baseline); fit <- lm(y ~ arm + baseline, data = d); summary(fit); confint(fit)`` and the
adjusted means ``predict(fit, newdata = data.frame(arm = ..., baseline =
mean(model.frame(fit)$baseline)), se.fit = TRUE, interval = "confidence")``. OLS is closed form:
the tolerance is 1e-9 relative.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovaregen.analysis.result import Result
from ovaregen.stats.ancova import METHOD, AncovaResult, ancova
from ovaregen.stats.result import Estimate

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "reference" / "ancova.json").read_text(encoding="utf-8")
)
CASES = {case["name"]: case for case in REFERENCE["cases"]}
REL = REFERENCE["tolerance"]
TERM_FIELDS = ("coefficient", "std_error", "t_value", "p_value", "ci_low", "ci_high")
ARM_FIELDS = (
    "mean_outcome",
    "sd_outcome",
    "mean_baseline",
    "adjusted_mean",
    "adjusted_std_error",
    "adjusted_ci_low",
    "adjusted_ci_high",
)


def close(actual: float | None, expected: float) -> bool:
    return actual is not None and math.isclose(actual, expected, rel_tol=REL, abs_tol=1e-14)


def fit(case: dict[str, Any], **options: Any) -> AncovaResult:
    data = case["data"]
    options.setdefault("groups", (case["first"], case["second"]))
    return ancova(data["outcome"], data["arm"], data["baseline"], **options)


def no_nan(value: Any) -> bool:
    """True when nothing in a (nested) result is NaN or infinite: JSON-safe."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(no_nan(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return all(no_nan(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(no_nan(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def numbers_are_none(result: AncovaResult) -> bool:
    numbers = [result.statistic, result.df, result.p_value, result.estimate, result.ci_low]
    numbers += [result.ci_high, result.std_error, result.residual_std_error, result.r_squared]
    return all(v is None for v in numbers)


# --- R reference -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [pytest.param(c, id=name) for name, c in CASES.items()])
def test_matches_r_lm(case: dict[str, Any]) -> None:
    result = fit(case)
    arm, base = case["arm_term"], case["baseline_term"]
    assert result.n == case["n"] and result.n_excluded == case["n_excluded"]
    assert result.df == case["df"] == case["n"] - 3
    assert close(result.estimate, arm["coefficient"])
    assert close(result.std_error, arm["std_error"])
    assert close(result.statistic, arm["t_value"])
    assert close(result.p_value, arm["p_value"])
    assert close(result.ci_low, arm["ci_low"])
    assert close(result.ci_high, arm["ci_high"])
    assert result.baseline is not None and result.baseline.name == "baseline"
    for name in TERM_FIELDS:
        assert close(getattr(result.baseline, name), base[name]), name
    assert close(result.intercept, case["intercept"])
    assert close(result.residual_std_error, case["sigma"])
    assert close(result.r_squared, case["r_squared"])
    assert close(result.adj_r_squared, case["adj_r_squared"])
    assert close(result.mean_baseline, case["mean_baseline"])
    assert result.arms == (case["first"], case["second"])
    assert (result.n_first, result.n_second) == tuple(a["n"] for a in case["arms"])
    for means, expected in zip(result.arm_means, case["arms"], strict=True):
        assert means.arm == expected["arm"] and means.n == expected["n"]
        for name in ARM_FIELDS:
            assert close(getattr(means, name), expected[name]), (means.arm, name)
    assert result.method == METHOD
    assert result.conf_level == 0.95
    assert no_nan(result)


@pytest.mark.parametrize("case", [pytest.param(c, id=name) for name, c in CASES.items()])
def test_conf_level_matches_r_confint_level(case: dict[str, Any]) -> None:
    """R: ``confint(fit, level = 0.90)``."""
    result = fit(case, conf_level=0.90)
    assert close(result.ci_low, case["arm_term"]["ci90_low"])
    assert close(result.ci_high, case["arm_term"]["ci90_high"])
    assert result.baseline is not None
    assert close(result.baseline.ci_low, case["baseline_term"]["ci90_low"])
    assert result.p_value == fit(case).p_value
    assert result.conf_level == 0.90


def test_missing_values_are_left_out_and_counted() -> None:
    result = fit(CASES["missing_values"], baseline_name="AFC at baseline")
    assert result.n == 50 and result.n_excluded == 5
    assert result.warnings == (
        "5 of 55 rows left out (complete cases): outcome missing or infinite in 3, arm in 0, "
        "AFC at baseline in 3",
    )
    assert result.options["adjusted_for"] == "AFC at baseline"
    assert result.baseline is not None and result.baseline.name == "AFC at baseline"


def test_options_name_the_adjustment_reference_and_interval() -> None:
    result = fit(CASES["normal"], baseline_name="AMH at baseline")
    assert result.options == {
        "adjusted_for": "AMH at baseline",
        "reference": "control",
        "ci": "t",
        "comparison": "MenSC minus control",
        "missing": "complete cases (R na.omit)",
    }
    assert "ANCOVA: OLS of outcome on arm + baseline (R lm(outcome ~ arm + baseline))" in (
        result.method
    )


def test_the_analysis_layer_builds_a_result_from_it() -> None:
    estimate = fit(CASES["normal"])
    assert isinstance(estimate, Estimate)
    result = Result.of("amh_6m_adjusted", "AMH at 6 months, adjusted", estimate, "itt")
    assert result.estimate == estimate.estimate and result.p_value == estimate.p_value
    assert (result.ci_low, result.ci_high) == (estimate.ci_low, estimate.ci_high)
    assert result.statistic == estimate.statistic and result.df == estimate.df
    assert result.n == 60 and result.options["reference"] == "control"
    assert result.detail is estimate


def test_without_groups_the_first_sorted_label_is_the_reference_as_r() -> None:
    """R's default ``factor(arm)``: levels sorted, the first one the reference."""
    case = CASES["labels_sort_the_other_way"]
    given_order = fit(case)
    default = fit(case, groups=None)
    assert default.arms == ("placebo", "active")
    assert default.options["reference"] == "active"
    assert default.estimate == pytest.approx(-case["arm_term"]["coefficient"], rel=1e-12)
    assert given_order.estimate == pytest.approx(case["arm_term"]["coefficient"], rel=1e-12)
    normal = CASES["normal"]
    assert fit(normal, groups=None).arms == ("control", "MenSC")  # "M" < "c" as code points


def test_swapping_the_arms_negates_the_difference_only() -> None:
    case = CASES["unequal_arms"]
    forward, backward = fit(case), fit(case, groups=("sham", "PRP"))
    assert forward.estimate is not None and backward.estimate is not None
    assert backward.estimate == pytest.approx(-forward.estimate, rel=1e-12)
    assert backward.std_error == pytest.approx(forward.std_error, rel=1e-12)
    assert backward.p_value == pytest.approx(forward.p_value, rel=1e-10)
    assert forward.ci_low is not None and backward.ci_high is not None
    assert backward.ci_high == pytest.approx(-forward.ci_low, rel=1e-12)
    assert [m.arm for m in backward.arm_means] == ["sham", "PRP"]
    for a, b in zip(backward.arm_means, forward.arm_means[::-1], strict=True):
        assert a.n == b.n and a.mean_outcome == b.mean_outcome
        assert a.adjusted_mean == pytest.approx(b.adjusted_mean, rel=1e-12)
        assert a.adjusted_std_error == pytest.approx(b.adjusted_std_error, rel=1e-10)
    assert forward.arm("PRP").n == 40 and backward.arm("sham").n == 18
    with pytest.raises(KeyError):
        forward.arm("control")


def test_polars_pandas_and_numpy_inputs_give_the_same_fit() -> None:
    case = CASES["missing_values"]
    data = case["data"]
    reference = fit(case)
    frame = pl.DataFrame(data)
    assert frame["outcome"].null_count() == 3
    from_polars = ancova(
        frame["outcome"], frame["arm"], frame["baseline"], groups=("MenSC", "control")
    )
    pandas_frame = pd.DataFrame(data).astype({"outcome": "Float64", "baseline": "Float64"})
    from_pandas = ancova(
        pandas_frame["outcome"],
        pandas_frame["arm"],
        pandas_frame["baseline"],
        groups=("MenSC", "control"),
    )
    as_nan = [math.nan if v is None else v for v in data["outcome"]]
    from_numpy = ancova(
        np.array(as_nan), np.array(data["arm"]), data["baseline"], groups=("MenSC", "control")
    )
    assert from_polars == reference == from_pandas == from_numpy


def test_input_is_not_modified() -> None:
    case = CASES["missing_values"]
    data = copy.deepcopy(case["data"])
    outcome = np.array([math.nan if v is None else v for v in data["outcome"]])
    outcome_before = outcome.copy()
    series = pl.Series("baseline", data["baseline"], dtype=pl.Float64)
    ancova(outcome, data["arm"], series, groups=("MenSC", "control"))
    np.testing.assert_array_equal(outcome, outcome_before)
    assert series.to_list() == case["data"]["baseline"]
    assert data == case["data"]


# --- properties --------------------------------------------------------------------------------

values = st.floats(min_value=-100, max_value=100, allow_nan=False).map(lambda v: round(v, 2))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(values, values), min_size=3, max_size=12),
    st.lists(st.tuples(values, values), min_size=3, max_size=12),
)
def test_estimate_is_the_difference_of_means_minus_slope_times_baseline_difference(
    first: list[tuple[float, float]], second: list[tuple[float, float]]
) -> None:
    """b_arm = (ȳ₁ − ȳ₂) − b_baseline · (x̄₁ − x̄₂), b_baseline the pooled within-arm slope."""
    y = [v for v, _ in first + second]
    x = [b for _, b in first + second]
    arm = ["MenSC"] * len(first) + ["control"] * len(second)
    result = ancova(y, arm, x, groups=("MenSC", "control"))
    xs = [np.array([b for _, b in g]) for g in (first, second)]
    ys = [np.array([v for v, _ in g]) for g in (first, second)]
    sxx = sum(float(((b - b.mean()) ** 2).sum()) for b in xs)
    if result.estimate is None:  # the baseline is constant within both arms: singular
        assert any("the design is singular" in w for w in result.warnings)
        return
    sxy = sum(float(((b - b.mean()) * (v - v.mean())).sum()) for b, v in zip(xs, ys, strict=True))
    assert result.baseline is not None and result.baseline.coefficient is not None
    assert result.baseline.coefficient == pytest.approx(sxy / sxx, rel=1e-6, abs=1e-6)
    expected = (ys[0].mean() - ys[1].mean()) - sxy / sxx * (xs[0].mean() - xs[1].mean())
    scale = 1 + abs(expected) + abs(sxy / sxx) * float(np.abs(x).max())
    assert result.estimate == pytest.approx(expected, abs=1e-7 * scale)
    first_means, second_means = result.arm_means
    assert first_means.adjusted_mean is not None and second_means.adjusted_mean is not None
    assert first_means.adjusted_mean - second_means.adjusted_mean == pytest.approx(
        result.estimate, abs=1e-9 * scale
    )
    assert no_nan(result)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(values, min_size=3, max_size=10, unique=True),
    st.lists(values, min_size=3, max_size=10),
    st.lists(values, min_size=3, max_size=10),
)
def test_equal_baseline_means_make_it_the_plain_difference_of_means(
    baselines: list[float], noise_first: list[float], noise_second: list[float]
) -> None:
    """When both arms have the same baseline values (hence equal baseline means), x̄₁ − x̄₂ = 0
    and the adjusted difference is exactly ȳ₁ − ȳ₂, whatever the slope. Only then: with unequal
    baseline means the two differ by b · (x̄₁ − x̄₂). The standard errors differ in general."""
    k = len(baselines)
    y1 = [b + e for b, e in zip(baselines, (noise_first * k)[:k], strict=True)]
    y2 = [0.5 * b - e for b, e in zip(baselines, (noise_second * k)[:k], strict=True)]
    result = ancova(y1 + y2, ["a"] * k + ["b"] * k, baselines + baselines, groups=("a", "b"))
    assert result.estimate is not None
    scale = 1 + float(np.abs(y1 + y2).max())
    assert result.estimate == pytest.approx(np.mean(y1) - np.mean(y2), abs=1e-9 * scale)


def test_shifting_the_baseline_changes_only_the_intercept() -> None:
    case = CASES["normal"]
    data = case["data"]
    shifted = ancova(
        data["outcome"],
        data["arm"],
        [b + 100 for b in data["baseline"]],
        groups=("MenSC", "control"),
    )
    plain = fit(case)
    assert shifted.estimate == pytest.approx(plain.estimate, rel=1e-9)
    assert shifted.p_value == pytest.approx(plain.p_value, rel=1e-7)
    for a, b in zip(shifted.arm_means, plain.arm_means, strict=True):
        assert a.adjusted_mean == pytest.approx(b.adjusted_mean, rel=1e-9)
    assert shifted.intercept != pytest.approx(plain.intercept)


def test_adding_to_the_first_arm_shifts_the_estimate_by_as_much() -> None:
    case = CASES["tiny"]
    data = case["data"]
    moved = [
        v + 2.0 if a == "MenSC" else v for v, a in zip(data["outcome"], data["arm"], strict=True)
    ]
    result = ancova(moved, data["arm"], data["baseline"], groups=("MenSC", "control"))
    assert result.estimate == pytest.approx(case["arm_term"]["coefficient"] + 2.0, rel=1e-12)
    assert result.std_error == pytest.approx(case["arm_term"]["std_error"], rel=1e-9)


# --- degenerate data: None numbers and a warning, never an exception -----------------------------


def test_only_one_arm_present() -> None:
    result = ancova([1.0, 2.0, 3.0, 4.0], ["MenSC"] * 4, [1.0, 1.5, 2.5, 2.0])
    assert numbers_are_none(result) and result.arms is None
    assert result.warnings == ("fewer than two arms present (MenSC): no comparison",)
    assert result.n == 4 and no_nan(result)


def test_an_absent_arm_named_in_groups() -> None:
    result = ancova([1.0, 2.0, 3.0], ["MenSC"] * 3, [1.0, 1.5, 2.5], groups=("MenSC", "control"))
    assert numbers_are_none(result)
    assert result.arms == ("MenSC", "control") and result.n_second == 0
    assert result.warnings[-1].startswith("fewer than 2 complete cases in arm 'control'")
    assert result.arm("MenSC").mean_outcome == pytest.approx(2.0)
    assert result.arm("control").mean_outcome is None


def test_one_complete_case_in_an_arm() -> None:
    result = ancova(
        [1.0, 2.0, 3.0, 4.0, None, 6.0],
        ["a", "a", "a", "b", "b", "b"],
        [1.0, 1.5, 2.5, 2.0, 3.0, math.nan],
        groups=("a", "b"),
    )
    assert numbers_are_none(result) and result.n == 4 and result.n_second == 1
    assert result.warnings[0].startswith("2 of 6 rows left out (complete cases)")
    assert "fewer than 2 complete cases in arm 'b'" in result.warnings[1]
    assert no_nan(result)


def test_no_data_at_all() -> None:
    empty = ancova([], [], [], groups=("a", "b"))
    assert numbers_are_none(empty) and empty.n == 0 and empty.mean_baseline is None
    missing = ancova([None, None], [None, "a"], [1.0, None])
    assert numbers_are_none(missing) and missing.arms is None
    assert "fewer than two arms present (a)" in missing.warnings[-1]


def test_constant_baseline_makes_the_design_singular() -> None:
    result = ancova(
        [1.0, 2.0, 3.0, 4.0, 5.0, 7.0], ["a"] * 3 + ["b"] * 3, [2.0] * 6, groups=("a", "b")
    )
    assert numbers_are_none(result)
    assert result.baseline is not None and result.baseline.coefficient is None
    assert result.warnings == (
        "baseline is constant among the complete cases: the design is singular "
        "(R: NA for baseline); no adjusted comparison",
    )
    assert result.arm("a").mean_outcome == pytest.approx(2.0)


def test_baseline_that_is_a_function_of_the_arm_makes_the_design_singular() -> None:
    result = ancova(
        [1.0, 2.0, 3.0, 4.0, 5.0, 7.0],
        ["a"] * 3 + ["b"] * 3,
        [1.0, 1.0, 1.0, 3.0, 3.0, 3.0],
        groups=("a", "b"),
        baseline_name="AMH at baseline",
    )
    assert numbers_are_none(result)
    assert "AMH at baseline is a function of the arm" in result.warnings[0]


def test_two_per_arm_is_enough_with_one_residual_df() -> None:
    result = ancova(
        [1.0, 2.5, 3.0, 4.5], ["a", "a", "b", "b"], [1.0, 2.0, 1.5, 2.5], groups=("a", "b")
    )
    assert result.df == 1 and result.estimate is not None and result.p_value is not None
    assert no_nan(result)


def test_a_perfect_fit_is_warned_as_r_does() -> None:
    baseline = [1.0, 2.0, 3.0, 1.5, 2.5, 4.0]
    arm = ["a"] * 3 + ["b"] * 3
    outcome = [1 + 2 * b + (0.5 if g == "a" else 0.0) for b, g in zip(baseline, arm, strict=True)]
    result = ancova(outcome, arm, baseline, groups=("a", "b"))
    assert result.estimate == pytest.approx(0.5, rel=1e-9)
    assert any(w.startswith("essentially perfect fit") for w in result.warnings)
    assert no_nan(result)


def test_infinite_values_count_as_missing() -> None:
    case = CASES["tiny"]
    data = case["data"]
    result = ancova(
        [*data["outcome"], math.inf],
        [*data["arm"], "control"],
        [*data["baseline"], 1.0],
        groups=("MenSC", "control"),
    )
    assert result.n == 6 and result.n_excluded == 1
    assert close(result.estimate, case["arm_term"]["coefficient"])


# --- misuse raises -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "options", "message"),
    [
        (([1.0, 2.0], ["a"], [1.0, 2.0]), {}, "differ in length"),
        (([1.0, 2.0, 3.0], ["a", "b", "c"], [1.0, 2.0, 3.0]), {}, "two arms"),
        (([1.0, 2.0], ["a", "c"], [1.0, 2.0]), {"groups": ("a", "b")}, "outside groups"),
        (([1.0, 2.0], ["a", "a"], [1.0, 2.0]), {"groups": ("a", "a")}, "must differ"),
        (([1.0, 2.0], ["a", "b"], [1.0, 2.0]), {"conf_level": 1.0}, "conf_level"),
    ],
)
def test_misuse_raises(arguments: tuple[Any, ...], options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ancova(*arguments, **options)
