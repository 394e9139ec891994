"""Study B's Table 2: pregnancy by age, by menses at injection and by number of injections.

STUDIES.md, Study B, Table 2: Pearson's chi-square with Yates' continuity correction, as
published (age 2.4321, p 0.1189; menses 6.0062e-31, p 1; injections not tested in the paper).
Beside each test the effect with its interval (issue 12, STROBE item 16a):

* ``pregnancy_by_<factor>_difference`` — the difference in pregnancy rates, first group minus
  second, with Newcombe's hybrid score interval (Newcombe 1998, method 10;
  ``ovaregen.stats.newcombe``); the estimate is a proportion difference, read in percentage
  points;
* ``pregnancy_by_<factor>_odds_ratio`` — the conditional maximum-likelihood odds ratio with its
  exact conditional interval and Fisher's exact p, as R ``fisher.test``
  (``ovaregen.stats.contingency.fisher_exact``).

Checked against R in ``tests/reference/mensc_effects.R``. A woman in neither group compared
(age or menses unknown, or menses neither regular nor irregular) is left out and named.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from ovaregen.analysis.left_out import readable, unknown
from ovaregen.analysis.measures import (
    Group,
    Split,
    compare_rates,
    event_table,
    split_at,
    split_by_values,
)
from ovaregen.analysis.result import LeftOut, Population, Result
from ovaregen.stats.contingency import fisher_exact
from ovaregen.stats.newcombe import newcombe_risk_difference

AGE_CUT = 35.0
"""STUDIES.md, Study B, Table 2: age < 35 vs ≥ 35."""


@dataclass(frozen=True)
class Factor:
    """One row group of Table 2: result id, title, the factor's words, the split and the
    column it splits on."""

    id: str
    title: str
    factor: str
    split: Split
    column: str


FACTORS = (
    Factor(
        "pregnancy_by_age_group",
        "Pregnancy by age at first injection",
        "Age",
        split_at("age_years", AGE_CUT, "< 35 years", "≥ 35 years"),
        "age_years",
    ),
    Factor(
        "pregnancy_by_menses",
        "Pregnancy by menses at injection",
        "Menstrual status",
        split_by_values(
            "menses", [("regular menses", "regular"), ("irregular menses", "irregular")]
        ),
        "menses",
    ),
    Factor(
        "pregnancy_by_injections",
        "Pregnancy by number of injections",
        "Injections",
        Split(
            "injections",
            (
                Group("single injection", pl.col("injections") == 1),
                Group("two or more injections", pl.col("injections") >= 2),
            ),
        ),
        "injections",
    ),
)
OUTCOME = "pregnant"


def factor_left_out(frame: pl.DataFrame, factor: Factor) -> tuple[LeftOut, ...]:
    """The women in neither group: the factor unknown, or a value outside both groups (each
    value named: "menstrual status at baseline / injection amenorrhea: neither group")."""
    labels = factor.split.labels(frame)
    outside = frame.select(pl.col(factor.column).cast(pl.String)).with_columns(
        labels.alias("_group")
    )
    outside = outside.filter(pl.col("_group").is_null())
    missing = outside.get_column(factor.column).null_count()
    others = outside.drop_nulls(factor.column).group_by(factor.column).len("n").sort(factor.column)
    named = [
        LeftOut(int(n), f"{readable(factor.column)} {value}: in neither group compared")
        for value, n in others.iter_rows()
    ]
    unknown_outcome = frame.filter(labels.is_not_null()).get_column(OUTCOME).null_count()
    return (*unknown(missing, factor.column), *named, *unknown(unknown_outcome, OUTCOME))


def _effect_extra(effect: str, unit: str, factor: Factor, groups: Any) -> dict[str, Any]:
    first, second = (g.label for g in factor.split.groups)
    return {
        "effect": effect,
        "effect_unit": unit,
        "outcome": OUTCOME,
        "kind": "binary",
        "groups": groups,
        "comparison": f"{first} vs {second}",
        "estimate_label": f"{effect} ({first} vs {second})",
        "factor": factor.id,
    }


def factor_results(
    frame: pl.DataFrame, factor: Factor, population: Population
) -> tuple[Result, Result, Result]:
    """The chi-square test (published), the rate difference and the odds ratio of a factor."""
    left_out = factor_left_out(frame, factor)
    test = compare_rates(factor.id, factor.title, frame, factor.split, OUTCOME, population)
    test = replace(test, left_out=left_out)
    table, groups, _ = event_table(frame, factor.split, OUTCOME)
    difference = Result.of(
        f"{factor.id}_difference",
        f"{factor.title}: difference in pregnancy rates",
        newcombe_risk_difference(table),
        population.id,
        left_out=left_out,
        **_effect_extra("risk difference", "percentage points", factor, groups),
    )
    odds = Result.of(
        f"{factor.id}_odds_ratio",
        f"{factor.title}: odds ratio of pregnancy",
        fisher_exact(table),
        population.id,
        left_out=left_out,
        **_effect_extra("odds ratio", "ratio", factor, groups),
    )
    return test, difference, odds


TABLE_2_SCHEMA: dict[str, Any] = {
    "factor": pl.String,
    "level": pl.String,
    "pregnant": pl.Int64,
    "total": pl.Int64,
    "percent": pl.Float64,
    "chi_square": pl.Float64,
    "df": pl.Float64,
    "p_value": pl.Float64,
    "difference_pp": pl.Float64,
    "difference_ci_low_pp": pl.Float64,
    "difference_ci_high_pp": pl.Float64,
    "odds_ratio": pl.Float64,
    "odds_ratio_ci_low": pl.Float64,
    "odds_ratio_ci_high": pl.Float64,
    "id": pl.String,
}


def _points(value: float | None) -> float | None:
    return None if value is None else 100 * value


def table_2(
    overall: Result, factors: list[tuple[Factor, tuple[Result, Result, Result]]]
) -> pl.DataFrame:
    """Table 2 as a frame: per factor its groups (pregnant / total, %), then on the factor's
    last row the chi-square, the difference (percentage points, Newcombe CI) and the odds
    ratio (exact CI)."""
    rows: list[dict[str, Any]] = [
        {
            "factor": "Pregnant women",
            "level": "all women treated",
            "pregnant": overall.extra["numerator"],
            "total": overall.extra["denominator"],
            "percent": _points(overall.estimate),
            "id": overall.id,
        }
    ]
    for factor, (test, difference, odds) in factors:
        groups = test.extra["groups"]
        for index, group in enumerate(groups):
            row: dict[str, Any] = {
                "factor": factor.factor,
                "level": group["group"],
                "pregnant": group["events"],
                "total": group["n"],
                "percent": group["percent"],
                "id": test.id,
            }
            if index == len(groups) - 1:
                row |= {
                    "chi_square": test.statistic,
                    "df": test.df,
                    "p_value": test.p_value,
                    "difference_pp": _points(difference.estimate),
                    "difference_ci_low_pp": _points(difference.ci_low),
                    "difference_ci_high_pp": _points(difference.ci_high),
                    "odds_ratio": odds.estimate,
                    "odds_ratio_ci_low": odds.ci_low,
                    "odds_ratio_ci_high": odds.ci_high,
                }
            rows.append(row)
    return pl.DataFrame(rows, schema=TABLE_2_SCHEMA)


TABLE_2_NOTES = (
    "Chi-square: Pearson's, with Yates' continuity correction, as published.",
    "Difference: the pregnancy rate of the first group minus the second's, in percentage "
    "points, with Newcombe's hybrid score (Wilson) 95% CI.",
    "Odds ratio: first group vs second, conditional maximum likelihood with its exact 95% CI "
    "(as R fisher.test).",
)
