"""The clinic keeps answering while another process writes (issue 11: every request held
``BEGIN IMMEDIATE``, so a logged-in ``GET /api/me`` waited behind wrong logins, and a 300 k-row
import made ``/health`` answer 500): GET requests read in a read-only transaction that never
waits for the write lock, and a change that cannot start in time is answered 503 "busy" with
``Retry-After``, nothing saved — never 500."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from ovaregen.store import database as store
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, WebSession, utc_now
from tests.web.test_screening import new_participant

STUDY = "ucmsc-rct"


@contextmanager
def another_process_writing(database: Database) -> Iterator[None]:
    """A connection of "another process" (the command line's import) holding the write lock:
    SQLite's database lock, PostgreSQL's audit-head row lock that every audited change takes."""
    if database.is_sqlite:
        path = database.engine.url.database
        assert path is not None
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    with database.engine.connect() as connection:
        connection.execute(text("SELECT id FROM audit_head FOR UPDATE"))
        try:
            yield
        finally:
            connection.rollback()


def _entries(database: Database) -> int:
    with database.read() as session:
        return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def test_reads_answer_and_writes_are_told_busy_while_another_process_writes(
    login, clinic_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    code = new_participant(coordinator)
    url = f"/api/studies/{STUDY}/participants/{code}/visits/screening"
    assert coordinator.api("PUT", url, json={"values": {"age_years": "30"}}).status_code == 200
    before = _entries(clinic_database)
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 300)
    with another_process_writing(clinic_database):
        me = coordinator.client.get("/api/me")
        assert me.status_code == 200, me.text
        assert me.json()["username"] == "coordinator"
        form = coordinator.api("GET", url)
        assert form.status_code == 200 and form.json()["values"] == {"age_years": 30.0}
        page = coordinator.client.get(f"/studies/{STUDY}/participants/{code}/visits/screening")
        assert page.status_code == 200
        assert coordinator.client.get("/health").status_code == 200
        busy = coordinator.api(
            "PUT", url, json={"values": {"age_years": "31"}, "version": 1, "reason": "typo"}
        )
        assert busy.status_code == 503, busy.text
        assert "busy" in busy.json()["detail"] and "nothing was saved" in busy.json()["detail"]
        assert int(busy.headers["Retry-After"]) > 0
    assert _entries(clinic_database) == before, "nothing was saved"
    assert coordinator.api("GET", url).json()["values"] == {"age_years": 30.0}
    saved = coordinator.api(
        "PUT", url, json={"values": {"age_years": "31"}, "version": 1, "reason": "typo"}
    )
    assert saved.status_code == 200, "once the other process is done, the save goes through"


def test_a_get_records_last_seen_in_its_own_short_transaction(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    ten_minutes_ago = utc_now() - timedelta(minutes=10)
    with clinic_database.transaction() as session:
        session.execute(update(WebSession).values(last_seen=ten_minutes_ago))
    assert coordinator.client.get("/api/me").status_code == 200
    with clinic_database.read() as session:
        seen = session.execute(select(WebSession.last_seen)).scalars().all()
    assert len(seen) == 1
    touched = seen[0] if seen[0].tzinfo else seen[0].replace(tzinfo=ten_minutes_ago.tzinfo)
    assert utc_now() - touched < timedelta(minutes=1), "the GET recorded that she was here"


def test_a_get_while_the_database_is_busy_still_answers_and_touches_later(
    login, clinic_database: Database
) -> None:  # type: ignore[no-untyped-def]
    coordinator = login("coordinator")
    stale = utc_now() - timedelta(minutes=10)
    with clinic_database.transaction() as session:
        session.execute(update(WebSession).values(last_seen=stale))
    with another_process_writing(clinic_database):
        if not clinic_database.is_sqlite:  # PostgreSQL: lock the session row itself
            with clinic_database.engine.connect() as other:
                other.execute(text("SELECT token_hash FROM web_session FOR UPDATE"))
                assert coordinator.client.get("/api/me").status_code == 200
                other.rollback()
        else:
            assert coordinator.client.get("/api/me").status_code == 200
    with clinic_database.read() as session:
        still = session.execute(select(WebSession.last_seen)).scalar_one()
    assert still.replace(tzinfo=None) == stale.replace(tzinfo=None), "skipped while busy"
    assert coordinator.client.get("/api/me").status_code == 200
    with clinic_database.read() as session:
        now_seen = session.execute(select(WebSession.last_seen)).scalar_one()
    assert now_seen.replace(tzinfo=None) > stale.replace(tzinfo=None), "touched next time"
