"""Large synthetic canonical cohorts for benchmarks, generated inside Polars (seeded hashes).

Values are spread over each rule's cut-offs, with about 10% of each value missing, so that
every branch of the screening rules is exercised. Not calibrated to any study (that is
``ovaregen synth``'s job): only realistic in shape and in the share of unknowns.
"""

from __future__ import annotations

import polars as pl

from ovaregen.domain.schema import conform
from ovaregen.domain.variables import EXCLUSION_CONDITIONS, DatasetFile


def _uniform(index: pl.Expr, seed: int) -> pl.Expr:
    """A deterministic pseudo-random number in [0, 1) per row."""
    return (index.hash(seed) % 1_000_003).cast(pl.Float64) / 1_000_003


def _missing(value: pl.Expr, index: pl.Expr, seed: int, share: float = 0.1) -> pl.Expr:
    return pl.when(_uniform(index, seed + 10_000) < share).then(None).otherwise(value)


def synthetic_cohort(n: int, seed: int = 1) -> pl.DataFrame:
    """``n`` participants as a canonical frame."""
    i = pl.col("i")

    def u(k: int) -> pl.Expr:
        return _uniform(i, seed * 1000 + k)

    numbers = {
        "age_years": (18 + u(1) * 30).round(1),
        "afc": (u(2) * 14).floor().cast(pl.Int64),
        "amh_ng_ml": (u(3) * 3).round(2),
        "amenorrhea_months": (u(4) * 12).floor(),
        "fsh_1_iu_l": (u(5) * 60).round(1),
        "fsh_2_iu_l": (u(6) * 60).round(1),
        "prior_oocytes_retrieved": (u(7) * 15).floor().cast(pl.Int64),
        "prior_por_cycles": (u(8) * 3).floor().cast(pl.Int64),
        "prior_por_cycles_max_stim": (u(9) * 3).floor().cast(pl.Int64),
        "ovary_left_mm": (6 + u(10) * 14).round(1),
        "ovary_right_mm": (6 + u(11) * 14).round(1),
    }
    dates = {
        "fsh_1_date": pl.date(2024, 1, 1) + pl.duration(days=(u(12) * 30).floor()),
        "fsh_2_date": pl.date(2024, 2, 1) + pl.duration(days=(u(13) * 30).floor()),
    }
    flags = {
        name: u(20 + k) < 0.03
        for k, name in enumerate(
            [*EXCLUSION_CONDITIONS, "por_risk_factor", "spontaneous_follicular_activity"]
        )
    } | {"married": u(60) < 0.9, "consent": u(61) < 0.95}
    columns = {**numbers, **dates, **flags}
    frame = pl.select(pl.int_range(n, dtype=pl.UInt64).alias("i")).select(
        pl.format("P{}", i).alias("participant_id"),
        *(
            _missing(expr, i, seed * 1000 + k).alias(name)
            for k, (name, expr) in enumerate(columns.items())
        ),
    )
    return conform(frame, DatasetFile.PARTICIPANTS)
