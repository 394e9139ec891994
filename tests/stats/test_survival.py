"""Kaplan–Meier, median with CI and log-rank against R's survival package.

Expected numbers: ``tests/reference/survival.R`` → ``survival.json``, each fit with its R call, e.g.
``fit <- survfit(Surv(time, event) ~ 1, data = d, conf.type = "log", conf.int = 0.95);
unclass(fit); quantile(fit, probs = 0.5); summary(fit)$table`` and ``survdiff(Surv(time, event) ~
group, data = d)``. The product-limit estimate is closed form: compared to 1e-9.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from lifelines import KaplanMeierFitter

from ovaregen.stats.survival import (
    KaplanMeier,
    kaplan_meier,
    kaplan_meier_by_group,
    logrank_test,
    observed_time_summary,
)

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "reference" / "survival.json").read_text(encoding="utf-8")
)
CASES = {case["name"]: case for case in REFERENCE["cases"]}
FITS = [
    pytest.param(case, fit, id=f"{case['name']}-{fit['conf_type']}")
    for case in REFERENCE["cases"]
    for fit in case["fits"]
]
COLUMNS = ("time", "n_risk", "n_event", "n_censor", "survival", "std_err", "ci_low", "ci_high")


def frame(case: dict[str, Any]) -> pd.DataFrame:
    data = {"time": case["time"], "event": case["event"]}
    if "group" in case:
        data["group"] = case["group"]
    return pd.DataFrame(data)


def same(got: float | None, expected: float | None, rel: float = 1e-9) -> bool:
    if got is None or expected is None:
        return got is None and expected is None
    return got == pytest.approx(expected, rel=rel, abs=1e-12)


def no_nan(value: Any) -> bool:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(no_nan(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return all(no_nan(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(no_nan(v) for v in value)
    return not isinstance(value, float) or math.isfinite(value)


@pytest.mark.parametrize(("case", "fit"), FITS)
def test_table_and_median_match_survfit(case: dict[str, Any], fit: dict[str, Any]) -> None:
    for rule in ("quantile", "print"):
        result = kaplan_meier(
            frame(case),
            "time",
            "event",
            conf_level=case["conf_level"],
            conf_type=fit["conf_type"],
            median_rule=rule,
        )
        assert result.n == fit["n"] and result.n_events == fit["events"]
        assert len(result.table) == len(fit["time"])
        for column in COLUMNS:
            got = [getattr(row, column) for row in result.table]
            assert all(same(g, e) for g, e in zip(got, fit[column], strict=True)), column
        expected = (fit[f"{rule}_median"], fit[f"{rule}_lower"], fit[f"{rule}_upper"])
        assert (result.median, result.median_ci_low, result.median_ci_high) == tuple(expected)
        assert result.options["conf_type"] == fit["conf_type"]
        assert no_nan(result)


def test_default_is_survfit_default_log_ci_and_quantile() -> None:
    case = CASES["seeded_integer_times"]
    result = kaplan_meier(frame(case), "time", "event")
    log_fit = case["fits"][0]
    assert log_fit["conf_type"] == "log"
    assert result.options["conf_type"] == "log" and result.conf_level == 0.95
    assert result.options["median_rule"] == "quantile(fit, 0.5)"
    assert (result.median, result.median_ci_low, result.median_ci_high) == (6.5, 4, 10)
    estimate = result.median_estimate()
    assert (estimate.estimate, estimate.ci_low, estimate.ci_high) == (6.5, 4, 10)
    assert estimate.n == 60 and estimate.conf_level == 0.95


def test_log_log_option_is_lifelines_exponential_greenwood() -> None:
    case = CASES["seeded_integer_times"]
    ours = kaplan_meier(frame(case), "time", "event", conf_type="log-log")
    bands = KaplanMeierFitter().fit(case["time"], case["event"]).confidence_interval_
    for row in ours.table:
        if row.ci_low is not None:
            assert row.ci_low == pytest.approx(bands.loc[row.time].iloc[0], rel=1e-9)
            assert row.ci_high == pytest.approx(bands.loc[row.time].iloc[1], rel=1e-9)


def test_quantile_and_print_rules_differ_only_when_flat_at_one_half_to_the_end() -> None:
    case = CASES["flat_at_one_half_to_the_end"]
    quantile = kaplan_meier(frame(case), "time", "event")
    printed = kaplan_meier(frame(case), "time", "event", median_rule="print")
    assert (quantile.median, printed.median) == (3, 2)
    drop = CASES["flat_at_one_half_then_drop"]
    assert kaplan_meier(frame(drop), "time", "event").median == 4
    assert kaplan_meier(frame(drop), "time", "event", median_rule="print").median == 4


def test_median_not_reached_and_upper_limit_not_reached_are_warned() -> None:
    lower_only = kaplan_meier(frame(CASES["median_not_reached_lower_limit_only"]), "time", "event")
    assert lower_only.median is None and lower_only.median_ci_high is None
    assert lower_only.median_ci_low == 7
    assert any("median not reached" in w for w in lower_only.warnings)
    reached = kaplan_meier(frame(CASES["last_time_is_an_event"]), "time", "event")
    assert (reached.median, reached.median_ci_low, reached.median_ci_high) == (4, 3, None)
    assert reached.table[-1].survival == 0 and reached.table[-1].ci_low is None
    assert any("upper confidence limit" in w for w in reached.warnings)


def test_study_b_like_time_to_pregnancy() -> None:
    case = CASES["study_b_like_time_to_pregnancy"]
    result = kaplan_meier(pl.DataFrame(frame(case)), "time", "event")
    assert (result.n, result.n_events) == (105, 38)
    assert result.median is None and result.median_ci_low is None
    assert result.table[-1].survival == pytest.approx(case["fits"][0]["survival"][-1], rel=1e-9)
    summary = observed_time_summary(case["spontaneous_months"])
    assert summary.n == 27
    assert (summary.median, summary.minimum, summary.maximum) == (3, 1, 24)
    assert summary.median == case["spontaneous_median"]
    assert [summary.minimum, summary.maximum] == case["spontaneous_range"]


def test_logrank_matches_survdiff() -> None:
    case = CASES["study_b_like_time_to_pregnancy"]
    result = logrank_test(frame(case), "time", "event", "group")
    expected = case["logrank"]
    assert result.statistic == pytest.approx(expected["chisq"], rel=1e-9)
    assert result.p_value == pytest.approx(expected["p_value"], rel=1e-9)
    assert result.df == expected["df"] == 1 and result.n == 105
    three = REFERENCE["logrank_three_groups"]
    data = pd.DataFrame({k: three[k] for k in ("time", "event", "group")})
    result = logrank_test(data, "time", "event", "group")
    assert result.statistic == pytest.approx(three["chisq"], rel=1e-9)
    assert result.p_value == pytest.approx(three["p_value"], rel=1e-9)
    assert result.df == 2


def test_curves_by_group() -> None:
    case = CASES["study_b_like_time_to_pregnancy"]
    data = frame(case)
    young, older = kaplan_meier_by_group(data, "time", "event", "group")
    assert (young.group, young.n, young.n_events) == ("<35", 23, 12)
    assert (older.group, older.n, older.n_events) == (">=35", 82, 26)
    alone = kaplan_meier(data[data["group"] == "<35"], "time", "event")
    assert young.table == alone.table and young.median == alone.median


def test_degenerate_inputs_give_none_and_warnings() -> None:
    empty = kaplan_meier(pl.DataFrame({"t": [], "e": []}), "t", "e")
    assert (empty.n, empty.table, empty.median) == (0, (), None)
    assert empty.warnings
    missing = kaplan_meier(pd.DataFrame({"t": [1.0, None], "e": [None, 1.0]}), "t", "e")
    assert missing.n == 0 and missing.n_excluded == 2 and missing.warnings
    censored = kaplan_meier(frame(CASES["all_censored"]), "time", "event")
    assert censored.median is None and any("no events" in w for w in censored.warnings)
    one_group = logrank_test(pd.DataFrame({"t": [1, 2], "e": [1, 1], "g": "a"}), "t", "e", "g")
    assert one_group.statistic is None and one_group.p_value is None
    assert one_group.warnings == ("fewer than two groups: no test",)
    no_events = logrank_test(
        pd.DataFrame({"t": [1, 2], "e": [0, 0], "g": ["a", "b"]}), "t", "e", "g"
    )
    assert no_events.statistic is None and no_events.warnings
    all_at_zero = kaplan_meier(pd.DataFrame({"t": [0.0, 0.0], "e": [True, True]}), "t", "e")
    assert all_at_zero.median == 0 and all_at_zero.table[0].survival == 0
    assert observed_time_summary([None, math.nan]).median is None
    assert observed_time_summary([2.0, None, 7.0]).median == 4.5
    for result in (empty, missing, censored, one_group, all_at_zero):
        assert no_nan(result)


def test_misuse_raises_value_error() -> None:
    data = pd.DataFrame({"t": [1.0, -2.0], "e": [1, 2]})
    with pytest.raises(ValueError, match="non-negative"):
        kaplan_meier(data, "t", "e")
    with pytest.raises(ValueError, match="event"):
        kaplan_meier(data.assign(t=[1.0, 2.0]), "t", "e")
    with pytest.raises(ValueError, match="not in the frame"):
        kaplan_meier(data, "t", "status")
    good = data.assign(t=[1.0, 2.0], e=[1, 0])
    with pytest.raises(ValueError, match="conf_type"):
        kaplan_meier(good, "t", "e", conf_type="arcsin")
    with pytest.raises(ValueError, match="median_rule"):
        kaplan_meier(good, "t", "e", median_rule="midpoint")


def test_input_frame_is_not_modified_and_result_is_frozen() -> None:
    data = frame(CASES["ties_and_censoring_at_last_time"])
    before = data.copy()
    result = kaplan_meier(data, "time", "event")
    pd.testing.assert_frame_equal(data, before)
    assert isinstance(result, KaplanMeier)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.median = 1.0  # type: ignore[misc]


def test_near_ties_merge_as_r_timefix() -> None:
    """R: t <- c(1, 1 + 1e-12, 2, 3, 3 - 1e-10); e <- c(1, 1, 0, 1, 1)
    survfit(Surv(t, e) ~ 1)$time is 1, 2, 2.9999999999 with n.event 2, 0, 2;
    survdiff(Surv(t, e) ~ c(1, 2, 1, 2, 1))$chisq is 0.11111111111111106."""
    data = pd.DataFrame({"t": [1, 1 + 1e-12, 2, 3, 3 - 1e-10], "e": [1, 1, 0, 1, 1]})
    result = kaplan_meier(data.assign(g=[1, 2, 1, 2, 1]), "t", "e")
    assert [(row.time, row.n_event) for row in result.table] == [(1, 2), (2, 0), (3 - 1e-10, 2)]
    test = logrank_test(data.assign(g=[1, 2, 1, 2, 1]), "t", "e", "g")
    assert test.statistic == pytest.approx(0.11111111111111106, rel=1e-9)
