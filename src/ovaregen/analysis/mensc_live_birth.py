"""Study B's live-birth measures, miscarriages, and Table 3 (complications and infants).

The four live-birth measures (``ovaregen.domain.live_birth``; CRITERIA.md "Endpoints"), each
naming its numerator and denominator:

* women with a live birth / women treated and pregnancies ending in a live birth / pregnancies
  (31 / 43 = 72.09%, the conventional measure): proportions with Wilson's CI;
* infants born alive / women treated (the paper's "live birth rate per treatment cycle" 30.48%)
  and / pregnancies (its "live birth rate per pregnancy" 74.42%): counts per unit — twins count
  twice, so 0.744 *infants per pregnancy* with an exact Poisson CI, never a percentage
  (``extra["kind"] = "count_rate"``).

A unit whose contribution is unknown stays in the denominator (the numerator is then a lower
bound, said in the warnings), as the domain defines the measures. Table 3 counts each item over
its own denominator: complications over the women treated, pregnancy outcomes over the
pregnancies, and infant outcomes over the infants born alive (32, not the 43 pregnancies, 12 of
which miscarried).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import polars as pl

from ovaregen.analysis.measures import rate, rate_per_unit
from ovaregen.analysis.mensc_populations import OUTCOME_UNKNOWN, left
from ovaregen.analysis.result import Population, Result
from ovaregen.domain.live_birth import LiveBirthMeasure
from ovaregen.domain.variables import COMPLICATIONS

PER_UNIT = {
    "infants_per_woman": ("infants per woman treated", "women treated"),
    "infants_per_pregnancy": ("infants per pregnancy", "pregnancies"),
}
"""The count-per-unit measures: their unit in words and their denominator."""


def _lower_bound(measure: LiveBirthMeasure) -> tuple[str, ...]:
    if not measure.unknown:
        return ()
    return (
        f"{measure.unknown} of the {measure.denominator} {measure.denominator_label} have an "
        f"unknown contribution to the {measure.numerator_label}: they stay in the denominator "
        "and the numerator counts what is recorded (a lower bound)",
    )


def live_birth_result(
    measure: LiveBirthMeasure, treated: Population, pregnancies: Population
) -> Result:
    """A live-birth measure as a result: a proportion of women or pregnancies, or a count per
    unit (infants per woman treated, per pregnancy)."""
    population = pregnancies if measure.id.endswith("per_pregnancy") else treated
    common: dict[str, Any] = {
        "numerator": measure.numerator_label,
        "denominator": measure.denominator_label,
        "definition": measure.note,
    }
    if measure.id in PER_UNIT:
        unit, _ = PER_UNIT[measure.id]
        result = rate_per_unit(
            measure.id,
            measure.label,
            measure.numerator,
            measure.denominator,
            population,
            unknown=measure.unknown,
            **common,
        )
        return replace(
            result,
            extra={**result.extra, "unit": unit, "estimate_label": unit},
        )
    notes = _lower_bound(measure)
    if population is pregnancies:
        notes += ("pregnancies of one woman are not independent: the interval is approximate",)
    result = rate(
        measure.id,
        measure.label,
        measure.numerator,
        measure.denominator,
        population,
        warnings=notes,
        **common,
    )
    return replace(result, extra={**result.extra, "unknown": measure.unknown})


def miscarriage_rate(pregnancies: pl.DataFrame, population: Population) -> Result:
    """Pregnancies ending in miscarriage over the pregnancies with a known outcome."""
    outcome = pregnancies.get_column("outcome")
    result = rate(
        "miscarriage_rate_per_pregnancy",
        "Pregnancies ending in miscarriage",
        int((outcome == "miscarriage").sum()),
        pregnancies.height - outcome.null_count(),
        population,
        numerator="pregnancies ending in miscarriage",
        denominator="pregnancies with a known outcome",
    )
    return replace(result, left_out=left(outcome.null_count(), OUTCOME_UNKNOWN))


def infants_born_alive() -> pl.Expr:
    """Infants born alive in a pregnancy; a live birth without a count is at least 1."""
    return pl.coalesce(
        pl.col("infants_live_born"),
        pl.when(pl.col("outcome") == "live_birth").then(1).otherwise(0),
    ).cast(pl.Int64)


TABLE_3_SCHEMA: dict[str, Any] = {
    "group": pl.String,
    "item": pl.String,
    "column": pl.String,
    "n": pl.Int64,
    "known": pl.Int64,
    "total": pl.Int64,
    "denominator": pl.String,
}


DENOMINATORS = {
    "women": "women treated",
    "pregnancies": "pregnancies",
    "infants": "infants born alive",
}
"""Table 3's groups and the denominator each item of the group is counted over."""


def _row(group: str, item: str, column: str, n: int, known: int, total: int) -> dict[str, Any]:
    return {
        "group": group,
        "item": item,
        "column": column,
        "n": n,
        "known": known,
        "total": total,
        "denominator": DENOMINATORS[group],
    }


def complications(frame: pl.DataFrame, pregnancies: pl.DataFrame) -> pl.DataFrame:
    """Table 3: each complication over the women treated, each pregnancy outcome over the
    pregnancies, each infant outcome over the infants born alive (``known``: the units whose
    answer is recorded; ``total``: the denominator, named in ``denominator``)."""
    rows = [
        _row(
            "women",
            label,
            column,
            int(frame.get_column(column).fill_null(False).sum()),
            frame.height - frame.get_column(column).null_count(),
            frame.height,
        )
        for column, label in COMPLICATIONS.items()
    ]
    outcome = pregnancies.get_column("outcome")
    known_outcome = pregnancies.height - outcome.null_count()
    rows += [
        _row("pregnancies", label, "outcome", int((outcome == value).sum()), known_outcome,
             pregnancies.height)
        for label, value in (
            ("miscarriage", "miscarriage"),
            ("ectopic pregnancy", "ectopic"),
            ("stillbirth", "stillbirth"),
        )
    ]  # fmt: skip
    born = pregnancies.with_columns(infants_born_alive().alias("_infants")).filter(
        pl.col("_infants") >= 1
    )
    infants = int(born.get_column("_infants").sum())
    for label, column in (
        ("infant died within the first year", "infant_death_first_year"),
        ("congenital anomaly", "congenital_anomaly"),
    ):
        values = born.get_column(column)
        known = int(born.filter(values.is_not_null()).get_column("_infants").sum())
        rows.append(_row("infants", label, column, int(values.fill_null(0).sum()), known, infants))
    return pl.DataFrame(rows, schema=TABLE_3_SCHEMA)


TABLE_3_NOTES = (
    "Complications are counted over the women treated, pregnancy outcomes over the "
    "pregnancies, infant outcomes over the infants born alive (twins count twice); 'known' is "
    "how many of the denominator have the item recorded.",
)
