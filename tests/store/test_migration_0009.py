"""Alembic migration 0009 (source-data verification and signatures) on a database at 0008, on
SQLite and PostgreSQL: ``source_verification`` and ``signature`` appear empty (an upgrade marks
nothing verified and signs nothing), hold a mark and a signature of a woman, keep her from
being deleted while they refer to her, and go away on downgrade."""

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
TABLES = {"source_verification", "signature"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_before(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database_at("0008", request.param, tmp_path) as database:
        yield database


def _tables(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _woman(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO study (id, name, title, protocol_version, randomised, created_at) "
                "VALUES (1, 'ucmsc-rct', 'C', '1', false, :now)"
            ),
            {"now": NOW},
        )
        connection.execute(
            text("INSERT INTO site (id, code, name, created_at) VALUES (1, 'MAD1', 'M', :now)"),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO participant (id, study_id, site_id, code, status, failed_criteria, "
                "unknown_criteria, created_at, version) "
                "VALUES (1, 1, 1, 'MAD1-0001', 'screening', '', '', :now, 1)"
            ),
            {"now": NOW},
        )


def test_up_and_down(database_before: Database) -> None:
    database = database_before
    _woman(database)
    upgrade(database, "0009")
    assert current_revision(database) == "0009"
    assert _tables(database) >= TABLES
    with database.engine.begin() as connection:
        for table in sorted(TABLES):
            count = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            assert count == 0, f"an upgrade adds no row to {table}"
        connection.execute(
            text(
                "INSERT INTO source_verification (participant_id, form, form_version, "
                "values_sha256, verified_by, verified_at) "
                "VALUES (1, 'screening', 2, :hash, 'monitor', :now)"
            ),
            {"hash": "a" * 64, "now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO signature (participant_id, scope, meaning, signer, printed_name, "
                "signed_at, values_sha256, forms) VALUES (1, 'casebook', "
                "'reviewed and approved', 'pi', 'pi', :now, :hash, :forms)"
            ),
            {"hash": "b" * 64, "now": NOW, "forms": '{"screening": {"version": 2}}'},
        )
    with pytest.raises(IntegrityError), database.engine.begin() as connection:
        connection.execute(text("DELETE FROM participant WHERE id = 1"))
    downgrade(database, "0008")
    assert current_revision(database) == "0008"
    assert not TABLES & _tables(database)
    upgrade(database)
    assert _tables(database) >= TABLES
