"""Alembic migration 0002 (the study record) on a database written by revision 0001, on SQLite
and PostgreSQL: vocabulary words renamed, Study C's arm-revealing values moved to a form of
their own, unknown adverse-event grades allowed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ovaregen.store.database import Database
from ovaregen.store.migrate import current_revision, upgrade
from tests.store.migration_fixtures import database_at

NOW = "2024-05-01 10:00:00+00:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database at revision 0001."""
    with database_at("0001", request.param, tmp_path) as database:
        yield database


def _seed(database: Database) -> None:
    statements = [
        "INSERT INTO site (id, code, name, created_at) VALUES (1, 'MAD1', 'Madrid', :now)",
        "INSERT INTO study (id, name, title, protocol_version, randomised, created_at) "
        "VALUES (1, 'ucmsc-rct', 'C', '1', true, :now)",
        "INSERT INTO participant (id, study_id, site_id, code, status, failed_criteria, "
        "unknown_criteria, created_at, version) "
        "VALUES (1, 1, 1, 'MAD1-0001', 'enrolled', '', '', :now, 1)",
        "INSERT INTO form_entry (participant_id, visit, data, created_at, updated_at, "
        "updated_by, version) VALUES (1, 'treatment', "
        """'{"treatment_date": "2024-03-20", "injections": 1, "cells_injected_millions": 10}', """
        ":now, :now, 'nurse', 2)",
        "INSERT INTO adverse_event (participant_id, term, grade, ctcae_version, serious, "
        "related, outcome, created_at, version) "
        "VALUES (1, 'headache', 1, '5.0', false, 'not_related', 'resolved', :now, 1)",
    ]
    with database.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"now": NOW})


def test_the_study_record_migration_keeps_every_value(old_database: Database) -> None:
    _seed(old_database)
    upgrade(old_database, "0002")
    assert current_revision(old_database) == "0002"
    with old_database.engine.connect() as connection:
        status = connection.execute(text("SELECT status FROM participant")).scalar_one()
        event = connection.execute(text("SELECT related, outcome FROM adverse_event")).one()
        forms = dict(
            connection.execute(text("SELECT visit, data FROM form_entry ORDER BY visit")).all()
        )
    assert status == "ongoing"
    assert tuple(event) == ("unrelated", "recovered")
    decoded = {k: v if isinstance(v, dict) else json.loads(v) for k, v in forms.items()}
    assert decoded == {
        "cell_injection": {"injections": 1, "cells_injected_millions": 10},
        "treatment": {"treatment_date": "2024-03-20"},
    }
    with old_database.engine.begin() as connection:  # an imported event of unknown grade
        connection.execute(text("UPDATE adverse_event SET grade = NULL, serious = NULL"))
