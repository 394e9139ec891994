"""Every woman analysed in Study A is accounted for: used by a result, or left out with a reason.

A synthetic cohort (``synthesize("regenera", 265, seed)``) has cells blanked among the women
analysed: both follow-up markers (activation unknown), one marker only where the other
criterion is not met (activation unknown too) or is met (still activated), age, day-5
leukocytes, CD34+ and baseline haemoglobin. Each result of the plan on the whole analysed
population must use n women and leave out the rest with reasons, n + left out = the
population; a rate among the activated (or not activated) is a subset by definition and adds
up to its subset. Table 1's Overall column counts every woman analysed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from ovaregen.analysis.left_out import readable, total
from ovaregen.analysis.plans import run_plan
from ovaregen.analysis.result import Analysis
from ovaregen.synth import synthesize

SUBSETS = ("_not_activated", "_activated")
"""Rates among the not activated or the activated (in that order: one suffix ends the other):
a subset of the women analysed."""


def blanked(seed: int) -> tuple[pl.DataFrame, Analysis]:
    """The cohort with cells blanked among the analysed (module docstring), and its analysis."""
    dataset = synthesize("regenera", 265, seed)
    people = dataset.participants
    analysed = np.flatnonzero((people.get_column("status") == "completed").to_numpy())
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(analysed)
    blanks = {
        "both_markers": chosen[0:6],
        "afc_post": chosen[6:12],
        "amh_post_ng_ml": chosen[12:18],
        "age_years": chosen[18:25],
        "wbc_d5_10e9_l": chosen[22:28],  # overlaps age: each woman counted once
        "cd34_d5_per_ul": chosen[28:36],
        "hemoglobin_g_dl": chosen[36:40],
    }

    def blank(column: str, rows: np.ndarray) -> pl.Expr:
        mask = pl.Series(np.isin(np.arange(people.height), rows))
        return pl.when(mask).then(None).otherwise(pl.col(column)).alias(column)

    people = people.with_columns(
        blank("afc_post", np.concatenate([blanks["both_markers"], blanks["afc_post"]])),
        blank("amh_post_ng_ml", np.concatenate([blanks["both_markers"], blanks["amh_post_ng_ml"]])),
        *(
            blank(column, blanks[column])
            for column in ("age_years", "wbc_d5_10e9_l", "cd34_d5_per_ul", "hemoglobin_g_dl")
        ),
    )
    return people, run_plan("regenera", replace(dataset, participants=people))


@pytest.fixture(scope="module", params=(3, 11))
def cohort(request: pytest.FixtureRequest) -> tuple[pl.DataFrame, Analysis]:
    return blanked(int(request.param))


def test_every_result_accounts_for_every_woman(cohort: tuple[pl.DataFrame, Analysis]) -> None:
    _, analysis = cohort
    (population,) = analysis.populations
    activation = analysis.result("activation_rate")
    subset_sizes = {
        "_activated": activation.extra["numerator"],
        "_not_activated": activation.extra["denominator"] - activation.extra["numerator"],
    }
    for result in analysis.results:
        subset = next((s for s in SUBSETS if result.id.endswith(s)), None)
        expected = population.n if subset is None else subset_sizes[subset]
        assert result.n + total(result.left_out) == expected, result.id
        assert all(item.count > 0 and " unknown" in item.reason for item in result.left_out)


def test_activation_unknown_is_left_out_with_its_reason(
    cohort: tuple[pl.DataFrame, Analysis],
) -> None:
    _, analysis = cohort
    activation = analysis.result("activation_rate")
    (item,) = activation.left_out
    assert item.reason == (
        "oocyte activation unknown (neither criterion met and at least one unknown)"
    )
    assert item.count >= 6  # both markers blanked; one blanked counts where the other fails
    for id in ("roc_cd34_activation", "logistic_activation", "roc_age_groups_equality"):
        first = analysis.result(id).left_out[0]
        assert (first.count, first.reason) == (item.count, item.reason), id


def test_marker_results_name_each_unknown_column(cohort: tuple[pl.DataFrame, Analysis]) -> None:
    people, analysis = cohort
    analysed = people.filter(pl.col("status") == "completed")
    reasons = {r.id: {item.reason: item.count for item in r.left_out} for r in analysis.results}
    wbc, cd34 = (f"{readable(c)} unknown" for c in ("wbc_d5_10e9_l", "cd34_d5_per_ul"))
    correlation = reasons["wbc_cd34_correlation"]
    assert correlation[wbc] == analysed.get_column("wbc_d5_10e9_l").null_count()
    both = analysed.filter(
        pl.col("cd34_d5_per_ul").is_null() & pl.col("wbc_d5_10e9_l").is_not_null()
    ).height
    assert correlation[cd34] == both
    logistic = analysis.result("logistic_activation")
    assert logistic.extra["n_excluded"] == total(logistic.left_out)
    for name in ("age_years", "wbc_d5_10e9_l", "cd34_d5_per_ul"):
        assert analysis.result(f"logistic_activation_{name}").left_out == logistic.left_out


def test_table_1_overall_counts_every_woman_analysed(
    cohort: tuple[pl.DataFrame, Analysis],
) -> None:
    """Women whose activation is unknown are in Overall (and in no group column)."""
    _, analysis = cohort
    (population,) = analysis.populations
    frame = analysis.table("table1_baseline").frame
    known = analysis.result("activation_rate").n
    for row in frame.iter_rows(named=True):
        assert row["overall_size"] == population.n, row["variable"]
        assert row["not_activated_size"] + row["activated_size"] == known
        if row["level"] is None:
            assert row["overall_n"] + row["overall_missing"] == population.n, row["variable"]
    haemoglobin = frame.filter(pl.col("variable") == "hemoglobin_g_dl").row(0, named=True)
    assert haemoglobin["overall_missing"] == 4
