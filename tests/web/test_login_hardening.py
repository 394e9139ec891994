"""The login route: 429 with Retry-After, the right password after the wait, Argon2 with no
transaction open, the device cookie, and the client address (proxies trusted only when
configured) — on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update
from starlette.requests import Request

from ovaregen.clinic import users
from ovaregen.store.database import Database
from ovaregen.store.models import LoginFailure
from ovaregen.web.app import create_app
from ovaregen.web.client_address import client_address
from ovaregen.web.settings import Settings
from tests.clinic_fixtures import PASSWORD

_TOKEN = 'name="csrf_token" value="'


def post_login(client: TestClient, username: str, password: str, **kwargs: Any):  # type: ignore[no-untyped-def]
    token = client.get("/login").text.split(_TOKEN)[1].split('"')[0]
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
        **kwargs,
    )


def app_with(database: Database, tmp_path: Path, **settings: Any):  # type: ignore[no-untyped-def]
    return create_app(Settings(data_dir=tmp_path, database_url=database.url, **settings), database)


def failures_at(database: Database) -> list[tuple[str, str]]:
    with database.transaction() as session:
        rows = session.execute(select(LoginFailure.username, LoginFailure.client)).all()
    return [(row[0], row[1]) for row in rows]


def backdate(database: Database, by: timedelta) -> None:
    """Let time pass: every recorded failure happened ``by`` earlier."""
    with database.transaction() as session:
        for failure in session.execute(select(LoginFailure)).scalars():
            failure.at = failure.at - by


def test_throttled_answers_429_with_retry_after_and_the_right_password_then_succeeds(
    clinic_database: Database, tmp_path: Path
) -> None:
    with TestClient(app_with(clinic_database, tmp_path)) as client:
        for _ in range(5):
            assert post_login(client, "monitor", "wrong password!").status_code == 401
        refused = post_login(client, "monitor", PASSWORD)
        assert refused.status_code == 429
        wait = int(refused.headers["Retry-After"])
        assert 25 <= wait <= 30
        assert f"Too many failed logins: wait {wait} seconds and try again" in refused.text
        backdate(clinic_database, timedelta(seconds=31))
        assert post_login(client, "monitor", PASSWORD).status_code == 303
        assert client.get("/api/me").json()["username"] == "monitor"


class WatchedHasher:
    """The real hasher, running ``probe`` and noting the open transactions in each verify."""

    def __init__(self, database: Database, probe: Callable[[], None]) -> None:
        self.real = users._hasher
        self.probe = probe
        self.open_now = 0
        self.seen: list[int] = []
        for name, change in (("begin", 1), ("commit", -1), ("rollback", -1)):
            event.listen(database.engine, name, self._counter(change))

    def _counter(self, change: int) -> Callable[..., None]:
        def count(*_: object) -> None:
            self.open_now += change

        return count

    def verify(self, hash_: str, password: str) -> bool:
        self.seen.append(self.open_now)
        self.probe()
        return bool(self.real.verify(hash_, password))

    def check_needs_rehash(self, hash_: str) -> bool:
        return bool(self.real.check_needs_rehash(hash_))

    def hash(self, password: str) -> str:
        return str(self.real.hash(password))


def test_argon2_runs_with_no_transaction_open(
    clinic_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def another_writer_is_not_blocked() -> None:
        if clinic_database.is_sqlite:  # the write lock must be free while hashing
            path = clinic_database.engine.url.database
            assert path is not None
            with sqlite3.connect(path, timeout=0, isolation_level=None) as other:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")

    watched = WatchedHasher(clinic_database, another_writer_is_not_blocked)
    monkeypatch.setattr(users, "_hasher", watched)
    with TestClient(app_with(clinic_database, tmp_path)) as client:
        assert post_login(client, "monitor", "wrong password!").status_code == 401
        assert post_login(client, "monitor", PASSWORD).status_code == 303
    assert watched.seen == [0, 0]


def test_a_known_browser_is_let_in_while_its_username_is_under_attack(
    clinic_database: Database, tmp_path: Path
) -> None:
    app = app_with(clinic_database, tmp_path)
    with TestClient(app) as owner:
        logged_in = post_login(owner, "monitor", PASSWORD)
        assert logged_in.status_code == 303
        device = logged_in.cookies.get("ovaregen_device_monitor")
        assert device is not None
        cookie = next(
            h for h in logged_in.headers.get_list("set-cookie") if "ovaregen_device_" in h
        ).lower()
        assert "httponly" in cookie and "path=/login" in cookie and "samesite=strict" in cookie
        owner.post(
            "/logout", data={"csrf_token": owner.get("/").text.split(_TOKEN)[1].split('"')[0]}
        )
    with clinic_database.transaction() as session:  # an attack from many addresses
        for n in range(40):
            session.add(LoginFailure(username="monitor", client=f"198.51.100.{n}"))
    with TestClient(app) as stranger:
        assert post_login(stranger, "monitor", PASSWORD).status_code == 429
    with TestClient(app, cookies={"ovaregen_device_monitor": device}) as known:
        assert post_login(known, "monitor", PASSWORD).status_code == 303


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
    clinic_database: Database, tmp_path: Path
) -> None:
    header = {"X-Forwarded-For": "192.0.2.7, 198.51.100.4"}
    untrusted = app_with(clinic_database, tmp_path)
    with TestClient(untrusted, client=("127.0.0.1", 40000)) as client:
        post_login(client, "monitor", "wrong password!", headers=header)
    assert failures_at(clinic_database) == [("monitor", "127.0.0.1")]
    with clinic_database.transaction() as session:
        session.execute(update(LoginFailure).values(client="cleared"))
    trusted = app_with(clinic_database, tmp_path, trusted_proxies=frozenset({"127.0.0.1"}))
    with TestClient(trusted, client=("127.0.0.1", 40000)) as client:
        post_login(client, "monitor", "wrong password!", headers=header)
    assert ("monitor", "198.51.100.4") in failures_at(clinic_database)


def request_from(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("127.0.0.1", ["1.2.3.4"], [], "127.0.0.1"),  # loopback is not trusted by itself
        ("203.0.113.5", ["1.2.3.4"], ["10.0.0.1"], "203.0.113.5"),
        ("10.0.0.1", ["6.6.6.6, 1.2.3.4"], ["10.0.0.1"], "1.2.3.4"),  # right-most untrusted
        ("10.0.0.1", ["6.6.6.6", "1.2.3.4, 10.0.0.2"], ["10.0.0.0/8"], "1.2.3.4"),
        ("10.0.0.1", ["10.0.0.3, 10.0.0.2"], ["10.0.0.0/8"], "10.0.0.3"),  # all trusted
        ("10.0.0.1", [], ["10.0.0.1"], "10.0.0.1"),  # no header: the proxy itself
        ("::1", ["[2001:db8::1]:443"], ["::1"], "2001:db8::1"),
        ("10.0.0.1", ["garbage, 1.2.3.4"], ["10.0.0.1"], "1.2.3.4"),
        ("10.0.0.1", ["1.2.3.4, not-an-ip"], ["10.0.0.1"], "not-an-ip"),
    ],
)
def test_the_client_address_is_the_rightmost_untrusted_one(
    peer: str, forwarded: list[str], trusted: list[str], expected: str
) -> None:
    assert client_address(request_from(peer, *forwarded), frozenset(trusted)) == expected


def test_serve_does_not_let_uvicorn_rewrite_the_client_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn  # noqa: PLC0415
    from typer.testing import CliRunner  # noqa: PLC0415

    from ovaregen.cli import app  # noqa: PLC0415

    captured: dict[str, Any] = {}

    def run(application: object, **options: Any) -> None:
        captured.update(options)
        config = uvicorn.Config(application, **options)  # type: ignore[arg-type]
        config.load()
        captured["config"] = config

    monkeypatch.setattr(uvicorn, "run", run)
    result = CliRunner().invoke(app, ["serve", "--data", str(tmp_path / "clinic")])
    assert result.exit_code == 0, result.output
    assert captured["config"].proxy_headers is False
