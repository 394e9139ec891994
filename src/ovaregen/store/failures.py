"""Which database failures are the situation's and not a bug: disk full, busy, read-only.

``classify(error)`` looks through an exception, its SQLAlchemy ``orig`` and its causes for a
failure the user can act on, so the server answers it plainly instead of "internal error":

- disk full: SQLite ``SQLITE_FULL`` ("database or disk is full",
  https://www.sqlite.org/rescode.html#full), PostgreSQL SQLSTATE 53100 ``disk_full``
  ("could not extend file", "No space left on device"), and ``OSError`` ENOSPC/EDQUOT;
- busy: SQLite ``SQLITE_BUSY``/``SQLITE_LOCKED`` ("database is locked") after the busy
  timeout, PostgreSQL 55P03 ``lock_not_available``, 40P01 ``deadlock_detected``, 40001
  ``serialization_failure``, 53300 ``too_many_connections``, SQLAlchemy's pool timeout, and
  ``DatabaseBusyError`` of ``store.database`` — all worth retrying;
- read-only: SQLite ``SQLITE_READONLY``, PostgreSQL 25006 ``read_only_sql_transaction``,
  ``ReadOnlyDatabaseError``.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from ovaregen.store.database import DatabaseBusyError
from ovaregen.store.opening import ReadOnlyDatabaseError

DISK_FULL_MESSAGE = "the disk is full: nothing was saved; ask the administrator to free space"
BUSY_MESSAGE = (
    "the database is busy (an import may be running): nothing was saved; try again in a moment"
)
READ_ONLY_MESSAGE = "the database is read-only here: nothing was saved"
BUSY_RETRY_AFTER_SECONDS = 5


class Failure(Enum):
    DISK_FULL = "disk full"
    BUSY = "busy"
    READ_ONLY = "read-only"


_SQLITE_CODES = {
    13: Failure.DISK_FULL,  # SQLITE_FULL
    5: Failure.BUSY,  # SQLITE_BUSY
    6: Failure.BUSY,  # SQLITE_LOCKED
    8: Failure.READ_ONLY,  # SQLITE_READONLY
}
_SQLITE_TEXT = {
    "database or disk is full": Failure.DISK_FULL,
    "database is locked": Failure.BUSY,
    "database table is locked": Failure.BUSY,
    "attempt to write a readonly database": Failure.READ_ONLY,
}
_SQLSTATES = {
    "53100": Failure.DISK_FULL,
    "55P03": Failure.BUSY,
    "40P01": Failure.BUSY,
    "40001": Failure.BUSY,
    "53300": Failure.BUSY,
    "25006": Failure.READ_ONLY,
}
_POSTGRES_TEXT = {
    "no space left on device": Failure.DISK_FULL,
    "could not extend file": Failure.DISK_FULL,
}
_ERRNOS = {errno.ENOSPC: Failure.DISK_FULL, errno.EDQUOT: Failure.DISK_FULL}
_OWN_ERRORS: tuple[tuple[type[BaseException], Failure], ...] = (
    (DatabaseBusyError, Failure.BUSY),
    (ReadOnlyDatabaseError, Failure.READ_ONLY),
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for linked in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(linked, BaseException):
                pending.append(linked)


def _one(error: BaseException) -> Failure | None:
    for own, failure in _OWN_ERRORS:
        if isinstance(error, own):
            return failure
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in _SQLITE_CODES:
            return _SQLITE_CODES[code & 0xFF]
        text = str(error).lower()
        return next((kind for key, kind in _SQLITE_TEXT.items() if key in text), None)
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate in _SQLSTATES:
        return _SQLSTATES[sqlstate]
    if type(error).__module__.startswith("psycopg"):
        text = str(error).lower()
        return next((kind for key, kind in _POSTGRES_TEXT.items() if key in text), None)
    if type(error).__name__ == "TimeoutError" and type(error).__module__ == "sqlalchemy.exc":
        return Failure.BUSY  # no pooled connection became free in time
    if isinstance(error, OSError) and error.errno in _ERRNOS:
        return _ERRNOS[error.errno]
    return None


def classify(error: BaseException) -> Failure | None:
    """The actionable failure behind ``error`` (None when it is none of these)."""
    for linked in _chain(error):
        found = _one(linked)
        if found is not None:
            return found
    return None


@dataclass
class DiskFullWatch:
    """The last save that failed for lack of space, until a save succeeds again.

    ``watch(sessions)`` marks a success on every commit of a session that wrote something
    (a read's commit proves nothing about space)."""

    last: datetime | None = None
    recovered: bool = True

    def record(self) -> None:
        self.last = datetime.now(UTC)
        self.recovered = False

    @property
    def current(self) -> bool:
        """A save failed for lack of space and none has succeeded since."""
        return not self.recovered

    def watch(self, sessions: sessionmaker[Session]) -> None:
        def wrote(session: Session, _context: Any) -> None:
            session.info["ovaregen_wrote"] = True

        def committed(session: Session) -> None:
            if session.info.pop("ovaregen_wrote", False):
                self.recovered = True

        def rolled_back(session: Session) -> None:
            session.info.pop("ovaregen_wrote", None)

        event.listen(sessions, "after_flush", wrote)
        event.listen(sessions, "after_commit", committed)
        event.listen(sessions, "after_rollback", rolled_back)
