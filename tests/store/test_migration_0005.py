"""Alembic migration 0005 on a database at 0004, on SQLite and PostgreSQL: the ``api_token``
table, each token's hash unique, a token deleted with its user; the downgrade drops it."""

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
COLUMNS = {
    "id", "token_hash", "user_id", "name", "scope", "created_at", "created_by", "expires_at",
    "last_used_at", "revoked_at", "revoked_by", "last_refused_at",
}  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def database_at_0004(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database_at("0004", request.param, tmp_path) as database:
        yield database


def _insert(database: Database, token_hash: str) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_token (token_hash, user_id, name, scope, created_at, "
                "created_by, expires_at) VALUES (:hash, 1, 'script', 'read', :now, 'ana', :now)"
            ),
            {"hash": token_hash, "now": NOW},
        )


def test_the_token_table_comes_and_goes(database_at_0004: Database) -> None:
    with database_at_0004.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO app_user (id, username, password_hash, role, active, created_at) "
                "VALUES (1, 'ana', 'x', 'statistician', true, :now)"
            ),
            {"now": NOW},
        )
    upgrade(database_at_0004, "0005")
    assert current_revision(database_at_0004) == "0005"
    columns = {c["name"] for c in inspect(database_at_0004.engine).get_columns("api_token")}
    assert columns == COLUMNS
    _insert(database_at_0004, "a" * 64)
    with pytest.raises(IntegrityError):
        _insert(database_at_0004, "a" * 64)
    with database_at_0004.engine.begin() as connection:  # SQLite: foreign keys on (store.database)
        connection.execute(text("DELETE FROM app_user"))
        assert connection.execute(text("SELECT count(*) FROM api_token")).scalar_one() == 0
    downgrade(database_at_0004, "0004")
    assert current_revision(database_at_0004) == "0004"
    assert "api_token" not in inspect(database_at_0004.engine).get_table_names()
