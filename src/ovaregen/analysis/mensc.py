"""Analysis plan of Study B, MenSC long-term follow-up (STUDIES.md; seed 001).

On the women treated (``ovaregen.domain.live_birth``: not screen-failed, with recorded
treatment), complete cases per analysis, every woman a result cannot use counted with the
reason (``mensc_populations``):

* Table 1 and the menses cross-tabulation (``mensc_table_one``);
* pregnancy rates — any (the primary outcome, 38 / 105 published), spontaneous, both ways, and
  through IVF among the women who underwent IVF (13 / 54) — and the pregnancy tables
  (``mensc_pregnancy``);
* Table 2: pregnancy by age, menses and injections, chi-square with Yates as published, with
  the rate difference (Newcombe) and the odds ratio (exact) beside each (``mensc_factors``);
* the four live-birth measures, miscarriages and Table 3 (``mensc_live_birth``);
* time to pregnancy: observed medians (range) and Kaplan–Meier (``mensc_time``);
* the age of the women who became pregnant (Fig. 2's box plot).
"""

from __future__ import annotations

import polars as pl

from ovaregen.analysis.cohort import Cohort
from ovaregen.analysis.flow import exclusions_table, flow_table
from ovaregen.analysis.measures import box_summaries, results_frame, split_by_values
from ovaregen.analysis.mensc_factors import (
    FACTORS,
    TABLE_2_NOTES,
    factor_results,
    table_2,
)
from ovaregen.analysis.mensc_live_birth import (
    TABLE_3_NOTES,
    complications,
    live_birth_result,
    miscarriage_rate,
)
from ovaregen.analysis.mensc_populations import (
    AGE_UNKNOWN,
    Members,
    left,
    pregnancies_of,
    pregnant_by,
    pregnant_women,
    underwent_ivf,
)
from ovaregen.analysis.mensc_pregnancy import (
    by_conception,
    by_month,
    pregnancy_rates,
    women_by_pregnancies,
)
from ovaregen.analysis.mensc_table_one import TABLE_1_NOTES, menses_transition, table_1
from ovaregen.analysis.mensc_time import kaplan_meier_result, km_frame, months_to_first
from ovaregen.analysis.populations import TREATED
from ovaregen.analysis.result import Population, Result, Table
from ovaregen.domain.derivation import live_birth_table
from ovaregen.stats.result import Estimate
from ovaregen.stats.survival import KaplanMeier, observed_time_summary

BY_PREGNANCY = split_by_values("pregnant", [("pregnant", True), ("not pregnant", False)])


def _age_of_pregnant_women(pregnant: Members) -> Result:
    ages = observed_time_summary(pregnant.frame.get_column("age_years").cast(pl.Float64).to_numpy())
    return Result.of(
        "age_of_pregnant_women",
        "Age of the women who became pregnant, median (range)",
        Estimate(method="Median (range) of age (R median())", n=ages.n, estimate=ages.median),
        pregnant.population.id,
        left_out=left(pregnant.frame.get_column("age_years").null_count(), AGE_UNKNOWN),
        minimum=ages.minimum,
        maximum=ages.maximum,
        unit="years",
    )


def _time_to_pregnancy(
    frame: pl.DataFrame, spontaneous: Members, ivf: Members, treated: Population
) -> list[Result]:
    return [
        months_to_first(
            "months_to_pregnancy_spontaneous",
            "Months from injection to the first spontaneous pregnancy, median (range)",
            spontaneous,
            "months_to_first_spontaneous_pregnancy",
            "pregnancy_spontaneous",
        ),
        months_to_first(
            "months_to_pregnancy_ivf",
            "Months from injection to the first IVF pregnancy, median (range)",
            ivf,
            "months_to_first_ivf_pregnancy",
            "pregnancy_ivf",
        ),
        kaplan_meier_result(
            "time_to_pregnancy_km",
            "Time to first pregnancy (Kaplan–Meier; no pregnancy censored at follow-up)",
            frame,
            "time_to_pregnancy_months",
            "pregnancy_event",
            treated,
        ),
        kaplan_meier_result(
            "time_to_spontaneous_pregnancy_km",
            "Time to first spontaneous pregnancy (Kaplan–Meier)",
            frame,
            "time_to_spontaneous_pregnancy_months",
            "spontaneous_pregnancy_event",
            treated,
        ),
    ]


def analyse(cohort: Cohort) -> tuple[tuple[Population, ...], tuple[Result, ...], tuple[Table, ...]]:
    """Every result and table of Study B's plan (module docstring)."""
    frame, treated = TREATED.select(cohort.derived)
    ids = frame.get_column("participant_id")
    pregnancies = cohort.pregnancies.filter(pl.col("participant_id").is_in(ids.implode()))
    pregnancy_units = pregnancies_of(pregnancies)
    ivf = underwent_ivf(frame)
    pregnant = pregnant_women(frame)
    spontaneous = pregnant_by(frame, "pregnancy_spontaneous", "spontaneous")
    through_ivf = pregnant_by(frame, "pregnancy_ivf", "IVF")

    rates = pregnancy_rates(frame, treated, ivf)
    factors = [(factor, factor_results(frame, factor, treated)) for factor in FACTORS]
    live_births = [
        live_birth_result(m, treated, pregnancy_units) for m in cohort.derivation.live_birth
    ]
    miscarriage = miscarriage_rate(pregnancies, pregnancy_units)
    times = _time_to_pregnancy(frame, spontaneous, through_ivf, treated)
    results = (
        *rates,
        *(result for _, trio in factors for result in trio),
        *live_births,
        miscarriage,
        *times,
        _age_of_pregnant_women(pregnant),
    )
    km_curve: KaplanMeier = times[2].detail
    tables = (
        flow_table(cohort.people),
        exclusions_table(cohort.people, cohort.protocol),
        Table(
            "table1_demographics",
            "Table 1: demographic characteristics of the women treated",
            table_1(frame),
            TABLE_1_NOTES,
        ),
        Table(
            "menses_transition",
            "Menses at injection (rows) and at follow-up",
            menses_transition(frame),
        ),
        Table(
            "table2_pregnancy_by_factor",
            "Table 2: pregnancy by factor (Pearson chi-square, Yates), with the difference in "
            "rates and the odds ratio",
            table_2(rates[0], factors),
            TABLE_2_NOTES,
        ),
        Table(
            "table3_complications",
            "Table 3: women's complications, pregnancy outcomes and infant outcomes",
            complications(frame, pregnancies),
            TABLE_3_NOTES,
        ),
        Table(
            "outcomes",
            "Pregnancy and live-birth measures with numerators and denominators",
            results_frame([*rates, *live_births, miscarriage]),
        ),
        Table(
            "live_birth_measures",
            "The four live-birth measures",
            live_birth_table(cohort.derivation.live_birth),
        ),
        Table("pregnancies_by_conception", "Pregnancies by conception", by_conception(pregnancies)),
        Table(
            "pregnancies_by_month",
            "Pregnancies by months after injection and conception",
            by_month(pregnancies),
        ),
        Table(
            "women_by_pregnancies",
            "Women treated by their number of pregnancies",
            women_by_pregnancies(frame),
        ),
        Table(
            "time_to_pregnancy",
            "Months to pregnancy: observed medians and Kaplan–Meier",
            results_frame(times),
        ),
        Table(
            "time_to_pregnancy_km",
            "Kaplan–Meier table of time to first pregnancy",
            km_frame(km_curve),
        ),
        Table(
            "age_by_pregnancy_box",
            "Age at first injection of the women who became pregnant and of the others",
            box_summaries(frame, BY_PREGNANCY, "age_years"),
            ("quartiles as R quantile(type = 7); whiskers at the range",),
        ),
    )
    populations = (
        treated,
        ivf.population,
        pregnant.population,
        spontaneous.population,
        through_ivf.population,
        pregnancy_units,
    )
    return populations, results, tables
