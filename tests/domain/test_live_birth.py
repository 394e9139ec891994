"""Women treated and the four live-birth measures (CRITERIA.md "Endpoints", live birth)."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from ovaregen.domain.endpoints import derive_participants
from ovaregen.domain.live_birth import (
    LIVE_BIRTH_MEASURE_IDS,
    TREATED_DEFINITION,
    TREATED_FALLBACK,
    LiveBirthMeasure,
    live_birth_measures,
)
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile

Row = dict[str, Any]
PREGNANCY_SCHEMA = {
    "participant_id": pl.String,
    "conception": pl.String,
    "months_after_treatment": pl.Float64,
    "outcome": pl.String,
    "infants_live_born": pl.Int64,
}


def pregnancy_frame(
    rows: list[tuple[str, str | None, float | None, str | None, int | None]],
) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=PREGNANCY_SCHEMA, orient="row")
    return conform(frame, DatasetFile.PREGNANCIES)


def measures_by_id(
    participants: pl.DataFrame, pregnancies: pl.DataFrame
) -> dict[str, LiveBirthMeasure]:
    measures = live_birth_measures(participants, pregnancies)
    assert tuple(m.id for m in measures) == LIVE_BIRTH_MEASURE_IDS
    return {m.id: m for m in measures}


def study_b_cohort() -> tuple[pl.DataFrame, pl.DataFrame]:
    """A cohort shaped like Study B (STUDIES.md), plus two screen failures.

    105 treated women (70 with one injection, 35 with two). 38 pregnant: 25 spontaneously only,
    11 by IVF only, 2 both ways (27 spontaneous, 13 IVF). Among the spontaneous, one woman was
    pregnant twice and another three times (the paper's sentence sits in its spontaneous
    paragraph); with the two "both" women's second pregnancy that is 38 + 1 + 2 + 2 = 43
    pregnancies: 30 spontaneous, 13 IVF. 12 miscarriages, 31 live births, one of them twins.

    By hand, women with ≥ 1 live birth: w000 (LB, LB, MC), w001 (LB, LB), w002 (spontaneous LB,
    IVF MC), w003 (spontaneous MC, IVF twins) = 4; single spontaneous w004–w026 = 23 minus 6
    miscarriages (w004–w009) = 17; IVF only w027–w037 = 11 minus 3 miscarriages (w027–w029) =
    8. In all 4 + 17 + 8 = 29.
    """
    ids = [f"w{i:03d}" for i in range(105)]
    participants = pl.DataFrame(
        {
            "participant_id": [*ids, "sf1", "sf2"],
            "status": ["completed"] * 105 + ["screen_failed"] * 2,
            "injections": [1] * 70 + [2] * 35 + [None, None],
            "treatment_date": [date(2019, 1, 1)] * 105 + [None, None],
            "followup_months": [44.0] * 105 + [None, None],
        }
    )
    lb, mc = "live_birth", "miscarriage"
    rows: list[tuple[str, str | None, float | None, str | None, int | None]] = [
        ("w000", "spontaneous", 2, lb, 1),
        ("w000", "spontaneous", 14, lb, 1),
        ("w000", "spontaneous", 30, mc, 0),
        ("w001", "spontaneous", 1, lb, 1),
        ("w001", "spontaneous", 24, lb, 1),
        ("w002", "spontaneous", 3, lb, 1),
        ("w002", "ivf", 20, mc, 0),
        ("w003", "spontaneous", 3, mc, 0),
        ("w003", "ivf", 6, lb, 2),
    ]
    rows += [
        (f"w{i:03d}", "spontaneous", 3, mc if i <= 9 else lb, 0 if i <= 9 else 1)
        for i in range(4, 27)
    ]
    rows += [
        (f"w{i:03d}", "ivf", 5.5, mc if i <= 29 else lb, 0 if i <= 29 else 1) for i in range(27, 38)
    ]
    return conform(participants), pregnancy_frame(rows)


def test_study_b_cohort_reproduces_the_published_rates() -> None:
    participants, pregnancies = study_b_cohort()
    assert pregnancies.height == 43
    measures = measures_by_id(participants, pregnancies)

    per_cycle = measures["infants_per_woman"]
    assert (per_cycle.numerator, per_cycle.denominator) == (32, 105)
    assert round(100 * (per_cycle.proportion or 0), 2) == 30.48  # "per treatment cycle"
    assert per_cycle.numerator_label == "infants born alive"
    assert per_cycle.denominator_label == "women treated"

    per_pregnancy = measures["infants_per_pregnancy"]
    assert (per_pregnancy.numerator, per_pregnancy.denominator) == (32, 43)
    assert round(100 * (per_pregnancy.proportion or 0), 2) == 74.42  # "per pregnancy"

    conventional = measures["live_birth_rate_per_pregnancy"]
    assert (conventional.numerator, conventional.denominator) == (31, 43)
    assert round(100 * (conventional.proportion or 0), 2) == 72.09
    assert conventional.numerator_label == "pregnancies ending in live birth"

    per_woman = measures["live_birth_rate_per_woman"]
    assert (per_woman.numerator, per_woman.denominator) == (29, 105)
    assert per_woman.numerator_label == "women with ≥ 1 live birth"
    assert per_woman.proportion == pytest.approx(29 / 105)

    for measure in measures.values():
        assert measure.unknown == 0
        assert measure.note == TREATED_DEFINITION


def test_study_b_cohort_per_woman_columns() -> None:
    participants, pregnancies = study_b_cohort()
    derived = derive_participants(participants, pregnancies)
    totals = derived.select(
        pl.col("treated").sum(),
        pl.col("pregnant").sum(),
        pl.col("pregnancy_spontaneous").sum(),
        pl.col("pregnancy_ivf").sum(),
        pl.col("pregnancy_both").sum(),
        pl.col("pregnancies").sum(),
        pl.col("live_births").sum(),
        pl.col("infants_live_born").sum(),
        pl.col("has_live_birth").sum(),
        pl.col("miscarriages").sum(),
    ).row(0)
    assert totals == (105, 38, 27, 13, 2, 43, 31, 32, 29, 12)
    multiples = derived.filter(pl.col("pregnancies") > 1)
    assert sorted(multiples["pregnancies"].to_list()) == [2, 2, 2, 3]
    assert derived.filter(pl.col("participant_id").str.starts_with("sf"))["treated"].to_list() == [
        False,
        False,
    ]


def test_treated_needs_evidence_and_not_screen_failed() -> None:
    people = conform(
        pl.DataFrame(
            {
                "participant_id": [
                    "inj",
                    "date",
                    "prp",
                    "cells",
                    "gcsf",
                    "none",
                    "zero",
                    "failed",
                    "nostatus",
                ],
                "status": [
                    "completed",
                    "withdrawn",
                    "lost_to_follow_up",
                    None,
                    "completed",
                    "completed",
                    "completed",
                    "screen_failed",
                    None,
                ],
                "injections": [2, None, None, None, None, None, None, 1, 1],
                "treatment_date": [
                    None,
                    date(2024, 1, 5),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                ],
                "prp_volume_ml": [None, None, 4.0, None, None, None, 0.0, None, None],
                "cells_injected_millions": [None, None, None, 10.0, None, None, 0.0, None, None],
                "gcsf_d3_ug_kg": [None, None, None, None, 10.0, None, 0.0, None, None],
            }
        )
    )
    derived = derive_participants(people, pregnancy_frame([]))
    assert dict(derived.select("participant_id", "treated").iter_rows()) == {
        "inj": True,
        "date": True,
        "prp": True,
        "cells": True,
        "gcsf": True,
        "none": False,
        "zero": False,
        "failed": False,
        "nostatus": True,  # an empty status is the default "completed"
    }
    assert derived["treated"].null_count() == 0


def test_without_any_treatment_column_every_non_screen_failed_counts() -> None:
    people = conform(
        pl.DataFrame(
            {
                "participant_id": ["a", "b", "c", "d"],
                "status": ["completed", "withdrawn", "screen_failed", None],
            }
        )
    )
    rows = pregnancy_frame([("a", "ivf", 4, "live_birth", 1)])
    derived = derive_participants(people, rows)
    assert derived["treated"].to_list() == [True, True, False, True]
    measures = measures_by_id(people, rows)
    per_woman = measures["live_birth_rate_per_woman"]
    assert (per_woman.numerator, per_woman.denominator) == (1, 3)
    assert per_woman.note == TREATED_FALLBACK
    assert "counts as treated" in per_woman.note


def test_pregnancies_of_untreated_participants_are_left_out_and_noted() -> None:
    people = conform(pl.DataFrame({"participant_id": ["t", "u"], "injections": [1, None]}))
    rows = pregnancy_frame(
        [
            ("t", "ivf", 4, "live_birth", 1),
            ("u", "ivf", 4, "live_birth", 1),
            ("x", "ivf", 4, "live_birth", 1),
        ]
    )
    measures = measures_by_id(people, rows)
    per_pregnancy = measures["live_birth_rate_per_pregnancy"]
    assert (per_pregnancy.numerator, per_pregnancy.denominator) == (1, 1)
    assert "pregnancy rows left out (participant not counted as treated or not listed): 2" in (
        per_pregnancy.note
    )
    per_woman = measures["infants_per_woman"]
    assert (per_woman.numerator, per_woman.denominator) == (1, 1)


def test_unknown_outcomes_are_counted_as_unknown_with_a_lower_bound() -> None:
    people = conform(pl.DataFrame({"participant_id": ["a", "b", "c"], "injections": [1, 1, 1]}))
    rows = pregnancy_frame(
        [
            ("a", "ivf", 4, None, None),  # outcome unknown
            ("b", "ivf", 4, "live_birth", None),  # live birth, infants not counted
            ("c", "spontaneous", 2, "live_birth", 2),
        ]
    )
    measures = measures_by_id(people, rows)
    per_woman = measures["live_birth_rate_per_woman"]
    assert (per_woman.numerator, per_woman.denominator, per_woman.unknown) == (2, 3, 1)
    assert "unknown for 1 of the 3 women treated" in per_woman.note
    per_pregnancy = measures["live_birth_rate_per_pregnancy"]
    assert (per_pregnancy.numerator, per_pregnancy.denominator, per_pregnancy.unknown) == (2, 3, 1)
    infants = measures["infants_per_pregnancy"]
    # c's twins, and at least one infant for b's live birth; a and b unknown.
    assert (infants.numerator, infants.denominator, infants.unknown) == (3, 3, 2)
    assert "lower bound" in infants.note
    infants_per_woman = measures["infants_per_woman"]
    assert (infants_per_woman.numerator, infants_per_woman.unknown) == (3, 2)


def test_empty_denominators_give_no_proportion() -> None:
    people = conform(pl.DataFrame({"participant_id": ["a"], "status": ["screen_failed"]}))
    measures = measures_by_id(people, pregnancy_frame([]))
    for measure in measures.values():
        assert measure.denominator == 0
        assert measure.numerator == 0
        assert measure.proportion is None


def test_measures_are_frozen() -> None:
    participants, pregnancies = study_b_cohort()
    measure = live_birth_measures(participants, pregnancies)[0]
    with pytest.raises(AttributeError):
        measure.numerator = 0  # type: ignore[misc]
