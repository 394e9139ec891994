"""Eligibility from the screening form, enrolment, flow statuses (clinic.enrolment)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ovaregen.clinic import enrolment
from ovaregen.clinic.studies import (
    StudyError,
    add_participant,
    protocol_of,
    site_coded,
    study_named,
)
from ovaregen.store.models import AuditEntry
from tests.web.test_screening import EXCLUSIONS

ELIGIBLE = {
    "age_years": 30.0,
    "married": True,
    "consent": True,
    "fsh_1_iu_l": 50.0,
    "fsh_1_date": "2024-01-01",
    "fsh_2_iu_l": 55.0,
    "fsh_2_date": "2024-02-15",
    "amenorrhea_months": 6.0,
    "spontaneous_follicular_activity": False,
    "ovary_left_mm": 12.0,
    "ovary_right_mm": 11.0,
} | {name: False for name in EXCLUSIONS}


def test_assess_three_valued() -> None:
    protocol = protocol_of("ucmsc-rct")
    assert enrolment.assess(protocol, "A", ELIGIBLE).eligible is True
    too_close = enrolment.assess(protocol, "A", ELIGIBLE | {"fsh_2_date": "2024-01-20"})
    assert too_close.eligible is False
    assert enrolment.failed_ids(too_close) == ["incl.poi"]
    partial = enrolment.assess(protocol, "A", {"age_years": 45.0})
    assert partial.eligible is False
    assert "incl.age" in enrolment.failed_ids(partial)
    assert "incl.married" in enrolment.top_level(partial, None)


def test_the_screening_visit_is_the_first_when_a_protocol_has_none() -> None:
    assert enrolment.screening_visit(protocol_of("ucmsc-rct")).id == "screening"
    assert enrolment.screening_visit(protocol_of("regenera")).id == "screening"
    assert enrolment.screening_visit(protocol_of("mensc")).id == "baseline"


def test_screening_save_enrol_and_withdraw(clinic_database) -> None:  # type: ignore[no-untyped-def]
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        woman = add_participant(session, study, site_coded(session, "MAD1"), username="t")
        with pytest.raises(StudyError, match="not enrolled"):
            enrolment.check_entry_allowed(woman, "treatment")
        saved = enrolment.save_visit(
            session,
            woman,
            "screening",
            ELIGIBLE | {"consent": False},
            username="t",
            expected_version=None,
        )
        assert saved.explanation is not None and saved.explanation.eligible is False
        assert (woman.eligible, woman.failed_criteria) == ("false", "incl.consent")
        assert woman.status == "screen_failed", "a false screening fails screening"
        with pytest.raises(StudyError, match=r"status is screen failed \(incl.consent\)"):
            enrolment.enrol(session, woman, username="t")
        enrolment.save_visit(
            session,
            woman,
            "screening",
            {"consent": True},
            username="t",
            expected_version=1,
            reason="consent signed",
        )
        assert woman.eligible == "true" and woman.failed_criteria == ""
        enrolment.enrol(session, woman, username="t")
        assert woman.status == "ongoing" and woman.enrolled_at is not None
        enrolment.check_entry_allowed(woman, "treatment")
        with pytest.raises(StudyError, match="expected screening"):
            enrolment.change_status(session, woman, "screen_failed", reason="x", username="t")
        with pytest.raises(StudyError, match="cannot be set here"):
            enrolment.change_status(session, woman, "ongoing", reason="x", username="t")
        enrolment.change_status(session, woman, "withdrawn", reason="moved away", username="t")
        assert woman.status == "withdrawn"
        trail = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == "participant", AuditEntry.participant == woman.code)
                .order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )
        assert [e.changes.get("status") for e in trail][-2:] == [
            ["screening", "ongoing"],
            ["ongoing", "withdrawn"],
        ]
        assert trail[-1].reason == "moved away"


def test_consent_is_not_asked_where_the_screening_form_does_not_record_it(clinic_database) -> None:  # type: ignore[no-untyped-def]
    with clinic_database.transaction() as session:
        study = study_named(session, "mensc")
        woman = add_participant(session, study, site_coded(session, "MAD1"), username="t")
        values = {
            "age_years": 38.0,
            "amh_ng_ml": 0.5,
            "afc": 3,
            "prior_por_cycles": 2,
            "por_risk_factor": False,
        }
        enrolment.save_visit(
            session, woman, "baseline", values, username="t", expected_version=None
        )
        assert woman.eligible == "true", "Bologna: previous POR and a low reserve test"
        enrolment.enrol(session, woman, username="t")
        assert woman.status == "ongoing"
