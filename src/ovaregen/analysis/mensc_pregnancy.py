"""Study B's pregnancy rates and the pregnancy tables (STUDIES.md, Study B).

Rates over the women treated (Wilson CIs, complete cases): any pregnancy (published 38 / 105),
spontaneous (27), both ways (2), and through IVF among the women who underwent IVF after
injection (13 / 54). A woman whose pregnancy's conception is unknown is left out of the rates
that it decides, and says so; one whose IVF after injection is unknown is left out of the IVF
rate (``mensc_populations``). Tables: pregnancies by conception (with the multiple births), by
month after injection (Fig. 1's histogram, months exactly as recorded: 5.5 is not 5), and the
women by their number of pregnancies (one pregnant twice, one three times).
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from ovaregen.analysis.measures import rate, rate_of
from ovaregen.analysis.mensc_populations import (
    CONCEPTION_UNKNOWN,
    IVF_UNKNOWN,
    UNDERWENT_IVF,
    Members,
    left,
)
from ovaregen.analysis.result import Population, Result


def _by_conception_flag(
    id: str, title: str, frame: pl.DataFrame, flag: str, treated: Population, numerator: str
) -> Result:
    """The share of the women treated with ``flag``; an unknown flag is an unknown conception."""
    result = rate_of(
        id, title, frame, flag, treated, numerator=numerator, denominator="women treated"
    )
    return replace(result, left_out=left(frame.get_column(flag).null_count(), CONCEPTION_UNKNOWN))


def pregnancy_rates(frame: pl.DataFrame, treated: Population, ivf: Members) -> list[Result]:
    """Any, spontaneous, both-ways and IVF pregnancy rates (module docstring)."""
    pregnant = rate_of(
        "pregnancy_rate",
        "Women who became pregnant",
        frame,
        "pregnant",
        treated,
        numerator="women with ≥ 1 pregnancy",
        denominator="women treated",
    )
    pregnant = replace(pregnant, extra={**pregnant.extra, "primary": True})
    spontaneous = _by_conception_flag(
        "spontaneous_pregnancy_rate",
        "Women with a spontaneous pregnancy",
        frame,
        "pregnancy_spontaneous",
        treated,
        "women with a spontaneous pregnancy",
    )
    both = _by_conception_flag(
        "pregnancy_both_ways_rate",
        "Women pregnant both spontaneously and through IVF",
        frame,
        "pregnancy_both",
        treated,
        "women with a spontaneous and an IVF pregnancy",
    )
    through_ivf = _ivf_rate(ivf)
    return [pregnant, spontaneous, both, through_ivf]


def _ivf_rate(ivf: Members) -> Result:
    """Pregnancy through IVF among the women known to have undergone IVF after injection.

    Left out: the women who may have (IVF not recorded, no IVF pregnancy), and those who did
    but whose pregnancy's conception is unknown (whether it was the IVF one).
    """
    underwent = ivf.frame.filter(UNDERWENT_IVF)
    outcome = underwent.get_column("pregnancy_ivf")
    known = outcome.drop_nulls()
    result = rate(
        "ivf_pregnancy_rate",
        "Pregnancy through IVF among the women who underwent IVF after injection",
        int(known.sum()),
        known.len(),
        ivf.population,
        numerator="women with a pregnancy through IVF",
        denominator="women who underwent IVF after injection",
    )
    return replace(
        result,
        extra={**result.extra, "underwent_ivf": underwent.height},
        left_out=(
            *left(ivf.possible, IVF_UNKNOWN),
            *left(outcome.null_count(), CONCEPTION_UNKNOWN),
        ),
    )


def by_conception(pregnancies: pl.DataFrame) -> pl.DataFrame:
    """Pregnancies by conception: counts, women, outcomes, multiple births, months after
    injection."""
    return (
        pregnancies.with_columns(pl.col("conception").fill_null("unknown"))
        .group_by("conception")
        .agg(
            pl.len().cast(pl.Int64).alias("pregnancies"),
            pl.col("participant_id").n_unique().cast(pl.Int64).alias("women"),
            (pl.col("outcome") == "live_birth").sum().cast(pl.Int64).alias("live_births"),
            (pl.col("outcome") == "miscarriage").sum().cast(pl.Int64).alias("miscarriages"),
            pl.col("infants_live_born").sum().cast(pl.Int64).alias("infants_live_born"),
            (pl.col("infants_live_born") >= 2).sum().cast(pl.Int64).alias("multiple_births"),
            pl.col("months_after_treatment").median().alias("months_median"),
            pl.col("months_after_treatment").min().cast(pl.Float64).alias("months_min"),
            pl.col("months_after_treatment").max().cast(pl.Float64).alias("months_max"),
        )
        .sort("conception")
    )


def by_month(pregnancies: pl.DataFrame) -> pl.DataFrame:
    """Pregnancies by months after injection (as recorded) and conception: Fig. 1's bars."""
    return (
        pregnancies.filter(pl.col("months_after_treatment").is_not_null())
        .with_columns(pl.col("conception").fill_null("unknown"))
        .group_by("months_after_treatment", "conception")
        .len("pregnancies")
        .with_columns(pl.col("pregnancies").cast(pl.Int64))
        .sort("months_after_treatment", "conception")
    )


def women_by_pregnancies(frame: pl.DataFrame) -> pl.DataFrame:
    """The women treated by their number of pregnancies (0, 1, 2, …), and how many of them
    were pregnant both ways (the paper counts those apart from "pregnant twice")."""
    return (
        frame.group_by(pl.col("pregnancies").cast(pl.Int64))
        .agg(
            pl.len().cast(pl.Int64).alias("women"),
            pl.col("pregnancy_both").fill_null(False).sum().cast(pl.Int64).alias("both_ways"),
        )
        .sort("pregnancies")
    )
