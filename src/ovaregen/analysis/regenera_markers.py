"""Study A's day-5 markers against oocyte activation: ROC curves, the age-group ROC test and
the leukocyte–CD34+ correlation, each on complete cases with the women left out named.

STUDIES.md, Study A: "nonparametric ROC curves and tests for equality of ROC areas across age
groups", Youden-optimal cut-offs (published 33,340 leukocytes/mm³; AUC 0.487 for CD34+) and
Pearson's r = 0.465 between day-5 leukocytes and CD34+.

The ROC direction is fixed (a higher value predicts activation, ``ovaregen.stats.roc``). A
marker whose AUC is below 0.5 does not predict activation in that direction: its Youden
cut-off maximises sensitivity + specificity among thresholds of a curve below the diagonal,
so it is not a usable threshold and the result says so (a caution, not a flip of the curve).
"""

from __future__ import annotations

import polars as pl

from ovaregen.analysis.left_out import unknown_in
from ovaregen.analysis.measures import paired_values
from ovaregen.analysis.result import Population, Result
from ovaregen.stats.correlation import pearson
from ovaregen.stats.roc import RocResult, roc_analysis, roc_test_unpaired

ACTIVATION = "oocyte_activation"
AGE = "age_years"
AGE_GROUP_CUT = 38.0
"""STUDIES.md: "Women < 38 years activated more often than ≥ 38"."""
WBC_D5, CD34_D5 = "wbc_d5_10e9_l", "cd34_d5_per_ul"
ROC_MARKERS = (
    ("roc_cd34_activation", CD34_D5, "CD34+ cells on day 5", "cells/µL"),
    ("roc_wbc_activation", WBC_D5, "leukocytes on day 5", "10⁹/L"),
)
"""(result id, marker column, label, unit) of each ROC curve."""


def _values(frame: pl.DataFrame, column: str) -> pl.Series:
    return frame.get_column(column).cast(pl.Float64)


def below_chance_caution(label: str, auc: float | None) -> tuple[str, ...]:
    """The caution for a marker whose AUC is below 0.5 (module docstring); none otherwise."""
    if auc is None or auc >= 0.5:
        return ()
    return (
        f"AUC {auc:.3f} is below 0.5: the marker ({label}) does not predict activation in "
        "the stated direction (a higher value predicting activation), so its Youden cut-off "
        "is not a usable threshold",
    )


def roc_result(
    id: str, frame: pl.DataFrame, column: str, label: str, unit: str, population: Population
) -> Result:
    """ROC of ``column`` for activation: AUC (DeLong CI), Youden cut-off, and the caution."""
    roc: RocResult = roc_analysis(
        _values(frame, column).to_numpy(), _values(frame, ACTIVATION).to_numpy()
    )
    return Result.of(
        id,
        f"ROC of {label} for oocyte activation",
        roc.to_estimate(),
        population.id,
        detail=roc,
        warnings=below_chance_caution(label, roc.auc),
        left_out=unknown_in(frame, (ACTIVATION, column)),
        marker=column,
        unit=unit,
        cutoff=roc.cutoff,
        sensitivity=roc.sensitivity,
        specificity=roc.specificity,
        youden_index=roc.youden_index,
        optimal_cutoffs=list(roc.optimal_cutoffs),
        n_cases=roc.n_cases,
        n_controls=roc.n_controls,
        direction="a higher value predicts activation (value >= cutoff is positive)",
        usable_cutoff=roc.auc is not None and roc.auc >= 0.5,
    )


def roc_results(frame: pl.DataFrame, population: Population) -> list[Result]:
    """The ROC result of each day-5 marker (:data:`ROC_MARKERS`)."""
    return [
        roc_result(id, frame, column, label, unit, population)
        for id, column, label, unit in ROC_MARKERS
    ]


def roc_age_groups(frame: pl.DataFrame, population: Population) -> Result:
    """Unpaired DeLong test of the CD34+ ROC areas, age < 38 vs ≥ 38."""
    young = frame.filter(pl.col(AGE) < AGE_GROUP_CUT)
    older = frame.filter(pl.col(AGE) >= AGE_GROUP_CUT)
    test = roc_test_unpaired(
        _values(young, CD34_D5).to_numpy(),
        _values(young, ACTIVATION).to_numpy(),
        _values(older, CD34_D5).to_numpy(),
        _values(older, ACTIVATION).to_numpy(),
    )
    return Result.of(
        "roc_age_groups_equality",
        "Equality of the CD34+ ROC areas, age < 38 vs ≥ 38 (unpaired DeLong)",
        test.to_estimate(),
        population.id,
        detail=test,
        left_out=unknown_in(frame, (ACTIVATION, AGE, CD34_D5)),
        estimate_label="AUC(age < 38) − AUC(age ≥ 38)",
        groups=[
            {
                "group": group,
                "auc": auc,
                "n_cases": cases,
                "n_controls": controls,
                "n": cases + controls,
            }
            for group, auc, cases, controls in (
                ("< 38", test.auc1, test.n_cases[0], test.n_controls[0]),
                ("≥ 38", test.auc2, test.n_cases[1], test.n_controls[1]),
            )
        ],
    )


def correlation(frame: pl.DataFrame, population: Population) -> Result:
    """Pearson's r of day-5 leukocytes and CD34+, Fisher-z CI (published r = 0.465)."""
    return Result.of(
        "wbc_cd34_correlation",
        "Pearson correlation of day-5 leukocytes and CD34+",
        pearson(_values(frame, WBC_D5).to_numpy(), _values(frame, CD34_D5).to_numpy()),
        population.id,
        detail=paired_values(frame, WBC_D5, CD34_D5),
        left_out=unknown_in(frame, (WBC_D5, CD34_D5)),
        x=WBC_D5,
        y=CD34_D5,
    )
