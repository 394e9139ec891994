"""Migration 0003 (audit guards) on SQLite and PostgreSQL: the chain head cannot be deleted,
duplicated or moved back, TRUNCATE of the trail is refused (PostgreSQL), ordinary appends still
move the head forward, and the downgrade removes the guards."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ovaregen.store import audit
from ovaregen.store.database import Database
from ovaregen.store.migrate import downgrade, upgrade
from tests.store import tamper
from tests.store.tamper import write_entries

trail_database = tamper.trail_database
"""The fixture (SQLite and PostgreSQL)."""


def refused(database: Database, statement: str, message: str) -> None:
    with (
        pytest.raises(DBAPIError, match=message),
        database.engine.begin() as connection,
    ):
        connection.execute(text(statement))


def head(database: Database) -> tuple[int, str]:
    with database.engine.connect() as connection:
        row = connection.execute(text("SELECT last_id, last_hash FROM audit_head")).one()
    return int(row[0]), str(row[1])


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("DELETE FROM audit_head", "head cannot be deleted"),
        ("UPDATE audit_head SET last_id = last_id - 1", "may only move forward"),
        ("UPDATE audit_head SET last_hash = 'x'", "may only move forward"),
        ("UPDATE audit_head SET id = 2, last_id = last_id + 1", "may only move forward"),
        ("INSERT INTO audit_head (id, last_id, last_hash) VALUES (2, 0, 'x')", "exists already"),
    ],
)
def test_the_chain_head_cannot_be_deleted_duplicated_or_moved_back(
    trail_database: Database, statement: str, message: str
) -> None:
    write_entries(trail_database, 3)
    before = head(trail_database)
    refused(trail_database, statement, message)
    assert head(trail_database) == before
    with trail_database.transaction() as session:
        assert audit.verify(session).intact


def test_appends_still_move_the_head_forward(trail_database: Database) -> None:
    last_id, _ = head(trail_database)
    ids = write_entries(trail_database, 2)
    with trail_database.transaction() as session:
        many = audit.record_many(
            session, [audit.NewEntry("nurse", audit.Action.IMPORT, "form_entry", 1, {"a": [1, 2]})]
        )
    assert ids == [last_id + 1, last_id + 2] and many == 1
    assert head(trail_database)[0] == last_id + 3


@pytest.mark.parametrize("table", ["audit_entry", "audit_head"])
def test_emptying_the_trail_or_its_head_is_refused(trail_database: Database, table: str) -> None:
    """TRUNCATE on PostgreSQL (SQLite has none); DELETE without WHERE on both."""
    write_entries(trail_database, 2)
    if not trail_database.is_sqlite:
        refused(trail_database, f"TRUNCATE {table}", f"TRUNCATE {table} refused")
        refused(trail_database, f"TRUNCATE {table} CASCADE", f"TRUNCATE {table} refused")
    refused(trail_database, f"DELETE FROM {table}", "append-only|cannot be deleted")
    with trail_database.transaction() as session:
        assert audit.verify(session).intact


def test_the_downgrade_removes_the_guards_and_the_upgrade_restores_them(
    trail_database: Database,
) -> None:
    write_entries(trail_database, 2)
    last_id, last_hash = head(trail_database)
    downgrade(trail_database, "0002")
    with trail_database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_head SET last_id = last_id - 1"))
        connection.execute(text(f"UPDATE audit_head SET last_id = {last_id}"))
    upgrade(trail_database)
    refused(trail_database, "UPDATE audit_head SET last_id = last_id - 1", "move forward")
    assert head(trail_database) == (last_id, last_hash)
