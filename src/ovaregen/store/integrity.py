"""Refusing to open an empty, damaged or foreign SQLite database file.

A clinic's embedded database is created only where no file exists. An existing file is
checked before anything opens it for writing, so that SQLite never silently re-creates an
empty clinic over a zero-length file, and a damaged one is refused at start instead of
failing later (issue 11, "damaged or read-only databases"):

- a file of 0 bytes, or one that does not begin with SQLite's header ``SQLite format 3\\0``
  (https://www.sqlite.org/fileformat.html §1.3), is refused;
- a file shorter than the page count its header declares (a truncated copy) is refused;
- ``PRAGMA quick_check`` (https://www.sqlite.org/pragma.html#pragma_quick_check: every
  b-tree page and record format, without the index-content cross-check of
  ``integrity_check``, O(N) in the file size) must answer ``ok``;
- a database with tables but no ``alembic_version`` table is not an ovaregen clinic;
- a missing file beside a non-empty ``-wal`` (the file was deleted or moved) is refused, as
  SQLite would replay that log into a new, empty database.

The check opens the file read-only (``mode=ro``, or ``immutable=1`` for a folder nobody may
write), so it creates and changes nothing.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url

from ovaregen.store.database import DatabaseError

SQLITE_HEADER = b"SQLite format 3\x00"
_RESTORE = "restore the clinic from its last backup (nothing was changed)"
_FOREIGN_START = "is an SQLite database of something else"
_FOREIGN = "give --data a clinic's own folder, or move that file away (nothing was changed)"


class DatabaseDamagedError(DatabaseError):
    """The database file exists but is empty, damaged or not an ovaregen clinic."""


def sqlite_file_of(url: str) -> Path | None:
    """The file of a ``sqlite:///FILE`` URL (None for other databases and in-memory ones)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    name = parsed.database
    if name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def wal_pending(path: Path) -> bool:
    """Whether a write-ahead log with changes not yet copied into ``path`` lies beside it."""
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def folder_writable(folder: Path) -> bool:
    """Whether this process may create files in ``folder`` (always true for root)."""
    return os.access(folder, os.W_OK)


def read_only_uri(path: Path) -> str:
    """The URI that opens ``path`` for reading only, creating nothing beside it.

    ``mode=ro`` when its folder may be written: SQLite may then create the ``-shm`` index of
    a WAL database (which changes nothing of the data). In a folder nobody may write, a WAL
    database cannot get its ``-shm`` file, so the file is opened ``immutable=1`` (SQLite
    reads it as it is, without locks); that is right only when no ``-wal`` file holds
    changes the file lacks, so such a copy is refused with what to do."""
    resolved = path.resolve()
    uri = f"file:{quote(str(resolved))}"
    if folder_writable(resolved.parent):
        return f"{uri}?mode=ro"
    if wal_pending(resolved):
        raise DatabaseError(
            f"{path} has changes in {path.name}-wal that are not in the file, and its folder "
            "cannot be written: copy the folder somewhere writable (or checkpoint the copy "
            "first), then try again"
        )
    return f"{uri}?mode=ro&immutable=1"


def _header_problem(path: Path) -> str | None:
    size = path.stat().st_size
    if size == 0:
        return "is empty (0 bytes): it is not a clinic database (it may have been truncated)"
    with path.open("rb") as file:
        header = file.read(100)
    if not header.startswith(SQLITE_HEADER):
        return "is not an SQLite database (its first bytes are not 'SQLite format 3')"
    if len(header) < 100:
        return f"is truncated ({size} bytes, shorter than SQLite's 100-byte header)"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    declared = int.from_bytes(header[28:32], "big")
    valid = declared > 0 and header[24:28] == header[92:96]  # fileformat.html §1.3.7
    if valid and size < declared * page_size and not wal_pending(path):
        return (
            f"is truncated: {size} bytes where its header declares {declared} pages of "
            f"{page_size} bytes"
        )
    return None


def check_sqlite_file(path: Path) -> None:
    """Refuse (``DatabaseDamagedError``) an existing ``path`` that is not a sound clinic.

    A missing file passes: it is where a new clinic is created."""
    if not path.exists():
        if wal_pending(path):
            raise DatabaseDamagedError(
                f"the database {path} is missing but its write-ahead log {path.name}-wal is "
                f"there: the file was deleted or moved; {_RESTORE}"
            )
        return
    if not path.is_file():
        raise DatabaseDamagedError(f"the database {path} is not a file")
    problem = _header_problem(path)
    if problem is None:
        problem = _content_problem(path)
    if problem is not None:
        advice = _FOREIGN if problem.startswith(_FOREIGN_START) else _RESTORE
        raise DatabaseDamagedError(f"the database {path} {problem}; {advice}")


def _content_problem(path: Path) -> str | None:
    try:
        connection = sqlite3.connect(read_only_uri(path), uri=True)
    except sqlite3.Error as error:
        return f"cannot be opened ({error})"
    try:
        found = [row[0] for row in connection.execute("PRAGMA quick_check(5)").fetchall()]
        if found != ["ok"]:
            return "is damaged (SQLite's quick_check: " + "; ".join(map(str, found)) + ")"
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
    except sqlite3.DatabaseError as error:
        return f"is damaged ({error})"
    finally:
        connection.close()
    if tables and "alembic_version" not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        return f"{_FOREIGN_START} (tables {shown}), not an ovaregen clinic"
    return None
