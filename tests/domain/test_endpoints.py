"""The endpoint entry point ``derive_participants`` (CRITERIA.md "Endpoints")."""

from __future__ import annotations

import polars as pl
from bench.bench_derive import generated_cohort

from ovaregen.domain.endpoints import DERIVED_COLUMNS, derive_participants
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile

EXPECTED_TYPES: dict[str, pl.DataType] = {
    "participant_id": pl.String(),
    "oocyte_activation": pl.Boolean(),
    "activation_by_afc": pl.Boolean(),
    "activation_by_amh": pl.Boolean(),
    "pregnant": pl.Boolean(),
    "pregnancies": pl.Int64(),
    "pregnancy_spontaneous": pl.Boolean(),
    "pregnancy_ivf": pl.Boolean(),
    "pregnancy_both": pl.Boolean(),
    "live_births": pl.Int64(),
    "infants_live_born": pl.Int64(),
    "has_live_birth": pl.Boolean(),
    "miscarriages": pl.Int64(),
    "months_to_first_pregnancy": pl.Float64(),
    "months_to_first_spontaneous_pregnancy": pl.Float64(),
    "months_to_first_ivf_pregnancy": pl.Float64(),
    "time_to_pregnancy_months": pl.Float64(),
    "pregnancy_event": pl.Boolean(),
    "time_to_spontaneous_pregnancy_months": pl.Float64(),
    "spontaneous_pregnancy_event": pl.Boolean(),
    "time_to_ivf_pregnancy_months": pl.Float64(),
    "ivf_pregnancy_event": pl.Boolean(),
    "gcsf_worst_symptom": pl.String(),
    "gcsf_symptom_days_recorded": pl.Int64(),
    "treated": pl.Boolean(),
}


def small_dataset() -> tuple[pl.DataFrame, pl.DataFrame]:
    participants = conform(
        pl.DataFrame(
            {
                "participant_id": ["a", "b", "c"],
                "afc": [2, 5, None],
                "afc_post": [6, 5, None],
                "amh_ng_ml": [1.0, 1.0, None],
                "amh_post_ng_ml": [1.0, 1.3, None],
                "injections": [1, 2, None],
                "followup_months": [12.0, 30.0, 6.0],
                "symptoms_d2": ["mild", None, None],
            }
        )
    )
    pregnancies = conform(
        pl.DataFrame(
            {
                "participant_id": ["b"],
                "conception": ["ivf"],
                "months_after_treatment": [7.0],
                "outcome": ["live_birth"],
                "infants_live_born": [1],
            }
        ),
        DatasetFile.PREGNANCIES,
    )
    return participants, pregnancies


def test_columns_and_types() -> None:
    derived = derive_participants(*small_dataset())
    assert tuple(derived.columns) == DERIVED_COLUMNS
    assert dict(derived.schema) == EXPECTED_TYPES


def test_one_row_per_participant_in_order() -> None:
    derived = derive_participants(*small_dataset())
    assert derived.rows() == [
        (
            "a", True, True, False,
            False, 0, False, False, False, 0, 0, False, 0, None, None, None,
            12.0, False, 12.0, False, 12.0, False,
            "mild", 1, True,
        ),
        (
            "b", True, False, True,
            True, 1, False, True, False, 1, 1, True, 0, 7.0, None, 7.0,
            7.0, True, 30.0, False, 7.0, True,
            None, 0, True,
        ),
        (
            "c", None, None, None,
            False, 0, False, False, False, 0, 0, False, 0, None, None, None,
            6.0, False, 6.0, False, 6.0, False,
            None, 0, False,
        ),
    ]  # fmt: skip


def test_inputs_are_not_modified() -> None:
    participants, pregnancies = small_dataset()
    before = participants.clone(), pregnancies.clone()
    derive_participants(participants, pregnancies)
    assert participants.equals(before[0])
    assert pregnancies.equals(before[1])
    assert participants.columns == before[0].columns


def test_partial_frames_are_read_as_unknown() -> None:
    """Columns the dataset lacks are unknown, so the endpoints they feed are null."""
    derived = derive_participants(
        pl.DataFrame({"participant_id": ["x"], "afc": [1], "afc_post": [4]}),
        pl.DataFrame({"participant_id": ["x"]}),
    )
    row = derived.row(0, named=True)
    assert row["oocyte_activation"] is True
    assert row["activation_by_amh"] is None
    assert row["pregnant"] is True
    assert row["pregnancy_spontaneous"] is None
    assert row["has_live_birth"] is None
    assert row["time_to_pregnancy_months"] is None
    assert row["treated"] is True  # no treatment recorded in the dataset at all


def test_a_large_cohort_with_many_pregnancies_adds_up() -> None:
    """Counts over a generated cohort match the pregnancy rows (timing is in ``make bench``)."""
    n, m = 50_000, 15_000
    participants, pregnancies = generated_cohort(n, m)
    derived = derive_participants(participants, pregnancies)
    assert derived.height == n
    assert derived["pregnant"].sum() == pregnancies["participant_id"].n_unique()
    assert derived["pregnancies"].sum() == m
    assert derived["infants_live_born"].sum() == m
