"""Study B's time to pregnancy: observed medians (range) and Kaplan–Meier.

STUDIES.md, Study B: median months from injection to pregnancy 3 (1–24) spontaneous and 5.5
(2–13) through IVF, over the women who conceived that way (R ``median()``, no censoring). The
Kaplan–Meier curve (R ``survfit``) follows every woman treated: months to her first pregnancy,
or censored at her follow-up (``ovaregen.domain.pregnancy.time_to_pregnancy_columns``). Each
result names the women it could not use: a pregnancy with unknown timing or conception, or a
woman never pregnant whose follow-up time is unknown (she cannot be censored).
"""

from __future__ import annotations

import polars as pl

from ovaregen.analysis.mensc_populations import (
    CONCEPTION_UNKNOWN,
    FOLLOWUP_UNKNOWN,
    MONTHS_UNKNOWN,
    Members,
    left,
)
from ovaregen.analysis.result import LeftOut, Population, Result
from ovaregen.stats.result import Estimate
from ovaregen.stats.survival import KaplanMeier, kaplan_meier, observed_time_summary


def months_to_first(id: str, title: str, members: Members, column: str, flag: str) -> Result:
    """Median (range) of ``column`` over the women of ``members`` (those with a pregnancy of
    the kind); the ones who may have one (``flag`` unknown) and those whose months are
    unknown are left out."""
    frame = members.frame
    summary = observed_time_summary(frame.get_column(column).cast(pl.Float64).to_numpy())
    definite = frame.filter(pl.col(flag).fill_null(False))
    estimate = Estimate(
        method="Median (range) of observed months, over the women who conceived (R median())",
        n=summary.n,
        options={"censoring": "none: women who did not conceive are not in this summary"},
        estimate=summary.median,
    )
    return Result.of(
        id,
        title,
        estimate,
        members.population.id,
        left_out=(
            *left(members.possible, CONCEPTION_UNKNOWN),
            *left(definite.get_column(column).null_count(), MONTHS_UNKNOWN),
        ),
        minimum=summary.minimum,
        maximum=summary.maximum,
        unit="months",
    )


def _km_left_out(frame: pl.DataFrame, time: str, event: str, excluded: int) -> tuple[LeftOut, ...]:
    """Who the curve could not use: the event unknown, its time unknown, or (never pregnant)
    the follow-up time unknown; anything else the fit refused (a negative time)."""
    no_time = pl.col(time).is_null() | pl.col(time).is_nan()
    counts = frame.select(
        pl.col(event).is_null().sum().alias("event"),
        (pl.col(event).fill_null(False) & no_time).sum().alias("months"),
        ((~pl.col(event)).fill_null(False) & no_time).sum().alias("followup"),
    ).row(0, named=True)
    named = (
        *left(int(counts["event"]), CONCEPTION_UNKNOWN),
        *left(int(counts["months"]), MONTHS_UNKNOWN),
        *left(int(counts["followup"]), FOLLOWUP_UNKNOWN),
    )
    other = excluded - sum(item.count for item in named)
    return (*named, *left(other, "time to pregnancy not usable (negative or not a number)"))


def kaplan_meier_result(
    id: str, title: str, frame: pl.DataFrame, time: str, event: str, population: Population
) -> Result:
    """The Kaplan–Meier median months to pregnancy (``detail``: the curve) over ``frame``."""
    curve = kaplan_meier(frame.select(time, event), time, event)
    return Result.of(
        id,
        title,
        curve.median_estimate(),
        population.id,
        detail=curve,
        left_out=_km_left_out(frame, time, event, curve.n_excluded),
        n_events=curve.n_events,
        n_excluded=curve.n_excluded,
        time=time,
        event=event,
        estimate_label="Kaplan–Meier median months to pregnancy",
        unit="months",
    )


def km_frame(curve: KaplanMeier) -> pl.DataFrame:
    """The survfit table of ``curve``, one row per distinct time."""
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
