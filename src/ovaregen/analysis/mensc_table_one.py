"""Study B's Table 1 (one group: the women treated) and the menses cross-tabulation.

STUDIES.md, Study B: age at first injection 37.91 ± 4.98 (24–45), 70 one injection and 35 two,
menses at injection 91 regular / 14 irregular and at follow-up 84 / 16 / 5 menopause. The study
has a single group, so the table holds only its "overall" column (a group column identical to
it would repeat every number). Age at follow-up = age at first injection + follow-up after the
last injection. The cross-tabulation of menses at injection by menses at follow-up settles the
paper's "24" vs 14 irregular women.
"""

from __future__ import annotations

import polars as pl

from ovaregen.analysis.table_frames import column_key, table_one_frame
from ovaregen.stats.descriptive import RowTest, Summary, TableOneSpec, Variable, table_one

ALL = "all women treated"
MENSES_LEVELS = ("regular", "irregular", "amenorrhea", "menopause")

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
TABLE_1_NOTES = ("age at follow-up = age at first injection + follow-up after the last injection",)


def table_1(frame: pl.DataFrame) -> pl.DataFrame:
    """Table 1 of the women treated: the ``overall`` column only (module docstring)."""
    data = frame.select(
        pl.lit(ALL).alias("population"),
        pl.col("age_years"),
        (pl.col("age_years") + pl.col("followup_months") / 12).alias("age_at_followup_years"),
        (pl.col("followup_months") / 12).alias("followup_years"),
        pl.col("injections").cast(pl.String),
        pl.col("menses"),
        pl.col("menses_followup"),
    )
    table = table_one_frame(table_one(data, TableOneSpec("population", TABLE_1, groups=(ALL,))))
    group = f"{column_key(ALL)}_"
    return table.select(c for c in table.columns if not c.startswith(group))


def menses_transition(frame: pl.DataFrame) -> pl.DataFrame:
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
