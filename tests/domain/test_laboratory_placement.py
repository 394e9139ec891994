"""Placing laboratory results on a woman's visits (``domain.laboratory_placement``): the patient
matched, the visit found by its window, the unit converted, duplicates merged, saved values
never overwritten, and every refusal given with its reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from ovaregen.domain.laboratory import (
    Analyte,
    Casebook,
    LabResult,
    PatientIdentifier,
    PreTreatment,
    Review,
    Source,
)
from ovaregen.domain.laboratory_placement import place
from ovaregen.domain.protocols import load_protocol
from ovaregen.domain.variables import AMH_PMOL_L_PER_NG_ML, OESTRADIOL_PMOL_L_PER_PG_ML

STUDY = "ucmsc-rct"
SYSTEM = f"urn:ovaregen:study:{STUDY}:participant"
TREATED = date(2024, 1, 10)
TODAY = date(2025, 6, 1)
_count = iter(range(1, 10_000))


def result(
    analyte: Analyte,
    value: float,
    unit: str,
    taken: date,
    *,
    who: str = "UC-001",
    system: str | None = SYSTEM,
    observation: str | None = None,
) -> LabResult:
    number = next(_count)
    return LabResult(
        source=Source(observation or f"obs-{number}", "2024-06-01T09:30:00Z", "labs.json", number),
        patient=(PatientIdentifier(system, who),),
        patient_text=f"Patient/{who}",
        analyte=analyte,
        value=value,
        unit=unit,
        sent=f"{value} {unit}",
        specimen_date=taken,
    )


def book(
    code: str = "UC-001",
    *,
    treated: date | None = TREATED,
    enrolled: bool = True,
    forms: Mapping[str, Mapping[str, Any]] | None = None,
    locked: frozenset[str] = frozenset(),
    course: PreTreatment | None = None,
) -> Casebook:
    return Casebook(code, treated, enrolled, forms or {}, locked, course)


def review(*results: LabResult, books: tuple[Casebook, ...] = (), study: str = STUDY) -> Review:
    casebooks = {b.code: b for b in books or (book(),)}
    return place(
        results,
        load_protocol(study),
        casebooks,
        screening="screening" if study != "mensc" else "baseline",
        identifier_systems=frozenset({f"urn:ovaregen:study:{study}:participant"}),
        today=TODAY,
    )


def day(n: int) -> date:
    return TREATED + timedelta(days=n)


def test_a_result_goes_to_the_visit_whose_window_holds_its_date() -> None:
    found = review(
        result(Analyte.AMH, 1.4, "ng/mL", day(80)),
        result(Analyte.AMH, 1.1, "ng/mL", day(190)),
        result(Analyte.AMH, 0.9, "ng/mL", day(365 + 30)),
    )
    assert not found.refusals
    assert [(p.visit, p.slot.variable, p.value) for p in found.placements] == [
        ("month_3", "amh_post_ng_ml", 1.4),
        ("month_6", "amh_post_ng_ml", 1.1),
        ("month_12", "amh_post_ng_ml", 0.9),
    ]
    assert all(not p.saved for p in found.placements)


def test_a_result_in_pmol_is_stored_in_ng_ml() -> None:
    (placed,) = review(result(Analyte.AMH, 10.0, "pmol/L", day(91))).placements
    assert placed.value == pytest.approx(10.0 / AMH_PMOL_L_PER_NG_ML)
    assert (placed.unit, placed.sent) == ("ng/mL", ("10.0 pmol/L",))


def test_results_before_or_on_day_0_go_to_screening() -> None:
    found = review(
        result(Analyte.AMH, 0.4, "ng/mL", day(-20)),
        result(Analyte.AFC, 3, "follicles", day(0)),
    )
    assert [(p.visit, p.slot.variable) for p in found.placements] == [
        ("screening", "afc"),
        ("screening", "amh_ng_ml"),
    ]


def test_before_treatment_every_result_is_a_screening_result() -> None:
    found = review(result(Analyte.AMH, 0.4, "ng/mL", day(200)), books=(book(treated=None),))
    assert [p.visit for p in found.placements] == ["screening"]


def test_a_date_in_no_window_is_refused_naming_the_windows() -> None:
    found = review(result(Analyte.AMH, 1.0, "ng/mL", day(40)))
    (refusal,) = found.refusals
    assert not found.placements
    assert "is day 40 after the treatment date 2024-01-10, outside every visit window" in (
        refusal.reason
    )
    assert "month_3 day 91 (days 77 to 105)" in refusal.reason


def test_a_date_after_today_is_refused() -> None:
    (refusal,) = review(result(Analyte.AMH, 1.0, "ng/mL", TODAY + timedelta(days=1))).refusals
    assert "is after today" in refusal.reason


def test_the_patient_must_match_one_participant_by_a_recognised_system() -> None:
    found = review(
        result(Analyte.AMH, 1.0, "ng/mL", day(91), who="UC-999"),
        result(Analyte.AMH, 1.0, "ng/mL", day(91), system="https://hospital.example.org/mrn"),
        result(Analyte.AMH, 1.0, "ng/mL", day(91), system=None),
    )
    assert not found.placements
    reasons = [r.reason for r in found.refusals]
    assert reasons[0] == f"no participant of this study has the id of {SYSTEM}|UC-999"
    assert reasons[1].startswith(
        "the patient matches no participant: her identifiers are "
        "https://hospital.example.org/mrn|UC-001; expected an identifier of system " + SYSTEM
    )
    assert "her identifiers are UC-001;" in reasons[2]


def test_the_same_result_in_two_units_is_one_value_kept_in_the_dictionary_unit() -> None:
    found = review(
        result(Analyte.AMH, 14.3, "pmol/L", day(90)),
        result(Analyte.AMH, 2.0, "ng/mL", day(90)),
    )
    (placed,) = found.placements
    assert placed.value == 2.0
    assert placed.sent == ("14.3 pmol/L", "2.0 ng/mL")
    assert len(placed.sources) == 2
    assert placed.reason().count("FHIR Observation") == 2


def test_an_observation_sent_twice_is_one_source() -> None:
    twice = result(Analyte.FSH, 40.0, "IU/L", day(-30), observation="obs-same")
    (placed,) = review(twice, replace(twice)).placements
    assert [s.observation for s in placed.sources] == ["obs-same"]


def test_results_that_disagree_are_all_refused() -> None:
    found = review(
        result(Analyte.AMH, 1.0, "ng/mL", day(88)),
        result(Analyte.AMH, 1.3, "ng/mL", day(95)),
    )
    assert not found.placements
    assert len(found.refusals) == 2
    assert all(
        "disagree" in r.reason and "the form holds one value" in r.reason for r in found.refusals
    )


def test_a_saved_value_is_never_overwritten() -> None:
    forms = {"month_3": {"amh_post_ng_ml": 1.8}}
    (refusal,) = review(
        result(Analyte.AMH, 1.2, "ng/mL", day(91)), books=(book(forms=forms),)
    ).refusals
    assert "holds amh_post_ng_ml = 1.8 ng/mL" in refusal.reason
    assert "change it on the form, with a reason" in refusal.reason


def test_the_same_value_saved_already_needs_nothing() -> None:
    forms = {"month_3": {"amh_post_ng_ml": 2.0}}
    found = review(result(Analyte.AMH, 14.3, "pmol/L", day(91)), books=(book(forms=forms),))
    (placed,) = found.placements
    assert placed.saved
    assert not found.to_store


def test_fsh_at_screening_fills_the_two_dated_measurements_in_order() -> None:
    found = review(
        result(Analyte.FSH, 52.0, "IU/L", day(-70)),
        result(Analyte.FSH, 61.0, "IU/L", day(-30)),
    )
    assert [p.values() for p in found.placements] == [
        {"fsh_1_iu_l": 52.0, "fsh_1_date": day(-70).isoformat()},
        {"fsh_2_iu_l": 61.0, "fsh_2_date": day(-30).isoformat()},
    ]


def test_fsh_of_a_date_saved_already_is_compared_and_a_third_is_refused() -> None:
    forms = {
        "screening": {
            "fsh_1_iu_l": 52.0,
            "fsh_1_date": day(-70).isoformat(),
            "fsh_2_iu_l": 61.0,
            "fsh_2_date": day(-30).isoformat(),
        }
    }
    found = review(
        result(Analyte.FSH, 52.0, "IU/L", day(-70)),
        result(Analyte.FSH, 70.0, "IU/L", day(-10)),
        books=(book(forms=forms),),
    )
    (placed,) = found.placements
    assert placed.saved and placed.slot.variable == "fsh_1_iu_l"
    (refusal,) = found.refusals
    assert "holds 2 FSH results" in refusal.reason and "no place for one of" in refusal.reason


def test_a_visit_that_does_not_record_the_analyte_refuses_it() -> None:
    """Study C records no leukocytes: a count has no place in its forms."""
    (refusal,) = review(result(Analyte.LEUKOCYTES, 6.0, "10⁹/L", day(-5))).refusals
    assert refusal.reason.startswith("ucmsc-rct records no leukocytes at screening")


def test_leukocytes_in_per_mm3_go_to_the_regenera_screening_in_10e9_l() -> None:
    found = review(
        result(Analyte.LEUKOCYTES, 6200, "/mm³", day(-5), system=None),
        study="regenera",
        books=(book(),),
    )
    assert found.refusals  # no recognised system
    found = review(
        replace(
            result(Analyte.LEUKOCYTES, 6200, "/mm³", day(-5)),
            patient=(PatientIdentifier("urn:ovaregen:study:regenera:participant", "UC-001"),),
        ),
        study="regenera",
    )
    (placed,) = found.placements
    assert (placed.slot.variable, placed.value) == ("wbc_10e9_l", pytest.approx(6.2))


def test_a_unit_that_does_not_convert_is_refused() -> None:
    (refusal,) = review(result(Analyte.FSH, 40.0, "ng/mL", day(-30))).refusals
    assert "40.0 ng/mL does not convert to" in refusal.reason


def test_hard_limits_refuse_and_soft_limits_warn() -> None:
    found = review(
        result(Analyte.AMH, 45.0, "ng/mL", day(91)),
        result(Analyte.AMH, 20.0, "ng/mL", day(183)),
    )
    (refusal,) = found.refusals
    assert "lies outside amh_post_ng_ml's accepted range 0–30 ng/mL" in refusal.reason
    (placed,) = found.placements
    assert placed.visit == "month_6"
    assert placed.warnings and "outside the usual range" in placed.warnings[0]


def test_a_count_must_be_whole() -> None:
    (refusal,) = review(result(Analyte.AFC, 3.5, "follicles", day(91))).refusals
    assert "is a whole number" in refusal.reason


def test_follow_up_needs_her_enrolled_and_the_form_unlocked() -> None:
    not_enrolled = review(result(Analyte.AMH, 1.0, "ng/mL", day(91)), books=(book(enrolled=False),))
    assert "takes data once she is enrolled" in not_enrolled.refusals[0].reason
    locked = review(
        result(Analyte.AMH, 1.0, "ng/mL", day(91)), books=(book(locked=frozenset({"month_3"})),)
    )
    assert "the month_3 form is locked" in locked.refusals[0].reason


def test_results_of_several_women_go_to_their_own_forms() -> None:
    found = review(
        result(Analyte.AMH, 1.0, "ng/mL", day(91), who="UC-001"),
        result(Analyte.AMH, 2.0, "ng/mL", day(91), who="UC-002"),
        books=(book("UC-001"), book("UC-002")),
    )
    assert [(p.participant, p.value) for p in found.placements] == [
        ("UC-001", 1.0),
        ("UC-002", 2.0),
    ]
    assert len({p.key for p in found.placements}) == 2


def test_a_result_of_the_g_csf_mobilisation_belongs_to_the_day_s_form() -> None:
    """Study A: G-CSF days 1–4 and the injection on day 5 (day 0). A count of day 2 is not a
    screening value; one before day 1 is."""
    course = PreTreatment(5, "G-CSF mobilisation", "enter it on the day's mobilisation form")
    regenera = "urn:ovaregen:study:regenera:participant"

    def count(taken: date) -> LabResult:
        return replace(
            result(Analyte.LEUKOCYTES, 9.0, "10⁹/L", taken),
            patient=(PatientIdentifier(regenera, "UC-001"),),
        )

    found = review(count(day(-3)), count(day(-6)), study="regenera", books=(book(course=course),))
    (refusal,) = found.refusals
    assert refusal.reason.startswith(
        f"the specimen date {day(-3)} is day 2 of the G-CSF mobilisation"
    )
    assert "enter it on the day's mobilisation form" in refusal.reason
    (placed,) = found.placements
    assert (placed.visit, placed.slot.variable, placed.specimen_date) == (
        "screening",
        "wbc_10e9_l",
        day(-6),
    )


def test_fsh_and_oestradiol_after_treatment_go_to_the_follow_up_visits() -> None:
    """Oestradiol in pmol/L is stored in pg/mL (÷ 3.671); FSH in IU/L; both at the visit
    whose window holds the date, beside AMH."""
    found = review(
        result(Analyte.FSH, 38.0, "IU/L", day(92)),
        result(Analyte.OESTRADIOL, 183.55, "pmol/L", day(92)),
        result(Analyte.OESTRADIOL, 20.0, "pg/mL", day(-15)),
    )
    assert not found.refusals
    placed = {(p.visit, p.slot.variable): p.value for p in found.placements}
    assert placed == {
        ("screening", "oestradiol_pg_ml"): 20.0,
        ("month_3", "fsh_post_iu_l"): 38.0,
        ("month_3", "oestradiol_post_pg_ml"): pytest.approx(183.55 / OESTRADIOL_PMOL_L_PER_PG_ML),
    }


def test_the_key_names_the_placement_as_reviewed() -> None:
    """The same Observation amended by the laboratory gives another key: an accept step keyed
    by what was reviewed never stores the amended value unseen."""
    first = result(Analyte.AMH, 1.0, "ng/mL", day(91), observation="obs-a")
    (reviewed,) = review(first).placements
    (again,) = review(replace(first)).placements
    (amended,) = review(replace(first, value=1.2)).placements
    assert again.key == reviewed.key
    assert amended.key != reviewed.key
    assert amended.key.startswith("UC-001|month_3|amh_post_ng_ml|obs-a#")
