"""What an attacker holding the database (its owner, the server's shell) can do to the audit
trail once the triggers are out of the way, and ``trail_database``: a migrated clinic database
on SQLite and PostgreSQL without users (the audit tests need no login, and Argon2 is slow)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from ovaregen.clinic.studies import prepare_database
from ovaregen.store import audit
from ovaregen.store.database import Database, connect, sqlite_url
from ovaregen.store.models import AuditEntry, AuditHead
from tests.clinic_fixtures import Postgres
from tests.postgres_gate import require_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def trail_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated clinic database (the shipped studies' setup entries in its trail)."""
    server: Postgres | None = None
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        require_postgres()
        server = Postgres(f"ovaregen_trail_{uuid.uuid4().hex[:12]}")
        server.create()
        url = server.url
    database = connect(url)
    try:
        prepare_database(database)
        yield database
    finally:
        database.dispose()
        if server is not None:
            server.drop()


def write_entries(database: Database, count: int = 5) -> list[int]:
    """Append ``count`` ordinary entries; their ids."""
    entries = []
    with database.transaction() as session:
        for number in range(count):
            entry = audit.record(
                session,
                username="coordinator",
                action=audit.Action.UPDATE,
                entity="form_entry",
                entity_id=number,
                study="regenera",
                participant=f"MAD1-{number:04d}",
                changes={"afc": [number, number + 1]},
                reason="source document",
            )
            entries.append(entry)
    return [entry.id for entry in entries]  # numbered at the commit


def unguard(database: Database) -> None:
    """Remove every trigger on audit_entry and audit_head, as their owner can."""
    with database.engine.begin() as connection:
        if database.is_sqlite:
            names = connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name IN ('audit_entry', 'audit_head')"
                )
            ).scalars()
            for name in list(names):
                connection.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_entry DISABLE TRIGGER ALL")
            connection.exec_driver_sql("ALTER TABLE audit_head DISABLE TRIGGER ALL")


def rechain(database: Database) -> None:
    """Recompute every entry's previous hash and hash in id order, and the head: what hides
    a rewrite, a cut or a reordering from the chain alone."""
    with database.transaction() as session:
        previous, last_id = audit.GENESIS_HASH, 0
        for entry in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
            entry.previous_hash = previous
            entry.hash = audit.entry_hash(entry)
            previous, last_id = entry.hash, entry.id
        session.execute(
            update(AuditHead).where(AuditHead.id == 1).values(last_id=last_id, last_hash=previous)
        )


def run(database: Database, statement: str) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(statement))


def swap_contents(database: Database, first: int, second: int) -> None:
    """Exchange what two entries record (reason and changes), keeping their ids."""
    with database.transaction() as session:
        one = session.get(AuditEntry, first)
        two = session.get(AuditEntry, second)
        assert one is not None and two is not None
        one.changes, two.changes = two.changes, one.changes
        one.participant, two.participant = two.participant, one.participant
        one.entity_id, two.entity_id = two.entity_id, one.entity_id


@pytest.fixture
def sqlite_trail(tmp_path: Path) -> Iterator[Database]:
    """The same on SQLite only (tests whose subject is not the database)."""
    database = connect(sqlite_url(tmp_path))
    prepare_database(database)
    yield database
    database.dispose()
