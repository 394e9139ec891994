"""Connecting to the clinic database: embedded SQLite in the data folder, or PostgreSQL.

SQLite runs in WAL mode with foreign keys on, and every transaction begins ``IMMEDIATE`` so
that writers queue for the database lock at the start instead of failing half-way; this is
what serialises allocations and the audit chain there. PostgreSQL takes row locks
(``SELECT … FOR UPDATE``) for the same purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_FILE = "ovaregen.sqlite3"
"""The embedded database's file name inside the data folder."""
BUSY_TIMEOUT_MS = 30_000


class DatabaseError(RuntimeError):
    """The database cannot be reached or used (shown to the user, no traceback)."""


def sqlite_url(data_dir: Path) -> str:
    """The URL of the embedded database in ``data_dir``."""
    return f"sqlite:///{(data_dir / SQLITE_FILE).resolve()}"


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass
class Database:
    """An engine and its session factory."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def connect(url: str, *, pool_size: int = 10) -> Database:
    """Open the database at ``url`` (``sqlite:///…`` or ``postgresql+psycopg://…``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _sqlite_setup(engine)
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(
            url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True
        )
    else:
        raise DatabaseError(
            f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
            "expected sqlite:///FILE or postgresql+psycopg://USER@HOST/DB"
        )
    return Database(url, engine, sessionmaker(engine, expire_on_commit=False))


def database_url(data_dir: Path, database_url: str | None = None) -> str:
    """The URL to use: the one given, else the embedded database in ``data_dir``."""
    return database_url if database_url else sqlite_url(data_dir)
