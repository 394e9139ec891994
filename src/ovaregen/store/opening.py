"""Opening a clinic database safely: checked first, and for reading only when asked.

``open_checked(url)`` refuses an empty, damaged or foreign SQLite file (``integrity``) and a
schema revision this version of ovaregen does not know, before anything writes. With
``read_only=True`` (an archive copy, ``audit verify``) nothing is migrated and nothing can be
written: SQLite is opened ``mode=ro`` (or ``immutable=1`` in a folder nobody may write) with
``PRAGMA query_only``, PostgreSQL with ``default_transaction_read_only``, and a session that
tries to save raises ``ReadOnlyDatabaseError`` naming why. Root ignores file permissions,
so read-only is enforced by these modes, not by the file's permission bits.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ovaregen.store.database import BUSY_TIMEOUT_MS, Database, DatabaseError, connect
from ovaregen.store.integrity import check_sqlite_file, read_only_uri, sqlite_file_of
from ovaregen.store.migrate import MIGRATIONS, current_revision

POOL_CONNECTIONS = 15
"""SQLAlchemy's default pool (5 and an overflow of 10) that a read-only archive opens with."""
READ_ONLY_REFUSAL = "the database was opened read-only (an archive copy): nothing can be saved"


class ReadOnlyDatabaseError(DatabaseError):
    """A change was attempted on a database opened for reading only."""


def open_checked(url: str, *, read_only: bool = False) -> Database:
    """Connect to ``url`` after checking its file (SQLite) and its schema revision.

    Read-write: a missing SQLite file is created (a new clinic) and an older revision is
    left for the caller to migrate. Read-only: the file must exist and be at the newest
    revision, since nothing may be migrated."""
    path = sqlite_file_of(url)
    if path is not None:
        if read_only and not path.exists():
            raise DatabaseError(f"there is no clinic database at {path}")
        check_sqlite_file(path)
    database = _connect_read_only(url, path) if read_only else connect(url)
    try:
        _check_revision(database, read_only=read_only)
    except BaseException:
        database.dispose()
        raise
    return database


def sqlite_file_exists(url: str) -> bool:
    """Whether ``url`` is an SQLite database whose file exists (before it is opened)."""
    path = sqlite_file_of(url)
    return path is not None and path.exists()


def discard_unfinished(url: str, existed: bool) -> None:
    """After a failed first set-up: remove the file this run created if it is still empty,
    so that the next start creates the clinic instead of refusing a 0-byte file."""
    path = sqlite_file_of(url)
    if path is None or existed or not path.exists() or path.stat().st_size > 0:
        return
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


def _shipped() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def _check_revision(database: Database, *, read_only: bool) -> None:
    revision = current_revision(database)
    scripts = _shipped()
    head = scripts.get_current_head()
    if revision is None:
        if read_only:
            raise DatabaseError(
                "the database holds no ovaregen clinic (its schema was never created)"
            )
        return
    try:
        known = scripts.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise DatabaseError(
            f"the database is at schema revision {revision!r}, which this version of ovaregen "
            "does not know (a newer ovaregen wrote it): use that version, nothing was changed"
        )
    if read_only and revision != head:
        raise DatabaseError(
            f"the database is at schema revision {revision!r}, older than this version's "
            f"{head!r}, and a read-only copy cannot be migrated: run `ovaregen db upgrade` "
            "on a writable copy first"
        )


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyDatabaseError(READ_ONLY_REFUSAL)


def _connect_read_only(url: str, path: Path | None) -> Database:
    if path is not None:
        uri = read_only_uri(path)

        def creator() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)

        engine = create_engine("sqlite://", creator=creator)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA query_only=ON")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN")  # deferred: a reader takes no write lock

    elif make_url(url).get_backend_name() == "postgresql":
        engine = create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"options": "-c default_transaction_read_only=on"},
        )
    else:
        raise DatabaseError("only a database file or PostgreSQL can be opened read-only")
    sessions = sessionmaker(engine, expire_on_commit=False)
    event.listen(sessions, "before_flush", _refuse_flush)
    return Database(url, engine, sessions, connections=POOL_CONNECTIONS)
