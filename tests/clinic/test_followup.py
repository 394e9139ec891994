"""Follow-up services: pregnancy coherence, adverse-event grading, audited changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ovaregen.clinic import followup
from ovaregen.clinic.ecrf import FormRefusedError, ReasonRequiredError
from ovaregen.clinic.studies import StudyError, add_participant, site_coded, study_named
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry


def refused(texts: dict[str, object]) -> dict[str, str]:
    with pytest.raises(FormRefusedError) as error:
        followup.parse_pregnancy(texts)
    return error.value.errors


def test_pregnancy_coherence_follows_the_interchange_rules() -> None:
    assert "infants_live_born" in refused({"outcome": "ongoing", "infants_live_born": 1})
    assert "infants_live_born" in refused({"outcome": "live_birth", "infants_live_born": 0})
    assert "congenital_anomaly" in refused(
        {"outcome": "live_birth", "infants_live_born": 1, "congenital_anomaly": 2}
    )
    assert "infant_death_first_year" in refused(
        {"outcome": "miscarriage", "infant_death_first_year": 1}
    )
    assert "months_after_treatment" in refused({"months_after_treatment": "300"})
    # An anomaly may count an affected fetus after a stillbirth or termination.
    assert followup.parse_pregnancy({"outcome": "termination", "congenital_anomaly": 1}) == {
        "conception": None,
        "months_after_treatment": None,
        "outcome": "termination",
        "infants_live_born": None,
        "infant_death_first_year": None,
        "congenital_anomaly": 1,
    }
    # Unknown stays unknown: nothing to judge.
    assert followup.parse_pregnancy({"infant_death_first_year": "1"})["outcome"] is None


def event(**changes: object) -> dict[str, object]:
    return {
        "term": "Pelvic pain",
        "grade": "2",
        "serious": "no",
        "related": "possible",
        "outcome": "recovered",
    } | changes


def test_adverse_events_are_graded_with_ctcae() -> None:
    parsed = followup.parse_event(event(related="Not related", outcome="recovered with sequelae"))
    assert parsed.ctcae_version == "5.0"
    assert (parsed.related, parsed.outcome, parsed.serious) == (
        "unrelated",
        "recovered_with_sequelae",
        False,
    )
    for bad, field in (
        (event(grade="6"), "grade"),
        (event(grade="5"), "outcome"),
        (event(outcome="fatal"), "grade"),
        (event(grade="5", outcome="fatal"), "serious"),
        (event(ctcae_version="3.0"), "ctcae_version"),
        (event(term=" "), "term"),
        (event(onset_date="02/03/2024"), "onset_date"),
        (event(related="maybe"), "related"),
        (event(serious=""), "serious"),
    ):
        with pytest.raises(FormRefusedError) as error:
            followup.parse_event(bad)
        assert field in error.value.errors, (bad, error.value.errors)
    death = followup.parse_event(event(grade=5, outcome="fatal", serious=True))
    assert (death.grade, death.serious) == (5, True)


def test_changes_and_deletes_are_audited_with_a_reason(sqlite_database: Database) -> None:
    with sqlite_database.transaction() as session:
        participant = add_participant(
            session, study_named(session, "mensc"), site_coded(session, "MAD1"), username="t"
        )
        with pytest.raises(StudyError, match="after enrolment"):
            followup.add_event(session, participant, event(), username="coordinator")
        participant.status = "completed"
        ae = followup.add_event(session, participant, event(), username="coordinator")
        unchanged = followup.update_event(
            session,
            participant,
            ae.id,
            event(),
            username="coordinator",
            expected_version=1,
            reason="",
        )
        assert unchanged.version == 1  # nothing changed, nothing recorded
        with pytest.raises(ReasonRequiredError):
            followup.update_event(
                session,
                participant,
                ae.id,
                event(grade="3"),
                username="coordinator",
                expected_version=1,
                reason="",
            )
        with pytest.raises(StudyError, match="changed by someone else"):
            followup.update_event(
                session,
                participant,
                ae.id,
                event(grade="3"),
                username="coordinator",
                expected_version=4,
                reason="x",
            )
        followup.update_event(
            session,
            participant,
            ae.id,
            event(grade="3"),
            username="coordinator",
            expected_version=1,
            reason="hospitalised",
        )
        followup.delete_event(
            session,
            participant,
            ae.id,
            username="coordinator",
            reason="entered twice",
            expected_version=2,
        )
        entries = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == "adverse_event")
                .order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )
        assert [e.action for e in entries] == ["create", "update", "delete"]
        assert entries[1].changes == {"grade": [2, 3]}
        assert entries[2].changes["grade"] == [3, None]
        assert entries[2].reason == "entered twice"
        assert all(e.participant == participant.code and e.study == "mensc" for e in entries)
        assert followup.events_of(session, participant) == []
