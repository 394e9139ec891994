"""Analysis plan of Study B, MenSC long-term follow-up (STUDIES.md; seed 001).

On the women treated (``ovaregen.domain.live_birth``: not screen-failed, with recorded
treatment), complete cases per analysis:

* Table 1: age at first injection and at follow-up, follow-up, injections, menses before and
  at follow-up, and the cross-tabulation of menses before → after (which settles the paper's
  "24" vs 14 irregular women);
* pregnancy rate (38 / 105 published), spontaneous and after IVF (13 / 54 among the women who
  underwent IVF), Wilson CIs;
* Table 2: pregnancy by age (< 35 vs ≥ 35), by menses at injection (regular vs irregular) and
  by number of injections (one vs two or more), Pearson's chi-square with Yates' continuity
  correction as published (2.4321, p 0.1189; menses p = 1);
* the four live-birth measures, each with its numerator and denominator: women with a live
  birth / women treated and live births / pregnancies (proportions, Wilson CI), infants born
  alive / women treated (the paper's 30.48%) and / pregnancies (74.42%) (rates, exact Poisson
  CI, since twins count twice);
* time to pregnancy: median (range) of months to the first spontaneous (and IVF) pregnancy over
  the women who had one (published 3 (1–24) and 5.5 (2–13)), and the Kaplan–Meier median with
  women who never conceived censored at their follow-up;
* Table 3: complications over the women treated and fetal/neonatal outcomes over pregnancies.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ovaregen.analysis.cohort import Cohort
from ovaregen.analysis.flow import exclusions_table, flow_table
from ovaregen.analysis.measures import (
    Group,
    Split,
    box_summaries,
    compare_rates,
    rate,
    rate_of,
    rate_per_unit,
    results_frame,
    split_at,
    split_by_values,
)
from ovaregen.analysis.populations import TREATED
from ovaregen.analysis.result import Population, Result, Table
from ovaregen.analysis.table_frames import table_one_frame
from ovaregen.domain.derivation import live_birth_table
from ovaregen.domain.live_birth import LiveBirthMeasure
from ovaregen.domain.variables import COMPLICATIONS
from ovaregen.stats.descriptive import RowTest, Summary, TableOneSpec, Variable, table_one
from ovaregen.stats.result import Estimate
from ovaregen.stats.survival import KaplanMeier, kaplan_meier, observed_time_summary

AGE_CUT = 35.0
"""STUDIES.md, Study B, Table 2: age < 35 vs ≥ 35."""
MENSES_LEVELS = ("regular", "irregular", "amenorrhea", "menopause")
FACTORS = (
    (
        "pregnancy_by_age_group",
        "Pregnancy by age at first injection",
        "Age",
        split_at("age_years", AGE_CUT, "< 35 years", "≥ 35 years"),
    ),
    (
        "pregnancy_by_menses",
        "Pregnancy by menses at injection",
        "Menstrual status",
        split_by_values(
            "menses", [("regular menses", "regular"), ("irregular menses", "irregular")]
        ),
    ),
    (
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
    ),
)
ALL = "all women treated"
BY_PREGNANCY = split_by_values("pregnant", [("pregnant", True), ("not pregnant", False)])

TABLE_1 = (
    Variable(
        "age_years", "Age at first injection (years)", summary=Summary.MEAN_SD, test=RowTest.NONE
    ),
    Variable(
        "age_at_followup_years",
        "Age at follow-up (years)",
        summary=Summary.MEAN_SD,
        test=RowTest.NONE,
    ),
    Variable(
        "followup_years",
        "Follow-up after the last injection (years)",
        summary=Summary.MEAN_SD,
        test=RowTest.NONE,
    ),
    Variable("injections", "Injections", categorical=True, test=RowTest.NONE),
    Variable(
        "menses", "Menses at injection", categorical=True, levels=MENSES_LEVELS, test=RowTest.NONE
    ),
    Variable(
        "menses_followup",
        "Menses at follow-up",
        categorical=True,
        levels=MENSES_LEVELS,
        test=RowTest.NONE,
    ),
)


def _table_1(frame: pl.DataFrame) -> pl.DataFrame:
    data = frame.select(
        pl.lit(ALL).alias("population"),
        pl.col("age_years"),
        (pl.col("age_years") + pl.col("followup_months") / 12).alias("age_at_followup_years"),
        (pl.col("followup_months") / 12).alias("followup_years"),
        pl.col("injections").cast(pl.String),
        pl.col("menses"),
        pl.col("menses_followup"),
    )
    return table_one_frame(table_one(data, TableOneSpec("population", TABLE_1, groups=(ALL,))))


def _menses_transition(frame: pl.DataFrame) -> pl.DataFrame:
    """Counts of menses at injection (rows) by menses at follow-up; ``unknown`` for empty."""
    counted = (
        frame.select(
            pl.col("menses").fill_null("unknown").alias("at_injection"),
            pl.col("menses_followup").fill_null("unknown").alias("at_followup"),
        )
        .group_by("at_injection", "at_followup")
        .len("n")
    )
    order = {level: i for i, level in enumerate((*MENSES_LEVELS, "unknown"))}
    return counted.sort(
        pl.col("at_injection").replace_strict(order, return_dtype=pl.Int64),
        pl.col("at_followup").replace_strict(order, return_dtype=pl.Int64),
    ).with_columns(pl.col("n").cast(pl.Int64))


def _table_2(overall: Result, factors: list[tuple[str, Result]]) -> pl.DataFrame:
    rows: list[dict[str, Any]] = [
        {
            "factor": "Pregnant women",
            "level": ALL,
            "pregnant": overall.extra["numerator"],
            "total": overall.extra["denominator"],
            "percent": 100 * overall.estimate if overall.estimate is not None else None,
            "chi_square": None,
            "df": None,
            "p_value": None,
            "id": overall.id,
        }
    ]
    for factor, result in factors:
        for index, group in enumerate(result.extra["groups"]):
            last = index == len(result.extra["groups"]) - 1
            rows.append(
                {
                    "factor": factor,
                    "level": group["group"],
                    "pregnant": group["events"],
                    "total": group["n"],
                    "percent": group["percent"],
                    "chi_square": result.statistic if last else None,
                    "df": result.df if last else None,
                    "p_value": result.p_value if last else None,
                    "id": result.id,
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "factor": pl.String,
            "level": pl.String,
            "pregnant": pl.Int64,
            "total": pl.Int64,
            "percent": pl.Float64,
            "chi_square": pl.Float64,
            "df": pl.Float64,
            "p_value": pl.Float64,
            "id": pl.String,
        },
    )


def _live_birth(measure: LiveBirthMeasure, population: Population) -> Result:
    """A live-birth measure as a result: a proportion of women/pregnancies, or a rate."""
    common: dict[str, Any] = {
        "numerator": measure.numerator_label,
        "denominator": measure.denominator_label,
        "unknown": measure.unknown,
        "definition": measure.note,
    }
    if measure.id.startswith("infants_"):
        return rate_per_unit(
            measure.id, measure.label, measure.numerator, measure.denominator, population, **common
        )
    notes: tuple[str, ...] = ()
    if measure.id.endswith("per_pregnancy"):
        notes = ("pregnancies of one woman are not independent: the interval is approximate",)
    return rate(
        measure.id,
        measure.label,
        measure.numerator,
        measure.denominator,
        population,
        warnings=notes,
        **common,
    )


def _months_to_first(
    id: str, title: str, frame: pl.DataFrame, column: str, population: Population
) -> Result:
    summary = observed_time_summary(frame.get_column(column).cast(pl.Float64).to_numpy())
    estimate = Estimate(
        method="Median (range) of observed months, over the women who conceived (R median())",
        n=summary.n,
        options={"censoring": "none: women who did not conceive are not in this summary"},
        estimate=summary.median,
    )
    return Result.of(
        id, title, estimate, population.id, minimum=summary.minimum, maximum=summary.maximum
    )


def _kaplan_meier(
    id: str, title: str, frame: pl.DataFrame, time: str, event: str, population: Population
) -> Result:
    curve = kaplan_meier(frame.select(time, event), time, event)
    return Result.of(
        id,
        title,
        curve.median_estimate(),
        population.id,
        detail=curve,
        n_events=curve.n_events,
        n_excluded=curve.n_excluded,
        time=time,
        event=event,
        estimate_label="Kaplan–Meier median months to pregnancy",
    )


def _km_frame(curve: KaplanMeier) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "time": row.time,
                "n_risk": row.n_risk,
                "n_event": row.n_event,
                "n_censor": row.n_censor,
                "survival": row.survival,
                "std_err": row.std_err,
                "ci_low": row.ci_low,
                "ci_high": row.ci_high,
            }
            for row in curve.table
        ],
        schema={
            "time": pl.Float64,
            "n_risk": pl.Int64,
            "n_event": pl.Int64,
            "n_censor": pl.Int64,
            "survival": pl.Float64,
            "std_err": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
        },
    )


def _complications(frame: pl.DataFrame, pregnancies: pl.DataFrame) -> pl.DataFrame:
    """Table 3: each complication over the women treated, fetal outcomes over pregnancies."""
    women = frame.height
    rows = [
        {
            "group": "women",
            "item": label,
            "column": column,
            "n": int(frame.get_column(column).fill_null(False).sum()),
            "known": frame.height - frame.get_column(column).null_count(),
            "total": women,
        }
        for column, label in COMPLICATIONS.items()
    ]
    outcome = pregnancies.get_column("outcome")
    rows += [
        {
            "group": "pregnancies",
            "item": label,
            "column": column,
            "n": int(values.fill_null(0).sum()),
            "known": pregnancies.height - values.null_count(),
            "total": pregnancies.height,
        }
        for label, column, values in (
            ("miscarriage", "outcome", (outcome == "miscarriage").cast(pl.Int64)),
            ("ectopic pregnancy", "outcome", (outcome == "ectopic").cast(pl.Int64)),
            ("stillbirth", "outcome", (outcome == "stillbirth").cast(pl.Int64)),
            (
                "infant died within the first year",
                "infant_death_first_year",
                pregnancies.get_column("infant_death_first_year"),
            ),
            (
                "congenital anomaly",
                "congenital_anomaly",
                pregnancies.get_column("congenital_anomaly"),
            ),
        )
    ]
    return pl.DataFrame(
        rows,
        schema={
            "group": pl.String,
            "item": pl.String,
            "column": pl.String,
            "n": pl.Int64,
            "known": pl.Int64,
            "total": pl.Int64,
        },
    )


def _by_conception(pregnancies: pl.DataFrame) -> pl.DataFrame:
    """Pregnancies by conception: counts, women, outcomes, months after treatment."""
    return (
        pregnancies.with_columns(pl.col("conception").fill_null("unknown"))
        .group_by("conception")
        .agg(
            pl.len().cast(pl.Int64).alias("pregnancies"),
            pl.col("participant_id").n_unique().cast(pl.Int64).alias("women"),
            (pl.col("outcome") == "live_birth").sum().cast(pl.Int64).alias("live_births"),
            (pl.col("outcome") == "miscarriage").sum().cast(pl.Int64).alias("miscarriages"),
            pl.col("infants_live_born").sum().cast(pl.Int64).alias("infants_live_born"),
            pl.col("months_after_treatment").median().alias("months_median"),
            pl.col("months_after_treatment").min().cast(pl.Float64).alias("months_min"),
            pl.col("months_after_treatment").max().cast(pl.Float64).alias("months_max"),
        )
        .sort("conception")
    )


def _by_month(pregnancies: pl.DataFrame) -> pl.DataFrame:
    """Pregnancies by months after treatment and conception (the histogram of Fig. 1)."""
    return (
        pregnancies.filter(pl.col("months_after_treatment").is_not_null())
        .with_columns(pl.col("conception").fill_null("unknown"))
        .group_by("months_after_treatment", "conception")
        .len("pregnancies")
        .with_columns(pl.col("pregnancies").cast(pl.Int64))
        .sort("months_after_treatment", "conception")
    )


def analyse(cohort: Cohort) -> tuple[tuple[Population, ...], tuple[Result, ...], tuple[Table, ...]]:
    """Every result and table of Study B's plan (module docstring)."""
    frame, treated = TREATED.select(cohort.derived)
    ids = frame.get_column("participant_id")
    pregnancies = cohort.pregnancies.filter(pl.col("participant_id").is_in(ids.implode()))
    pregnant = rate_of(
        "pregnancy_rate",
        "Women who became pregnant",
        frame,
        "pregnant",
        treated,
        numerator="women with ≥ 1 pregnancy",
        denominator="women treated",
    )
    spontaneous = rate_of(
        "spontaneous_pregnancy_rate",
        "Women with a spontaneous pregnancy",
        frame,
        "pregnancy_spontaneous",
        treated,
        numerator="women with a spontaneous pregnancy",
        denominator="women treated",
    )
    underwent_ivf = frame.filter(
        pl.col("ivf_after_treatment").fill_null(False) | pl.col("pregnancy_ivf").fill_null(False)
    )
    ivf = rate_of(
        "ivf_pregnancy_rate",
        "Pregnancy through IVF among the women who underwent IVF after injection",
        underwent_ivf,
        "pregnancy_ivf",
        treated,
        numerator="women with a pregnancy through IVF",
        denominator="women who underwent IVF after injection",
    )
    factors = [
        (factor, compare_rates(id, title, frame, split, "pregnant", treated))
        for id, title, factor, split in FACTORS
    ]
    live_births = [_live_birth(m, treated) for m in cohort.derivation.live_birth]
    miscarriage = rate(
        "miscarriage_rate_per_pregnancy",
        "Pregnancies ending in miscarriage",
        int((pregnancies.get_column("outcome") == "miscarriage").sum()),
        pregnancies.height - pregnancies.get_column("outcome").null_count(),
        treated,
        numerator="pregnancies ending in miscarriage",
        denominator="pregnancies with a known outcome",
    )
    months = [
        _months_to_first(
            "months_to_pregnancy_spontaneous",
            "Months from injection to the first spontaneous pregnancy, median (range)",
            frame,
            "months_to_first_spontaneous_pregnancy",
            treated,
        ),
        _months_to_first(
            "months_to_pregnancy_ivf",
            "Months from injection to the first IVF pregnancy, median (range)",
            frame,
            "months_to_first_ivf_pregnancy",
            treated,
        ),
    ]
    km = _kaplan_meier(
        "time_to_pregnancy_km",
        "Time to first pregnancy (Kaplan–Meier; no pregnancy censored at follow-up)",
        frame,
        "time_to_pregnancy_months",
        "pregnancy_event",
        treated,
    )
    km_spontaneous = _kaplan_meier(
        "time_to_spontaneous_pregnancy_km",
        "Time to first spontaneous pregnancy (Kaplan–Meier)",
        frame,
        "time_to_spontaneous_pregnancy_months",
        "spontaneous_pregnancy_event",
        treated,
    )
    pregnant_women = frame.filter(pl.col("pregnant"))
    ages = observed_time_summary(pregnant_women.get_column("age_years").cast(pl.Float64).to_numpy())
    pregnant_age = Result.of(
        "age_of_pregnant_women",
        "Age of the women who became pregnant, median (range)",
        Estimate(method="Median (range) of age (R median())", n=ages.n, estimate=ages.median),
        treated.id,
        minimum=ages.minimum,
        maximum=ages.maximum,
    )
    results = (
        pregnant,
        spontaneous,
        ivf,
        *(result for _, result in factors),
        *live_births,
        miscarriage,
        *months,
        km,
        km_spontaneous,
        pregnant_age,
    )
    km_curve: KaplanMeier = km.detail
    tables = (
        flow_table(cohort.people),
        exclusions_table(cohort.people, cohort.protocol),
        Table(
            "table1_demographics",
            "Table 1: demographic characteristics of the women treated",
            _table_1(frame),
            ("age at follow-up = age at first injection + follow-up after the last injection",),
        ),
        Table(
            "menses_transition",
            "Menses at injection (rows) and at follow-up",
            _menses_transition(frame),
        ),
        Table(
            "table2_pregnancy_by_factor",
            "Table 2: pregnancy by factor (Pearson chi-square, Yates)",
            _table_2(pregnant, factors),
        ),
        Table(
            "table3_complications",
            "Table 3: women's complications and fetal/neonatal outcomes",
            _complications(frame, pregnancies),
        ),
        Table(
            "outcomes",
            "Pregnancy and live-birth measures with numerators and denominators",
            results_frame([pregnant, spontaneous, ivf, *live_births, miscarriage]),
        ),
        Table(
            "live_birth_measures",
            "The four live-birth measures",
            live_birth_table(cohort.derivation.live_birth),
        ),
        Table(
            "pregnancies_by_conception", "Pregnancies by conception", _by_conception(pregnancies)
        ),
        Table(
            "pregnancies_by_month",
            "Pregnancies by months after injection and conception",
            _by_month(pregnancies),
        ),
        Table(
            "time_to_pregnancy",
            "Months to pregnancy: observed medians and Kaplan–Meier",
            results_frame([*months, km, km_spontaneous]),
        ),
        Table(
            "time_to_pregnancy_km",
            "Kaplan–Meier table of time to first pregnancy",
            _km_frame(km_curve),
        ),
        Table(
            "age_by_pregnancy_box",
            "Age at first injection of the women who became pregnant and of the others",
            box_summaries(frame, BY_PREGNANCY, "age_years"),
            ("quartiles as R quantile(type = 7); whiskers at the range",),
        ),
    )
    return (treated,), results, tables
