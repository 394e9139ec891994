"""Protocol deviations (``clinic.deviations``) on SQLite and PostgreSQL: opened by the system
in the transaction of an out-of-window visit, or of a screening change that leaves a randomised
woman ineligible (not before randomisation); recorded by hand and reviewed; audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ovaregen.clinic import deviations, enrolment
from ovaregen.clinic.ecrf import FormRefusedError
from ovaregen.clinic.studies import (
    NotFoundError,
    StudyError,
    add_participant,
    protocol_of,
    site_coded,
    study_named,
)
from ovaregen.store.database import Database
from ovaregen.store.models import (
    AllocationSlot,
    AuditEntry,
    Participant,
    ProtocolDeviation,
    utc_now,
)
from tests.clinic.test_enrolment import ELIGIBLE

TREATED = date(2024, 3, 1)


def _enrolled(session: Session, *, randomised: bool = True) -> Participant:
    """An eligible, consented, enrolled woman of the trial, treated on ``TREATED``."""
    study = study_named(session, "ucmsc-rct")
    woman = add_participant(session, study, site_coded(session, "MAD1"), username="t")
    enrolment.save_visit(session, woman, "screening", ELIGIBLE, username="t", expected_version=None)
    enrolment.enrol(session, woman, username="t")
    if randomised:
        session.add(
            AllocationSlot(
                study_id=study.id,
                stratum="imported",
                sequence=woman.id,
                block=0,
                arm="hrt",
                code=f"R-T{woman.id}",
                participant_id=woman.id,
                allocated_at=utc_now(),
                allocated_by="t",
            )
        )
        session.flush()
    enrolment.save_visit(
        session,
        woman,
        "treatment",
        {"treatment_date": TREATED.isoformat()},
        username="t",
        expected_version=None,
    )
    return woman


def _month_3_window() -> tuple[date, date]:
    window = next(v for v in protocol_of("ucmsc-rct").schedule if v.id == "month_3").window
    assert window is not None
    return window.opens(TREATED), window.closes(TREATED)


def _of(session: Session, woman: Participant) -> list[ProtocolDeviation]:
    return list(deviations.deviations_of(session, woman))


def test_a_visit_out_of_its_window_opens_one_deviation(clinic_database: Database) -> None:
    opens, closes = _month_3_window()
    with clinic_database.transaction() as session:
        woman = _enrolled(session)
        saved = enrolment.save_visit(
            session,
            woman,
            "month_3",
            {"visit_date": closes.isoformat()},
            username="coordinator",
            expected_version=None,
        )
        assert _of(session, woman) == [], "the last day of the window is in it"
        late = closes + timedelta(days=1)
        enrolment.save_visit(
            session,
            woman,
            "month_3",
            {"visit_date": late.isoformat()},
            username="coordinator",
            expected_version=saved.entry.version,
            reason="date corrected from the source",
        )
        [found] = _of(session, woman)
        assert (found.kind, found.visit, found.detected_by, found.status) == (
            deviations.VISIT_OUT_OF_WINDOW,
            "month_3",
            deviations.SYSTEM,
            deviations.OPEN,
        )
        assert late.isoformat() in found.description
        assert f"{opens.isoformat()} to {closes.isoformat()}" in found.description
        enrolment.save_visit(
            session,
            woman,
            "month_3",
            {"amh_post_ng_ml": 0.4},
            username="coordinator",
            expected_version=saved.entry.version,
            reason="AMH result arrived",
        )
        assert len(_of(session, woman)) == 1, "the same date opens nothing new"
        trail = session.execute(
            select(AuditEntry).where(
                AuditEntry.entity == deviations.ENTITY, AuditEntry.entity_id == str(found.id)
            )
        ).scalar_one()
        assert trail.username == deviations.SYSTEM and trail.action == "create"
        assert trail.changes["kind"] == [None, deviations.VISIT_OUT_OF_WINDOW]


def test_a_rolled_back_save_leaves_no_deviation(clinic_database: Database) -> None:
    opens, _ = _month_3_window()
    with clinic_database.transaction() as session:
        code = _enrolled(session).code
    with pytest.raises(RuntimeError), clinic_database.transaction() as session:
        woman = session.execute(select(Participant).where(Participant.code == code)).scalar_one()
        enrolment.save_visit(
            session,
            woman,
            "month_3",
            {"visit_date": (opens - timedelta(days=1)).isoformat()},
            username="coordinator",
            expected_version=None,
        )
        assert len(_of(session, woman)) == 1
        raise RuntimeError("the request failed after the save")
    with clinic_database.read() as session:
        assert session.execute(select(func.count(ProtocolDeviation.id))).scalar_one() == 0


def test_eligibility_lost_after_randomisation_opens_a_deviation(
    clinic_database: Database,
) -> None:
    with clinic_database.transaction() as session:
        woman = _enrolled(session)
        entry = enrolment.save_visit(
            session,
            woman,
            "screening",
            {"age_years": 41.0},
            username="investigator",
            expected_version=1,
            reason="age misread from the ID card",
        ).entry
        assert woman.eligible == "false"
        [found] = _of(session, woman)
        assert found.kind == deviations.ELIGIBILITY_LOST and found.visit == "screening"
        assert "incl.age" in found.description
        enrolment.save_visit(
            session,
            woman,
            "screening",
            {"age_years": 30.0},
            username="investigator",
            expected_version=entry.version,
            reason="the ID card said 30 after all",
        )
        assert woman.eligible == "true"
        assert len(_of(session, woman)) == 1, "becoming eligible again is no deviation"


def test_a_screening_change_before_randomisation_opens_none(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        enrolled = _enrolled(session, randomised=False)
        enrolment.save_visit(
            session,
            enrolled,
            "screening",
            {"married": False},
            username="investigator",
            expected_version=1,
            reason="corrected",
        )
        assert enrolled.eligible == "false"
        assert _of(session, enrolled) == [], "enrolled, not yet randomised"
        study = study_named(session, "ucmsc-rct")
        screened = add_participant(session, study, site_coded(session, "MAD1"), username="t")
        enrolment.save_visit(
            session, screened, "screening", ELIGIBLE, username="t", expected_version=None
        )
        enrolment.save_visit(
            session,
            screened,
            "screening",
            {"consent": None},
            username="t",
            expected_version=1,
            reason="consent form not found",
        )
        assert screened.eligible == "unknown"
        assert _of(session, screened) == []


def test_a_deviation_recorded_by_hand_and_reviewed(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        woman = _enrolled(session)
        with pytest.raises(FormRefusedError) as refused:
            deviations.record_deviation(session, woman, "late", "  ", username="coordinator")
        assert set(refused.value.errors) == {"kind", "description"}
        assert "'late' is not one of" in refused.value.errors["kind"]
        recorded = deviations.record_deviation(
            session,
            woman,
            "procedure",
            "AFC counted on one ovary only",
            username="coordinator",
        )
        assert (recorded.detected_by, recorded.status) == ("coordinator", deviations.OPEN)
        with pytest.raises(FormRefusedError) as empty:
            deviations.review_deviation(
                session, woman, recorded.id, "", expected_version=1, username="investigator"
            )
        assert "comment" in empty.value.errors
        with pytest.raises(deviations.DeviationConflictError, match="version 7, now 1"):
            deviations.review_deviation(
                session, woman, recorded.id, "ok", expected_version=7, username="investigator"
            )
        reviewed = deviations.review_deviation(
            session,
            woman,
            recorded.id,
            "no impact on the primary outcome",
            expected_version=1,
            username="investigator",
        )
        assert (reviewed.status, reviewed.reviewed_by) == (deviations.REVIEWED, "investigator")
        with pytest.raises(StudyError, match="already reviewed by investigator"):
            deviations.review_deviation(
                session, woman, recorded.id, "again", expected_version=None, username="x"
            )
        with pytest.raises(NotFoundError):
            deviations.deviation_of(session, woman, recorded.id + 1000)
        with pytest.raises(NotFoundError):
            deviations.deviation_of(session, woman, 2**40)
        changes = [
            e.changes
            for e in session.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == deviations.ENTITY)
                .order_by(AuditEntry.id)
            ).scalars()
        ]
        assert changes[-1]["status"] == [deviations.OPEN, deviations.REVIEWED]
        assert changes[-1]["review_comment"] == ["", "no impact on the primary outcome"]
