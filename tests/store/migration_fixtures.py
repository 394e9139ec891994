"""A database at a given Alembic revision, on SQLite or on a fresh PostgreSQL database (dropped
afterwards): the starting point of each migration's up-and-down test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ovaregen.store.database import Database, connect, sqlite_url
from ovaregen.store.migrate import upgrade
from tests.clinic_fixtures import Postgres, require_postgres


@contextmanager
def database_at(revision: str, kind: str, tmp_path: Path) -> Iterator[Database]:
    """A database of ``kind`` ("sqlite" or "postgresql") upgraded to ``revision``."""
    if kind == "sqlite":
        database = connect(sqlite_url(tmp_path))
        try:
            upgrade(database, revision)
            yield database
        finally:
            database.dispose()
        return
    require_postgres()
    server = Postgres(f"ovaregen_migrate_{uuid.uuid4().hex[:12]}")
    server.create()
    database = connect(server.url)
    try:
        upgrade(database, revision)
        yield database
    finally:
        database.dispose()
        server.drop()
