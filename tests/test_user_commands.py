"""``ovaregen user disable|enable|reset-password|set-role|unlock|revoke-sessions``: each audited,
each ending the web sessions it should — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.store.database import Database
from ovaregen.store.models import AuditEntry, LoginFailure, User, WebSession
from tests.clinic_fixtures import PASSWORD, Browser, app_for, clinic_database

__all__ = ["clinic_database"]

runner = CliRunner()
NEW_PASSWORD = "quiet harbour lantern morning"


def user(database: Database, tmp_path: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    """Run ``ovaregen user ARGS`` against ``database``."""
    options = ["--data", str(tmp_path / "clinic"), "--database-url", database.url]
    result = runner.invoke(app, ["user", *args, *options], input=input)
    assert "Traceback" not in result.output
    return result


def sessions_of(database: Database, username: str) -> int:
    with database.transaction() as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(WebSession)
                .join(User, User.id == WebSession.user_id)
                .where(User.username == username)
            ).scalar_one()
        )


def last_entry(database: Database) -> AuditEntry:
    with database.transaction() as session:
        return session.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).scalars().first()  # type: ignore[return-value]


_OPEN: list[TestClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def logged_in(database: Database, tmp_path: Path, username: str) -> Browser:
    """A browser logged in as ``username`` (closed after the test)."""
    client = TestClient(app_for(database, tmp_path))
    _OPEN.append(client)
    return Browser(client, username).login()


def test_disable_ends_the_sessions_and_enable_lets_her_back(
    clinic_database: Database, tmp_path: Path
) -> None:
    browser = logged_in(clinic_database, tmp_path, "coordinator")
    assert sessions_of(clinic_database, "coordinator") == 1
    done = user(
        clinic_database, tmp_path, "disable", "--username", "coordinator", "--reason", "left"
    )
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == "user coordinator disabled; 1 web session ended"
    assert sessions_of(clinic_database, "coordinator") == 0
    assert browser.client.get("/api/me").status_code == 401
    entry = last_entry(clinic_database)
    assert (entry.action, entry.entity, entry.reason) == ("update", "user", "left")
    assert entry.changes["active"] == [True, False]
    again = user(clinic_database, tmp_path, "disable", "--username", "coordinator")
    assert again.exit_code == 1
    assert "coordinator is disabled already; nothing was changed" in again.stderr
    listed = runner.invoke(
        app, ["user", "list", "--data", str(tmp_path / "x"), "--database-url", clinic_database.url]
    )
    assert ["coordinator", "(disabled)", "all/all", "as", "coordinator"] in [
        line.split()[:5] for line in listed.stdout.splitlines()
    ]
    with TestClient(app_for(clinic_database, tmp_path)) as client:
        token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        refused = client.post(
            "/login",
            data={"username": "coordinator", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert refused.status_code == 401
    assert user(clinic_database, tmp_path, "enable", "--username", "coordinator").exit_code == 0
    assert last_entry(clinic_database).changes["active"] == [False, True]
    logged_in(clinic_database, tmp_path, "coordinator")  # logs in again (asserts 303)


def test_reset_password_checks_the_rule_ends_sessions_and_forgets_failures(
    clinic_database: Database, tmp_path: Path
) -> None:
    logged_in(clinic_database, tmp_path, "monitor")
    with clinic_database.transaction() as session:
        for n in range(7):
            session.add(LoginFailure(username="monitor", client=f"10.0.0.{n}"))
    weak = user(
        clinic_database, tmp_path, "reset-password", "--username", "monitor", "--password-stdin",
        input="aaaaaaaaaaaa\n",
    )  # fmt: skip
    assert weak.exit_code == 1
    assert "the password is too easy to guess" in weak.stderr
    assert weak.stderr.rstrip().endswith("nothing was changed")
    assert sessions_of(clinic_database, "monitor") == 1
    done = user(
        clinic_database, tmp_path, "reset-password", "--username", "monitor", "--password-stdin",
        input=NEW_PASSWORD + "\n",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == "user monitor has a new password; 1 web session ended"
    assert sessions_of(clinic_database, "monitor") == 0
    entry = last_entry(clinic_database)
    assert entry.changes["password"] == ["(old)", "(new)"]
    assert entry.changes["failures_forgotten"] == 7
    assert "argon2" not in str(entry.changes)
    with TestClient(app_for(clinic_database, tmp_path)) as client:
        browser = Browser(client, "monitor")
        browser.login(NEW_PASSWORD)
    nobody = user(
        clinic_database, tmp_path, "reset-password", "--username", "nobody", "--password-stdin",
        input=NEW_PASSWORD + "\n",
    )  # fmt: skip
    assert nobody.exit_code == 1
    assert "no user named 'nobody' (ovaregen user list shows them); nothing was changed" in (
        nobody.stderr
    )


def test_set_role_ends_the_sessions_and_refuses_an_unknown_role(
    clinic_database: Database, tmp_path: Path
) -> None:
    logged_in(clinic_database, tmp_path, "investigator")
    unknown = user(
        clinic_database, tmp_path, "set-role", "--username", "investigator", "--role", "boss"
    )
    assert unknown.exit_code == 1
    assert "role 'boss' is not known: expected one of admin" in unknown.stderr
    done = user(
        clinic_database, tmp_path, "set-role", "--username", "investigator", "--role", "monitor"
    )
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == (
        "user investigator now holds all/all as monitor; her web sessions ended"
    )
    assert sessions_of(clinic_database, "investigator") == 0
    changes = last_entry(clinic_database).changes
    assert changes["access"] == [["all/all as investigator"], ["all/all as monitor"]]
    assert changes["sessions_ended"] == 1
    browser = logged_in(clinic_database, tmp_path, "investigator")
    assert browser.client.get("/api/me").json()["role"] == "monitor"


def test_unlock_forgets_failures_of_a_user_or_an_address_and_is_audited(
    clinic_database: Database, tmp_path: Path
) -> None:
    with clinic_database.transaction() as session:
        for n in range(12):
            session.add(LoginFailure(username="monitor", client="192.0.2.1"))
            session.add(LoginFailure(username=f"u{n}", client="192.0.2.9"))
    with TestClient(app_for(clinic_database, tmp_path)) as client:
        token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        form = {"username": "monitor", "password": PASSWORD, "csrf_token": token}
        assert client.post("/login", data=form).status_code == 429
    done = user(
        clinic_database, tmp_path, "unlock", "--username", "monitor", "--address", "192.0.2.9"
    )
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == (
        "user monitor unlocked (12 failed logins forgotten); "
        "address 192.0.2.9 unlocked (12 failed logins forgotten)"
    )
    with clinic_database.transaction() as session:
        assert session.execute(select(func.count()).select_from(LoginFailure)).scalar_one() == 0
    entry = last_entry(clinic_database)
    assert (entry.entity, entry.entity_id, entry.changes) == (
        "login_address", "192.0.2.9", {"failures_forgotten": 12},
    )  # fmt: skip
    logged_in(clinic_database, tmp_path, "monitor")
    nothing = user(clinic_database, tmp_path, "unlock")
    assert nothing.exit_code == 2
    assert "say what to unlock: --username USER and/or --address ADDRESS" in nothing.stderr


def test_revoke_sessions_ends_every_session_of_the_user(
    clinic_database: Database, tmp_path: Path
) -> None:
    first = logged_in(clinic_database, tmp_path, "statistician")
    second = logged_in(clinic_database, tmp_path, "statistician")
    other = logged_in(clinic_database, tmp_path, "monitor")
    done = user(clinic_database, tmp_path, "revoke-sessions", "--username", "statistician")
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == "user statistician: 2 web sessions ended"
    assert first.client.get("/api/me").status_code == 401
    assert second.client.get("/api/me").status_code == 401
    assert other.client.get("/api/me").status_code == 200
    assert last_entry(clinic_database).changes == {"username": "statistician", "sessions_ended": 2}
