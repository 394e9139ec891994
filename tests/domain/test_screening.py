"""Screening against an independent reading of CRITERIA.md, and its three-valued properties."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovaregen.domain.protocols import PROTOCOL_NAMES, load_protocol
from ovaregen.domain.screening import SCREEN_COLUMNS, as_interchange, explain, screen
from tests import oracle
from tests.domain.cohorts import FIELDS, frame_of, participants

PROTOCOLS = {name: load_protocol(name) for name in PROTOCOL_NAMES}


def screened(rows: list[dict[str, Any]], protocol: str) -> list[dict[str, Any]]:
    return as_interchange(screen(frame_of(rows), PROTOCOLS[protocol])).to_dicts()


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
@settings(max_examples=60, deadline=None)
@given(rows=st.lists(participants(), min_size=1, max_size=40))
def test_vectorised_screening_agrees_with_the_plain_reading(
    protocol: str, rows: list[dict[str, Any]]
) -> None:
    expected = [
        oracle.screen_one({"participant_id": f"p{i}", **row}, protocol)
        for i, row in enumerate(rows)
    ]
    assert screened(rows, protocol) == expected


RESULTS = ("poi", "por_bologna", "eligible")
EMPTY_IS_A_VALUE = {"por_risk_factor"}
"""CRITERIA.md: "an absent or empty por_risk_factor means no other risk factor" — not unknown."""
FSH_VALUES = {"fsh_1_iu_l", "fsh_2_iu_l"}
"""CRITERIA.md, POI 2024 (mensc's poi column): "false when at least one [FSH] is recorded and
none is > 25" — the criterion is decided by the FSH values taken; a second FSH never taken is
not an unknown, so adding one may change the result. (2016 stays monotone.)"""


def ids(listed: str) -> set[str]:
    return {i for i in listed.split(";") if i}


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
@settings(max_examples=80, deadline=None)
@given(row=participants(), data=st.data())
def test_filling_an_unknown_never_flips_a_definite_result(
    protocol: str, row: dict[str, Any], data: st.DataObject
) -> None:
    unknown = [
        name
        for name, value in row.items()
        if value is None and name in FIELDS and name not in EMPTY_IS_A_VALUE
    ]
    if not unknown:
        return
    filled = dict(row)
    chosen = data.draw(st.lists(st.sampled_from(unknown), min_size=1, unique=True))
    for name in chosen:
        filled[name] = data.draw(FIELDS[name].filter(lambda v: v is not None))
    before, after = screened([row, filled], protocol)
    decided_by_recorded_fsh = protocol == "mensc" and bool(FSH_VALUES & set(chosen))
    for key in RESULTS:
        if key == "poi" and decided_by_recorded_fsh:
            continue
        if before[key] != "unknown":
            assert after[key] == before[key], key
    if before["poseidon_group"] != "unknown":
        assert after["poseidon_group"] == before["poseidon_group"]
    # a criterion that failed still fails: more knowledge only adds failures
    assert ids(before["failed_criteria"]) <= ids(after["failed_criteria"])


def test_output_has_the_interchange_columns_in_order() -> None:
    result = screen(frame_of([{"age_years": 30.0}]), PROTOCOLS["regenera"])
    assert tuple(result.columns) == SCREEN_COLUMNS


def test_an_empty_cohort_screens_to_an_empty_table() -> None:
    empty = frame_of([]).clear()
    assert screen(empty, PROTOCOLS["mensc"]).height == 0


def test_eligible_when_every_criterion_is_met() -> None:
    woman = {
        "age_years": 32.0,
        "amenorrhea_months": 8.0,
        "fsh_1_iu_l": 60.0,
        "fsh_2_iu_l": 70.0,
        "married": True,
        "consent": True,
        "spontaneous_follicular_activity": False,
        "ovary_left_mm": 15.0,
        "ovary_right_mm": 14.0,
    }
    woman |= {"fsh_1_date": date(2024, 1, 1), "fsh_2_date": date(2024, 2, 15)}
    excluded = dict.fromkeys(oracle.UCMSC_EXCLUSIONS, False)
    (result,) = screened([woman | excluded], "ucmsc-rct")
    assert result["eligible"] == "true"
    assert result["failed_criteria"] == result["unknown_criteria"] == ""
    (unknown,) = screened([woman], "ucmsc-rct")
    assert unknown["eligible"] == "unknown"
    assert unknown["unknown_criteria"].split(";") == [f"excl.{n}" for n in oracle.UCMSC_EXCLUSIONS]
    (failed,) = screened([woman | excluded | {"adenomyosis": True, "married": None}], "ucmsc-rct")
    assert failed["eligible"] == "false"
    assert failed["failed_criteria"] == "excl.adenomyosis"
    assert failed["unknown_criteria"] == "incl.married"


def test_mensc_poi_column_uses_the_2024_edition() -> None:
    # one FSH > 25 suffices in 2024; 2016 would need a second value
    row = {"age_years": 30.0, "amenorrhea_months": 6.0, "fsh_1_iu_l": 40.0}
    assert screened([row], "mensc")[0]["poi"] == "true"
    assert screened([row], "regenera")[0]["poi"] == "unknown"
    assert screened([row], "ucmsc-rct")[0]["poi"] == "unknown"


def test_explain_lists_every_criterion_with_inputs_and_source() -> None:
    frame = frame_of([{"age_years": 41.0, "afc": 3, "amh_ng_ml": 0.4}])
    explanation = explain(frame, PROTOCOLS["regenera"], "p0")
    by_id = {r.criterion.id: r for r in explanation.results}
    assert by_id["incl.ovarian_failure"].value is True
    assert by_id["bologna.reserve_test"].inputs == {"afc": 3, "amh_ng_ml": 0.4}
    assert "Ferraretti" in by_id["por_bologna"].criterion.source
    assert by_id["excl.hiv"].value is None
    assert explanation.eligible is None
    assert explanation.poseidon_group == "4"
    with pytest.raises(KeyError):
        explain(frame, PROTOCOLS["regenera"], "nobody")


def test_screening_does_not_modify_its_input() -> None:
    frame = frame_of([{"age_years": 30.0, "afc": 2}])
    copy = frame.clone()
    screen(frame, PROTOCOLS["regenera"])
    assert frame.equals(copy)


def test_a_partial_frame_is_screened_as_unknowns() -> None:
    frame = pl.DataFrame({"participant_id": ["x"], "age_years": [45.0]})
    (row,) = as_interchange(screen(frame, PROTOCOLS["mensc"])).to_dicts()
    assert row["por_bologna"] == "unknown"
    assert row["poseidon_group"] == "unknown"
