"""Analysis plan of Study A, "Stem Cell Regenera" (STUDIES.md; seed 000).

On the women analysed (status completed), complete cases per analysis:

* oocyte activation rate (and by AFC, by AMH), Wilson CI — published 99 / 145 (68.28%);
* Table 1 (baseline) and Table 2 (day 5) by activation, mean (range), Welch t-tests — the
  paper's "t-tests"; ``age_by_activation`` also with Student's test as a second result;
* Pearson correlation of day-5 leukocytes and CD34+ with Fisher-z CI (published r = 0.465);
* ROC of CD34+ and of day-5 leukocytes for activation: AUC with DeLong CI, the Youden cut-off
  (value ≥ cut-off is positive; direction fixed, an AUC < 0.5 stays as it is, published 0.487);
  the unpaired DeLong test of the CD34+ ROC in age < 38 vs ≥ 38, and activation by age group
  (published: women < 38 activated more often);
* logistic regression of activation on age, day-5 leukocytes and CD34+ (odds ratios, Wald CIs);
* pregnancies (spontaneous, after IVF) among activated and non-activated women, every rate with
  its denominator (published 7 / 99 and 14 / 99; the abstract's percentages need it);
* Table 3: G-CSF symptoms by day, n (% of the women analysed), and the worst grade per woman.

Group order in every comparison is "not activated" then "activated", as the paper's tables and
as R's ``t.test(x ~ oocyte_activation)`` (FALSE before TRUE); estimates are first − second.
"""

from __future__ import annotations

import polars as pl

from ovaregen.analysis.cohort import Cohort
from ovaregen.analysis.flow import exclusions_table, flow_table
from ovaregen.analysis.measures import (
    box_summaries,
    compare_means,
    compare_rates,
    groups_frame,
    paired_values,
    rate_of,
    results_frame,
    split_at,
    split_by_values,
)
from ovaregen.analysis.populations import ANALYSED
from ovaregen.analysis.result import Population, Result, Table
from ovaregen.analysis.table_frames import table_one_frame
from ovaregen.domain.endpoints import gcsf_symptom_table, gcsf_worst_symptom_table
from ovaregen.stats.correlation import pearson
from ovaregen.stats.descriptive import Summary, TableOneSpec, Variable, table_one
from ovaregen.stats.regression import INTERCEPT, logistic_regression
from ovaregen.stats.roc import RocResult, roc_analysis, roc_test_unpaired

ACTIVATION = "oocyte_activation"
GROUP = "activation_group"
NOT_ACTIVATED, ACTIVATED = "not activated", "activated"
BY_ACTIVATION = split_by_values(ACTIVATION, [(NOT_ACTIVATED, False), (ACTIVATED, True)])
AGE_GROUP_CUT = 38.0
"""STUDIES.md: "Women < 38 years activated more often than ≥ 38"."""
LOGISTIC_COVARIATES = ("age_years", "wbc_d5_10e9_l", "cd34_d5_per_ul")
ROC_MARKERS = (
    ("roc_cd34_activation", "cd34_d5_per_ul", "CD34+ cells on day 5", "cells/µL"),
    ("roc_wbc_activation", "wbc_d5_10e9_l", "Leukocytes on day 5", "10⁹/L"),
)

TABLE_1 = (
    Variable("age_years", "Age (years)", summary=Summary.MEAN_RANGE),
    Variable("ethnicity", "Ethnicity", categorical=True),
    Variable("hemoglobin_g_dl", "Haemoglobin (g/dL)", summary=Summary.MEAN_RANGE),
    Variable("wbc_10e9_l", "Leukocytes (10⁹/L)", summary=Summary.MEAN_RANGE),
    Variable("platelets_10e9_l", "Platelets (10⁹/L)", summary=Summary.MEAN_RANGE),
    Variable("amh_ng_ml", "AMH (ng/mL)", summary=Summary.MEAN_RANGE),
    Variable("afc", "Antral follicle count", summary=Summary.MEAN_RANGE),
    Variable("por_bologna", "POR (Bologna)", categorical=True, levels=("true", "false")),
    Variable("dor", "DOR (POSEIDON 3–4)", categorical=True, levels=("true", "false")),
    Variable("poi", "POI (ESHRE)", categorical=True, levels=("true", "false")),
)
TABLE_2 = (
    Variable("wbc_d5_10e9_l", "Leukocytes on day 5 (10⁹/L)", summary=Summary.MEAN_RANGE),
    Variable("cd34_d5_per_ul", "CD34+ on day 5 (cells/µL)", summary=Summary.MEAN_RANGE),
)


def _descriptive(frame: pl.DataFrame, variables: tuple[Variable, ...]) -> pl.DataFrame:
    grouped = frame.with_columns(
        pl.when(pl.col(ACTIVATION))
        .then(pl.lit(ACTIVATED))
        .otherwise(pl.lit(NOT_ACTIVATED))
        .alias(GROUP)
        .cast(pl.String),
        *(pl.col(v.column).cast(pl.String) for v in variables if v.categorical),
    ).filter(pl.col(ACTIVATION).is_not_null())
    spec = TableOneSpec(GROUP, variables, groups=(NOT_ACTIVATED, ACTIVATED))
    return table_one_frame(table_one(grouped, spec))


def _values(frame: pl.DataFrame, column: str) -> pl.Series:
    return frame.get_column(column).cast(pl.Float64)


def _roc(
    id: str, frame: pl.DataFrame, column: str, label: str, unit: str, population: Population
) -> Result:
    roc = roc_analysis(_values(frame, column).to_numpy(), _values(frame, ACTIVATION).to_numpy())
    return _roc_result(id, f"ROC of {label} for oocyte activation", roc, population, column, unit)


def _roc_result(
    id: str, title: str, roc: RocResult, population: Population, marker: str, unit: str
) -> Result:
    return Result.of(
        id,
        title,
        roc.to_estimate(),
        population.id,
        detail=roc,
        marker=marker,
        unit=unit,
        cutoff=roc.cutoff,
        sensitivity=roc.sensitivity,
        specificity=roc.specificity,
        youden_index=roc.youden_index,
        optimal_cutoffs=list(roc.optimal_cutoffs),
        n_cases=roc.n_cases,
        n_controls=roc.n_controls,
        direction="a higher value predicts activation (value >= cutoff is positive)",
    )


def _roc_age_groups(frame: pl.DataFrame, population: Population) -> Result:
    young = frame.filter(pl.col("age_years") < AGE_GROUP_CUT)
    older = frame.filter(pl.col("age_years") >= AGE_GROUP_CUT)
    marker, event = "cd34_d5_per_ul", ACTIVATION
    test = roc_test_unpaired(
        _values(young, marker).to_numpy(),
        _values(young, event).to_numpy(),
        _values(older, marker).to_numpy(),
        _values(older, event).to_numpy(),
    )
    missing_age = frame.get_column("age_years").null_count()
    notes = (f"{missing_age} women without an age left out",) if missing_age else ()
    estimate = test.to_estimate()
    return Result.of(
        "roc_age_groups_equality",
        "Equality of the CD34+ ROC areas, age < 38 vs ≥ 38 (unpaired DeLong)",
        estimate,
        population.id,
        detail=test,
        warnings=notes,
        estimate_label="AUC(age < 38) − AUC(age ≥ 38)",
        groups=[
            {
                "group": "< 38",
                "auc": test.auc1,
                "n_cases": test.n_cases[0],
                "n_controls": test.n_controls[0],
                "n": test.n_cases[0] + test.n_controls[0],
            },
            {
                "group": "≥ 38",
                "auc": test.auc2,
                "n_cases": test.n_cases[1],
                "n_controls": test.n_controls[1],
                "n": test.n_cases[1] + test.n_controls[1],
            },
        ],
    )


def _logistic(frame: pl.DataFrame, population: Population) -> Result:
    fit = logistic_regression(
        frame.select(ACTIVATION, *LOGISTIC_COVARIATES), ACTIVATION, LOGISTIC_COVARIATES
    )

    def term(name: str) -> dict[str, object]:
        t = fit.term(name)
        return {
            "name": t.name,
            "estimate": t.odds_ratio,
            "ci_low": t.ci_low,
            "ci_high": t.ci_high,
            "p_value": t.p_value,
            "coefficient": t.coefficient,
            "std_error": t.std_error,
            "z_value": t.z_value,
        }

    return Result(
        id="logistic_activation",
        title="Logistic regression of oocyte activation on age, day-5 leukocytes and CD34+",
        method=fit.method,
        n=fit.n,
        population=population.id,
        conf_level=fit.conf_level,
        options={**fit.options, "estimate": "odds ratio per unit of each covariate"},
        warnings=fit.warnings,
        extra={
            "outcome": ACTIVATION,
            "n_events": fit.n_events,
            "n_excluded": fit.n_excluded,
            "separation": fit.separation,
            "converged": fit.converged,
            "aic": fit.aic,
            "deviance": fit.deviance,
            "null_deviance": fit.null_deviance,
            "terms": [term(name) for name in LOGISTIC_COVARIATES],
            "intercept": term(INTERCEPT),
        },
        detail=fit,
    )


def _pregnancy_rates(frame: pl.DataFrame, population: Population) -> list[Result]:
    """Women with a spontaneous / IVF / any pregnancy, among activated, non-activated, all."""
    results = []
    subsets = (
        ("activated", "women activated", frame.filter(pl.col(ACTIVATION).fill_null(False))),
        ("not_activated", "women not activated", frame.filter(~pl.col(ACTIVATION).fill_null(True))),
        ("all", "women analysed", frame),
    )
    kinds = (
        ("spontaneous_pregnancy", "pregnancy_spontaneous", "women with a spontaneous pregnancy"),
        ("ivf_pregnancy", "pregnancy_ivf", "women with a pregnancy after IVF"),
        ("pregnancy", "pregnant", "women with any pregnancy"),
    )
    for subset_id, subset_label, subset in subsets:
        for kind_id, column, numerator in kinds:
            suffix = "" if subset_id == "all" else f"_{subset_id}"
            results.append(
                rate_of(
                    f"{kind_id}_rate{suffix}",
                    f"{numerator.capitalize()} / {subset_label}",
                    subset,
                    column,
                    population,
                    numerator=numerator,
                    denominator=subset_label,
                )
            )
    return results


def analyse(cohort: Cohort) -> tuple[tuple[Population, ...], tuple[Result, ...], tuple[Table, ...]]:
    """Every result and table of Study A's plan (module docstring)."""
    frame, analysed = ANALYSED.select(cohort.derived)
    activation = rate_of(
        "activation_rate",
        "Oocyte activation (AFC +3 or AMH ×1.2)",
        frame,
        ACTIVATION,
        analysed,
        numerator="women with oocyte activation",
        denominator="women analysed with activation known",
    )
    by_marker = [
        rate_of(
            f"{column}_rate",
            title,
            frame,
            column,
            analysed,
            numerator=numerator,
            denominator="women analysed with this criterion known",
        )
        for column, title, numerator in (
            ("activation_by_afc", "Activation by AFC (post ≥ pre + 3)", "women with AFC rise ≥ 3"),
            (
                "activation_by_amh",
                "Activation by AMH (post ≥ 1.2 × pre)",
                "women with AMH rise ≥ 20%",
            ),
        )
    ]
    comparisons = [
        compare_means(
            "age_by_activation",
            "Age by activation (Welch t-test)",
            frame,
            BY_ACTIVATION,
            "age_years",
            analysed,
        ),
        compare_means(
            "age_by_activation_student",
            "Age by activation (Student t-test, equal variances)",
            frame,
            BY_ACTIVATION,
            "age_years",
            analysed,
            equal_var=True,
        ),
        compare_means(
            "wbc_d5_by_activation",
            "Day-5 leukocytes by activation (Welch t-test)",
            frame,
            BY_ACTIVATION,
            "wbc_d5_10e9_l",
            analysed,
        ),
        compare_means(
            "cd34_by_activation",
            "Day-5 CD34+ by activation (Welch t-test)",
            frame,
            BY_ACTIVATION,
            "cd34_d5_per_ul",
            analysed,
        ),
    ]
    correlation = Result.of(
        "wbc_cd34_correlation",
        "Pearson correlation of day-5 leukocytes and CD34+",
        pearson(
            _values(frame, "wbc_d5_10e9_l").to_numpy(), _values(frame, "cd34_d5_per_ul").to_numpy()
        ),
        analysed.id,
        detail=paired_values(frame, "wbc_d5_10e9_l", "cd34_d5_per_ul"),
        x="wbc_d5_10e9_l",
        y="cd34_d5_per_ul",
    )
    rocs = [
        _roc(id, frame, column, label, unit, analysed) for id, column, label, unit in ROC_MARKERS
    ]
    age_groups = compare_rates(
        "activation_by_age_group",
        "Activation by age group (< 38 vs ≥ 38)",
        frame,
        split_at("age_years", AGE_GROUP_CUT, "< 38", "≥ 38"),
        ACTIVATION,
        analysed,
    )
    pregnancies = _pregnancy_rates(frame, analysed)
    logistic = _logistic(frame, analysed)
    results = (
        activation,
        *by_marker,
        *comparisons,
        correlation,
        *rocs,
        _roc_age_groups(frame, analysed),
        age_groups,
        logistic,
        *pregnancies,
    )
    roc_rows = pl.DataFrame(
        [
            {
                "id": r.id,
                "marker": r.extra["marker"],
                "unit": r.extra["unit"],
                "n_cases": r.extra["n_cases"],
                "n_controls": r.extra["n_controls"],
                "auc": r.estimate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "cutoff": r.extra["cutoff"],
                "sensitivity": r.extra["sensitivity"],
                "specificity": r.extra["specificity"],
            }
            for r in rocs
        ]
    )
    tables = (
        flow_table(cohort.people),
        exclusions_table(cohort.people, cohort.protocol),
        Table(
            "table1_baseline",
            "Table 1: baseline by activation, mean (range)",
            _descriptive(frame, TABLE_1),
            (
                "Welch t-test for continuous rows, Pearson chi-square (no correction) for "
                "categorical rows",
            ),
        ),
        Table(
            "table2_day5",
            "Table 2: day 5 by activation, mean (range)",
            _descriptive(frame, TABLE_2),
            ("Welch t-test",),
        ),
        Table(
            "table3_gcsf_symptoms_by_day",
            "Table 3: G-CSF symptoms by day, n (% of the women analysed)",
            gcsf_symptom_table(frame),
            ("not_recorded counts women without a grade that day",),
        ),
        Table(
            "gcsf_worst_symptom",
            "Worst G-CSF symptom grade per woman",
            gcsf_worst_symptom_table(frame),
        ),
        Table(
            "outcomes",
            "Activation and pregnancy rates, with numerators and denominators",
            results_frame([activation, *by_marker, *pregnancies]),
        ),
        Table("comparisons", "Groups compared", groups_frame([*comparisons, age_groups])),
        Table(
            "correlation", "Correlation of day-5 leukocytes and CD34+", results_frame([correlation])
        ),
        Table(
            "age_by_activation_box",
            "Age by activation: n, range and quartiles (box plot)",
            box_summaries(frame, BY_ACTIVATION, "age_years"),
            ("quartiles as R quantile(type = 7); whiskers at the range",),
        ),
        Table("roc", "ROC analysis for oocyte activation (DeLong CI, Youden cut-off)", roc_rows),
        Table(
            "logistic_activation",
            "Logistic regression of oocyte activation: odds ratios (Wald 95% CI)",
            pl.DataFrame(logistic.extra["terms"]),
        ),
    )
    return (analysed,), results, tables
