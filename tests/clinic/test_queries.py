"""Data-quality queries: missing values of reached visits, values needed for eligibility,
soft-range values, inconsistencies; filters; a fixed value disappears from the list."""

from __future__ import annotations

from ovaregen.clinic import ecrf, studies
from ovaregen.clinic.queries import QueryKind, queries_of
from ovaregen.clinic.scope import EVERYWHERE
from ovaregen.store.database import Database
from ovaregen.store.models import Pregnancy
from tests.clinic.test_dashboard import enrol


def _found(listed, kind: QueryKind, participant: str, variable: str):  # type: ignore[no-untyped-def]
    return [
        q
        for q in listed.queries
        if q.kind is kind and q.participant == participant and q.variable == variable
    ]


def test_missing_soft_range_and_inconsistency_are_listed(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        study = studies.study_named(session, "regenera")
        enrol(
            session,
            study,
            "A1",
            {
                "screening": {"age_years": 36, "afc": 3, "amh_ng_ml": 0.4},
                "mobilisation_d1": {"gcsf_d1_ug_kg": 5.0, "symptoms_d1": "none"},
                "followup": {"afc_post": 62},
            },
        )
        enrol(session, study, "F1", {"screening": {"age_years": 55}}, status="screen_failed")
        listed = queries_of(session, study, access=EVERYWHERE)
    missing = _found(listed, QueryKind.MISSING, "A1", "hemoglobin_g_dl")
    assert len(missing) == 1
    assert missing[0].visit == "screening" and missing[0].description == "baseline haemoglobin"
    wbc = _found(listed, QueryKind.MISSING, "A1", "wbc_d1_10e9_l")
    assert [q.visit for q in wbc] == ["mobilisation_d1"]
    assert not [q for q in listed.queries if q.visit == "mobilisation_d2"], "a visit not reached"
    assert not _found(listed, QueryKind.MISSING, "A1", "por_risk_factor")
    high = _found(listed, QueryKind.SOFT_RANGE, "A1", "afc_post")
    assert len(high) == 1
    assert high[0].value == "62 follicles"
    assert "0–50 follicles" in high[0].problem
    assert high[0].visit == "followup"
    gcsf = _found(listed, QueryKind.INCONSISTENT, "A1", "wbc_d1_10e9_l")
    assert len(gcsf) == 1 and "day 1" in gcsf[0].problem
    assert gcsf[0].value == "gcsf_d1_ug_kg = 5 µg/kg/day"
    assert not [q for q in listed.queries if q.participant == "F1"], "screen failures not queried"
    assert listed.counts[QueryKind.SOFT_RANGE] == 1


def test_a_fixed_value_disappears(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        study = studies.study_named(session, "regenera")
        person = enrol(
            session, study, "A1", {"screening": {"age_years": 36}, "followup": {"afc_post": 9}}
        )
        before = queries_of(session, study, access=EVERYWHERE)
        assert _found(before, QueryKind.INCONSISTENT, "A1", "afc")
        entry = ecrf.form_entry(session, person, "screening")
        assert entry is not None
        ecrf.save_form(
            session,
            person,
            "screening",
            {"afc": 4},
            username="coordinator",
            expected_version=entry.version,
            reason="value from the ultrasound report",
        )
        after = queries_of(session, study, access=EVERYWHERE)
    assert not _found(after, QueryKind.INCONSISTENT, "A1", "afc")
    assert not _found(after, QueryKind.MISSING, "A1", "afc")
    assert len(after.queries) == len(before.queries) - 2


def test_pregnancy_without_treatment_date_and_values_needed_for_eligibility(
    clinic_database: Database,
) -> None:
    with clinic_database.transaction() as session:
        study = studies.study_named(session, "ucmsc-rct")
        person = enrol(session, study, "C1", {"screening": {"age_years": 31, "married": True}})
        person.unknown_criteria = "incl.age;incl.ovary_diameter;incl.consent"
        session.add(Pregnancy(participant_id=person.id, conception="spontaneous"))
        session.flush()
        listed = queries_of(session, study, access=EVERYWHERE)
    pregnancy = _found(listed, QueryKind.INCONSISTENT, "C1", "treatment_date")
    assert len(pregnancy) == 1 and pregnancy[0].visit == "treatment"
    needed = {q.variable for q in listed.queries if q.kind is QueryKind.ELIGIBILITY}
    assert needed == {"ovary_left_mm", "ovary_right_mm", "consent"}, "age is there already"
    consent = _found(listed, QueryKind.ELIGIBILITY, "C1", "consent")[0]
    assert "incl.consent" in consent.problem and consent.visit == "screening"
    assert not _found(listed, QueryKind.MISSING, "C1", "consent"), "listed once, as eligibility"


def test_filters_by_kind_site_and_visit(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        studies.add_site(session, code="BCN2", name="Second clinic", username="admin")
        study = studies.study_named(session, "mensc")
        enrol(session, study, "M1", {"baseline": {"afc": 60, "age_years": 33}})
        person = studies.add_participant(
            session, study, studies.site_coded(session, "BCN2"), username="coordinator", code="N1"
        )
        person.status = "completed"
        session.flush()
        everything = queries_of(session, study, access=EVERYWHERE)
        soft = queries_of(session, study, kind=QueryKind.SOFT_RANGE, access=EVERYWHERE)
        second_site = queries_of(session, study, site="BCN2", access=EVERYWHERE)
        month_3 = queries_of(session, study, visit="month_3", access=EVERYWHERE)
    assert everything.sites == ("BCN2", "MAD1")
    assert [q.variable for q in soft.queries] == ["afc"]
    assert soft.counts == everything.counts, "counts per kind ignore the kind filter"
    assert second_site.queries and {q.participant for q in second_site.queries} == {"N1"}
    assert {q.visit for q in second_site.queries} == {"baseline"}, "first visit is always reached"
    assert month_3.queries == ()


def test_hundreds_of_participants_are_queried_at_once(sqlite_database: Database) -> None:
    with sqlite_database.transaction() as session:
        study = studies.study_named(session, "regenera")
        for i in range(300):
            enrol(
                session,
                study,
                f"P{i:03d}",
                {
                    "screening": {"age_years": 30 + i % 15, "afc": i % 60, "amh_ng_ml": 0.5},
                    "mobilisation_d1": {"gcsf_d1_ug_kg": 5.0},
                    "followup": {"afc_post": 3 + i % 9},
                },
            )
        listed = queries_of(session, study, access=EVERYWHERE)
    assert listed.counts[QueryKind.SOFT_RANGE] == 45, "AFC 51–59 in 9 of every 60"
