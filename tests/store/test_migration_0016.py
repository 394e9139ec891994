"""Alembic migration 0016 on a database at 0015, on SQLite and PostgreSQL: every existing API
token becomes a personal one and keeps working (its hash, scope and dates unchanged); the
downgrade revokes the REDCap API tokens (revision 0015 would refuse them as malformed) and
drops the column, leaving the personal tokens live."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from ovaregen.store.database import Database
from ovaregen.store.migrate import current_revision, downgrade, upgrade
from tests.store.migration_fixtures import database_at

NOW = "2024-05-01 10:00:00+00:00"
LATER = "2099-05-01 10:00:00+00:00"
SEED = (
    "INSERT INTO app_user (id, username, full_name, password_hash, active, created_at) "
    "VALUES (1, 'stat', '', 'x', true, :now)",
    "INSERT INTO api_token (id, token_hash, user_id, name, scope, created_at, created_by,"
    " expires_at) VALUES (1, 'h1', 1, 'R', 'read', :now, 'test', :later)",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_before(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database_at("0015", request.param, tmp_path) as database:
        with database.engine.begin() as connection:
            for statement in SEED:
                connection.execute(text(statement), {"now": NOW, "later": LATER})
        yield database


def _rows(database: Database, query: str) -> list[tuple[object, ...]]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


def _columns(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return {c["name"] for c in inspect(connection).get_columns("api_token")}


def test_every_existing_token_is_a_personal_one(database_before: Database) -> None:
    upgrade(database_before, "0016")
    assert current_revision(database_before) == "0016"
    assert _rows(
        database_before, "SELECT id, token_hash, scope, kind, revoked_at FROM api_token"
    ) == [(1, "h1", "read", "personal", None)]


def test_the_downgrade_revokes_the_redcap_tokens_only(database_before: Database) -> None:
    upgrade(database_before, "0016")
    with database_before.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_token (id, token_hash, user_id, name, scope, kind, created_at,"
                " created_by, expires_at) VALUES (2, 'h2', 1, 'PyCap', 'read', 'redcap', :now,"
                " 'test', :later)"
            ),
            {"now": NOW, "later": LATER},
        )
    downgrade(database_before, "0015")
    assert "kind" not in _columns(database_before)
    rows = _rows(database_before, "SELECT id, revoked_by FROM api_token ORDER BY id")
    assert rows == [(1, None), (2, "migration 0016")]
    assert _rows(database_before, "SELECT revoked_at IS NOT NULL FROM api_token WHERE id = 2") in (
        [(True,)],
        [(1,)],
    )
