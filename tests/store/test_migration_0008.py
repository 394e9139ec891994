"""Alembic migration 0008 (queries by people) on a database at 0007, on SQLite and PostgreSQL:
``data_query`` and ``query_message`` appear empty, hold a query and its thread (the thread
goes with its query, the queries with their participant), and go away on downgrade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from ovaregen.store.database import Database
from ovaregen.store.migrate import current_revision, downgrade, upgrade
from tests.store.migration_fixtures import database_at

NOW = "2024-05-01 10:00:00+00:00"
TABLES = {"data_query", "query_message"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_before(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database_at("0007", request.param, tmp_path) as database:
        yield database


def _tables(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _count(database: Database, table: str) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


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
        ):
            connection.execute(text(statement), {"now": NOW})
    upgrade(database, "0008")
    assert current_revision(database) == "0008"
    assert _tables(database) >= TABLES
    assert _count(database, "data_query") == 0, "an upgrade raises no query"
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO data_query (id, participant_id, visit, variable, value_when_raised, "
                "from_check, state, raised_by, raised_at, last_action_at, version) VALUES "
                "(1, 1, 'screening', 'amh_ng_ml', '0.4', '', 'open', 'monitor', :now, :now, 1)"
            ),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO query_message (query_id, action, username, role, at, text, "
                "value_changed, old_value, new_value) VALUES "
                "(1, 'raise', 'monitor', 'monitor', :now, 'check AMH', false, NULL, NULL)"
            ),
            {"now": NOW},
        )
    assert _count(database, "query_message") == 1
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM participant WHERE id = 1"))
    assert _count(database, "data_query") == 0, "a woman's queries go with her"
    assert _count(database, "query_message") == 0, "a query's thread goes with it"
    downgrade(database, "0007")
    assert current_revision(database) == "0007"
    assert not TABLES & _tables(database)
    upgrade(database)
    assert _tables(database) >= TABLES
