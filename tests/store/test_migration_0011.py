"""Alembic migration 0011 (protocol deviations) on a database at 0010, on SQLite and
PostgreSQL: the ``protocol_deviation`` table appears empty (an upgrade opens no deviation),
holds a deviation of an existing woman, and goes away on downgrade."""

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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_before(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database_at("0010", request.param, tmp_path) as database:
        yield database


def _tables(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _deviation(participant_id: int) -> str:
    return (
        "INSERT INTO protocol_deviation (participant_id, kind, visit, description, detected_at, "
        "detected_by, status, review_comment, version) VALUES "
        f"({participant_id}, 'visit_out_of_window', 'month_3', 'late', :now, 'system', 'open', "
        "'', 1)"
    )


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
                "VALUES (1, 'ucmsc-rct', 'C', '1', true, :now)"
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
    upgrade(database, "0011")
    assert current_revision(database) == "0011"
    assert "protocol_deviation" in _tables(database)
    with database.engine.begin() as connection:
        opened = connection.execute(text("SELECT count(*) FROM protocol_deviation")).scalar_one()
        assert opened == 0, "an upgrade opens no deviation"
        connection.execute(text(_deviation(1)), {"now": NOW})
        row = connection.execute(text("SELECT status, reviewed_by FROM protocol_deviation")).one()
        assert tuple(row) == ("open", None)
    if database.engine.dialect.name == "postgresql":
        with pytest.raises(IntegrityError), database.engine.begin() as connection:
            connection.execute(text(_deviation(99)), {"now": NOW})
    downgrade(database, "0010")
    assert current_revision(database) == "0010"
    assert "protocol_deviation" not in _tables(database)
    upgrade(database)
    assert "protocol_deviation" in _tables(database)
