"""Connecting to the clinic database: embedded SQLite in the data folder, or PostgreSQL.

Two kinds of transaction (issue 11: every request held the write lock, so 16 clients posting
wrong logins took a logged-in ``GET /api/me`` from 4.5 ms to 19.2 s):

- ``read()`` — GET and HEAD requests. SQLite: a deferred ``BEGIN`` under ``PRAGMA query_only``;
  in WAL mode a reader neither waits for a writer nor blocks one (https://sqlite.org/wal.html).
  PostgreSQL: ``SET TRANSACTION READ ONLY``. A write attempted in it is refused, so a read never
  takes the write lock by accident.
- ``transaction()`` — changes. SQLite: this process's writers queue first come, first served
  (``store.write_queue``; SQLite's own busy handler is not fair), then begin ``IMMEDIATE`` so
  the write lock is taken at the start instead of failing half-way; this serialises
  allocations and the audit chain there. PostgreSQL takes row locks (``SELECT … FOR UPDATE``)
  for the same purpose, each waited for at most ``lock_timeout``.

SQLite runs in WAL mode with foreign keys on. A change that cannot start within the busy
timeout — another process (an import from the command line) holds the database — raises
``DatabaseBusyError``: nothing was saved, try again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ovaregen.store.write_queue import FifoLock

SQLITE_FILE = "ovaregen.sqlite3"
"""The embedded database's file name inside the data folder."""
BUSY_TIMEOUT_MS = 30_000
"""How long a change waits to start (SQLite busy timeout, PostgreSQL lock timeout)."""
_READ = "ovaregen_read"
_WAIT_MS = "ovaregen_wait_ms"
_READ_INFO = "ovaregen_read"
_SQLITE_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (https://sqlite.org/rescode.html)
_POSTGRES_BUSY_STATES = ("55P03",)  # lock_not_available: lock_timeout passed


class DatabaseError(RuntimeError):
    """The database cannot be reached or used (shown to the user, no traceback)."""


class DatabaseBusyError(DatabaseError):
    """A change could not start within the busy timeout because another writer holds the
    database (an import, the command line): nothing was saved; try again."""


def busy_message(waited_ms: int, holder: str = "another process, such as an import,") -> str:
    """What a writer that waited ``waited_ms`` in vain is told."""
    return (
        f"the database is busy ({holder} has held it for more than {waited_ms / 1000:g} s): "
        "nothing was saved; try again"
    )


def is_busy(error: BaseException) -> bool:
    """Whether ``error`` is a lock not obtained in time (SQLite busy, PostgreSQL 55P03)."""
    if isinstance(error, DatabaseBusyError):
        return True
    if not isinstance(error, OperationalError):
        return False
    orig = error.orig
    if getattr(orig, "sqlite_errorcode", None) in _SQLITE_BUSY_CODES:
        return True
    return getattr(orig, "sqlstate", None) in _POSTGRES_BUSY_STATES


def is_read_only(session: Session) -> bool:
    """Whether ``session`` was opened by ``Database.read()``."""
    return bool(session.info.get(_READ_INFO, False))


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
        options = connection.get_execution_options()
        if options.get(_READ):
            connection.exec_driver_sql("PRAGMA query_only=ON")
            connection.exec_driver_sql("BEGIN")
            return
        connection.exec_driver_sql("PRAGMA query_only=OFF")
        connection.exec_driver_sql(
            f"PRAGMA busy_timeout={int(options.get(_WAIT_MS, BUSY_TIMEOUT_MS))}"
        )
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is None:
            return
        cursor = dbapi_connection.cursor()  # back in the pool as it came out of connect
        cursor.execute("PRAGMA query_only=OFF")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()


def _postgres_setup(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(_READ):
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        elif _WAIT_MS in options:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(options[_WAIT_MS])}")


@dataclass
class Database:
    """An engine and its session factory."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    writers: FifoLock | None = None
    """SQLite: this process's writers, served in arrival order (``store.write_queue``)."""
    connections: int = 1
    """How many connections the pool lends at most (its size and overflow)."""

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self, *, wait_seconds: float | None = None) -> Iterator[Session]:
        """A session in one write transaction: committed on success, rolled back on any error.

        Waits at most ``wait_seconds`` (default: the busy timeout) for its turn, else
        ``DatabaseBusyError`` (nothing was saved)."""
        wait_ms = BUSY_TIMEOUT_MS if wait_seconds is None else max(0, int(wait_seconds * 1000))
        if self.writers is not None and not self.writers.acquire(wait_ms / 1000):
            raise DatabaseBusyError(busy_message(wait_ms, "this server's other saves"))
        try:
            with self.sessions() as session, session.begin():
                self._begin(session, read=False, wait_ms=wait_ms)
                yield session
        finally:
            if self.writers is not None:
                self.writers.release()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session in one read-only transaction, which never waits for a writer; any change
        in it is refused by the database."""
        with self.sessions() as session, session.begin():
            self._begin(session, read=True, wait_ms=BUSY_TIMEOUT_MS)
            yield session

    def _begin(self, session: Session, *, read: bool, wait_ms: int) -> None:
        """Begin now (not at the first statement), so a busy database is known at once."""
        session.info[_READ_INFO] = read
        try:
            session.connection(execution_options={_READ: read, _WAIT_MS: wait_ms})
        except OperationalError as error:
            if is_busy(error):
                raise DatabaseBusyError(busy_message(wait_ms)) from error
            raise

    def dispose(self) -> None:
        self.engine.dispose()


def connect(url: str, *, pool_size: int = 10) -> Database:
    """Open the database at ``url`` (``sqlite:///…`` or ``postgresql+psycopg://…``)."""
    parsed = make_url(url)
    overflow = pool_size * 2
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            pool_size=pool_size,
            max_overflow=overflow,
        )
        _sqlite_setup(engine)
        writers: FifoLock | None = FifoLock()
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_size=pool_size, max_overflow=overflow, pool_pre_ping=True)
        _postgres_setup(engine)
        writers = None
    else:
        raise DatabaseError(
            f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
            "expected sqlite:///FILE or postgresql+psycopg://USER@HOST/DB"
        )
    sessions = sessionmaker(engine, expire_on_commit=False)
    return Database(url, engine, sessions, writers, connections=pool_size + overflow)


def database_url(data_dir: Path, database_url: str | None = None) -> str:
    """The URL to use: the one given, else the embedded database in ``data_dir``."""
    return database_url if database_url else sqlite_url(data_dir)
