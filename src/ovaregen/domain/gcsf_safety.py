"""G-CSF safety endpoint (Study A): worst symptom grade per woman, and the per-day table.

Source: CRITERIA.md "Endpoints" ("G-CSF safety: worst symptom grade per woman over days 1–4,
and the per-day table"); STUDIES.md, Study A, symptom grades and Table 3. Grades are ordinal:
none < mild < moderate < severe (``ovaregen.domain.variables.SYMPTOM_GRADES``), recorded per
day in ``symptoms_d1`` … ``symptoms_d4``.

Incomplete days. The published Table 3 lacks day-1 grades for 59 of 145 women, so a day
without a grade is common. The worst grade is taken **over the days recorded** and
``gcsf_symptom_days_recorded`` (0–4) says how many those were: with fewer than 4 the worst grade
is a lower bound (an unrecorded day might have been worse), and a reader who needs complete
data keeps the rows with 4. With no day recorded the worst grade is null. In the tables an
unrecorded day is its own row, ``not_recorded``, counted against the whole cohort, so each day's
rows add up to the cohort size and the published inconsistency shows instead of disappearing.
"""

from __future__ import annotations

import polars as pl

from ovaregen.domain.schema import conform
from ovaregen.domain.variables import GCSF_DAYS, SYMPTOM_GRADES, DatasetFile

SYMPTOM_COLUMNS: tuple[str, ...] = tuple(f"symptoms_d{day}" for day in GCSF_DAYS)
NOT_RECORDED = "not_recorded"
TABLE_GRADES: tuple[str, ...] = (*SYMPTOM_GRADES, NOT_RECORDED)
"""Row labels of the symptom tables, in display order."""

_RANK = {grade: rank for rank, grade in enumerate(SYMPTOM_GRADES)}


def _rank(column: str) -> pl.Expr:
    # replace_strict raises on a grade outside SYMPTOM_GRADES: canonical data has none.
    return pl.col(column).replace_strict(_RANK, return_dtype=pl.Int8).alias(column)


def gcsf_worst_symptom() -> pl.Expr:
    """Worst G-CSF symptom grade over the recorded days 1–4 (String; null if none recorded).

    Column ``gcsf_worst_symptom``. Source: CRITERIA.md "Endpoints", G-CSF safety.
    """
    worst = pl.max_horizontal(*(_rank(c) for c in SYMPTOM_COLUMNS))
    return worst.replace_strict(
        {rank: grade for grade, rank in _RANK.items()}, return_dtype=pl.String
    ).alias("gcsf_worst_symptom")


def gcsf_symptom_days_recorded() -> pl.Expr:
    """How many of days 1–4 have a symptom grade (Int64, 0–4); ``gcsf_symptom_days_recorded``."""
    return (
        pl.sum_horizontal(*(pl.col(c).is_not_null() for c in SYMPTOM_COLUMNS))
        .cast(pl.Int64)
        .alias("gcsf_symptom_days_recorded")
    )


def gcsf_safety_columns() -> list[pl.Expr]:
    """``gcsf_worst_symptom`` and ``gcsf_symptom_days_recorded``."""
    return [gcsf_worst_symptom(), gcsf_symptom_days_recorded()]


def _counted(grades: pl.DataFrame, day: int | None) -> pl.DataFrame:
    """Rows per value of the ``grade`` column (null as ``not_recorded``), tagged with ``day``."""
    counted = grades.group_by(pl.col("grade").fill_null(NOT_RECORDED)).agg(
        pl.len().cast(pl.Int64).alias("n")
    )
    return counted if day is None else counted.with_columns(pl.lit(day, pl.Int64).alias("day"))


def _complete(counted: pl.DataFrame, keys: pl.DataFrame | None, total: int) -> pl.DataFrame:
    """Every grade (per row of ``keys``) with its n (0 when absent) and % of ``total``."""
    key_names = [] if keys is None else keys.columns
    grid = pl.DataFrame({"grade": list(TABLE_GRADES)})
    if keys is not None:
        grid = keys.join(grid, how="cross")
    order = pl.col("grade").replace_strict(
        {g: i for i, g in enumerate(TABLE_GRADES)}, return_dtype=pl.Int8
    )
    percent = pl.col("n") * 100.0 / total if total else pl.lit(None, pl.Float64)
    return (
        grid.join(counted, on=[*key_names, "grade"], how="left", maintain_order="left")
        .with_columns(pl.col("n").fill_null(0))
        .with_columns(pl.lit(total, pl.Int64).alias("total"), percent.alias("percent"))
        .sort(*key_names, order)
    )


def gcsf_symptom_table(participants: pl.DataFrame) -> pl.DataFrame:
    """The per-day symptom table, long: one row per day (1–4) and grade.

    Columns: ``day`` (Int64), ``grade`` (String: none, mild, moderate, severe,
    ``not_recorded``), ``n`` (Int64), ``total`` (Int64, the cohort size = rows of
    ``participants``), ``percent`` (Float64, 100 × n / total; null for an empty cohort). Each
    day's five rows add up to ``total``. The cohort is the frame given (canonical; absent symptom
    columns count as not recorded): filter it first, e.g. to the women analysed.
    Source: STUDIES.md, Study A, Table 3 ("n (% of 145)").
    """
    participants = conform(participants, DatasetFile.PARTICIPANTS)
    total = participants.height
    days = pl.DataFrame({"day": list(GCSF_DAYS)}, schema={"day": pl.Int64})
    per_day = pl.concat(
        [
            _counted(participants.select(pl.col(column).alias("grade")), day)
            for day, column in zip(GCSF_DAYS, SYMPTOM_COLUMNS, strict=True)
        ]
    )
    table = _complete(per_day, days, total)
    return table.select("day", "grade", "n", "total", "percent")


def gcsf_worst_symptom_table(participants: pl.DataFrame) -> pl.DataFrame:
    """Worst grade per woman over days 1–4, counted: one row per grade.

    Columns: ``grade`` (none, mild, moderate, severe, ``not_recorded`` = no day recorded),
    ``n``, ``total``, ``percent`` as in :func:`gcsf_symptom_table`. STUDIES.md, Study A:
    "53.1% never had symptoms, 32.8% mild at worst, 14.1% moderate-to-severe at worst".
    """
    participants = conform(participants, DatasetFile.PARTICIPANTS)
    worst = _counted(participants.select(gcsf_worst_symptom().alias("grade")), None)
    return _complete(worst, None, participants.height).select("grade", "n", "total", "percent")
