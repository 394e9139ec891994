"""Table 1 benchmark: a 10-variable Table 1 by group at 1,000,000 rows (bar ≤ 3 s), beside the
Python ``tableone`` package on the same data (with p-values and SMDs, as ours)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl

from bench.harness import Measurement, best_of
from ovaregen.stats.descriptive import RowTest, Summary, TableOneSpec, Variable, table_one

CONTINUOUS = ("age_years", "amh_ng_ml", "afc", "hemoglobin_g_dl", "wbc_10e9_l", "cd34_d5_per_ul")
CATEGORICAL = ("menses", "ethnicity", "site", "ivf_after_treatment")


def cohort(n: int) -> pl.DataFrame:
    """Seeded synthetic rows: six continuous variables, four categorical, a two-level group."""
    i = pl.int_range(n, dtype=pl.UInt64)

    def u(k: int) -> pl.Expr:
        return (i.hash(k) % 1_000_003).cast(pl.Float64) / 1_000_003

    def pick(k: int, words: tuple[str, ...]) -> pl.Expr:
        return pl.lit(pl.Series(words)).gather(
            (u(k) * len(words)).cast(pl.Int64).clip(0, len(words) - 1)
        )

    return pl.select(
        pl.when(u(1) < 0.68)
        .then(pl.lit("activated"))
        .otherwise(pl.lit("not activated"))
        .alias("group"),
        *((u(10 + k) * 40 + 5).alias(name) for k, name in enumerate(CONTINUOUS)),
        pick(20, ("regular", "irregular", "amenorrhea", "menopause")).alias("menses"),
        pick(21, ("caucasian", "arab", "hispanic", "other")).alias("ethnicity"),
        pick(22, ("Madrid", "Valencia", "Seville")).alias("site"),
        pick(23, ("true", "false")).alias("ivf_after_treatment"),
    )


SPEC = TableOneSpec(
    group="group",
    groups=("not activated", "activated"),
    variables=(
        *(Variable(c, c, summary=Summary.MEAN_SD, test=RowTest.WELCH) for c in CONTINUOUS[:4]),
        *(
            Variable(c, c, summary=Summary.MEDIAN_IQR, test=RowTest.MANN_WHITNEY)
            for c in CONTINUOUS[4:]
        ),
        *(Variable(c, c, categorical=True) for c in CATEGORICAL),
    ),
)


def measure(n: int = 1_000_000) -> list[Measurement]:
    data = cohort(n)
    ours = best_of(3, lambda: table_one(data, SPEC))
    measurements = [
        Measurement(
            "Table 1, 10 variables by group (Welch, Mann–Whitney, chi-square, SMD)", n, ours, 3.0
        )
    ]
    try:
        from tableone import TableOne  # noqa: PLC0415 - optional comparison, dev dependency
    except ImportError:
        return measurements
    import pandas as pd  # noqa: PLC0415 - only for the comparison

    frame = pd.DataFrame({c: data.get_column(c).to_numpy() for c in data.columns})
    start = time.perf_counter()
    TableOne(
        frame,
        columns=[*CONTINUOUS, *CATEGORICAL],
        categorical=list(CATEGORICAL),
        nonnormal=list(CONTINUOUS[4:]),
        groupby="group",
        pval=True,
        smd=True,
    )
    theirs = time.perf_counter() - start
    measurements.append(
        Measurement(
            "the same table with the Python tableone package",
            n,
            theirs,
            note=f"tableone {__import__('tableone').__version__}, one run; "
            f"ovaregen is {theirs / ours:.1f}× faster",
        )
    )
    return measurements


if __name__ == "__main__":
    for m in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000):
        print(f"{m.name}: n={m.n:,} {m.seconds:.3f} s {m.note}")
