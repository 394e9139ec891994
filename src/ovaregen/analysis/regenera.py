"""Analysis plan of Study A, "Stem Cell Regenera" (STUDIES.md; seed 000).

On the women analysed (status completed), complete cases per analysis:

* oocyte activation rate (and by AFC, by AMH), Wilson CI — published 99 / 145 (68.28%);
* Table 1 (baseline) and Table 2 (day 5) by activation, mean (range), Welch t-tests — the
  paper's "t-tests"; each row the paper tests is also a result with the mean difference and
  its CI (``*_by_activation``); ``age_by_activation`` also with Student's test;
  women whose activation is unknown count in Table 1's Overall column only;
* Pearson correlation, ROC curves (an AUC < 0.5 carries a caution beside its Youden cut-off)
  and the unpaired DeLong age-group test (``regenera_markers``);
* activation by age group (< 38 vs ≥ 38; published: women < 38 activated more often):
  chi-square, risk difference (Newcombe), odds ratio (``regenera_age_groups``);
* logistic regression of activation on age, day-5 leukocytes and CD34+: odds ratios with Wald
  CIs, per covariate and as a publication table (``regenera_logistic``);
* pregnancies (spontaneous, after IVF) among activated and non-activated women, every rate with
  its denominator (published 7 / 99 and 14 / 99; the abstract's percentages need it);
* Table 3: G-CSF symptoms by day, n (% of the women analysed), and the worst grade per woman.

The primary outcome is oocyte activation (``activation_rate``, ``extra["primary"]``). Every
result names the analysed women it could not use and why (``Result.left_out``).

Group order in every comparison is "not activated" then "activated", as the paper's tables and
as R's ``t.test(x ~ oocyte_activation)`` (FALSE before TRUE); estimates are first − second.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import polars as pl

from ovaregen.analysis.cohort import Cohort
from ovaregen.analysis.flow import exclusions_table, flow_table
from ovaregen.analysis.left_out import unit_of
from ovaregen.analysis.measures import (
    box_summaries,
    compare_means,
    groups_frame,
    rate_of,
    results_frame,
    split_by_values,
)
from ovaregen.analysis.populations import ANALYSED
from ovaregen.analysis.regenera_age_groups import age_group_results
from ovaregen.analysis.regenera_logistic import logistic_results, logistic_terms_table
from ovaregen.analysis.regenera_markers import ACTIVATION, correlation, roc_age_groups, roc_results
from ovaregen.analysis.result import Population, Result, Table
from ovaregen.analysis.table_frames import table_one_frame
from ovaregen.domain.endpoints import gcsf_symptom_table, gcsf_worst_symptom_table
from ovaregen.stats.descriptive import Summary, TableOneSpec, Variable, table_one

GROUP = "activation_group"
NOT_ACTIVATED, ACTIVATED = "not activated", "activated"
BY_ACTIVATION = split_by_values(ACTIVATION, [(NOT_ACTIVATED, False), (ACTIVATED, True)])

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
COMPARED = (
    # (result id, column, title): the rows of Tables 1 and 2 the paper tests ("t-tests")
    ("age_by_activation", "age_years", "Age by activation (Welch t-test)"),
    ("hemoglobin_by_activation", "hemoglobin_g_dl", "Baseline haemoglobin by activation (Welch)"),
    ("wbc_by_activation", "wbc_10e9_l", "Baseline leukocytes by activation (Welch t-test)"),
    ("platelets_by_activation", "platelets_10e9_l", "Baseline platelets by activation (Welch)"),
    ("wbc_d5_by_activation", "wbc_d5_10e9_l", "Day-5 leukocytes by activation (Welch t-test)"),
    ("cd34_by_activation", "cd34_d5_per_ul", "Day-5 CD34+ by activation (Welch t-test)"),
)


def activation_groups() -> pl.Expr:
    """Each woman's activation group; null when her activation is unknown (so that Table 1
    counts her in its Overall column only, never silently in a group)."""
    activation = pl.col(ACTIVATION)
    return (
        pl.when(activation.is_null())
        .then(pl.lit(None, pl.String))
        .when(activation)
        .then(pl.lit(ACTIVATED))
        .otherwise(pl.lit(NOT_ACTIVATED))
        .alias(GROUP)
    )


def _descriptive(frame: pl.DataFrame, variables: tuple[Variable, ...]) -> pl.DataFrame:
    grouped = frame.with_columns(
        activation_groups(),
        *(pl.col(v.column).cast(pl.String) for v in variables if v.categorical),
    )
    spec = TableOneSpec(GROUP, variables, groups=(NOT_ACTIVATED, ACTIVATED))
    return table_one_frame(table_one(grouped, spec))


def _pregnancy_rates(frame: pl.DataFrame, population: Population) -> list[Result]:
    """Women with a spontaneous / IVF / any pregnancy, among activated, non-activated, all.

    Among the activated (or not activated) is a subset by definition: a woman whose activation
    is unknown is in neither subset (she is left out of ``activation_rate``, with her reason)."""
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
                    f"{numerator[0].upper()}{numerator[1:]} / {subset_label}",
                    subset,
                    column,
                    population,
                    numerator=numerator,
                    denominator=subset_label,
                )
            )
    return results


def _activation(frame: pl.DataFrame, population: Population) -> list[Result]:
    """The primary outcome (flagged) and its two criteria."""
    primary = rate_of(
        "activation_rate",
        "Oocyte activation (AFC +3 or AMH ×1.2)",
        frame,
        ACTIVATION,
        population,
        numerator="women with oocyte activation",
        denominator="women analysed with activation known",
    )
    by_marker = [
        rate_of(
            f"{column}_rate",
            title,
            frame,
            column,
            population,
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
    return [replace(primary, extra={**primary.extra, "primary": True}), *by_marker]


def _comparisons(frame: pl.DataFrame, population: Population) -> list[Result]:
    """Welch t-tests of the tested rows of Tables 1 and 2 (mean difference, CI), and age by
    Student's test as a second result."""
    welch = [
        compare_means(id, title, frame, BY_ACTIVATION, column, population)
        for id, column, title in COMPARED
    ]
    student = compare_means(
        "age_by_activation_student",
        "Age by activation (Student t-test, equal variances)",
        frame,
        BY_ACTIVATION,
        "age_years",
        population,
        equal_var=True,
    )
    return [welch[0], student, *welch[1:]]


DIFFERENCES_SCHEMA: dict[str, Any] = {
    "id": pl.String,
    "variable": pl.String,
    "unit": pl.String,
    "n": pl.Int64,
    "not_activated_mean": pl.Float64,
    "activated_mean": pl.Float64,
    "difference": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "p_value": pl.Float64,
    "method": pl.String,
}


def differences_frame(results: list[Result]) -> pl.DataFrame:
    """One row per compared variable: the group means and their difference with its CI."""
    return pl.DataFrame(
        [
            {
                "id": r.id,
                "variable": r.extra["outcome"],
                "unit": unit_of(r.extra["outcome"]),
                "n": r.n,
                "not_activated_mean": r.extra["groups"][0]["mean"],
                "activated_mean": r.extra["groups"][1]["mean"],
                "difference": r.estimate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "p_value": r.p_value,
                "method": r.method,
            }
            for r in results
        ],
        schema=DIFFERENCES_SCHEMA,
    )


def _roc_frame(rocs: list[Result]) -> pl.DataFrame:
    return pl.DataFrame(
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
                "cutoff_usable": r.extra["usable_cutoff"],
            }
            for r in rocs
        ]
    )


def analyse(cohort: Cohort) -> tuple[tuple[Population, ...], tuple[Result, ...], tuple[Table, ...]]:
    """Every result and table of Study A's plan (module docstring)."""
    frame, analysed = ANALYSED.select(cohort.derived)
    activation = _activation(frame, analysed)
    comparisons = _comparisons(frame, analysed)
    association = correlation(frame, analysed)
    rocs = roc_results(frame, analysed)
    age_groups = age_group_results(frame, analysed)
    logistic = logistic_results(frame, analysed)
    pregnancies = _pregnancy_rates(frame, analysed)
    results = (
        *activation,
        *comparisons,
        association,
        *rocs,
        roc_age_groups(frame, analysed),
        *age_groups,
        *logistic,
        *pregnancies,
    )
    welch = [r for r in comparisons if r.id != "age_by_activation_student"]
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
                "Overall counts every woman analysed, also those whose activation is unknown",
            ),
        ),
        Table(
            "table2_day5",
            "Table 2: day 5 by activation, mean (range)",
            _descriptive(frame, TABLE_2),
            ("Welch t-test",),
        ),
        Table(
            "group_differences",
            "Tables 1 and 2: differences in means, not activated − activated (95% CI)",
            differences_frame(welch),
            ("Welch two-sample t-test: the difference in means with its Welch CI",),
        ),
        Table(
            "table3_gcsf_symptoms_by_day",
            "Table 3: G-CSF symptoms by day, n (% of the women analysed)",
            gcsf_symptom_table(frame),
            ('"not recorded" counts the women without a grade that day',),
        ),
        Table(
            "gcsf_worst_symptom",
            "Worst G-CSF symptom grade per woman",
            gcsf_worst_symptom_table(frame),
        ),
        Table(
            "outcomes",
            "Activation and pregnancy rates, with numerators and denominators",
            results_frame([*activation, *pregnancies]),
        ),
        Table("comparisons", "Groups compared", groups_frame([*comparisons, *age_groups[:1]])),
        Table(
            "correlation", "Correlation of day-5 leukocytes and CD34+", results_frame([association])
        ),
        Table(
            "age_by_activation_box",
            "Age by activation: n, range and quartiles (box plot)",
            box_summaries(frame, BY_ACTIVATION, "age_years"),
            ("quartiles as R quantile(type = 7); whiskers at the range",),
        ),
        Table(
            "roc",
            "ROC analysis for oocyte activation (DeLong CI, Youden cut-off)",
            _roc_frame(rocs),
            (
                "cutoff_usable is false where the AUC is below 0.5: the marker does not predict "
                "activation in the stated direction, so its Youden cut-off is no threshold",
            ),
        ),
        Table(
            "logistic_activation",
            "Logistic regression of oocyte activation: odds ratios (Wald 95% CI)",
            pl.DataFrame(logistic[0].extra["terms"]),
        ),
        logistic_terms_table(logistic[0]),
    )
    return (analysed,), results, tables
