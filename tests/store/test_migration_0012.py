"""Alembic migration 0012 (the unblinding's category) on a database at 0011, on SQLite and
PostgreSQL: an unblinding recorded before keeps its reason and gets no invented category (NULL),
a new one holds its category, and the column goes away on downgrade, the rows staying."""

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
    with database_at("0011", request.param, tmp_path) as database:
        yield database


def _columns(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return {c["name"] for c in inspect(connection).get_columns("unblinding")}


def test_up_and_down(database_before: Database) -> None:
    database = database_before
    with database.engine.begin() as connection:
        for statement in (
            "INSERT INTO site (id, code, name, created_at) VALUES (1, 'MAD1', 'M', :now)",
            "INSERT INTO study (id, name, title, protocol_version, randomised, created_at) "
            "VALUES (1, 'ucmsc-rct', 'C', '1', true, :now)",
            "INSERT INTO participant (id, study_id, site_id, code, status, failed_criteria, "
            "unknown_criteria, created_at, version) "
            "VALUES (1, 1, 1, 'MAD1-0001', 'ongoing', '', '', :now, 1)",
            "INSERT INTO unblinding (participant_id, username, reason, at) "
            "VALUES (1, 'ana', 'anaphylaxis after injection', :now)",
        ):
            connection.execute(text(statement), {"now": NOW})
    upgrade(database, "0012")
    assert current_revision(database) == "0012"
    assert "category" in _columns(database)
    with database.engine.begin() as connection:
        before = connection.execute(text("SELECT reason, category FROM unblinding")).one()
        assert tuple(before) == ("anaphylaxis after injection", None)
        connection.execute(
            text(
                "INSERT INTO unblinding (participant_id, username, reason, at, category) "
                "VALUES (1, 'eva', 'pregnant at week 6', :now, 'pregnancy')"
            ),
            {"now": NOW},
        )
    downgrade(database, "0011")
    assert current_revision(database) == "0011"
    assert "category" not in _columns(database)
    with database.engine.connect() as connection:
        reasons = connection.execute(text("SELECT reason FROM unblinding ORDER BY id")).scalars()
        assert list(reasons) == ["anaphylaxis after injection", "pregnant at week 6"]
    upgrade(database)
    assert "category" in _columns(database)
