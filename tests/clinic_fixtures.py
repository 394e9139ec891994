"""Shared fixtures of the clinic application's tests: a migrated database on SQLite or on
PostgreSQL (a throw-away database per test on the server at 127.0.0.1:5432), users of every
role, and HTTP clients logged in as them (FastAPI's TestClient).

Each test gets its own database, copied from one migrated clinic built once per test process
(``ClinicTemplates``: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), so
that the migrations and the users are not rebuilt for each of the thousand tests that use one.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from ovaregen.clinic import users
from ovaregen.clinic.roles import Role
from ovaregen.clinic.scope import Grant
from ovaregen.clinic.site_access import give
from ovaregen.clinic.studies import add_site, prepare_database
from ovaregen.clinic.users import add_user
from ovaregen.store.database import SQLITE_FILE, Database, connect, sqlite_url
from ovaregen.web.app import create_app
from ovaregen.web.settings import Settings
from tests.password_cost import TEST_HASHER
from tests.postgres_gate import (
    PG_SERVER,
    postgres_available,  # noqa: F401  (tests import it from here)
    require_postgres,
)

PASSWORD = "a long test password"
SITE = "MAD1"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Postgres:
    """A fresh database on the test server, dropped afterwards."""

    name: str

    @property
    def url(self) -> str:
        return f"{PG_SERVER}/{self.name}"

    def create(self, template: str | None = None) -> None:
        """Create it empty, or as a copy of the database ``template`` (nobody connected to it)."""
        copy = f' TEMPLATE "{template}"' if template else ""
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"{copy}'))
        admin.dispose()

    def drop(self) -> None:
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


def full_name_of(username: str) -> str:
    """The full name the fixtures give a user: the printed name of her signatures."""
    return "Dr " + username.replace("_", " ").title()


def migrated(url: str) -> Database:
    database = connect(url)
    prepare_database(database)
    with database.transaction() as session:
        add_site(session, code=SITE, name="Test clinic", username="test")
        for role in Role:
            user = add_user(
                session,
                username=role.value,
                password=PASSWORD,
                by="test",
                full_name=full_name_of(role.value),
            )
            give(session, user, [Grant(None, None, role.value)], by="test")
    return database


@contextmanager
def _test_cost() -> Iterator[None]:
    """The templates' users are hashed at the test cost, whichever test builds them first."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_hasher", TEST_HASHER)
        yield


class ClinicTemplates:
    """``migrated`` built once per test process and database kind, then copied for each test.

    A copy holds what ``migrated`` would have written (the schema at head, the shipped studies,
    site MAD1, one user per role, their audit entries); only the times of those entries are of
    the session's start instead of the test's. Built on first use, so that a run without
    PostgreSQL tests never connects to the server.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sqlite: Path | None = None
        self._postgres: Postgres | None = None

    def sqlite(self, folder: Path) -> Database:
        """A copy of the clinic as ``folder``'s embedded database."""
        if self._sqlite is None:
            with _test_cost():
                migrated(sqlite_url(self.folder)).dispose()  # the last connection ends the WAL
            self._sqlite = self.folder / SQLITE_FILE
        shutil.copyfile(self._sqlite, folder / SQLITE_FILE)
        return connect(sqlite_url(folder))

    def postgres(self, prefix: str = "ovaregen_test") -> tuple[Database, Postgres]:
        """A copy of the clinic as a new database on the test server (drop it afterwards)."""
        require_postgres()
        if self._postgres is None:
            template = Postgres(f"ovaregen_template_{uuid.uuid4().hex[:12]}")
            template.create()
            try:
                with _test_cost():
                    migrated(template.url).dispose()  # nobody may be connected to a template
            except BaseException:
                template.drop()
                raise
            self._postgres = template
        server = Postgres(f"{prefix}_{uuid.uuid4().hex[:12]}")
        server.create(template=self._postgres.name)
        return connect(server.url), server

    def drop(self) -> None:
        if self._postgres is not None:
            self._postgres.drop()


@pytest.fixture(scope="session")
def clinic_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClinicTemplates]:
    templates = ClinicTemplates(tmp_path_factory.mktemp("clinic-template"))
    yield templates
    templates.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def clinic_database(
    request: pytest.FixtureRequest, tmp_path: Path, clinic_templates: ClinicTemplates
) -> Iterator[Database]:
    """A migrated clinic database with one site and one user per role (username = role, full
    name ``full_name_of`` it), each holding every study and every site (site-scoped users:
    ``tests/web/test_sites.py``)."""
    if request.param == "sqlite":
        database = clinic_templates.sqlite(tmp_path)
        yield database
        database.dispose()
        return
    database, server = clinic_templates.postgres()
    try:
        yield database
    finally:
        database.dispose()
        server.drop()


@pytest.fixture
def sqlite_database(tmp_path: Path, clinic_templates: ClinicTemplates) -> Iterator[Database]:
    """The same on SQLite only (for tests whose subject is not the database)."""
    database = clinic_templates.sqlite(tmp_path)
    yield database
    database.dispose()


class Browser:
    """A TestClient logged in as one user, that knows its CSRF token."""

    def __init__(self, client: TestClient, username: str) -> None:
        self.client = client
        self.username = username
        self.csrf = ""

    def login(self, password: str = PASSWORD) -> Browser:
        form = self.client.get("/login")
        token = _CSRF.search(form.text)
        assert token, "the login form has a CSRF token"
        response = self.client.post(
            "/login",
            data={"username": self.username, "password": password, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        home = self.client.get("/")
        found = _CSRF.search(home.text)
        assert found, "a logged-in page carries the session's CSRF token"
        self.csrf = found.group(1)
        return self

    def post_form(self, url: str, data: dict[str, str], **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.post(
            url, data={**data, "csrf_token": self.csrf}, follow_redirects=False, **kwargs
        )

    def api(self, method: str, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
        headers = {"X-CSRF-Token": self.csrf}
        return self.client.request(method, url, headers=headers, **kwargs)


def app_for(database: Database, tmp_path: Path):  # type: ignore[no-untyped-def]
    return create_app(Settings(data_dir=tmp_path, database_url=database.url), database)


@pytest.fixture
def clinic_app(clinic_database: Database, tmp_path: Path):  # type: ignore[no-untyped-def]
    return app_for(clinic_database, tmp_path)


@pytest.fixture
def login(clinic_app):  # type: ignore[no-untyped-def]
    """``login(role)`` → a ``Browser`` logged in as the user of that role."""
    opened: list[TestClient] = []

    def open_as(role: str) -> Browser:
        client = TestClient(clinic_app)
        client.__enter__()
        opened.append(client)
        return Browser(client, role).login()

    yield open_as
    for client in opened:
        client.__exit__(None, None, None)
