"""An empty, damaged or foreign database file is refused with what to do, never re-created
(issue 11: a zero-length ``ovaregen.sqlite3`` was silently re-created as an empty clinic, a
corrupted page started and then answered 500)."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from ovaregen.cli import app as cli
from ovaregen.clinic import studies
from ovaregen.clinic.studies import prepare_database
from ovaregen.store.database import SQLITE_FILE, Database, connect, sqlite_url
from ovaregen.store.integrity import DatabaseDamagedError, check_sqlite_file
from ovaregen.store.opening import open_checked
from ovaregen.web.app import create_app
from ovaregen.web.settings import Settings
from tests.clinic_fixtures import migrated

runner = CliRunner()


def _clinic(folder: Path) -> Path:
    """A migrated clinic with its studies (its WAL checkpointed into the file on close)."""
    folder.mkdir(parents=True, exist_ok=True)
    database = connect(sqlite_url(folder))
    prepare_database(database)
    database.dispose()
    path = folder / SQLITE_FILE
    assert not (folder / f"{SQLITE_FILE}-wal").exists()
    return path


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _random(path: Path) -> None:
    size = path.stat().st_size
    path.write_bytes(os.urandom(size))


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _page_overwritten(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    pages = len(data) // page_size
    middle = pages // 2
    data[middle * page_size : (middle + 1) * page_size] = os.urandom(page_size)
    path.write_bytes(bytes(data))


def _foreign(path: Path) -> None:
    path.unlink()
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        connection.execute("INSERT INTO invoices (total) VALUES (12.5)")
    connection.close()


DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "zero-length": (_empty, "is empty (0 bytes)"),
    "random bytes": (_random, "is not an SQLite database"),
    "truncated": (_truncated, "is truncated"),
    "page overwritten": (_page_overwritten, "is damaged"),
    "foreign database": (_foreign, "not an ovaregen clinic"),
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_file_is_refused_and_left_as_it_was(damage: str, tmp_path: Path) -> None:
    path = _clinic(tmp_path / "clinic")
    spoil, expected = DAMAGES[damage]
    spoil(path)
    before = _digest(path)
    with pytest.raises(DatabaseDamagedError, match=re.escape(expected)) as refused:
        check_sqlite_file(path)
    assert str(path) in str(refused.value)
    with pytest.raises(DatabaseDamagedError, match=re.escape(expected)):
        open_checked(sqlite_url(path.parent))
    assert _digest(path) == before, "the check changes nothing"
    created = {p.name for p in path.parent.iterdir()} - {SQLITE_FILE}
    assert created <= {f"{SQLITE_FILE}-wal", f"{SQLITE_FILE}-shm"}  # SQLite's own, for reading
    assert not (path.parent / f"{SQLITE_FILE}-wal").stat().st_size if created else True


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_every_clinic_command_refuses_a_damaged_file(damage: str, tmp_path: Path) -> None:
    path = _clinic(tmp_path / "clinic")
    spoil, expected = DAMAGES[damage]
    spoil(path)
    before = _digest(path)
    for command in (
        ["user", "list", "--data", str(path.parent)],
        ["db", "upgrade", "--data", str(path.parent)],
        ["serve", "--data", str(path.parent), "--port", "1"],
        ["audit", "verify", "--data", str(path.parent)],
    ):
        result = runner.invoke(cli, command)
        assert result.exit_code == 1, (command, result.output)
        assert "Traceback" not in result.output
        assert expected in result.output, result.output
        assert "intact" not in result.output
    assert _digest(path) == before, "nothing was re-created over the file"


def test_the_zero_length_refusal_says_what_to_do(tmp_path: Path) -> None:
    path = _clinic(tmp_path / "clinic")
    _empty(path)
    result = runner.invoke(cli, ["user", "list", "--data", str(path.parent)])
    assert result.exit_code == 1
    assert "restore the clinic from its last backup" in result.output
    assert path.stat().st_size == 0


def test_the_server_refuses_to_start_on_a_damaged_file(tmp_path: Path) -> None:
    path = _clinic(tmp_path / "clinic")
    _page_overwritten(path)
    settings = Settings(data_dir=path.parent, database_url=sqlite_url(path.parent))
    with (
        pytest.raises(DatabaseDamagedError, match="is damaged"),
        TestClient(create_app(settings)),
    ):
        pass


def test_only_a_missing_file_makes_a_new_clinic(tmp_path: Path) -> None:
    folder = tmp_path / "new clinic"
    result = runner.invoke(cli, ["db", "upgrade", "--data", str(folder)])
    assert result.exit_code == 0, result.output
    check_sqlite_file(folder / SQLITE_FILE)  # sound, and an ovaregen clinic
    again = runner.invoke(cli, ["db", "upgrade", "--data", str(folder)])
    assert again.exit_code == 0, again.output


def test_a_missing_file_beside_its_write_ahead_log_is_refused(tmp_path: Path) -> None:
    path = _clinic(tmp_path / "clinic")
    wal = path.with_name(f"{SQLITE_FILE}-wal")
    wal.write_bytes(b"\x37\x7f\x06\x82" + bytes(28))
    path.unlink()
    result = runner.invoke(cli, ["user", "list", "--data", str(path.parent)])
    assert result.exit_code == 1, result.output
    assert "is missing but its write-ahead log" in result.output
    assert not path.exists()


def test_a_sound_clinic_passes_the_check(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    folder.mkdir()
    migrated(sqlite_url(folder)).dispose()
    check_sqlite_file(folder / SQLITE_FILE)
    result = runner.invoke(cli, ["user", "list", "--data", str(folder)])
    assert result.exit_code == 0, result.output
    assert "admin" in result.output


def test_a_first_set_up_that_fails_leaves_no_empty_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk full at the very first write leaves a 0-byte file; it is this run's own, so it
    is removed and the next start creates the clinic instead of refusing it."""
    folder = tmp_path / "new clinic"

    def disk_full(database: Database) -> None:
        (folder / SQLITE_FILE).write_bytes(b"")
        raise OperationalError(
            "PRAGMA journal_mode=WAL", {}, sqlite3.OperationalError("database or disk is full")
        )

    monkeypatch.setattr(studies, "prepare_database", disk_full)
    result = runner.invoke(cli, ["db", "upgrade", "--data", str(folder)])
    assert result.exit_code == 1, result.output
    assert "database or disk is full" in result.output
    assert not (folder / SQLITE_FILE).exists()
    monkeypatch.undo()
    again = runner.invoke(cli, ["db", "upgrade", "--data", str(folder)])
    assert again.exit_code == 0, again.output
