"""A read-only archive copy can be verified and read, never migrated, never written (issue 11:
a read-only copy could not even be verified). Tests run as root, who ignores permission
bits, so read-only is checked by what is refused, not by the permissions alone."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ovaregen.clinic_commands.common import open_database
from ovaregen.store import audit, integrity
from ovaregen.store.database import SQLITE_FILE, Database, DatabaseError, connect, sqlite_url
from ovaregen.store.failures import Failure, classify
from ovaregen.store.migrate import upgrade
from ovaregen.store.models import Site
from ovaregen.store.opening import ReadOnlyDatabaseError, open_checked
from tests.clinic_fixtures import migrated


def _digest(folder: Path) -> str:
    return hashlib.sha256((folder / SQLITE_FILE).read_bytes()).hexdigest()


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Path]:
    """A copy of a clinic, file and folder read-only (permissions restored afterwards)."""
    source = tmp_path / "clinic"
    source.mkdir()
    migrated(sqlite_url(source)).dispose()
    copy = tmp_path / "archive"
    copy.mkdir()
    shutil.copy2(source / SQLITE_FILE, copy / SQLITE_FILE)
    (copy / SQLITE_FILE).chmod(stat.S_IRUSR | stat.S_IRGRP)
    copy.chmod(stat.S_IRUSR | stat.S_IXUSR)
    yield copy
    copy.chmod(stat.S_IRWXU)


def _verify(database: Database) -> audit.Verification:
    with database.transaction() as session:
        return audit.verify(session)


def _refuses_writes(database: Database) -> None:
    refused = pytest.raises(ReadOnlyDatabaseError, match="opened read-only")
    with refused, database.transaction() as session:
        session.add(Site(code="NEW1", name="a new site"))
    with pytest.raises(DBAPIError) as raw, database.transaction() as session:
        session.execute(text("DELETE FROM site"))
    assert classify(raw.value) is Failure.READ_ONLY


def test_a_read_only_copy_is_verified_and_never_written(archive: Path) -> None:
    before = _digest(archive)
    database = open_database(archive, None, read_only=True)
    try:
        result = _verify(database)
        assert result.intact, result.problems
        assert result.entries > 0
        _refuses_writes(database)
    finally:
        database.dispose()
    assert _digest(archive) == before


def test_a_folder_nobody_may_write_opens_the_file_immutable(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a non-root user: no -shm can be created there, so SQLite reads the file as is."""
    monkeypatch.setattr(integrity, "folder_writable", lambda _folder: False)
    assert integrity.read_only_uri(archive / SQLITE_FILE).endswith("mode=ro&immutable=1")
    database = open_database(archive, None, read_only=True)
    try:
        assert _verify(database).intact
        _refuses_writes(database)
    finally:
        database.dispose()
    assert sorted(p.name for p in archive.iterdir()) == [SQLITE_FILE]


def test_pending_changes_in_a_wal_of_a_read_only_folder_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "copy"
    folder.mkdir()
    migrated(sqlite_url(folder)).dispose()
    (folder / f"{SQLITE_FILE}-wal").write_bytes(b"\x37\x7f\x06\x82" + bytes(28))
    monkeypatch.setattr(integrity, "folder_writable", lambda _folder: False)
    with pytest.raises(DatabaseError, match=r"changes in ovaregen\.sqlite3-wal"):
        open_checked(sqlite_url(folder), read_only=True)


def test_a_missing_database_is_not_created_read_only(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="no clinic database"):
        open_checked(sqlite_url(tmp_path / "nothing"), read_only=True)
    assert not (tmp_path / "nothing").exists()


def test_an_older_schema_is_not_migrated_read_only(tmp_path: Path) -> None:
    database = connect(sqlite_url(tmp_path))
    upgrade(database, "0002")
    database.dispose()
    before = _digest(tmp_path)
    with pytest.raises(DatabaseError, match="older than this version"):
        open_checked(sqlite_url(tmp_path), read_only=True)
    assert _digest(tmp_path) == before


def test_an_unknown_revision_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    migrated(sqlite_url(tmp_path)).dispose()
    with sqlite3.connect(tmp_path / SQLITE_FILE) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'f00dfeed'")
    connection.close()
    for read_only in (False, True):
        with pytest.raises(DatabaseError, match="'f00dfeed', which this version"):
            open_checked(sqlite_url(tmp_path), read_only=read_only)


def test_postgresql_read_only_refuses_writes(clinic_database: Database) -> None:
    """On both databases: opened read-only, the chain verifies and nothing can be saved."""
    clinic_database.dispose()
    path = integrity.sqlite_file_of(clinic_database.url)
    database = open_checked(clinic_database.url, read_only=True)
    try:
        assert _verify(database).intact
        _refuses_writes(database)
    finally:
        database.dispose()
    if path is not None:
        assert path.exists()
