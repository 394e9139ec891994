"""G-CSF titration (Study A): the shipped table, the proposal rule, refusals and the audit."""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ovaregen.domain.titration import (
    DEFAULT_TABLE,
    DOSE_HARD_LIMIT_UG_KG,
    Action,
    DoseProposal,
    DoseRefused,
    TitrationTable,
    load_titration_table,
    propose_next_dose,
)
from ovaregen.domain.variables import SYMPTOM_GRADES

TABLE = load_titration_table()
ANDERLINI = "Anderlini et al., Blood 1997;90:903"


def propose(
    *,
    day: int = 2,
    dose: float = 10,
    wbc: float | None = 30.0,
    symptom: str | None = "none",
    unit: str = "µg/kg/day",
    table: TitrationTable = TABLE,
) -> DoseProposal:
    return propose_next_dose(
        table, day=day, dose_ug_kg=dose, wbc_10e9_l=wbc, symptom=symptom, dose_unit=unit
    )


def shipped_mapping() -> dict[str, Any]:
    resource = resources.files("ovaregen.protocols").joinpath("regenera-gcsf-titration.yaml")
    data = yaml.safe_load(resource.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# --- the shipped table -------------------------------------------------------------------------


def test_shipped_table_loads_with_its_settings_and_sources() -> None:
    assert TABLE.id == "regenera-gcsf-titration"
    assert TABLE.version == "1.0"
    assert TABLE.start_dose_ug_kg == 10
    assert TABLE.max_dose_ug_kg == 20 == DOSE_HARD_LIMIT_UG_KG
    assert (TABLE.reduce.by_percent, TABLE.reduce.floor_ug_kg) == (50, 2.5)
    assert [(b.at_least, b.below, b.action) for b in TABLE.leukocyte_bands] == [
        (0, 70, Action.CONTINUE),
        (70, None, Action.REDUCE),
    ]
    assert {r.grade: r.action for r in TABLE.symptoms} == {
        "none": Action.CONTINUE,
        "mild": Action.CONTINUE,
        "moderate": Action.HOLD_24H,
        "severe": Action.STOP,
    }
    assert all(b.source == ANDERLINI for b in TABLE.leukocyte_bands)
    assert all(r.source == "Study A symptom grading" for r in TABLE.symptoms)


@pytest.mark.parametrize(
    "name", [DEFAULT_TABLE, "regenera-gcsf-titration.yaml", "regenera-gcsf-titration"]
)
def test_load_by_name_with_or_without_extension(name: str) -> None:
    assert load_titration_table(name) == TABLE


def test_load_from_a_path(tmp_path: Path) -> None:
    data = shipped_mapping()
    data["id"], data["version"] = "site-x", "2"
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    table = load_titration_table(path)
    assert (table.id, table.version) == ("site-x", "2")
    assert load_titration_table(str(path)) == table


def test_load_unknown_name_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no titration table 'nope' in ovaregen\.protocols"):
        load_titration_table("nope")


def test_load_names_the_file_of_a_bad_table(tmp_path: Path) -> None:
    data = shipped_mapping()
    data["symptoms"]["severe"]["action"] = "halt"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.yaml: table\.symptoms\.severe\.action: unknown"):
        load_titration_table(path)


# --- leukocyte bands -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wbc", "action", "next_dose"),
    [
        (0.1, Action.CONTINUE, 10),
        (69.99, Action.CONTINUE, 10),
        (70.0, Action.REDUCE, 5),
        (70.01, Action.REDUCE, 5),
        (150.0, Action.REDUCE, 5),
    ],
)
def test_leukocyte_band_boundary_at_70(wbc: float, action: Action, next_dose: float) -> None:
    proposal = propose(wbc=wbc)
    assert proposal.action is action
    assert proposal.next_dose_ug_kg == next_dose
    assert proposal.applies_to_day == 3


def test_reduce_reason_states_rule_and_source() -> None:
    proposal = propose(wbc=72.4, symptom="none")
    assert proposal.reason.startswith(
        f"leukocytes 72.4 × 10⁹/L ≥ 70 × 10⁹/L: reduce by 50% ({ANDERLINI})"
    )
    assert "reduce to 5 µg/kg/day on day 3" in proposal.reason
    assert (proposal.table_id, proposal.table_version) == ("regenera-gcsf-titration", "1.0")


def test_continue_reason_below_threshold() -> None:
    proposal = propose(wbc=69.9, symptom="mild")
    assert proposal.reason == (
        f"leukocytes 69.9 × 10⁹/L < 70 × 10⁹/L: continue ({ANDERLINI}); "
        "symptom mild: continue (Study A symptom grading). "
        "Proposal: continue 10 µg/kg/day on day 3."
    )


def test_reduce_is_clamped_at_the_floor() -> None:
    proposal = propose(dose=4, wbc=80)
    assert proposal.action is Action.REDUCE
    assert proposal.next_dose_ug_kg == 2.5
    assert "(the floor)" in proposal.reason


def test_a_dose_at_the_floor_is_not_reduced_but_reviewed() -> None:
    proposal = propose(dose=2.5, wbc=80)
    assert proposal.action is Action.NEEDS_REVIEW
    assert proposal.rule_action is Action.REDUCE
    assert proposal.next_dose_ug_kg is None
    assert "already at the floor 2.5 µg/kg/day" in proposal.reason


def test_successive_reductions_halve_the_dose() -> None:
    first = propose(day=1, dose=10, wbc=75)
    assert first.next_dose_ug_kg is not None
    second = propose(day=2, dose=first.next_dose_ug_kg, wbc=75)
    assert (first.next_dose_ug_kg, second.next_dose_ug_kg) == (5, 2.5)


# --- symptom grades ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "action", "next_dose"),
    [
        ("none", Action.CONTINUE, 10.0),
        ("mild", Action.CONTINUE, 10.0),
        ("moderate", Action.HOLD_24H, 0.0),
        ("severe", Action.STOP, None),
    ],
)
def test_each_symptom_grade(grade: str, action: Action, next_dose: float | None) -> None:
    proposal = propose(wbc=20, symptom=grade)
    assert proposal.action is action
    assert proposal.rule_action is action
    assert proposal.next_dose_ug_kg == next_dose
    assert f"symptom {grade}: " in proposal.reason


def test_hold_means_no_dose_next_day_and_resume_after() -> None:
    proposal = propose(day=2, dose=7.5, wbc=20, symptom="moderate")
    assert proposal.next_dose_ug_kg == 0
    assert proposal.applies_to_day == 3
    assert "no G-CSF on day 3; 7.5 µg/kg/day resumes on day 4" in proposal.reason
    # The held day is evaluated with the dose in force before the hold.
    resumed = propose(day=3, dose=7.5, wbc=20, symptom="mild")
    assert (resumed.action, resumed.next_dose_ug_kg) == (Action.CONTINUE, 7.5)


def test_symptom_grade_is_read_case_insensitively() -> None:
    assert propose(symptom=" Severe ").action is Action.STOP


# --- combinations: the most restrictive wins -----------------------------------------------------


@pytest.mark.parametrize(
    ("wbc", "grade", "action"),
    [
        (75, "none", Action.REDUCE),
        (75, "mild", Action.REDUCE),
        (75, "moderate", Action.HOLD_24H),
        (75, "severe", Action.STOP),
        (20, "moderate", Action.HOLD_24H),
        (20, "severe", Action.STOP),
    ],
)
def test_most_restrictive_wins(wbc: float, grade: str, action: Action) -> None:
    proposal = propose(wbc=wbc, symptom=grade)
    assert proposal.action is action
    assert [rule.action for rule in proposal.rules] == [
        TABLE.band_for(wbc).action,
        TABLE.symptom_rule(grade).action,
    ]


def test_reason_lists_every_rule_that_fired() -> None:
    proposal = propose(wbc=75, symptom="severe")
    assert proposal.reason == (
        f"leukocytes 75 × 10⁹/L ≥ 70 × 10⁹/L: reduce by 50% ({ANDERLINI}); "
        "symptom severe: stop (Study A symptom grading). "
        "Proposal: stop G-CSF: no further dose (the most restrictive rule wins)."
    )
    assert [str(rule) for rule in proposal.rules] == [
        f"leukocytes 75 × 10⁹/L ≥ 70 × 10⁹/L: reduce by 50% ({ANDERLINI})",
        "symptom severe: stop (Study A symptom grading)",
    ]
    assert proposal.rules[1].note == "needs intravenous pain treatment and leads to stopping G-CSF"


# --- day 4 is the last dose day ------------------------------------------------------------------


@pytest.mark.parametrize("grade", SYMPTOM_GRADES)
def test_after_day_4_no_further_dose(grade: str) -> None:
    proposal = propose(day=4, wbc=75, symptom=grade)
    assert proposal.next_dose_ug_kg is None
    assert proposal.applies_to_day == 5
    assert proposal.rule_action is max(
        (Action.REDUCE, TABLE.symptom_rule(grade).action),
        key=[Action.CONTINUE, Action.REDUCE, Action.HOLD_24H, Action.STOP].index,
    )
    if proposal.rule_action is Action.STOP:
        # A stopping symptom on day 4 is headed stop, a safety event (issue 13).
        assert proposal.action is Action.STOP
        assert proposal.reason.endswith(
            "Proposal: stop G-CSF: no further dose (day 4 was the last G-CSF day); "
            "measure leukocytes and CD34+ on day 5 (the most restrictive rule wins)."
        )
    else:
        assert proposal.action is Action.COMPLETE
        assert proposal.reason.endswith(
            "Proposal: day 4 was the last G-CSF day: no further dose; "
            "measure leukocytes and CD34+ on day 5."
        )


# --- unknown inputs are never guessed ------------------------------------------------------------


def test_missing_leukocytes_with_a_mild_symptom_needs_review() -> None:
    proposal = propose(wbc=None, symptom="mild")
    assert proposal.action is Action.NEEDS_REVIEW
    assert proposal.rule_action is None
    assert proposal.next_dose_ug_kg is None
    assert proposal.missing == ("leukocytes",)
    assert "leukocytes not recorded and the table could give continue or reduce" in (
        proposal.reason
    )


def test_missing_symptom_needs_review_even_with_a_low_count() -> None:
    proposal = propose(wbc=10, symptom=None)
    assert proposal.action is Action.NEEDS_REVIEW
    assert proposal.missing == ("symptom grade",)
    assert "the table could give continue or hold_24h or stop" in proposal.reason


def test_both_missing_needs_review() -> None:
    proposal = propose(wbc=None, symptom=None)
    assert proposal.action is Action.NEEDS_REVIEW
    assert proposal.rules == ()
    assert proposal.missing == ("leukocytes", "symptom grade")


@pytest.mark.parametrize(
    ("grade", "action"), [("severe", Action.STOP), ("moderate", Action.HOLD_24H)]
)
def test_missing_count_does_not_matter_when_no_count_could_change_the_proposal(
    grade: str, action: Action
) -> None:
    proposal = propose(wbc=None, symptom=grade)
    assert proposal.action is action
    assert proposal.missing == ("leukocytes",)
    assert "leukocytes not recorded (the proposal holds whatever the value)" in proposal.reason


def test_empty_symptom_text_is_refused_not_read_as_missing() -> None:
    with pytest.raises(DoseRefused, match="unknown symptom grade ''"):
        propose(symptom="")


# --- refusals ------------------------------------------------------------------------------------


def test_dose_above_the_maximum_is_refused() -> None:
    with pytest.raises(DoseRefused, match="20 µg/kg/day is the maximum") as refused:
        propose(dose=20.5)
    assert str(refused.value) == "dose 20.5 µg/kg/day refused: 20 µg/kg/day is the maximum"
    assert propose(dose=20).next_dose_ug_kg == 20


@pytest.mark.parametrize("unit", ["mg/kg", "mg/kg/day", "MG/KG/D", "mg / kg"])
def test_mg_per_kg_is_refused_as_a_thousand_fold_error(unit: str) -> None:
    with pytest.raises(DoseRefused) as refused:
        propose(unit=unit)
    assert str(refused.value).endswith(
        "mg/kg is a thousand-fold error: G-CSF is dosed in µg/kg/day; "
        "Study A's paper prints 'mg/kg'"
    )


@pytest.mark.parametrize(
    "unit",
    [
        "ug/kg",
        "µg/kg",
        "μg/kg",  # Greek mu as well as the micro sign
        "mcg/kg",
        "ug/kg/day",
        "µg/kg/day",
        "mcg/kg/day",
        "MCG/KG/DAY",
        "µg/kg/d",
    ],
)
def test_microgram_units_are_the_same_unit(unit: str) -> None:
    assert propose(unit=unit, wbc=72).next_dose_ug_kg == 5


@pytest.mark.parametrize("unit", ["µg", "ng/kg", "IU/kg", ""])
def test_other_units_are_refused(unit: str) -> None:
    with pytest.raises(DoseRefused, match="G-CSF is dosed in µg/kg/day"):
        propose(unit=unit)


@pytest.mark.parametrize("dose", [-0.5, -10])
def test_negative_dose_is_refused(dose: float) -> None:
    with pytest.raises(DoseRefused, match="a dose cannot be negative"):
        propose(dose=dose)


def test_zero_dose_is_refused_with_the_hold_explained() -> None:
    with pytest.raises(DoseRefused, match="on a held day, the dose given before the hold"):
        propose(dose=0)


def test_nan_dose_is_refused() -> None:
    with pytest.raises(DoseRefused, match="is not a number of µg/kg/day"):
        propose(dose=float("nan"))


@pytest.mark.parametrize("day", [0, 5, -1, 10])
def test_day_outside_1_to_4_is_refused(day: int) -> None:
    with pytest.raises(DoseRefused, match=f"day {day} is outside the G-CSF days 1–4"):
        propose(day=day)


def test_a_day_that_is_not_a_whole_number_is_refused() -> None:
    with pytest.raises(DoseRefused, match=r"day 2\.0 is outside"):
        propose_next_dose(TABLE, day=2.0, dose_ug_kg=10, wbc_10e9_l=5, symptom="none")  # type: ignore[arg-type]


@pytest.mark.parametrize("grade", ["grade 2", "very severe", "unknown"])
def test_unknown_symptom_grade_is_refused(grade: str) -> None:
    with pytest.raises(DoseRefused) as refused:
        propose(symptom=grade)
    assert str(refused.value) == (
        f"unknown symptom grade {grade!r}: expected one of none, mild, moderate, severe"
    )


def test_leukocytes_per_mm3_are_refused_with_the_intended_unit_named() -> None:
    with pytest.raises(DoseRefused) as refused:
        propose(wbc=72400)
    assert str(refused.value) == (
        "leukocytes 72400 × 10⁹/L refused: outside the hard limits 0.1–150 × 10⁹/L; "
        "a count per mm³? 72400/mm³ = 72.4 × 10⁹/L"
    )


@pytest.mark.parametrize("wbc", [-1.0, 0.05, 151.0])
def test_leukocytes_beyond_hard_limits_are_refused(wbc: float) -> None:
    with pytest.raises(DoseRefused, match=r"outside the hard limits 0\.1–150"):
        propose(wbc=wbc)


def test_refusal_is_a_value_error() -> None:
    assert issubclass(DoseRefused, ValueError)


# --- table validation ----------------------------------------------------------------------------


def with_bands(*bands: dict[str, Any]) -> dict[str, Any]:
    data = shipped_mapping()
    data["leukocyte_bands"] = [{"action": "continue", "source": "s", **band} for band in bands]
    return data


def test_from_mapping_round_trips_the_shipped_file() -> None:
    assert TitrationTable.from_mapping(shipped_mapping()) == TABLE


def test_bands_may_be_listed_in_any_order() -> None:
    table = TitrationTable.from_mapping(
        with_bands({"at_least": 70}, {"at_least": 0, "below": 50}, {"at_least": 50, "below": 70})
    )
    assert [b.at_least for b in table.leukocyte_bands] == [0, 50, 70]
    assert table.band_for(50).at_least == 50
    assert table.band_for(49.99).at_least == 0


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        (
            [{"at_least": 0, "below": 60}, {"at_least": 70}],
            "table.leukocyte_bands: gap: nothing covers 60–70 × 10⁹/L",
        ),
        (
            [{"at_least": 0, "below": 70}, {"at_least": 60}],
            "table.leukocyte_bands: overlap: the band from 0 reaches 70 but the next starts at 60",
        ),
        (
            [{"at_least": 0}, {"at_least": 70}],
            "table.leukocyte_bands: overlap: the band from 0 reaches ∞",
        ),
        (
            [{"at_least": 5, "below": 70}, {"at_least": 70}],
            "table.leukocyte_bands: gap: nothing covers 0–5 × 10⁹/L",
        ),
        (
            [{"at_least": 0, "below": 70}],
            "table.leukocyte_bands: gap: nothing covers ≥ 70 × 10⁹/L",
        ),
        (
            [{"at_least": 0, "below": 70}, {"at_least": 70, "below": 70}],
            r"table.leukocyte_bands\[1\].below: band 70–70 is empty or negative",
        ),
        (
            [{"at_least": 0, "below": 70}, {"at_least": 70, "action": "halt"}],
            r"table.leukocyte_bands\[1\].action: unknown action 'halt' "
            r"\(known: continue, reduce, hold_24h, stop\)",
        ),
        (
            [{"at_least": 0, "action": "needs_review"}],
            r"table.leukocyte_bands\[0\].action: unknown action 'needs_review'",
        ),
        (
            [{"at_least": 0, "source": ""}],
            r"table.leukocyte_bands\[0\].source: expected a non-empty text",
        ),
        (
            [{"at_least": "zero"}],
            r"table.leukocyte_bands\[0\].at_least: expected a number, got 'zero'",
        ),
        (
            [{"at_least": 0, "upto": 70}],
            r"table.leukocyte_bands\[0\]: unknown entry 'upto'",
        ),
    ],
)
def test_bad_bands_are_refused(bands: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TitrationTable.from_mapping(with_bands(*bands))


def test_empty_band_list_is_refused() -> None:
    data = shipped_mapping()
    data["leukocyte_bands"] = []
    with pytest.raises(ValueError, match="leukocyte_bands: expected a non-empty list"):
        TitrationTable.from_mapping(data)


def edited(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(shipped_mapping())
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("symptoms", "severe", "action"), "halt", "table.symptoms.severe.action: unknown action"),
        (("symptoms", "mild"), None, "table.symptoms.mild: missing"),
        (("symptoms", "grade_3"), {"action": "stop", "source": "s"}, "unknown symptom grade"),
        (("symptoms", "moderate", "source"), None, "table.symptoms.moderate.source: expected"),
        (("dose", "maximum_ug_kg"), 25, r"table.dose.maximum_ug_kg: 25 must be in \(0, 20\]"),
        (("dose", "start_ug_kg"), 0, r"table.dose.start_ug_kg: 0 must be in \(0, 20\]"),
        (("dose", "start_ug_kg"), -5, r"table.dose.start_ug_kg: -5 must be in \(0, 20\]"),
        (("dose", "start_ug_kg"), 21, r"table.dose.start_ug_kg: 21 must be in \(0, 20\]"),
        (("reduce", "by_percent"), 100, "table.reduce.by_percent: 100 must be between 0 and 100"),
        (("reduce", "floor_ug_kg"), 0, r"table.reduce.floor_ug_kg: 0 must be in \(0, 10\]"),
        (("reduce", "floor_ug_kg"), 12, r"table.reduce.floor_ug_kg: 12 must be in \(0, 10\]"),
        (("version",), 1.0, "table.version: expected a non-empty text, got 1.0"),
        (("id",), None, "table.id: expected a non-empty text"),
        (("dose",), None, "table.dose: missing"),
        (("extra",), 1, "table: unknown entry 'extra'"),
    ],
)
def test_bad_table_entries_are_named(path: tuple[str, ...], value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TitrationTable.from_mapping(edited(path, value))


def test_a_site_table_with_a_lower_maximum_refuses_above_it() -> None:
    table = TitrationTable.from_mapping(edited(("dose", "maximum_ug_kg"), 12))
    with pytest.raises(DoseRefused, match="12 µg/kg/day is the maximum"):
        propose(dose=15, table=table)


# --- property ------------------------------------------------------------------------------------


@given(
    day=st.sampled_from([1, 2, 3, 4]),
    dose=st.floats(min_value=0.001, max_value=20, allow_nan=False),
    wbc=st.none() | st.floats(min_value=0.1, max_value=150, allow_nan=False),
    symptom=st.none() | st.sampled_from(SYMPTOM_GRADES),
)
def test_proposed_dose_never_exceeds_current_or_maximum_and_is_never_negative(
    day: int, dose: float, wbc: float | None, symptom: str | None
) -> None:
    proposal = propose(day=day, dose=dose, wbc=wbc, symptom=symptom)
    assert proposal.applies_to_day == day + 1
    if proposal.next_dose_ug_kg is not None:
        assert 0 <= proposal.next_dose_ug_kg <= dose <= TABLE.max_dose_ug_kg
    if proposal.action in (Action.STOP, Action.NEEDS_REVIEW, Action.COMPLETE):
        assert proposal.next_dose_ug_kg is None
    if proposal.missing and proposal.action is not Action.COMPLETE:
        # A proposal despite a missing input only when no value of it could change the proposal.
        assert proposal.action in (Action.NEEDS_REVIEW, Action.HOLD_24H, Action.STOP)


def test_a_hold_on_day_4_ends_the_course_and_never_resumes_on_day_5() -> None:
    """Issue 13: after a day-3 hold the proposal said the dose "resumes on day 5", but no G-CSF
    is given on day 5 (STUDIES.md study A: day 5 is measurement and injection)."""
    proposal = propose(day=3, dose=10, wbc=20, symptom="moderate")
    assert (proposal.action, proposal.next_dose_ug_kg, proposal.applies_to_day) == (
        Action.HOLD_24H,
        0,
        4,
    )
    assert "resumes" not in proposal.reason
    assert "no G-CSF on day 4, the last G-CSF day, so the course ends" in proposal.reason
    assert "measure leukocytes and CD34+ on day 5" in proposal.reason


def test_a_severe_symptom_on_day_4_is_headed_stop_not_complete() -> None:
    proposal = propose(day=4, dose=10, wbc=20, symptom="severe")
    assert proposal.action is Action.STOP
    assert proposal.next_dose_ug_kg is None
    assert "stop G-CSF: no further dose (day 4 was the last G-CSF day)" in proposal.reason
    calm = propose(day=4, dose=10, wbc=20, symptom="moderate")
    assert calm.action is Action.COMPLETE, "without a stopping event day 4 simply completes"
