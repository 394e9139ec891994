"""Logistic regression against R's glm(family = binomial).

The expected numbers come from ``tests/reference/regression.R`` (written to ``regression.json``),
each case with its R call, e.g. ``fit <- glm(activation ~ age_years + wbc_d5_10e9_l +
cd34_d5_per_ul, family = binomial, data = d); summary(fit); exp(confint.default(fit))``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from ovaregen.stats.regression import (
    INTERCEPT,
    LogisticRegression,
    _finite_maximum_certified,
    _separation,
    logistic_regression,
)

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "reference" / "regression.json").read_text(encoding="utf-8")
)
CASES = {case["name"]: case for case in REFERENCE["cases"]}
TERM_FIELDS = ("coefficient", "std_error", "odds_ratio", "ci_low", "ci_high", "z_value", "p_value")


def frame(case: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {k: [math.nan if v is None else v for v in vs] for k, vs in case["data"].items()}
    )


def fit(case: dict[str, Any], data: Any = None) -> LogisticRegression:
    data = frame(case) if data is None else data
    return logistic_regression(data, case["outcome"], case["covariates"])


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


def test_study_a_like_model_matches_r() -> None:
    case = CASES["study_a_like"]
    result = fit(case)
    assert result.n == case["n"] == 141
    assert result.n_events == case["n_events"]
    assert result.n_excluded == 4
    assert [t.name for t in result.terms] == [t["name"] for t in case["terms"]]
    assert result.terms[0].name == INTERCEPT
    for term, expected in zip(result.terms, case["terms"], strict=True):
        for name in TERM_FIELDS:
            assert getattr(term, name) == pytest.approx(expected[name], rel=1e-6), (term, name)
    for name in ("log_likelihood", "aic", "deviance", "null_deviance"):
        assert getattr(result, name) == pytest.approx(case[name], rel=1e-6), name
    assert result.converged and result.iterations == case["iterations"]
    assert result.separation == "none"
    assert result.warnings == ()
    assert no_nan(result)


def test_polars_input_with_nulls_gives_the_same_fit() -> None:
    case = CASES["study_a_like"]
    polars_frame = pl.DataFrame(case["data"]).with_columns(pl.col("activation").cast(pl.Boolean))
    assert polars_frame["cd34_d5_per_ul"].null_count() == 2
    assert fit(case, polars_frame) == fit(case)


def test_input_frame_is_not_modified() -> None:
    case = CASES["study_a_like"]
    data = frame(case)
    before = data.copy()
    fit(case, data)
    pd.testing.assert_frame_equal(data, before)


def test_estimates_carry_odds_ratios_and_wald_intervals() -> None:
    case = CASES["study_a_like"]
    result = fit(case)
    estimates = result.estimates()
    cd34 = result.term("cd34_d5_per_ul")
    assert estimates[3].estimate == cd34.odds_ratio
    assert (estimates[3].ci_low, estimates[3].ci_high) == (cd34.ci_low, cd34.ci_high)
    assert estimates[3].statistic == cd34.z_value
    assert estimates[3].options["term"] == "cd34_d5_per_ul"
    assert estimates[3].n == 141 and estimates[3].conf_level == 0.95
    with pytest.raises(KeyError):
        result.term("haemoglobin")


def test_conf_level_changes_only_the_interval() -> None:
    case = CASES["study_a_like"]
    data = frame(case)
    wide = logistic_regression(data, case["outcome"], case["covariates"], conf_level=0.99)
    term = wide.term("age_years")
    b, se = term.coefficient, term.std_error
    assert b is not None and se is not None
    assert term.ci_low == pytest.approx(math.exp(b - 2.5758293035489004 * se), rel=1e-12)
    assert term.p_value == fit(case).term("age_years").p_value


def test_complete_separation_is_reported_not_raised() -> None:
    case = CASES["complete_separation"]
    assert case["r_warnings"] == ["glm.fit: fitted probabilities numerically 0 or 1 occurred"]
    result = fit(case)
    assert result.separation == "complete"
    assert any("complete separation" in w for w in result.warnings)
    assert any("fitted probabilities numerically 0 or 1" in w for w in result.warnings)
    # R prints finite but meaningless numbers (OR ~ 7e9, p ~ 1); the MLE does not exist.
    assert all(getattr(t, f) is None for t in result.terms for f in TERM_FIELDS)
    assert result.n == 12 and result.n_events == 6
    assert result.log_likelihood == pytest.approx(case["log_likelihood"], abs=1e-8)
    assert result.iterations == case["iterations"] and result.converged == case["converged"]
    assert no_nan(result)


def test_quasi_complete_separation_keeps_the_finite_term() -> None:
    case = CASES["quasi_complete_separation"]
    assert "glm.fit: fitted probabilities numerically 0 or 1 occurred" in case["r_warnings"]
    result = fit(case)
    assert result.separation == "quasi-complete"
    assert any(w.startswith("quasi-complete separation") for w in result.warnings)
    assert result.term(INTERCEPT).odds_ratio is None
    assert result.term("dose").odds_ratio is None
    weight = result.term("weight")
    expected = case["terms"][2]
    for name in TERM_FIELDS:
        assert getattr(weight, name) == pytest.approx(expected[name], rel=1e-6), name
    assert result.iterations == case["iterations"]


def test_non_convergence_is_warned_as_r_does() -> None:
    case = CASES["separation_not_converged"]
    assert "glm.fit: algorithm did not converge" in case["r_warnings"]
    result = fit(case)
    assert not result.converged and result.iterations == 25
    assert any("did not converge" in w for w in result.warnings)
    assert result.separation == "complete"


def test_aliased_covariate_is_none_like_r_na() -> None:
    case = CASES["aliased_covariate"]
    result = fit(case)
    assert result.term("x_twice") == dataclasses.replace(
        result.term("x_twice"), **dict.fromkeys(TERM_FIELDS)
    )
    assert any("aliased" in w and "x_twice" in w for w in result.warnings)
    for term, expected in zip(result.terms[:2], case["terms"][:2], strict=True):
        for name in TERM_FIELDS:
            assert getattr(term, name) == pytest.approx(expected[name], rel=1e-6)
    assert result.aic == pytest.approx(case["aic"], rel=1e-6)


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        ([0.0, 0.0, 0.0, 0.0], "no events"),
        ([1.0, 1.0, 1.0, 1.0], "every observation is an event"),
        ([math.nan] * 4, "no complete case"),
    ],
)
def test_degenerate_data_gives_none_and_a_warning(outcome: list[float], reason: str) -> None:
    data = pd.DataFrame({"y": outcome, "x": [1.0, 2.0, 3.0, 4.0]})
    result = logistic_regression(data, "y", ["x"])
    assert all(getattr(t, f) is None for t in result.terms for f in TERM_FIELDS)
    assert result.log_likelihood is None and result.aic is None
    assert any(reason in w for w in result.warnings)
    assert no_nan(result)


def test_empty_frame_and_constant_covariate() -> None:
    empty = logistic_regression(pl.DataFrame({"y": [], "x": []}), "y", ["x"])
    assert empty.n == 0 and any("no complete case" in w for w in empty.warnings)
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"y": rng.integers(0, 2, 30), "x": rng.normal(size=30), "c": 3.0})
    result = logistic_regression(data, "y", ["x", "c"])
    assert result.term("c").coefficient is None and result.term("x").coefficient is not None


def test_misuse_raises_value_error() -> None:
    data = pd.DataFrame({"y": [0, 1, 2], "x": [1.0, 2.0, 3.0], "s": ["a", "b", "c"]})
    with pytest.raises(ValueError, match="0/1"):
        logistic_regression(data, "y", ["x"])
    with pytest.raises(ValueError, match="not in the frame"):
        logistic_regression(data, "y", ["missing"])
    with pytest.raises(ValueError, match="numeric"):
        logistic_regression(data.assign(y=[0, 1, 1]), "y", ["s"])
    with pytest.raises(ValueError, match="conf_level"):
        logistic_regression(data, "y", ["x"], conf_level=95)


def test_fit_certificate_and_linear_programme_agree() -> None:
    """The shortcut (Stiemke certificate from the fit) only skips an LP that would say "none"."""
    rng = np.random.default_rng(3)
    x = np.column_stack([np.ones(400), rng.normal(size=(400, 2))])
    y = (rng.uniform(size=400) < 1 / (1 + np.exp(-x @ [0.2, 0.8, -0.5]))).astype(float)
    result = logistic_regression(
        pd.DataFrame({"y": y, "a": x[:, 1], "b": x[:, 2]}), "y", ["a", "b"]
    )
    beta = np.array([math.log(t.odds_ratio or math.nan) for t in result.terms])
    assert _finite_maximum_certified(x, y, beta)
    assert _separation(x, y) == ("none", set())
    case = CASES["quasi_complete_separation"]
    data = frame(case)
    xq = np.column_stack([np.ones(len(data)), data["dose"], data["weight"]])
    assert not _finite_maximum_certified(xq, data["response"].to_numpy(), np.zeros(3))
