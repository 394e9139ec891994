"""Emergency unblinding (``clinic.unblinding``): a listed category and an explanation, the
earlier unblindings confirmed before the arm is shown again, her site named by a grant, and
the notification list scoped to the reader's sites — on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ovaregen.clinic import randomisation as randomising
from ovaregen.clinic import studies, unblinding
from ovaregen.clinic.ecrf import FormRefusedError, ReasonRequiredError
from ovaregen.clinic.scope import EVERYWHERE, Access, Grant
from ovaregen.clinic.studies import StudyError
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, Unblinding
from tests.clinic.test_randomisation import STUDY, ready_participant, set_up_list, slots_of

SAE = "serious_adverse_event"


def test_the_category_and_the_explanation_are_both_required(clinic_database: Database) -> None:
    set_up_list(clinic_database, slots_per_stratum=4)
    with clinic_database.transaction() as session:
        woman = ready_participant(session)
        not_randomised = ready_participant(session)
        randomising.allocate(session, woman, username="coordinator", blinded=True)
        with pytest.raises(ReasonRequiredError, match="needs a category: expected one of"):
            unblinding.unblind(
                session, woman, username="i", category="", reason="anaphylaxis after injection"
            )
        with pytest.raises(FormRefusedError) as refused:
            unblinding.unblind(
                session, woman, username="i", category="curiosity", reason="anaphylaxis now"
            )
        assert "'curiosity' is not a category" in refused.value.errors["category"]
        with pytest.raises(ReasonRequiredError, match="at least 10 characters"):
            unblinding.unblind(session, woman, username="i", category=SAE, reason="  urgent  ")
        with pytest.raises(StudyError, match="not randomised"):
            unblinding.unblind(
                session, not_randomised, username="i", category=SAE, reason="severe reaction"
            )
        assert session.execute(select(Unblinding)).first() is None
        assert (
            session.execute(select(AuditEntry).where(AuditEntry.action == "unblind")).first()
            is None
        )


def test_an_unblinding_reveals_the_arm_and_records_everything_but_the_arm(
    clinic_database: Database,
) -> None:
    set_up_list(clinic_database, slots_per_stratum=4)
    with clinic_database.transaction() as session:
        woman = ready_participant(session)
        made = randomising.allocate(session, woman, username="coordinator", blinded=True)
        revealed = unblinding.unblind(
            session,
            woman,
            username="investigator",
            category=SAE,
            reason="anaphylaxis after injection",
        )
        arm = {s.participant_id: s.arm for s in slots_of(session)}[woman.id]
        assert revealed.arm == arm and revealed.allocation_code == made.view.code
        assert revealed.arm_label == {"ucmsc_hrt": "UC-MSC + HRT", "hrt": "HRT alone"}[arm]
        assert revealed.earlier == 0
        row = session.execute(select(Unblinding)).scalar_one()
        assert (row.username, row.category, row.reason) == (
            "investigator",
            SAE,
            "anaphylaxis after injection",
        )
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "unblind")
        ).scalar_one()
        assert entry.reason == "anaphylaxis after injection"
        assert entry.changes["category"] == [None, SAE]
        assert entry.changes["earlier_unblindings"] == [None, 0]
        assert not re.search(r"(?<![a-z0-9_-])hrt(?![a-z0-9_-])", str(entry.changes).lower())


def test_a_second_request_is_refused_until_the_first_is_read(clinic_database: Database) -> None:
    set_up_list(clinic_database, slots_per_stratum=4)
    with clinic_database.transaction() as session:
        woman = ready_participant(session)
        randomising.allocate(session, woman, username="coordinator", blinded=True)
        unblinding.unblind(
            session, woman, username="ana", category=SAE, reason="anaphylaxis after injection"
        )
    with clinic_database.transaction() as session:
        woman = studies.participant_coded(session, studies.study_named(session, STUDY), woman.code)
        with pytest.raises(
            unblinding.AlreadyUnblindedError, match=r"unblinded before .* by ana"
        ) as seen:
            unblinding.unblind(
                session, woman, username="eva", category="pregnancy", reason="pregnant at week 6"
            )
        assert [u.username for u in seen.value.earlier] == ["ana"]
        assert len(unblinding.unblindings_of(session, woman)) == 1
        again = unblinding.unblind(
            session,
            woman,
            username="eva",
            category="pregnancy",
            reason="pregnant at week 6",
            seen_earlier=True,
        )
        assert again.earlier == 1
        marks = unblinding.marks_of(session, woman)
        assert [(m.username, m.category, m.repeat) for m in marks] == [
            ("ana", SAE, False),
            ("eva", "pregnancy", True),
        ]
        assert marks[1].category_label == unblinding.CATEGORIES["pregnancy"]


def test_only_a_grant_naming_her_site_may_unblind() -> None:
    assert unblinding.may_unblind_at(
        Access(frozenset({Grant(None, "MAD1", "investigator")})), STUDY, "MAD1"
    )
    assert unblinding.may_unblind_at(
        Access(frozenset({Grant(STUDY, "MAD1", "investigator")})), STUDY, "MAD1"
    )
    assert not unblinding.may_unblind_at(
        Access(frozenset({Grant("regenera", "MAD1", "investigator")})), STUDY, "MAD1"
    )
    assert not unblinding.may_unblind_at(
        Access(frozenset({Grant(None, "BCN2", "investigator")})), STUDY, "MAD1"
    )
    assert not unblinding.may_unblind_at(EVERYWHERE, STUDY, "MAD1")
    assert not unblinding.may_unblind_at(
        Access(frozenset({Grant(STUDY, None, "investigator")})), STUDY, "MAD1"
    )


def test_the_notification_list_holds_the_readers_sites_only(clinic_database: Database) -> None:
    set_up_list(clinic_database, slots_per_stratum=4)
    with clinic_database.transaction() as session:
        studies.add_site(session, code="BCN2", name="Barcelona", username="test")
        here = ready_participant(session)
        there = ready_participant(session, site="BCN2")
        for woman in (here, there):
            randomising.allocate(session, woman, username="coordinator", blinded=True)
            unblinding.unblind(
                session, woman, username="i", category=SAE, reason="anaphylaxis after injection"
            )
        study = studies.study_named(session, STUDY)
        everywhere = unblinding.notifications(session, study, EVERYWHERE)
        assert {m.participant for m in everywhere} == {here.code, there.code}
        madrid = unblinding.notifications(
            session, study, Access(frozenset({Grant(None, "MAD1", "investigator")}))
        )
        assert [(m.participant, m.site) for m in madrid] == [(here.code, "MAD1")]
        assert "arm" not in str(madrid[0].as_json())
