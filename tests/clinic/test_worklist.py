"""The worklist (``clinic.worklist``) on SQLite and PostgreSQL: visits upcoming, due, overdue
and out of window, judged at the window's edges; women in screening with undecided
eligibility; only the reader's sites; fast for 1,000 women."""

from __future__ import annotations

import time
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ovaregen.clinic import enrolment
from ovaregen.clinic.scope import Access, Grant
from ovaregen.clinic.studies import add_participant, add_site, protocol_of, site_coded, study_named
from ovaregen.clinic.worklist import Worklist, worklist
from ovaregen.domain.visit_windows import Timing, Window
from ovaregen.store.database import Database
from ovaregen.store.models import FormEntry, Participant, utc_now
from tests.clinic.test_deviations import TREATED, _enrolled

EVERYWHERE = Access(frozenset({Grant(None, None, "coordinator")}))
PROTOCOL = protocol_of("ucmsc-rct")


def _window(visit: str) -> Window:
    found = next(v for v in PROTOCOL.schedule if v.id == visit).window
    assert found is not None
    return found


def _list(session: Session, today: date, access: Access = EVERYWHERE, days: int = 14) -> Worklist:
    study = study_named(session, "ucmsc-rct")
    return worklist(
        session, study, PROTOCOL, access, PROTOCOL.schedule, today=today, look_ahead=days
    )


def _month_3(listed: Worklist, code: str) -> Timing | None:
    found = [i.timing for i in listed.visits if i.code == code and i.visit == "month_3"]
    return found[0] if found else None


def test_a_visit_not_done_at_the_edges_of_its_window(clinic_database: Database) -> None:
    window = _window("month_3")
    opens, closes = window.opens(TREATED), window.closes(TREATED)
    with clinic_database.transaction() as session:
        code = _enrolled(session).code
        day_before = opens - timedelta(days=1)
        assert _month_3(_list(session, day_before), code) is Timing.UPCOMING
        assert _month_3(_list(session, day_before, days=0), code) is None, "not yet"
        assert _month_3(_list(session, opens), code) is Timing.DUE
        assert _month_3(_list(session, closes), code) is Timing.DUE
        listed = _list(session, closes + timedelta(days=1))
        assert _month_3(listed, code) is Timing.OVERDUE
        [item] = [i for i in listed.of(Timing.OVERDUE) if i.visit == "month_3"]
        assert (item.opens, item.closes, item.target) == (opens, closes, window.target(TREATED))
        assert listed.as_json()["overdue"][0]["closes"] == closes.isoformat()


def test_a_visit_done_out_of_its_window_stays_listed(clinic_database: Database) -> None:
    window = _window("month_3")
    with clinic_database.transaction() as session:
        woman = _enrolled(session)
        early = window.opens(TREATED) - timedelta(days=1)
        enrolment.save_visit(
            session,
            woman,
            "month_3",
            {"visit_date": early.isoformat()},
            username="t",
            expected_version=None,
        )
        listed = _list(session, window.closes(TREATED) + timedelta(days=300))
        [item] = listed.of(Timing.OUT_OF_WINDOW)
        assert (item.code, item.visit, item.visit_date) == (woman.code, "month_3", early)
        enrolment.change_status(session, woman, "withdrawn", reason="moved", username="t")
        later = _list(session, window.closes(TREATED) + timedelta(days=300))
        assert [i.timing for i in later.visits] == [Timing.OUT_OF_WINDOW], (
            "a withdrawn woman is expected at no visit, her out-of-window visit stays"
        )


def test_undecided_screening_with_days_waiting(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        site = site_coded(session, "MAD1")
        unscreened = add_participant(session, study, site, username="t")
        partial = add_participant(session, study, site, username="t")
        enrolment.save_visit(
            session, partial, "screening", {"age_years": 30.0}, username="t", expected_version=None
        )
        failed = add_participant(session, study, site, username="t")
        enrolment.save_visit(
            session, failed, "screening", {"age_years": 45.0}, username="t", expected_version=None
        )
        registered = unscreened.created_at.date()
        listed = _list(session, registered + timedelta(days=9))
        by_code = {s.code: s for s in listed.screening}
        assert set(by_code) == {unscreened.code, partial.code}, "a failed screening is decided"
        assert by_code[unscreened.code].eligible is None
        assert by_code[unscreened.code].days_in_screening == 9
        assert by_code[partial.code].eligible == "unknown"
        assert "incl.married" in by_code[partial.code].unknown_criteria


def test_the_worklist_holds_only_the_readers_sites(clinic_database: Database) -> None:
    window = _window("month_3")
    with clinic_database.transaction() as session:
        add_site(session, code="BCN2", name="Other clinic", username="t")
        here = _enrolled(session)
        there = _enrolled(session)
        there.site = site_coded(session, "BCN2")
        session.flush()
        today = window.opens(TREATED)
        madrid = _list(session, today, Access(frozenset({Grant(None, "MAD1", "coordinator")})))
        assert {i.code for i in madrid.visits} == {here.code}
        barcelona = _list(
            session, today, Access(frozenset({Grant("ucmsc-rct", "BCN2", "coordinator")}))
        )
        assert {i.code for i in barcelona.visits} == {there.code}
        assert {i.code for i in _list(session, today).visits} == {here.code, there.code}
        nowhere = _list(session, today, Access(frozenset({Grant("mensc", None, "coordinator")})))
        assert nowhere.visits == () and nowhere.screening == ()


def test_a_thousand_women_in_a_second(sqlite_database: Database) -> None:
    with sqlite_database.transaction() as session:
        study = study_named(session, "ucmsc-rct")
        site = site_coded(session, "MAD1")
        women = [
            Participant(study_id=study.id, site_id=site.id, code=f"MAD1-{n:04d}", status="ongoing")
            for n in range(1000)
        ]
        session.add_all(women)
        session.flush()
        forms = [
            FormEntry(
                participant_id=w.id,
                visit="treatment",
                data={"treatment_date": TREATED.isoformat()},
                updated_by="t",
                updated_at=utc_now(),
            )
            for w in women
        ]
        session.add_all(forms)
    with sqlite_database.read() as session:
        started = time.perf_counter()
        listed = _list(session, _window("month_3").opens(TREATED))
        elapsed = time.perf_counter() - started
    assert len(listed.of(Timing.DUE)) == len(women), "every woman's 3-month visit is due"
    assert elapsed < 1.0, f"{elapsed:.2f} s for 1,000 women"
