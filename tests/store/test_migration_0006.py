"""Alembic migration 0006 (access by study and site) on a database at 0005, on SQLite and
PostgreSQL: the ``site_access`` table appears empty (nobody is given sites by an upgrade:
existing users see no woman until an administrator grants them, ``clinic.scope``), holds
grants with "every study" / "every site" as NULL, and goes away on downgrade."""

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
def database_at_0005(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database_at("0005", request.param, tmp_path) as database:
        yield database


def _tables(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_up_and_down(database_at_0005: Database) -> None:
    database = database_at_0005
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO app_user (id, username, password_hash, role, active, created_at) "
                "VALUES (1, 'ana', 'x', 'coordinator', true, :now)"
            ),
            {"now": NOW},
        )
        connection.execute(
            text("INSERT INTO site (id, code, name, created_at) VALUES (1, 'MAD1', 'M', :now)"),
            {"now": NOW},
        )
    upgrade(database, "0006")
    assert current_revision(database) == "0006"
    assert "site_access" in _tables(database)
    with database.engine.begin() as connection:
        granted = connection.execute(text("SELECT count(*) FROM site_access")).scalar_one()
        assert granted == 0, "an upgrade gives nobody a site"
        connection.execute(
            text(
                "INSERT INTO site_access (user_id, study_id, site_id, granted_at, granted_by) "
                "VALUES (1, NULL, 1, :now, 'root'), (1, NULL, NULL, :now, 'root')"
            ),
            {"now": NOW},
        )
        connection.execute(text("DELETE FROM app_user WHERE id = 1"))
        left = connection.execute(text("SELECT count(*) FROM site_access")).scalar_one()
        assert left == 0, "a user's grants go with her"
    downgrade(database, "0005")
    assert current_revision(database) == "0005"
    assert "site_access" not in _tables(database)
    upgrade(database)
    assert "site_access" in _tables(database)
