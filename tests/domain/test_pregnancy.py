"""Pregnancy per woman and time to pregnancy (CRITERIA.md "Endpoints"; INTERCHANGE.md)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from ovaregen.domain.endpoints import derive_participants
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile

Row = dict[str, Any]


def participants(*ids: str, followup: list[float | None] | None = None) -> pl.DataFrame:
    months = followup if followup is not None else [36.0] * len(ids)
    return conform(pl.DataFrame({"participant_id": list(ids), "followup_months": months}))


def pregnancies(*rows: Row) -> pl.DataFrame:
    columns = ("participant_id", "conception", "months_after_treatment", "outcome")
    full = [{**dict.fromkeys(columns), "infants_live_born": None, **row} for row in rows]
    frame = pl.DataFrame(
        full,
        schema={
            "participant_id": pl.String,
            "conception": pl.String,
            "months_after_treatment": pl.Float64,
            "outcome": pl.String,
            "infants_live_born": pl.Int64,
        },
    )
    return conform(frame, DatasetFile.PREGNANCIES)


def preg(
    pid: str,
    conception: str | None,
    months: float | None,
    outcome: str | None,
    infants: int | None = None,
) -> Row:
    return {
        "participant_id": pid,
        "conception": conception,
        "months_after_treatment": months,
        "outcome": outcome,
        "infants_live_born": infants,
    }


def by_id(frame: pl.DataFrame) -> dict[str, Row]:
    return {row["participant_id"]: row for row in frame.iter_rows(named=True)}


def test_a_woman_without_pregnancy_rows_is_not_pregnant() -> None:
    derived = derive_participants(participants("p1", followup=[30.0]), pregnancies())
    (row,) = derived.iter_rows(named=True)
    assert row["pregnant"] is False
    assert row["pregnancies"] == 0
    assert (row["pregnancy_spontaneous"], row["pregnancy_ivf"], row["pregnancy_both"]) == (
        False,
        False,
        False,
    )
    assert (row["live_births"], row["infants_live_born"], row["miscarriages"]) == (0, 0, 0)
    assert row["has_live_birth"] is False
    assert row["months_to_first_pregnancy"] is None
    assert row["time_to_pregnancy_months"] == 30.0
    assert row["pregnancy_event"] is False


def test_conception_split_and_both() -> None:
    rows = by_id(
        derive_participants(
            participants("spont", "ivf", "both", "none"),
            pregnancies(
                preg("spont", "spontaneous", 3, "live_birth", 1),
                preg("ivf", "ivf", 5, "miscarriage", 0),
                preg("both", "ivf", 6, "live_birth", 2),
                preg("both", "spontaneous", 20, "live_birth", 1),
            ),
        )
    )
    split = {
        pid: (r["pregnant"], r["pregnancy_spontaneous"], r["pregnancy_ivf"], r["pregnancy_both"])
        for pid, r in rows.items()
    }
    assert split == {
        "spont": (True, True, False, False),
        "ivf": (True, False, True, False),
        "both": (True, True, True, True),
        "none": (False, False, False, False),
    }
    assert rows["both"]["pregnancies"] == 2
    assert rows["both"]["live_births"] == 2
    assert rows["both"]["infants_live_born"] == 3
    assert rows["ivf"]["miscarriages"] == 1
    assert rows["ivf"]["has_live_birth"] is False
    assert rows["both"]["months_to_first_pregnancy"] == 6
    assert rows["both"]["months_to_first_spontaneous_pregnancy"] == 20
    assert rows["both"]["months_to_first_ivf_pregnancy"] == 6


def test_unknown_conception_is_unknown_unless_another_row_decides() -> None:
    rows = by_id(
        derive_participants(
            participants("a", "b"),
            pregnancies(
                preg("a", None, 4, "live_birth", 1),
                preg("b", "ivf", 4, "live_birth", 1),
                preg("b", None, 9, "miscarriage"),
            ),
        )
    )
    assert rows["a"]["pregnant"] is True
    assert rows["a"]["pregnancy_spontaneous"] is None
    assert rows["a"]["pregnancy_ivf"] is None
    assert rows["a"]["pregnancy_both"] is None
    assert rows["b"]["pregnancy_ivf"] is True
    assert rows["b"]["pregnancy_spontaneous"] is None
    assert rows["b"]["pregnancy_both"] is None
    # Her IVF pregnancy at month 4 is the first of any kind the unknown one (month 9) could be.
    assert rows["b"]["months_to_first_ivf_pregnancy"] == 4
    assert rows["b"]["months_to_first_spontaneous_pregnancy"] is None


def test_unknown_outcome_makes_counts_unknown_not_zero() -> None:
    rows = by_id(
        derive_participants(
            participants("unknown", "decided", "miscarried"),
            pregnancies(
                preg("unknown", "spontaneous", 2, None),
                preg("decided", "spontaneous", 2, None),
                preg("decided", "ivf", 8, "live_birth", 1),
                preg("miscarried", "spontaneous", 2, "miscarriage"),
            ),
        )
    )
    unknown = rows["unknown"]
    assert unknown["pregnant"] is True
    assert unknown["has_live_birth"] is None
    assert unknown["live_births"] is None
    assert unknown["infants_live_born"] is None
    assert unknown["miscarriages"] is None
    decided = rows["decided"]
    assert decided["has_live_birth"] is True  # one live birth is known
    assert decided["live_births"] is None  # the other pregnancy might be one too
    # A miscarriage with an empty infant count has no live-born infant.
    miscarried = rows["miscarried"]
    assert (miscarried["infants_live_born"], miscarried["live_births"]) == (0, 0)
    assert (miscarried["miscarriages"], miscarried["has_live_birth"]) == (1, False)


def test_live_birth_without_an_infant_count() -> None:
    rows = by_id(
        derive_participants(
            participants("x", "y"),
            pregnancies(preg("x", "ivf", 5, "live_birth"), preg("y", "ivf", 5, None, 2)),
        )
    )
    assert rows["x"]["live_births"] == 1
    assert rows["x"]["has_live_birth"] is True
    assert rows["x"]["infants_live_born"] is None
    # Infants born alive recorded without an outcome: the pregnancy did end in a live birth.
    assert rows["y"]["live_births"] == 1
    assert rows["y"]["infants_live_born"] == 2


def test_months_to_first_pregnancy_with_unknown_timing() -> None:
    rows = by_id(
        derive_participants(
            participants("timed", "untimed", "unknown_kind_earlier", "unknown_kind_later"),
            pregnancies(
                preg("timed", "spontaneous", 7, "live_birth", 1),
                preg("timed", "spontaneous", 2.5, "miscarriage"),
                preg("untimed", "spontaneous", 3, "live_birth", 1),
                preg("untimed", "ivf", None, "miscarriage"),
                preg("unknown_kind_earlier", "spontaneous", 6, "live_birth", 1),
                preg("unknown_kind_earlier", None, 2, "miscarriage"),
                preg("unknown_kind_later", "spontaneous", 6, "live_birth", 1),
                preg("unknown_kind_later", None, 12, "miscarriage"),
            ),
        )
    )
    assert rows["timed"]["months_to_first_pregnancy"] == 2.5
    assert rows["timed"]["months_to_first_spontaneous_pregnancy"] == 2.5
    # The untimed IVF pregnancy could have come first: overall unknown, spontaneous known.
    assert rows["untimed"]["months_to_first_pregnancy"] is None
    assert rows["untimed"]["months_to_first_spontaneous_pregnancy"] == 3
    assert rows["untimed"]["months_to_first_ivf_pregnancy"] is None
    assert rows["unknown_kind_earlier"]["months_to_first_spontaneous_pregnancy"] is None
    assert rows["unknown_kind_earlier"]["months_to_first_pregnancy"] == 2
    assert rows["unknown_kind_later"]["months_to_first_spontaneous_pregnancy"] == 6


def test_time_to_pregnancy_and_censoring() -> None:
    derived = derive_participants(
        participants(
            "pregnant",
            "censored",
            "no_followup",
            "untimed",
            "ivf_only",
            "unknown_kind",
            followup=[40.0, 31.5, None, 20.0, 44.0, 25.0],
        ),
        pregnancies(
            preg("pregnant", "spontaneous", 4, "live_birth", 1),
            preg("pregnant", "ivf", 15, "live_birth", 1),
            preg("untimed", "spontaneous", None, "live_birth", 1),
            preg("ivf_only", "ivf", 9, "miscarriage"),
            preg("unknown_kind", None, 3, "live_birth", 1),
        ),
    )
    km = {
        r["participant_id"]: (
            (r["time_to_pregnancy_months"], r["pregnancy_event"]),
            (r["time_to_spontaneous_pregnancy_months"], r["spontaneous_pregnancy_event"]),
            (r["time_to_ivf_pregnancy_months"], r["ivf_pregnancy_event"]),
        )
        for r in derived.iter_rows(named=True)
    }
    assert km == {
        "pregnant": ((4.0, True), (4.0, True), (15.0, True)),
        "censored": ((31.5, False), (31.5, False), (31.5, False)),
        # neither a pregnancy nor a follow-up time: no usable time
        "no_followup": ((None, False), (None, False), (None, False)),
        # pregnant, but when is unknown: the event is known, its time is not
        "untimed": ((None, True), (None, True), (20.0, False)),
        # only an IVF pregnancy: censored at follow-up for the spontaneous analysis
        "ivf_only": ((9.0, True), (44.0, False), (9.0, True)),
        # conception unknown: pregnant at 3 months, but which kind is unknown
        "unknown_kind": ((3.0, True), (None, None), (None, None)),
    }


def test_pregnancy_rows_of_unlisted_participants_are_ignored() -> None:
    derived = derive_participants(
        participants("a"), pregnancies(preg("ghost", "ivf", 3, "live_birth", 1))
    )
    assert derived.height == 1
    assert derived.item(0, "pregnant") is False


def test_unsorted_pregnancies_keep_participant_order_and_inputs_unchanged() -> None:
    people = participants("c", "a", "b")
    rows = pregnancies(
        preg("b", "ivf", 3, "live_birth", 1),
        preg("c", "spontaneous", 1, "miscarriage"),
        preg("b", "spontaneous", 9, "live_birth", 1),
    )
    people_before, rows_before = people.clone(), rows.clone()
    derived = derive_participants(people, rows)
    assert derived["participant_id"].to_list() == ["c", "a", "b"]
    assert derived["pregnancies"].to_list() == [1, 0, 2]
    assert people.equals(people_before)
    assert rows.equals(rows_before)


@pytest.mark.parametrize("outcome", ["ongoing", "ectopic", "stillbirth", "termination"])
def test_outcomes_without_live_infant(outcome: str) -> None:
    derived = derive_participants(participants("a"), pregnancies(preg("a", "ivf", 3, outcome)))
    row = derived.row(0, named=True)
    assert (row["live_births"], row["infants_live_born"], row["miscarriages"]) == (0, 0, 0)
    assert row["has_live_birth"] is False
