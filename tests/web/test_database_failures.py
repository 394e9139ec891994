"""A full disk, a busy or a read-only database are answered plainly, and ``/health`` tells
(issue 11: disk full answered 500 "internal error" while ``/health`` said ok; ``/health``
answered 500 after 30 s while an import held the lock)."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from ovaregen.store import database as store_database
from ovaregen.store.database import (
    Database,
    DatabaseBusyError,
    busy_message,
    connect,
    sqlite_url,
)
from ovaregen.store.models import AuditEntry
from ovaregen.web.app import create_app
from ovaregen.web.settings import Settings
from tests.clinic_fixtures import Browser, app_for, migrated
from tests.web.test_screening import new_participant

STUDY = "ucmsc-rct"
REASON = "checked against the laboratory report " * 50


def _audit_count(database: Database) -> int:
    with database.transaction() as session:
        return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def _cap_at_current_size(database: Database) -> Callable[[Any, Any], None]:
    """SQLite answers SQLITE_FULL ("database or disk is full") when the file may not grow,
    as on a full disk: ``PRAGMA max_page_count`` at its size, free pages vacuumed away."""
    path = database.engine.url.database or ""
    database.engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute("VACUUM")
    raw.close()

    def capped(dbapi_connection: Any, _record: Any) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    event.listen(database.engine, "connect", capped)
    return capped


@pytest.fixture
def full_disk_clinic(tmp_path: Path) -> Iterator[tuple[Database, TestClient, Browser, str]]:
    database = migrated(sqlite_url(tmp_path))
    app = create_app(Settings(data_dir=tmp_path, database_url=database.url), database)
    with TestClient(app) as client:
        coordinator = Browser(client, "coordinator").login()
        code = new_participant(coordinator)
        yield database, client, coordinator, code
    database.dispose()


def test_a_full_disk_answers_507_nothing_saved_and_health_tells(
    full_disk_clinic: tuple[Database, TestClient, Browser, str],
) -> None:
    database, client, coordinator, code = full_disk_clinic
    url = f"/api/studies/{STUDY}/participants/{code}/visits/screening"
    assert coordinator.api("PUT", url, json={"values": {"age_years": 30}}).status_code == 200
    assert client.get("/health").json()["status"] == "ok"
    capped = _cap_at_current_size(database)
    answers = []
    for age in range(31, 41):  # each change stores its long reason: the file must grow
        before = _audit_count(database)
        version = age - 30
        body = {"values": {"age_years": age}, "version": version, "reason": REASON}
        answer = coordinator.api("PUT", url, json=body)
        answers.append(answer.status_code)
        if answer.status_code != 200:
            break
    assert answers[-1] == 507, answers
    assert answer.json() == {
        "detail": "the disk is full: nothing was saved; ask the administrator to free space"
    }
    assert _audit_count(database) == before, "nothing was saved"
    page = coordinator.post_form(
        f"/studies/{STUDY}/participants/{code}/visits/screening",
        {"age_years": "45", "version": str(version), "reason": REASON},
    )
    assert page.status_code == 507
    assert "the disk is full: nothing was saved" in page.text and "sqlite" not in page.text
    health = client.get("/health")
    assert health.status_code == 503
    assert health.json()["status"] == "disk full"
    assert health.json()["last_disk_full"] is not None
    event.remove(database.engine, "connect", capped)  # space freed
    database.engine.dispose()
    saved = coordinator.api("PUT", url, json={**body, "reason": "space freed"})
    assert saved.status_code == 200, saved.text
    assert client.get("/health").status_code == 200, "a save succeeded again"


def test_health_reports_a_nearly_full_data_folder(
    clinic_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Usage:
        total, used, free = 10**12, 10**12 - 10 * 1024 * 1024, 10 * 1024 * 1024

    monkeypatch.setattr(shutil, "disk_usage", lambda _path: Usage)
    with TestClient(clinic_app) as client:
        health = client.get("/health")
    assert health.status_code == 503
    assert health.json()["status"] == "disk full"
    assert "10 MB free" in health.json()["detail"]


def test_health_answers_503_not_500_when_the_database_does_not(tmp_path: Path) -> None:
    gone = connect("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    app = create_app(Settings(data_dir=tmp_path, database_url=gone.url), gone)
    with TestClient(app) as client:
        health = client.get("/health")
    gone.dispose()
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    assert "127.0.0.1" not in health.text, "no connection details to anonymous callers"


def test_a_locked_database_answers_503_retry_and_health_does_not_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_database, "BUSY_TIMEOUT_MS", 300)  # a change waits 0.3 s
    database = migrated(sqlite_url(tmp_path))

    @event.listens_for(database.engine, "connect")
    def _short_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=300")

    database.engine.dispose()
    app = create_app(Settings(data_dir=tmp_path, database_url=database.url), database)
    with TestClient(app) as client:
        coordinator = Browser(client, "coordinator").login()
        code = new_participant(coordinator)
        holder = sqlite3.connect(tmp_path / "ovaregen.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # a long import holds the write lock
        try:
            started = time.monotonic()
            health = client.get("/health")
            assert health.status_code == 200, health.text
            assert time.monotonic() - started < 2
            busy = coordinator.api(
                "PUT",
                f"/api/studies/{STUDY}/participants/{code}/visits/screening",
                json={"values": {"age_years": 33}},
            )
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    database.dispose()
    assert busy.status_code == 503, busy.text
    assert busy.json()["detail"].startswith("the database is busy (")
    assert busy.json()["detail"].endswith("nothing was saved; try again")
    assert busy.headers["Retry-After"] == "5"


_RAISED: dict[str, Callable[[], BaseException]] = {
    "pg-disk-full": lambda: OperationalError(
        "INSERT …", {}, psycopg.errors.DiskFull('could not extend file "base/1/2"')
    ),
    "pg-lock-timeout": lambda: OperationalError(
        "UPDATE …", {}, psycopg.errors.LockNotAvailable("canceling statement: lock timeout")
    ),
    "busy-error": lambda: DatabaseBusyError(busy_message(30_000)),
    "enospc": lambda: OSError(28, "No space left on device"),
    "bug": lambda: KeyError("internal detail"),
}


@pytest.mark.parametrize(
    ("raised", "status", "detail"),
    [
        ("pg-disk-full", 507, "the disk is full: nothing was saved"),
        ("enospc", 507, "the disk is full: nothing was saved"),
        ("pg-lock-timeout", 503, "the database is busy"),
        ("busy-error", 503, "the database is busy"),
        ("bug", 500, "internal error: nothing was saved; the log has details"),
    ],
)
def test_failures_of_either_database_are_answered_plainly(
    sqlite_database: Database, tmp_path: Path, raised: str, status: int, detail: str
) -> None:
    """PostgreSQL's disk-full (53100) and lock-timeout (55P03) as psycopg raises them."""
    app = app_for(sqlite_database, tmp_path)

    def failing() -> None:
        raise _RAISED[raised]()

    app.add_api_route("/api/failing", failing, methods=["POST"])
    app.add_api_route("/failing", failing, methods=["POST"])
    with TestClient(app, raise_server_exceptions=False) as client:
        api = client.post("/api/failing")
        page = client.post("/failing")
    assert api.status_code == status and api.json()["detail"].startswith(detail)
    assert page.status_code == status and detail in page.text
    assert page.headers["content-type"].startswith("text/html")
    for text in (api.text, page.text):
        assert "Traceback" not in text and "internal detail" not in text
        assert "psycopg" not in text and "base/1/2" not in text
    if status == 503:
        assert api.headers["Retry-After"] == "5"
