"""Alembic migration 0013 (participant questionnaire links) on a database at 0012, on SQLite
and PostgreSQL: the ``questionnaire_link`` table appears empty, keeps one row per secret hash,
goes with its participant, and goes away on downgrade."""

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
LATER = "2024-05-15 10:00:00+00:00"
LINK = (
    "INSERT INTO questionnaire_link (participant_id, token_hash, visit, created_at, created_by,"
    " expires_at, answers) VALUES (1, :hash, 'questionnaire', :now, 'ana', :later, '{}')"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_before(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database_at("0012", request.param, tmp_path) as database:
        yield database


def _tables(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _woman(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO site (id, code, name, created_at) VALUES (1, 'MAD1', 'M', :now)"),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO study (id, name, title, protocol_version, randomised, created_at) "
                "VALUES (1, 'mensc', 'MenSC', '2018.1', false, :now)"
            ),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO participant (id, study_id, site_id, code, status, failed_criteria,"
                " unknown_criteria, created_at, version) "
                "VALUES (1, 1, 1, 'MAD1-0001', 'ongoing', '', '', :now, 1)"
            ),
            {"now": NOW},
        )


def test_up_and_down(database_before: Database) -> None:
    database = database_before
    _woman(database)
    upgrade(database, "0013")
    assert current_revision(database) == "0013"
    assert "questionnaire_link" in _tables(database)
    with database.engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM questionnaire_link")).scalar_one() == 0
        connection.execute(text(LINK), {"hash": "a" * 64, "now": NOW, "later": LATER})
    with pytest.raises(IntegrityError), database.engine.begin() as connection:
        connection.execute(text(LINK), {"hash": "a" * 64, "now": NOW, "later": LATER})
    with database.engine.begin() as connection:
        if database.engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA foreign_keys = ON"))
        connection.execute(text("DELETE FROM participant WHERE id = 1"))
        left = connection.execute(text("SELECT count(*) FROM questionnaire_link")).scalar_one()
        assert left == 0, "a woman's links go with her"
    downgrade(database, "0012")
    assert current_revision(database) == "0012"
    assert "questionnaire_link" not in _tables(database)
    upgrade(database)
    assert "questionnaire_link" in _tables(database)
