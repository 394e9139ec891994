"""Entries are chained at the commit (``store.audit``): a savepoint rolled back takes its
entries, a rollback leaves none, a transaction reading the trail sees its own, times rise
with ids, and racing transactions on PostgreSQL still leave one intact chain."""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.store import audit
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry


def _record(session: Session, number: int) -> AuditEntry:
    return audit.record(
        session,
        username="coordinator",
        action=audit.Action.UPDATE,
        entity="form_entry",
        entity_id=number,
        study="regenera",
        participant=f"MAD1-{number:04d}",
        changes={"afc": [number, number + 1]},
        reason="source document",
    )


def _entity_ids(database: Database) -> list[str]:
    with database.read() as session:
        return list(
            session.execute(
                select(AuditEntry.entity_id)
                .where(AuditEntry.entity == "form_entry")
                .order_by(AuditEntry.id)
            ).scalars()
        )


def test_an_entry_is_numbered_at_the_commit(clinic_database: Database) -> None:
    with clinic_database.transaction() as session:
        entry = _record(session, 1)
        assert entry.id is None  # queued, not yet in the chain
    assert entry.id is not None
    assert _entity_ids(clinic_database) == ["1"]
    with clinic_database.transaction() as session:
        assert audit.verify(session).intact


def test_a_savepoint_rolled_back_takes_its_entries_and_keeps_the_others(
    clinic_database: Database,
) -> None:
    with clinic_database.transaction() as session:
        _record(session, 1)
        try:
            with session.begin_nested():
                _record(session, 2)
                raise ValueError("the save was refused")
        except ValueError:
            pass
        with session.begin_nested():
            _record(session, 3)
    assert _entity_ids(clinic_database) == ["1", "3"]


def test_a_rolled_back_transaction_leaves_no_entry_for_the_next(
    clinic_database: Database,
) -> None:
    try:
        with clinic_database.transaction() as session:
            _record(session, 1)
            raise ValueError("nothing is saved")
    except ValueError:
        pass
    with clinic_database.transaction() as session:
        _record(session, 2)
    assert _entity_ids(clinic_database) == ["2"]


def test_a_transaction_reading_the_trail_sees_its_own_entries(
    clinic_database: Database,
) -> None:
    with clinic_database.transaction() as session:
        _record(session, 1)
        seen = session.execute(
            select(AuditEntry.entity_id).where(AuditEntry.entity == "form_entry")
        ).scalars()
        assert list(seen) == ["1"]
        _record(session, 2)
    assert _entity_ids(clinic_database) == ["1", "2"]
    with clinic_database.transaction() as session:
        assert audit.verify(session).intact


def test_times_rise_with_ids_and_racing_writers_leave_one_intact_chain(
    clinic_database: Database,
) -> None:
    """Eight writers at once, each several transactions (PostgreSQL: real concurrency on
    the head row; SQLite: its writer queue)."""
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for round_ in range(5):
                with clinic_database.transaction() as session:
                    _record(session, writer * 100 + round_)
                    _record(session, writer * 100 + round_ + 50)
        except BaseException as error:  # reported by the test below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    with clinic_database.read() as session:
        rows = session.execute(select(AuditEntry.id, AuditEntry.at).order_by(AuditEntry.id)).all()
    assert [at for _, at in rows] == sorted(at for _, at in rows)
    assert len(_entity_ids(clinic_database)) == 80
    with clinic_database.transaction() as session:
        assert audit.verify(session).intact
