"""Alembic migration 0015 on a database at 0014, on SQLite and PostgreSQL: each grant takes its
user's role (nobody may do more or less), ``app_user.role`` goes, and the sessions, tokens and
grants that refer to the users stay; the downgrade gives each user the role of her oldest grant
(a monitor when she holds none)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from ovaregen.store.database import Database
from ovaregen.store.migrate import current_revision, downgrade, upgrade
from tests.store.migration_fixtures import database_at

NOW = "2024-05-01 10:00:00+00:00"
SEED = (
    "INSERT INTO site (id, code, name, created_at) VALUES (1, 'MAD1', 'M', :now),"
    " (2, 'BCN2', 'B', :now)",
    "INSERT INTO app_user (id, username, full_name, password_hash, role, active, created_at) "
    "VALUES (1, 'ana', '', 'x', 'investigator', true, :now),"
    " (2, 'stat', '', 'x', 'statistician', true, :now),"
    " (3, 'nobody', '', 'x', 'coordinator', true, :now)",
    "INSERT INTO web_session (token_hash, user_id, csrf_token, created_at, last_seen,"
    " expires_at) VALUES ('t', 1, 'c', :now, :now, :now)",
    "INSERT INTO site_access (id, user_id, study_id, site_id, granted_at, granted_by) "
    "VALUES (1, 1, NULL, 1, :now, 'test'), (2, 1, NULL, 2, :now, 'test'),"
    " (3, 2, NULL, NULL, :now, 'test')",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_before(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database_at("0014", request.param, tmp_path) as database:
        with database.engine.begin() as connection:
            for statement in SEED:
                connection.execute(text(statement), {"now": NOW})
        yield database


def _rows(database: Database, query: str) -> list[tuple[object, ...]]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


def _columns(database: Database, table: str) -> set[str]:
    with database.engine.connect() as connection:
        return {c["name"] for c in inspect(connection).get_columns(table)}


def test_each_grant_takes_its_users_role(database_before: Database) -> None:
    upgrade(database_before, "0015")
    assert current_revision(database_before) == "0015"
    assert "role" not in _columns(database_before, "app_user")
    assert _rows(database_before, "SELECT id, user_id, role FROM site_access ORDER BY id") == [
        (1, 1, "investigator"),
        (2, 1, "investigator"),
        (3, 2, "statistician"),
    ]
    assert _rows(database_before, "SELECT user_id FROM web_session") == [(1,)], "sessions stay"
    assert _rows(database_before, "SELECT count(*) FROM app_user") == [(3,)]


def test_the_downgrade_gives_each_user_the_role_of_her_oldest_grant(
    database_before: Database,
) -> None:
    upgrade(database_before, "0015")
    with database_before.engine.begin() as connection:
        connection.execute(text("UPDATE site_access SET role = 'monitor' WHERE id = 2"))
    downgrade(database_before, "0014")
    assert "role" not in _columns(database_before, "site_access")
    assert _rows(database_before, "SELECT username, role FROM app_user ORDER BY id") == [
        ("ana", "investigator"),
        ("stat", "statistician"),
        ("nobody", "monitor"),
    ]
    assert _rows(database_before, "SELECT count(*) FROM site_access") == [(3,)], "grants stay"
    assert _rows(database_before, "SELECT user_id FROM web_session") == [(1,)]
