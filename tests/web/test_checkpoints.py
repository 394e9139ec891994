"""The server's checkpoint writer (web.checkpoints): a checkpoint at start, a new one only when
the trail grew, files named by time and entry count and never overwritten, a cut trail refused
(nothing signed), and the background thread writing on its own and stopping."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ovaregen.store import anchor
from ovaregen.store.database import Database
from ovaregen.web.checkpoints import CheckpointWriter, start_checkpoints
from ovaregen.web.settings import Settings
from tests.store import tamper
from tests.store.tamper import rechain, run, unguard, write_entries

trail_database = tamper.trail_database
"""The fixture (SQLite and PostgreSQL)."""
sqlite_trail = tamper.sqlite_trail


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_a_checkpoint_at_start_then_only_when_the_trail_grew(
    trail_database: Database, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    folder = tmp_path / "anchors"
    folder.mkdir()
    writer = CheckpointWriter(trail_database, folder, key, timedelta(hours=1), Clock())
    first = writer.write_if_grown()
    assert first is not None and writer.write_if_grown() is None
    write_entries(trail_database, 2)
    second = writer.write_if_grown()
    assert second is not None
    one, two = (anchor.read_checkpoint(p) for p in (first, second))
    assert two.entries == one.entries + 2
    assert files(folder) == [
        f"audit-checkpoint-20261201T140100Z-{one.entries:06d}.json",
        f"audit-checkpoint-20261201T140200Z-{two.entries:06d}.json",
    ]
    restarted = CheckpointWriter(trail_database, folder, key, timedelta(hours=1), Clock())
    assert restarted.last == two and restarted.write_if_grown() is None
    with trail_database.transaction() as session:
        assert anchor.verify_with(session, [one, two]).intact


def test_a_cut_trail_is_not_signed(
    trail_database: Database, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    folder = tmp_path / "anchors"
    folder.mkdir()
    writer = CheckpointWriter(trail_database, folder, key, timedelta(hours=1), Clock())
    ids = write_entries(trail_database, 3)
    assert writer.write_if_grown() is not None
    unguard(trail_database)
    run(trail_database, f"DELETE FROM audit_entry WHERE id > {ids[0]}")
    rechain(trail_database)
    write_entries(trail_database, 4)  # grown again, past the cut
    before = files(folder)
    assert writer.write_if_grown() is None
    assert "no checkpoint was written" in writer.last_error
    assert "was rewritten, removed or reordered" in writer.last_error
    assert files(folder) == before


def test_checkpoints_of_another_key_are_left_out(
    sqlite_trail: Database, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    folder = tmp_path / "anchors"
    folder.mkdir()
    other = CheckpointWriter(sqlite_trail, folder, Ed25519PrivateKey.generate(), timedelta(1))
    assert other.write_if_grown() is not None
    mine = CheckpointWriter(sqlite_trail, folder, key, timedelta(hours=1))
    assert mine.last is None


def test_the_thread_writes_at_start_and_stops(
    sqlite_trail: Database, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    key_file = tmp_path / "anchor.key"
    anchor.generate_key(key_file)
    folder = tmp_path / "anchors"
    folder.mkdir()
    settings = Settings(
        data_dir=tmp_path,
        database_url=sqlite_trail.url,
        anchor_dir=folder,
        anchor_key=key_file,
        anchor_every=timedelta(milliseconds=50),
    )
    writer = start_checkpoints(settings, sqlite_trail)
    assert writer is not None
    try:
        deadline = time.monotonic() + 10
        while not list(folder.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.02)
        write_entries(sqlite_trail, 1)
        while len(list(folder.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        writer.stop()
    assert len(files(folder)) == 2 and writer.last_error == ""
    assert writer._thread is not None and not writer._thread.is_alive()


def test_no_folder_no_writer_and_a_bad_setting_is_refused(
    sqlite_trail: Database, tmp_path: Path
) -> None:
    plain = Settings(data_dir=tmp_path, database_url=sqlite_trail.url)
    assert start_checkpoints(plain, sqlite_trail) is None
    keyless = Settings(data_dir=tmp_path, database_url=sqlite_trail.url, anchor_dir=tmp_path)
    with pytest.raises(anchor.AnchorError, match="needs an anchor key"):
        start_checkpoints(keyless, sqlite_trail)
    missing = Settings(
        data_dir=tmp_path,
        database_url=sqlite_trail.url,
        anchor_dir=tmp_path / "absent",
        anchor_key=tmp_path / "k",
    )
    with pytest.raises(anchor.AnchorError, match="is not a folder"):
        start_checkpoints(missing, sqlite_trail)
