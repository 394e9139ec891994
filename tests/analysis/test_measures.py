"""The plans' building blocks: group splits, rates with named denominators, comparisons."""

from __future__ import annotations

import polars as pl
import pytest

from ovaregen.analysis.measures import (
    arm_risks,
    compare_means,
    compare_rates,
    groups_frame,
    rate_of,
    rate_per_unit,
    results_frame,
    split_at,
    split_by_values,
)
from ovaregen.analysis.result import LeftOut, Population
from ovaregen.stats.comparison import t_test
from ovaregen.stats.contingency import fisher_exact

EVERYONE = Population("everyone", "all rows", 0)


def cohort(groups: list[tuple[float | None, int, int]]) -> pl.DataFrame:
    """Rows of (age, pregnant, not pregnant) counts → one row per woman."""
    ages, pregnant = [], []
    for age, yes, no in groups:
        ages += [age] * (yes + no)
        pregnant += [True] * yes + [False] * no
    return pl.DataFrame({"age_years": ages, "pregnant": pregnant})


def test_split_labels_each_row_and_leaves_unknowns_out() -> None:
    frame = pl.DataFrame({"age_years": [30.0, 35.0, None, 34.999]})
    labels = split_at("age_years", 35, "< 35", "≥ 35").labels(frame)
    assert labels.to_list() == ["< 35", "≥ 35", None, "< 35"]


def test_study_b_table_2_age_through_compare_rates() -> None:
    # STUDIES.md, Study B, Table 2: 12/23 (< 35) vs 26/82 (≥ 35), Yates chi-square 2.4321, p 0.1189
    frame = cohort([(30.0, 12, 11), (40.0, 26, 56), (None, 1, 0)])
    result = compare_rates(
        "pregnancy_by_age_group",
        "t",
        frame,
        split_at("age_years", 35, "< 35", "≥ 35"),
        "pregnant",
        EVERYONE,
    )
    assert result.statistic == pytest.approx(2.4321, abs=5e-5)
    assert result.p_value == pytest.approx(0.1189, abs=5e-5)
    assert result.n == 105
    assert result.extra["groups"] == [
        {"group": "< 35", "events": 12, "n": 23, "percent": pytest.approx(52.17, abs=5e-3)},
        {"group": "≥ 35", "events": 26, "n": 82, "percent": pytest.approx(31.71, abs=5e-3)},
    ]
    assert result.left_out == (LeftOut(1, "age at screening / first treatment unknown"),)
    assert "Yates" in result.method


def test_rate_of_names_numerator_denominator_and_counts_unknowns() -> None:
    frame = pl.DataFrame({"activated": [True] * 99 + [False] * 46 + [None] * 3})
    result = rate_of(
        "activation_rate", "t", frame, "activated", EVERYONE, numerator="a", denominator="b"
    )
    assert (result.extra["numerator"], result.extra["denominator"]) == (99, 145)
    assert result.estimate == pytest.approx(0.6828, abs=5e-5)  # Study A: 68.28%
    assert result.extra["unknown"] == 3
    assert result.left_out == (LeftOut(3, "activated unknown"),)
    assert result.ci_low is not None and result.ci_low < 0.6828 < (result.ci_high or 0)


def test_rate_per_unit_is_not_bounded_by_one() -> None:
    result = rate_per_unit("x", "t", 130, 105, EVERYONE, numerator="infants", denominator="women")
    assert result.estimate == pytest.approx(130 / 105)
    assert "Poisson" in result.method


def test_compare_means_orders_groups_as_given() -> None:
    frame = pl.DataFrame(
        {"act": [False, False, False, True, True, True, None], "age": [40, 42, 44, 30, 33, 35, 50]}
    )
    split = split_by_values("act", [("not activated", False), ("activated", True)])
    result = compare_means("age_by_activation", "t", frame, split, "age", EVERYONE)
    direct = t_test([40, 42, 44], [30, 33, 35])
    assert result.estimate == pytest.approx(42 - 32.666666666666664)
    assert result.statistic == pytest.approx(direct.statistic)
    assert result.p_value == pytest.approx(direct.p_value)
    assert [g["group"] for g in result.extra["groups"]] == ["not activated", "activated"]
    assert result.n == 6


def test_arm_risks_gives_risk_difference_fisher_p_and_relative_risk() -> None:
    frame = pl.DataFrame(
        {
            "arm": ["a"] * 10 + ["b"] * 10,
            "pregnant": [True] * 4 + [False] * 6 + [True] + [False] * 9,
        }
    )
    split = split_by_values("arm", [("A", "a"), ("B", "b")])
    result = arm_risks("arm_difference_pregnant", "t", frame, split, "pregnant", EVERYONE)
    assert result.estimate == pytest.approx(0.3)
    assert result.p_value == pytest.approx(fisher_exact([[4, 6], [1, 9]]).p_value)
    assert result.extra["relative_risk"] == pytest.approx(4.0)
    assert result.n == 20


def test_result_tables_keep_numerators_and_groups() -> None:
    frame = cohort([(30.0, 2, 3), (40.0, 1, 4)])
    rate = rate_of("r", "t", frame, "pregnant", EVERYONE, numerator="p", denominator="w")
    compared = compare_rates(
        "c", "t", frame, split_at("age_years", 35, "young", "old"), "pregnant", EVERYONE
    )
    summary = results_frame([rate, compared])
    assert summary.get_column("numerator").to_list() == [3, None]
    groups = groups_frame([rate, compared])
    assert groups.get_column("group").to_list() == ["young", "old"]


def test_a_woman_in_neither_group_is_not_called_unknown() -> None:
    """Menses "amenorrhea" is known but in neither group of regular vs irregular: the reason
    says so; only the empty cell is "unknown"."""
    frame = pl.DataFrame(
        {
            "menses": ["regular"] * 4 + ["irregular"] * 3 + ["amenorrhea"] * 2 + [None],
            "pregnant": [True, False, True, False, True, False, False, True, False, True],
        }
    )
    split = split_by_values("menses", [("regular", "regular"), ("irregular", "irregular")])
    result = compare_rates("by_menses", "t", frame, split, "pregnant", EVERYONE)
    assert result.n == 7
    assert result.left_out == (
        LeftOut(1, "menstrual status at baseline / injection unknown"),
        LeftOut(
            2,
            "menstrual status at baseline / injection in neither group compared "
            "(regular vs irregular)",
        ),
    )
