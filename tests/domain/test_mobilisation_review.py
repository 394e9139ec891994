"""Review of a whole recorded mobilisation: the proposal beside the clinician's decision."""

from __future__ import annotations

import pytest

from ovaregen.domain.mobilisation_review import MobilisationRecord, evaluate_mobilisation
from ovaregen.domain.titration import Action, load_titration_table

TABLE = load_titration_table()


# --- a whole mobilisation, proposal beside decision ----------------------------------------------


def record(
    doses: list[float | None], wbc: list[float | None], symptoms: list[str | None]
) -> MobilisationRecord:
    return MobilisationRecord("P001", tuple(doses), tuple(wbc), tuple(symptoms))


def test_mobilisation_all_followed() -> None:
    review = evaluate_mobilisation(
        TABLE,
        record([10, 10, 10, 5], [6.2, 31.0, 72.4, 55.0], ["none", "mild", "mild", "none"]),
    )
    assert [d.proposal.action for d in review.days if d.proposal] == [
        Action.CONTINUE,
        Action.CONTINUE,
        Action.REDUCE,
        Action.COMPLETE,
    ]
    assert [d.followed for d in review.days] == [True, True, True, None]
    assert [d.recorded_next_dose_ug_kg for d in review.days] == [10, 10, 5, None]
    assert review.deviations == ()
    assert (review.participant_id, review.table_id, review.table_version) == (
        "P001",
        "regenera-gcsf-titration",
        "1.0",
    )


def test_mobilisation_deviation_is_recorded_not_corrected() -> None:
    review = evaluate_mobilisation(
        TABLE, record([10, 10, 10, 10], [6.0, 40.0, 75.0, 60.0], ["none"] * 4)
    )
    assert [d.day for d in review.deviations] == [3]
    day3 = review.days[2]
    assert day3.proposal is not None
    assert (day3.proposal.next_dose_ug_kg, day3.recorded_next_dose_ug_kg) == (5, 10)
    # Day 4 is evaluated with the dose actually given.
    assert review.days[3].proposal is not None
    assert review.days[3].proposal.dose_ug_kg == 10


def test_mobilisation_hold_then_resume() -> None:
    review = evaluate_mobilisation(
        TABLE,
        record([10, 0, 10, 10], [6.0, 35.0, 40.0, 45.0], ["moderate", "mild", "none", "none"]),
    )
    day1, day2, day3, _ = review.days
    assert day1.proposal is not None and day1.proposal.action is Action.HOLD_24H
    assert day1.followed is True
    # Held day 2: evaluated with the dose in force before the hold, which resumes on day 3.
    assert day2.proposal is not None and day2.proposal.dose_ug_kg == 10
    assert (day2.proposal.next_dose_ug_kg, day2.followed) == (10, True)
    assert day3.followed is True


def test_mobilisation_stop_followed_ends_the_proposals() -> None:
    review = evaluate_mobilisation(
        TABLE, record([10, 10, 0, 0], [6.0, 35.0, None, None], ["mild", "severe", None, None])
    )
    assert review.days[1].proposal is not None
    assert review.days[1].proposal.action is Action.STOP
    assert review.days[1].followed is True
    assert [(d.proposal, d.note) for d in review.days[2:]] == [
        (None, "G-CSF stopped after day 2"),
        (None, "G-CSF stopped after day 2"),
    ]


def test_mobilisation_missing_values_are_not_judged() -> None:
    review = evaluate_mobilisation(
        TABLE, record([10, None, 10, 10], [6.0, 30.0, None, 50.0], ["none", "none", "mild", None])
    )
    assert review.days[0].followed is None  # day 2 dose not recorded
    assert review.days[1].proposal is None
    assert "no dose in force on day 2" in review.days[1].note
    assert review.days[2].proposal is not None
    assert review.days[2].proposal.action is Action.NEEDS_REVIEW
    assert review.days[2].followed is None


def test_mobilisation_refused_value_is_noted_on_its_day() -> None:
    review = evaluate_mobilisation(
        TABLE, record([10, 10, 10, 10], [6.0, 36000.0, 40.0, 45.0], ["none"] * 4)
    )
    assert review.days[1].proposal is None
    assert review.days[1].note.startswith("refused: leukocytes 36000 × 10⁹/L refused")
    assert review.days[2].followed is True


def test_mobilisation_tolerance_for_rounded_doses() -> None:
    rec = record([10, 10, 4.8, 4.8], [6.0, 72.0, 50.0, 50.0], ["none"] * 4)
    assert evaluate_mobilisation(TABLE, rec).days[1].followed is False
    assert evaluate_mobilisation(TABLE, rec, tolerance_ug_kg=0.25).days[1].followed is True


def test_record_from_a_canonical_row() -> None:
    row = {
        "participant_id": "A-17",
        "gcsf_d1_ug_kg": 10.0,
        "gcsf_d2_ug_kg": 10.0,
        "gcsf_d3_ug_kg": 5.0,
        "gcsf_d4_ug_kg": None,
        "wbc_d1_10e9_l": 5.9,
        "wbc_d2_10e9_l": 70.0,
        "wbc_d3_10e9_l": float("nan"),
        "wbc_d4_10e9_l": None,
        "symptoms_d1": "none",
        "symptoms_d2": "mild",
        "symptoms_d3": "",
        "symptoms_d4": None,
        "wbc_d5_10e9_l": 40.0,
    }
    rec = MobilisationRecord.from_row(row)
    assert rec == MobilisationRecord(
        "A-17", (10.0, 10.0, 5.0, None), (5.9, 70.0, None, None), ("none", "mild", None, None)
    )
    review = evaluate_mobilisation(TABLE, rec)
    assert [d.followed for d in review.days] == [True, True, None, None]


def test_record_needs_four_days() -> None:
    with pytest.raises(ValueError, match="P001: doses_ug_kg needs one value per G-CSF day"):
        record([10, 10, 10], [1.0] * 4, ["none"] * 4)
