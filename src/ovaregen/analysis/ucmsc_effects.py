"""Study C's between-arm comparisons with their effect sizes (CONSORT 2010 item 17a and 17b).

CONSORT 2010 item 17: for each outcome, the result of each group and the estimated effect size
with its precision; for binary outcomes both the absolute and the relative effect. Hence:

* a continuous outcome — Welch's t-test, ``effect`` "mean difference" (first arm − second) in
  the outcome's unit (the unit of the measurement a change from baseline is of), with
  Mann–Whitney's p beside it (:func:`continuous`);
* a binary outcome — two results of the same 2 × 2 table and Fisher's exact p: the risk
  difference with Newcombe's hybrid score interval ``arm_difference_<outcome>`` (``effect``
  "risk difference", in percentage points), and the relative risk with its log (Katz)
  interval ``arm_ratio_<outcome>`` (``effect`` "relative risk", a ratio). With no event in the
  second arm the ratio is not defined; with none in the first it is 0 without an interval;
  the ratio result then says so in ``extra["undefined"]`` and its warnings (:func:`binary`).

Every result counts, by arm, the randomised women it leaves out
(:mod:`ovaregen.analysis.ucmsc_left_out`).
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from ovaregen.analysis.left_out import unit_of
from ovaregen.analysis.measures import Split, arm_risks, compare_means
from ovaregen.analysis.result import Population, Result
from ovaregen.analysis.ucmsc_left_out import by_arm
from ovaregen.stats.comparison import mann_whitney
from ovaregen.stats.result import Estimate

NEEDS: dict[str, tuple[str, ...]] = {
    "afc_change": ("afc_post", "afc"),
    "amh_change_ng_ml": ("amh_post_ng_ml", "amh_ng_ml"),
    "menses_resumed": ("menses_followup",),
}
"""The values an outcome is computed from, in the order a woman's first unknown one is named
(an outcome not listed needs only its own column)."""

MEASURED: dict[str, str] = {"afc_change": "afc_post", "amh_change_ng_ml": "amh_post_ng_ml"}
"""The measurement whose unit a change from baseline has."""


def needs(outcome: str) -> tuple[str, ...]:
    """The columns ``outcome`` is computed from (:data:`NEEDS`)."""
    return NEEDS.get(outcome, (outcome,))


def effect_unit(outcome: str) -> str:
    """The unit of a mean difference of ``outcome`` ("" when it has none)."""
    return unit_of(MEASURED.get(outcome, outcome))


def continuous(
    id: str,
    title: str,
    frame: pl.DataFrame,
    split: Split,
    population: Population,
    column: str,
    when: str = "",
) -> Result:
    """Welch's comparison of ``column`` (first − second) with Mann–Whitney's p beside it."""
    result = compare_means(id, title, frame, split, column, population)
    samples = [
        frame.filter(g.member).get_column(column).drop_nulls().cast(pl.Float64).to_numpy()
        for g in split.groups
    ]
    rank_test = mann_whitney(samples[0], samples[1])
    return replace(
        result,
        left_out=by_arm(frame, split, needs(column), when),
        extra={
            **result.extra,
            "effect": "mean difference",
            "effect_unit": effect_unit(column),
            "mann_whitney_p_value": rank_test.p_value,
            "mann_whitney_method": rank_test.method,
        },
    )


def binary(
    suffix: str,
    title: str,
    frame: pl.DataFrame,
    split: Split,
    population: Population,
    outcome: str,
    when: str = "",
) -> tuple[Result, Result]:
    """``arm_difference_<suffix>`` (risk difference) and ``arm_ratio_<suffix>`` (relative risk)
    of Boolean ``outcome`` (module docstring)."""
    difference = arm_risks(f"arm_difference_{suffix}", title, frame, split, outcome, population)
    risk_difference, _, _ = difference.detail
    assert isinstance(risk_difference, Estimate)
    difference = replace(
        difference,
        left_out=by_arm(frame, split, needs(outcome), when),
        warnings=risk_difference.warnings,  # the ratio's own go to its result
    )
    return difference, ratio_of(f"arm_ratio_{suffix}", difference)


def ratio_of(id: str, difference: Result) -> Result:
    """The relative risk of an :func:`~ovaregen.analysis.measures.arm_risks` result as a result
    of its own: the same table, women and Fisher's p; the ratio first / second with Katz's CI."""
    _, ratio, _ = difference.detail
    assert isinstance(ratio, Estimate)
    undefined = [w for w in ratio.warnings if "not defined" in w]
    groups = [dict(group) for group in difference.extra["groups"]]
    first, second = (group["group"] for group in groups)
    return Result(
        id=id,
        title=f"{difference.title}: relative risk",
        method=f"{ratio.method}; Fisher's exact test",
        n=difference.n,
        population=difference.population,
        p_value=difference.p_value,
        estimate=ratio.estimate,
        ci_low=ratio.ci_low,
        ci_high=ratio.ci_high,
        conf_level=ratio.conf_level,
        options={**ratio.options, "p_value": "Fisher's exact test (two-sided)"},
        warnings=ratio.warnings,
        left_out=difference.left_out,
        extra={
            "outcome": difference.extra["outcome"],
            "kind": "binary",
            "estimate_label": f"relative risk ({first} / {second})",
            "effect": "relative risk",
            "effect_unit": "ratio",
            "groups": groups,
            "risk_difference_id": difference.id,
            **({"undefined": "; ".join(undefined)} if undefined else {}),
        },
        detail=ratio,
    )
