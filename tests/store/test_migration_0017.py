"""Alembic migration 0017 (the FHIR server of each study) on a database at 0016, on SQLite and
PostgreSQL: the ``fhir_server`` table appears empty, holds one server per study, and goes away
on downgrade with nothing else touched."""

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
STUDY = (
    "INSERT INTO study (id, name, title, protocol_version, randomised, created_at) "
    "VALUES (1, 'mensc', 'MenSC', '2018.1', false, :now)"
)
SERVER = (
    "INSERT INTO fhir_server (study_id, base_url, identifier_system, set_by, set_at) "
    "VALUES (1, :url, 'urn:oid:1.2.3', 'admin', :now)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_before(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database_at("0016", request.param, tmp_path) as database:
        with database.engine.begin() as connection:
            connection.execute(text(STUDY), {"now": NOW})
        yield database


def _tables(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_up_and_down(database_before: Database) -> None:
    database = database_before
    upgrade(database, "0017")
    assert current_revision(database) == "0017"
    with database.engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM fhir_server")).scalar_one() == 0
        connection.execute(text(SERVER), {"url": "https://lab.example.org/fhir", "now": NOW})
    with pytest.raises(IntegrityError), database.engine.begin() as connection:
        connection.execute(text(SERVER), {"url": "https://other.example.org/fhir", "now": NOW})
    with database.engine.connect() as connection:
        kept = connection.execute(text("SELECT study_id, base_url FROM fhir_server")).all()
    assert [tuple(row) for row in kept] == [(1, "https://lab.example.org/fhir")]
    downgrade(database, "0016")
    assert current_revision(database) == "0016"
    assert "fhir_server" not in _tables(database)
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM study")).scalar_one() == "mensc"
    upgrade(database)
    assert "fhir_server" in _tables(database)
