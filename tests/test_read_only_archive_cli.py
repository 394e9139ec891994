"""``ovaregen audit verify`` and ``audit export`` on a read-only archive copy (issue 11: a
read-only copy could not even be verified). The copy's folder is made one nobody may write
(as for a non-root user: tests run as root, who ignores permission bits), so the commands
must open it read-only — ``immutable``, creating nothing beside the file, changing nothing."""

from __future__ import annotations

import hashlib
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ovaregen.cli import app
from ovaregen.store import integrity, opening
from ovaregen.store.database import SQLITE_FILE, Database, sqlite_url
from ovaregen.store.opening import open_checked
from tests.clinic_fixtures import migrated

runner = CliRunner()


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    source = tmp_path / "clinic"
    source.mkdir()
    migrated(sqlite_url(source)).dispose()
    copy = tmp_path / "archive"
    copy.mkdir()
    shutil.copy2(source / SQLITE_FILE, copy / SQLITE_FILE)
    (copy / SQLITE_FILE).chmod(stat.S_IRUSR)
    copy.chmod(stat.S_IRUSR | stat.S_IXUSR)
    monkeypatch.setattr(integrity, "folder_writable", lambda _folder: False)
    yield copy
    copy.chmod(stat.S_IRWXU)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_audit_verify_and_export_read_a_read_only_copy(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root could write the copy anyway, so how it was opened is watched too."""
    opened: list[bool] = []

    def watched(url: str, *, read_only: bool = False) -> Database:
        opened.append(read_only)
        return open_checked(url, read_only=read_only)

    monkeypatch.setattr(opening, "open_checked", watched)
    before = _digest(archive / SQLITE_FILE)
    verified = runner.invoke(app, ["audit", "verify", "--data", str(archive)])
    assert verified.exit_code == 0, verified.output
    assert "audit trail intact" in verified.output
    exported = tmp_path / "audit.csv"
    result = runner.invoke(app, ["audit", "export", "--data", str(archive), "--out", str(exported)])
    assert result.exit_code == 0, result.output
    assert exported.read_text(encoding="utf-8").count("\n") > 1
    assert sorted(p.name for p in archive.iterdir()) == [SQLITE_FILE], "nothing created"
    assert _digest(archive / SQLITE_FILE) == before, "nothing changed"
    assert opened == [True, True], "opened read-only: never migrated, never written"


def test_a_blinded_dataset_export_reads_a_read_only_copy_and_says_it_is_unrecorded(
    archive: Path, tmp_path: Path
) -> None:
    before = _digest(archive / SQLITE_FILE)
    out = tmp_path / "dataset"
    result = runner.invoke(
        app,
        [
            "export",
            "--data",
            str(archive),
            "--study",
            "ucmsc-rct",
            "--out",
            str(out),
            "--read-only",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "participants.csv").exists()
    assert "not recorded in its audit trail" in result.output
    assert sorted(p.name for p in archive.iterdir()) == [SQLITE_FILE], "nothing created"
    assert _digest(archive / SQLITE_FILE) == before, "nothing changed"


def test_an_unblinded_export_from_a_read_only_copy_is_refused(
    archive: Path, tmp_path: Path
) -> None:
    result = runner.invoke(
        app,
        [
            "export",
            "--data",
            str(archive),
            "--study",
            "ucmsc-rct",
            "--out",
            str(tmp_path / "d"),
            "--read-only",
            "--unblinded-as",
            "statistician",
        ],
    )
    assert result.exit_code == 2
    assert "must be recorded in the audit trail" in result.output
    assert not (tmp_path / "d").exists()
