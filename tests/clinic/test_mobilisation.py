"""The G-CSF log's service: days as visits, proposals from the titration table, decisions."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from ovaregen.clinic import mobilisation
from ovaregen.clinic.ecrf import FormRefusedError, ReasonRequiredError
from ovaregen.clinic.studies import (
    NotFoundError,
    StudyError,
    add_participant,
    site_coded,
    study_named,
)
from ovaregen.domain.titration import DoseRefused
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, Participant


def woman(database: Database, study: str = "regenera", status: str = "ongoing") -> int:
    with database.transaction() as session:
        participant = add_participant(
            session, study_named(session, study), site_coded(session, "MAD1"), username="test"
        )
        participant.status = status
        return participant.id


def save(
    database: Database,
    pid: int,
    day: int,
    texts: dict[str, str],
    units: dict[str, str] | None = None,
) -> None:
    with database.transaction() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        mobilisation.save_day(
            session, participant, day, texts, units, username="coordinator", expected_version=None
        )


def test_days_are_schedule_visits_with_weight_and_prp_platelets() -> None:
    names = [f.name for f in mobilisation.day_fields(2)]
    assert names == ["weight_kg", "gcsf_d2_ug_kg", "wbc_d2_10e9_l", "symptoms_d2"]
    assert [f.name for f in mobilisation.day_fields(5)][-1] == "prp_platelets_10e9_l"
    assert mobilisation.visit_id(5) == "injection"
    assert [u.unit for u in mobilisation.day_fields(1)[2].units] == ["10⁹/L", "/mm³"]
    with pytest.raises(FormRefusedError):
        mobilisation.visit_id(6)


def test_a_held_day_is_evaluated_with_the_dose_in_force(sqlite_database: Database) -> None:
    pid = woman(sqlite_database)
    save(
        sqlite_database,
        pid,
        1,
        {
            "weight_kg": "55",
            "gcsf_d1_ug_kg": "10",
            "wbc_d1_10e9_l": "20",
            "symptoms_d1": "moderate",
        },
    )
    save(
        sqlite_database,
        pid,
        2,
        {"gcsf_d2_ug_kg": "0", "wbc_d2_10e9_l": "30", "symptoms_d2": "none"},
    )
    with sqlite_database.transaction() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        days = mobilisation.mobilisation_log(session, participant)
    assert days[0].total_dose_ug == 550.0
    assert days[0].proposal is not None and days[0].proposal.action == "hold_24h"
    assert days[1].proposal is not None and days[1].proposal.action == "continue"
    assert days[1].proposal.next_dose_ug_kg == 10.0  # the dose before the hold resumes
    assert days[2].proposal is None and not days[2].recorded


def test_missing_inputs_give_needs_review_which_cannot_be_accepted(
    sqlite_database: Database,
) -> None:
    pid = woman(sqlite_database)
    save(sqlite_database, pid, 1, {"gcsf_d1_ug_kg": "10", "symptoms_d1": "mild"})
    with sqlite_database.transaction() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        proposal = mobilisation.mobilisation_log(session, participant)[0].proposal
        assert proposal is not None
        assert proposal.action == "needs_review" and proposal.missing == ("leukocytes",)
        with pytest.raises(FormRefusedError) as refused:
            mobilisation.decide(
                session,
                participant,
                day=1,
                decision="accept",
                dose_ug_kg=None,
                reason="",
                username="investigator",
                expected_version=None,
            )
        assert "needs review" in refused.value.errors["decision"]
        with pytest.raises(ReasonRequiredError):
            mobilisation.decide(
                session,
                participant,
                day=1,
                decision="change",
                dose_ug_kg=7.5,
                reason="",
                username="investigator",
                expected_version=None,
            )
        row = mobilisation.decide(
            session,
            participant,
            day=1,
            decision="change",
            dose_ug_kg=7.5,
            reason="count pending, pain",
            username="investigator",
            expected_version=None,
        )
        assert (row.decided_dose_ug_kg, row.proposed_action) == (7.5, "needs_review")
        assert row.table_version == "regenera-gcsf-titration 1.0"
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.entity == "gcsf_decision")
        ).scalar_one()
        assert entry.changes["decided_dose_ug_kg"] == [None, 7.5]
        assert entry.reason == "count pending, pain"


def test_a_decision_needs_a_recorded_day_and_refuses_impossible_doses(
    sqlite_database: Database,
) -> None:
    pid = woman(sqlite_database)
    with sqlite_database.transaction() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        with pytest.raises(StudyError, match="no proposal for day 2"):
            mobilisation.decide(
                session,
                participant,
                day=2,
                decision="accept",
                dose_ug_kg=None,
                reason="",
                username="investigator",
                expected_version=None,
            )
    for dose in (-1.0, 20.5):
        with pytest.raises(DoseRefused, match="hard limits"):
            mobilisation.check_decided_dose(1, dose)
    with pytest.raises(DoseRefused, match="last G-CSF day"):
        mobilisation.check_decided_dose(4, 2.5)
    mobilisation.check_decided_dose(4, 0)
    mobilisation.check_decided_dose(2, 20)


def test_only_enrolled_women_of_study_a_have_a_log(sqlite_database: Database) -> None:
    with sqlite_database.transaction() as session:
        for study, status, error in (
            ("mensc", "ongoing", NotFoundError),
            ("regenera", "screening", StudyError),
            ("regenera", "screen_failed", StudyError),
        ):
            participant = add_participant(
                session, study_named(session, study), site_coded(session, "MAD1"), username="t"
            )
            participant.status = status
            with pytest.raises(error):
                mobilisation.require_mobilisation(participant)


def test_converted_values_carry_no_floating_point_noise(sqlite_database: Database) -> None:
    pid = woman(sqlite_database)
    save(sqlite_database, pid, 3, {"wbc_d3_10e9_l": "12300"}, units={"wbc_d3_10e9_l": "/mm³"})
    with sqlite_database.transaction() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        assert mobilisation.mobilisation_log(session, participant)[2].values == {
            "wbc_d3_10e9_l": 12.3
        }


def test_a_dose_far_from_the_proposal_or_implausibly_low_needs_confirmation(
    sqlite_database: Database,
) -> None:
    """Issue 10: a decision far below or above the proposal, or below a plausible dose, is
    saved only when the clinician confirms it (a slipped digit or unit is caught)."""
    pid = woman(sqlite_database)
    save(
        sqlite_database,
        pid,
        1,
        {"gcsf_d1_ug_kg": "10", "wbc_d1_10e9_l": "12", "symptoms_d1": "none"},
    )
    with sqlite_database.transaction() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        proposal = mobilisation.mobilisation_log(session, participant)[0].proposal
        assert proposal is not None and proposal.next_dose_ug_kg == 10

        def decide(dose: float, confirmed: bool = False) -> object:
            return mobilisation.decide(
                session,
                participant,
                day=1,
                decision="change",
                dose_ug_kg=dose,
                reason="haematologist's judgement",
                username="investigator",
                expected_version=None,
                confirmed=confirmed,
            )

        for dose, words in ((1.0, "far from the proposed 10"), (18.0, "far from the proposed")):
            with pytest.raises(FormRefusedError) as refused:
                decide(dose)
            assert words in refused.value.errors["confirm"]
        assert mobilisation.confirmation_needed(proposal, 7.5) is None
        assert "below a usual G-CSF dose" in (
            mobilisation.confirmation_needed(replace(proposal, next_dose_ug_kg=None), 1.0) or ""
        )
        row = decide(1.0, confirmed=True)
        assert row.decided_dose_ug_kg == 1.0  # type: ignore[attr-defined]
