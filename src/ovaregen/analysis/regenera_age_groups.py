"""Oocyte activation by age group in Study A (< 38 vs ≥ 38 years), with effect sizes.

STUDIES.md, Study A: "Women < 38 years activated more often than ≥ 38" (no figure printed).
Three results on the same 2 × 2 table (rows "< 38" then "≥ 38", first column = activated),
each on the women known on both age and activation:

* ``activation_by_age_group`` — Pearson's chi-square with Yates' correction (the paper's
  "chi-square");
* ``activation_by_age_group_difference`` — the risk difference p(< 38) − p(≥ 38) with
  Newcombe's hybrid score interval (Newcombe 1998, method 10), Fisher's exact p, and the
  relative risk (Katz log interval) in ``extra``;
* ``activation_by_age_group_odds_ratio`` — the odds ratio of activation, < 38 vs ≥ 38: the
  conditional maximum-likelihood estimate with its exact conditional interval and Fisher's
  exact p, as R ``fisher.test`` (not the sample cross-product ratio ad/bc).
"""

from __future__ import annotations

import polars as pl

from ovaregen.analysis.measures import arm_risks, compare_rates, event_table, split_at
from ovaregen.analysis.regenera_markers import ACTIVATION, AGE, AGE_GROUP_CUT
from ovaregen.analysis.result import Population, Result
from ovaregen.stats.contingency import fisher_exact

BY_AGE_GROUP = split_at(AGE, AGE_GROUP_CUT, "< 38", "≥ 38")

ODDS_RATIO_METHOD = (
    "Odds ratio, conditional maximum-likelihood estimate with exact conditional confidence "
    "interval; Fisher's exact test (R fisher.test)"
)


def _odds_ratio(frame: pl.DataFrame, population: Population) -> Result:
    table, groups, left_out = event_table(frame, BY_AGE_GROUP, ACTIVATION)
    fisher = fisher_exact(table)
    return Result(
        id="activation_by_age_group_odds_ratio",
        title="Activation by age group: odds ratio, < 38 vs ≥ 38",
        method=ODDS_RATIO_METHOD,
        n=fisher.n,
        population=population.id,
        p_value=fisher.p_value,
        estimate=fisher.estimate,
        ci_low=fisher.ci_low,
        ci_high=fisher.ci_high,
        conf_level=fisher.conf_level,
        options={**fisher.options, "comparison": "odds in row 1 (< 38) over row 2 (≥ 38)"},
        warnings=fisher.warnings,
        left_out=left_out,
        extra={
            "outcome": ACTIVATION,
            "kind": "binary",
            "estimate_label": "odds ratio (< 38 vs ≥ 38)",
            "effect": "odds ratio",
            "effect_unit": "ratio",
            "groups": groups,
        },
        detail=fisher,
    )


def age_group_results(frame: pl.DataFrame, population: Population) -> list[Result]:
    """The chi-square, the risk difference and the odds ratio (module docstring)."""
    return [
        compare_rates(
            "activation_by_age_group",
            "Activation by age group (< 38 vs ≥ 38)",
            frame,
            BY_AGE_GROUP,
            ACTIVATION,
            population,
        ),
        arm_risks(
            "activation_by_age_group_difference",
            "Activation by age group: risk difference, < 38 − ≥ 38",
            frame,
            BY_AGE_GROUP,
            ACTIVATION,
            population,
        ),
        _odds_ratio(frame, population),
    ]
