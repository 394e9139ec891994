"""Alembic migration 0007 (one-time password links) on a database at 0006, on SQLite and
PostgreSQL: the ``password_link`` table appears empty (existing users keep their passwords),
refuses two links of one hash, loses a user's links with her, and goes away on downgrade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from ovaregen.store.database import Database
from ovaregen.store.migrate import current_revision, downgrade, upgrade
from tests.store.migration_fixtures import database_at

NOW = "2024-05-01 10:00:00+00:00"
LATER = "2024-05-02 10:00:00+00:00"
INSERT_LINK = (
    "INSERT INTO password_link (token_hash, user_id, purpose, created_at, created_by, "
    "expires_at) VALUES (:hash, 1, 'reset', :now, 'root', :later)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database_at("0006", request.param, tmp_path) as database:
        yield database


def _tables(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_up_and_down(database_at_0006: Database) -> None:
    database = database_at_0006
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO app_user (id, username, password_hash, role, active, created_at) "
                "VALUES (1, 'ana', 'kept hash', 'coordinator', true, :now)"
            ),
            {"now": NOW},
        )
    upgrade(database, "0007")
    assert current_revision(database) == "0007"
    assert "password_link" in _tables(database)
    with database.engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM password_link")).scalar_one() == 0
        kept = connection.execute(text("SELECT password_hash FROM app_user")).scalar_one()
        assert kept == "kept hash", "an upgrade changes nobody's password"
        connection.execute(text(INSERT_LINK), {"hash": "a" * 64, "now": NOW, "later": LATER})
    with pytest.raises(IntegrityError), database.engine.begin() as connection:
        connection.execute(text(INSERT_LINK), {"hash": "a" * 64, "now": NOW, "later": LATER})
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM app_user WHERE id = 1"))
        left = connection.execute(text("SELECT count(*) FROM password_link")).scalar_one()
        assert left == 0, "a user's links go with her"
    downgrade(database, "0006")
    assert current_revision(database) == "0006"
    assert "password_link" not in _tables(database)
    upgrade(database)
    assert "password_link" in _tables(database)
