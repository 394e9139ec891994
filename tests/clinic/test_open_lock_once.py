"""One open lock of each study, casebook and form (``clinic.locks``, revision 0014's partial
unique indexes), on SQLite and PostgreSQL: a second lock that slips past the clinic's own check
is refused by the database and reported as the same "already locked" refusal, naming the lock
that holds; two requests at the same moment, each in its own thread and transaction as the web
server runs them, make one lock and one refusal."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ovaregen.clinic import locks
from ovaregen.clinic.studies import StudyError, add_participant, site_coded, study_named
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, DataLock, Participant, utc_now
from tests.clinic_fixtures import SITE

STUDY = "regenera"
Target = tuple[str | None, str | None]
"""(participant code or None for the study, form or None for her casebook)."""
TARGETS: list[Target] = [(None, None), ("her", None), ("her", "screening")]
IDS = ["study", "casebook", "form"]


def _woman(database: Database) -> str:
    with database.transaction() as session:
        study = study_named(session, STUDY)
        return add_participant(session, study, site_coded(session, SITE), username="t").code


def _lock(database: Database, code: str | None, form: str | None, reason: str) -> DataLock:
    with database.transaction() as session:
        study = study_named(session, STUDY)
        woman = None
        if code is not None:
            woman = session.execute(
                select(Participant).where(Participant.code == code)
            ).scalar_one()
        return locks.lock(session, study, woman, form, username="dana", reason=reason)


def _open_locks(database: Database) -> list[tuple[str, int | None, str | None]]:
    with database.read() as session:
        rows = session.execute(
            select(DataLock.scope, DataLock.participant_id, DataLock.visit).where(
                DataLock.released_at.is_(None)
            )
        ).all()
    return sorted((tuple(r) for r in rows), key=repr)  # type: ignore[misc]


def _audited_locks(database: Database) -> int:
    with database.read() as session:
        query = select(func.count(AuditEntry.id)).where(AuditEntry.entity == "data_lock")
        return int(session.execute(query).scalar_one())


def _skipping_the_first_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clinic's own check (``locks._open_lock`` before the insert) sees no lock once, as
    a second request does that checked before the first committed."""
    real: Callable[..., Any] = locks._open_lock
    calls = {"n": 0}

    def once_blind(*args: Any) -> Any:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(*args)

    monkeypatch.setattr(locks, "_open_lock", once_blind)


@pytest.mark.parametrize("what", TARGETS, ids=IDS)
def test_a_second_lock_past_the_clinic_check_is_refused_by_the_database(
    what: Target, clinic_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = _woman(clinic_database) if what[0] else None
    first = _lock(clinic_database, code, what[1], "source verified")
    before = _open_locks(clinic_database)
    _skipping_the_first_check(monkeypatch)
    with pytest.raises(StudyError) as refused:
        _lock(clinic_database, code, what[1], "again")
    message = str(refused.value)
    assert "is already locked by dana on " in message
    assert "(reason: source verified)" in message
    assert message.startswith(locks.target(first, STUDY))
    assert _open_locks(clinic_database) == before, "still one open lock of it"
    assert _audited_locks(clinic_database) == 1, "the refused lock is not in the audit trail"


def test_the_index_refuses_a_second_open_row_written_without_the_clinic(
    clinic_database: Database,
) -> None:
    code = _woman(clinic_database)
    held = _lock(clinic_database, code, "screening", "clean")
    row = {
        "scope": locks.FORM,
        "study_id": held.study_id,
        "participant_id": held.participant_id,
        "visit": "screening",
        "locked_at": utc_now(),
        "locked_by": "someone",
        "lock_reason": "by hand",
    }
    with pytest.raises(IntegrityError), clinic_database.transaction() as session:
        session.add(DataLock(**row))
        session.flush()
    with clinic_database.transaction() as session:  # a closed one is history: allowed
        session.add(DataLock(**row, released_at=utc_now(), released_by="x", release_reason="y"))
    with clinic_database.transaction() as session:  # another form of hers: allowed
        session.add(DataLock(**(row | {"visit": "followup"})))
    assert len(_open_locks(clinic_database)) == 2


@pytest.mark.parametrize("what", TARGETS, ids=IDS)
def test_two_lock_requests_at_the_same_moment_make_one_lock(
    what: Target, clinic_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL both requests pass the clinic's check before either inserts (a barrier
    holds them there): the index makes the second wait for the first and then refuses it.
    SQLite runs one writer at a time, so there the second sees the first lock when it checks."""
    code = _woman(clinic_database) if what[0] else None
    if not clinic_database.is_sqlite:
        both_checked = threading.Barrier(2, timeout=20)
        real: Callable[..., None] = locks._refuse_held
        checks = {"n": 0}
        counting = threading.Lock()

        def check_then_wait(*args: Any) -> None:
            real(*args)
            with counting:
                checks["n"] += 1
                first_two = checks["n"] <= 2
            if first_two:
                both_checked.wait()

        monkeypatch.setattr(locks, "_refuse_held", check_then_wait)

    def attempt(reason: str) -> str:
        try:
            _lock(clinic_database, code, what[1], reason)
        except StudyError as refused:
            return str(refused)
        return "locked"

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(attempt, ["first", "second"]))
    assert answers.count("locked") == 1, answers
    [refusal] = [a for a in answers if a != "locked"]
    assert "is already locked by dana on " in refusal
    assert len(_open_locks(clinic_database)) == 1
    assert _audited_locks(clinic_database) == 1
