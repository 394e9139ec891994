"""G-CSF safety: worst symptom grade and the per-day table (CRITERIA.md "Endpoints")."""

from __future__ import annotations

import polars as pl
import pytest

from ovaregen.domain.endpoints import derive_participants
from ovaregen.domain.gcsf_safety import (
    gcsf_safety_columns,
    gcsf_symptom_table,
    gcsf_worst_symptom_table,
)
from ovaregen.domain.schema import conform

N, MI, MO, SE = "none", "mild", "moderate", "severe"

# Six women, days 1–4 (None = not recorded). Worst grade and days recorded by hand.
HAND_COHORT: dict[str, tuple[tuple[str | None, ...], str | None, int]] = {
    "w1": ((N, MI, MI, MO), MO, 4),
    "w2": ((None, N, N, N), N, 3),
    "w3": ((MI, MO, SE, None), SE, 3),
    "w4": ((None, None, None, None), None, 0),
    "w5": ((N, N, MI, MI), MI, 4),
    "w6": ((None, MI, None, N), MI, 2),
}


def hand_cohort() -> pl.DataFrame:
    ids = list(HAND_COHORT)
    frame = pl.DataFrame(
        {
            "participant_id": ids,
            **{
                f"symptoms_d{day}": [HAND_COHORT[i][0][day - 1] for i in ids]
                for day in (1, 2, 3, 4)
            },
        },
        schema_overrides={f"symptoms_d{day}": pl.String for day in (1, 2, 3, 4)},
    )
    return conform(frame)


def test_worst_grade_over_recorded_days_and_days_recorded() -> None:
    cohort = hand_cohort()
    result = cohort.select("participant_id", *gcsf_safety_columns())
    assert result.columns == ["participant_id", "gcsf_worst_symptom", "gcsf_symptom_days_recorded"]
    assert result.schema["gcsf_worst_symptom"] == pl.String
    assert result.schema["gcsf_symptom_days_recorded"] == pl.Int64
    got = {pid: (worst, days) for pid, worst, days in result.iter_rows()}
    assert got == {pid: (worst, days) for pid, (_, worst, days) in HAND_COHORT.items()}


def test_worst_grade_is_ordinal_not_alphabetical() -> None:
    # Alphabetically "severe" > "none" > "moderate" > "mild"; the clinical order differs.
    cohort = conform(
        pl.DataFrame(
            {
                "participant_id": ["a", "b"],
                "symptoms_d1": [MO, N],
                "symptoms_d2": [N, MI],
            }
        )
    )
    assert cohort.select(*gcsf_safety_columns())["gcsf_worst_symptom"].to_list() == [MO, MI]


def test_per_day_table_against_hand_counts() -> None:
    table = gcsf_symptom_table(hand_cohort())
    assert table.columns == ["day", "grade", "n", "total", "percent"]
    assert table.schema["n"] == pl.Int64
    # n per day for none, mild, moderate, severe, not recorded, counted by hand from HAND_COHORT.
    expected = {
        1: [2, 1, 0, 0, 3],
        2: [2, 2, 1, 0, 1],
        3: [1, 2, 0, 1, 2],
        4: [2, 1, 1, 0, 2],
    }
    grades = ["none", "mild", "moderate", "severe", "not_recorded"]
    assert table["day"].to_list() == [day for day in (1, 2, 3, 4) for _ in grades]
    assert table["grade"].to_list() == grades * 4
    assert table["n"].to_list() == [n for day in (1, 2, 3, 4) for n in expected[day]]
    assert set(table["total"].to_list()) == {6}
    assert table["percent"].to_list() == pytest.approx(
        [100 * n / 6 for day in (1, 2, 3, 4) for n in expected[day]]
    )


def test_worst_grade_table_against_hand_counts() -> None:
    table = gcsf_worst_symptom_table(hand_cohort())
    assert table.columns == ["grade", "n", "total", "percent"]
    assert dict(table.select("grade", "n").iter_rows()) == {
        "none": 1,
        "mild": 2,
        "moderate": 1,
        "severe": 1,
        "not_recorded": 1,
    }


def test_study_a_table_3_percentages() -> None:
    """Counts of STUDIES.md Table 3 (145 women); day 1 misses 59 grades as published."""
    counts = {
        1: {"mild": 12, "moderate": 0, "none": 74},
        2: {"mild": 59, "moderate": 12, "none": 74},
        3: {"mild": 72, "moderate": 20, "none": 53},
        4: {"mild": 85, "moderate": 17, "none": 43},
    }
    columns: dict[str, list[str | None]] = {}
    for day, by_grade in counts.items():
        values: list[str | None] = [g for g, n in by_grade.items() for _ in range(n)]
        columns[f"symptoms_d{day}"] = values + [None] * (145 - len(values))
    cohort = conform(pl.DataFrame({"participant_id": [f"a{i}" for i in range(145)], **columns}))
    table = gcsf_symptom_table(cohort).with_columns(pl.col("percent").round(2))
    cell = {(day, grade): (n, pct) for day, grade, n, _, pct in table.iter_rows()}
    assert cell[1, "mild"] == (12, 8.28)
    assert cell[1, "none"] == (74, 51.03)
    assert cell[1, "not_recorded"] == (59, 40.69)
    assert cell[2, "mild"] == (59, 40.69)
    assert cell[2, "moderate"] == (12, 8.28)
    assert cell[3, "mild"] == (72, 49.66)
    assert cell[3, "moderate"] == (20, 13.79)
    assert cell[3, "none"] == (53, 36.55)
    assert cell[4, "mild"] == (85, 58.62)
    assert cell[4, "moderate"] == (17, 11.72)
    assert cell[4, "none"] == (43, 29.66)
    assert cell[4, "severe"] == (0, 0.0)
    per_day = table.group_by("day").agg(pl.col("n").sum()).sort("day")
    assert per_day["n"].to_list() == [145, 145, 145, 145]


def test_empty_cohort_table() -> None:
    empty = conform(pl.DataFrame({"participant_id": []}, schema={"participant_id": pl.String}))
    table = gcsf_symptom_table(empty)
    assert table.height == 20
    assert set(table["n"].to_list()) == {0}
    assert table["percent"].null_count() == 20


def test_derived_table_has_gcsf_columns() -> None:
    derived = derive_participants(hand_cohort(), pl.DataFrame(schema={"participant_id": pl.String}))
    assert derived["gcsf_worst_symptom"].to_list() == [v[1] for v in HAND_COHORT.values()]
    assert derived["gcsf_symptom_days_recorded"].to_list() == [v[2] for v in HAND_COHORT.values()]
