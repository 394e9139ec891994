"""Alembic migration 0010 (locks) on a database at 0009, on SQLite and PostgreSQL: the
``data_lock`` table appears empty (an upgrade locks nothing), holds a study lock and a form
lock, closes a lock by filling ``released_*`` (the row stays), and goes away on downgrade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from ovaregen.store.database import Database
from ovaregen.store.migrate import current_revision, downgrade, upgrade
from tests.store.migration_fixtures import database_at

NOW = "2024-05-01 10:00:00+00:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_before(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database_at("0009", request.param, tmp_path) as database:
        yield database


def _tables(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_up_and_down(database_before: Database) -> None:
    database = database_before
    with database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO site (id, code, name, created_at) VALUES (1, 'MAD1', 'M', :now)"),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO study (id, name, title, protocol_version, randomised, created_at) "
                "VALUES (1, 'regenera', 'R', '1', false, :now)"
            ),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO participant (id, study_id, site_id, code, status, failed_criteria, "
                "unknown_criteria, created_at, version) "
                "VALUES (1, 1, 1, 'MAD1-0001', 'ongoing', '', '', :now, 1)"
            ),
            {"now": NOW},
        )
    upgrade(database, "0010")
    assert current_revision(database) == "0010"
    assert "data_lock" in _tables(database)
    with database.engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM data_lock")).scalar_one() == 0
        connection.execute(
            text(
                "INSERT INTO data_lock (scope, study_id, participant_id, visit, locked_at, "
                "locked_by, lock_reason, version) VALUES "
                "('study', 1, NULL, NULL, :now, 'dm', 'final analysis', 1), "
                "('form', 1, 1, 'screening', :now, 'dm', 'cleaned', 1)"
            ),
            {"now": NOW},
        )
        connection.execute(
            text(
                "UPDATE data_lock SET released_at = :now, released_by = 'dm', "
                "release_reason = 'query answered' WHERE scope = 'form'"
            ),
            {"now": NOW},
        )
        rows = connection.execute(
            text("SELECT scope, released_by FROM data_lock ORDER BY id")
        ).all()
        assert [tuple(r) for r in rows] == [("study", None), ("form", "dm")]
    downgrade(database, "0009")
    assert current_revision(database) == "0009"
    assert "data_lock" not in _tables(database)
    upgrade(database)
    assert "data_lock" in _tables(database)
