"""Signed checkpoints (store.anchor) against someone who holds the database: with the triggers
removed, a cut tail with the head fixed, a rewrite or a reordering with every hash recomputed,
and emptying the trail all verify as intact by the chain alone, and each is named against a
checkpoint; an edited checkpoint or one signed by another key is refused as not authentic."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ovaregen.store import anchor, audit
from ovaregen.store.database import Database
from tests.store import tamper
from tests.store.tamper import rechain, run, swap_contents, unguard, write_entries

trail_database = tamper.trail_database
"""The fixture (SQLite and PostgreSQL)."""
sqlite_trail = tamper.sqlite_trail


@pytest.fixture
def key(tmp_path: Path) -> Ed25519PrivateKey:
    anchor.generate_key(tmp_path / "anchor.key")
    return anchor.load_private_key(tmp_path / "anchor.key")


def checkpoint(database: Database, key: Ed25519PrivateKey, folder: Path) -> anchor.Checkpoint:
    """A checkpoint written to a file and read back, as a user would keep it."""
    with anchor.snapshot(database) as session:
        made = anchor.checkpoint_of(session, key)
    folder.mkdir(exist_ok=True)
    path = anchor.write_checkpoint(made, folder / anchor.file_name(made))
    return anchor.read_checkpoint(path)


def problems(database: Database, *checkpoints: anchor.Checkpoint) -> list[str]:
    with database.transaction() as session:
        return [str(p) for p in anchor.verify_with(session, checkpoints).problems]


def chain_alone_intact(database: Database) -> bool:
    with database.transaction() as session:
        return audit.verify(session).intact


def test_an_untouched_trail_and_later_entries_verify(
    trail_database: Database, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    write_entries(trail_database)
    first = checkpoint(trail_database, key, tmp_path / "anchors")
    assert problems(trail_database, first) == []
    write_entries(trail_database, 3)
    second = checkpoint(trail_database, key, tmp_path / "anchors")
    write_entries(trail_database, 2)
    assert second.entries == first.entries + 3
    assert problems(trail_database, first, second) == []


def test_a_cut_tail_with_the_head_fixed_is_named(
    trail_database: Database, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    ids = write_entries(trail_database, 6)
    kept = ids[-4]
    saved = checkpoint(trail_database, key, tmp_path)
    unguard(trail_database)
    run(trail_database, f"DELETE FROM audit_entry WHERE id > {kept}")
    rechain(trail_database)  # the head now points at the new last entry
    assert chain_alone_intact(trail_database)
    assert problems(trail_database, saved) == [
        f"entries after {kept} are missing: {saved.label} recorded {saved.entries} entries, "
        f"up to entry {ids[-1]}"
    ]


def test_a_tail_cut_then_refilled_is_named(
    trail_database: Database, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    ids = write_entries(trail_database, 4)
    saved = checkpoint(trail_database, key, tmp_path)
    unguard(trail_database)
    run(trail_database, f"DELETE FROM audit_entry WHERE id > {ids[0]}")
    rechain(trail_database)
    write_entries(trail_database, 5)  # ids reused by other entries
    assert chain_alone_intact(trail_database)
    assert problems(trail_database, saved) == [
        f"an entry among entries 1–{ids[-1]} was rewritten, removed or reordered: the chain's "
        f"hash at entry {ids[-1]} differs from the one {saved.label} recorded"
    ]


def test_a_rewrite_with_the_chain_recomputed_is_named_between_checkpoints(
    trail_database: Database, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    before = checkpoint(trail_database, key, tmp_path / "a")
    ids = write_entries(trail_database, 5)
    after = checkpoint(trail_database, key, tmp_path / "b")
    write_entries(trail_database, 2)
    unguard(trail_database)
    run(trail_database, f"UPDATE audit_entry SET reason = 'nothing happened' WHERE id = {ids[2]}")
    assert not chain_alone_intact(trail_database)  # without recomputing, the chain sees it
    rechain(trail_database)
    assert chain_alone_intact(trail_database)
    assert problems(trail_database, before, after) == [
        f"an entry among entries {before.last_id + 1}–{after.last_id} was rewritten, removed "
        f"or reordered: the chain's hash at entry {after.last_id} differs from the one "
        f"{after.label} recorded ({before.label} matches up to entry {before.last_id})"
    ]


def test_a_reordering_with_the_chain_recomputed_is_named(
    trail_database: Database, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    ids = write_entries(trail_database, 4)
    saved = checkpoint(trail_database, key, tmp_path)
    unguard(trail_database)
    swap_contents(trail_database, ids[0], ids[1])
    rechain(trail_database)
    assert chain_alone_intact(trail_database)
    found = problems(trail_database, saved)
    assert len(found) == 1
    assert found[0].startswith(f"an entry among entries 1–{ids[-1]} was rewritten, removed")


def test_an_emptied_trail_is_named(
    trail_database: Database, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    write_entries(trail_database)
    saved = checkpoint(trail_database, key, tmp_path)
    unguard(trail_database)
    emptied = "TRUNCATE audit_entry" if not trail_database.is_sqlite else "DELETE FROM audit_entry"
    run(trail_database, emptied)
    rechain(trail_database)
    assert chain_alone_intact(trail_database)
    assert problems(trail_database, saved) == [
        f"every entry is missing (the trail is empty): {saved.label} recorded {saved.entries} "
        f"entries, up to entry {saved.last_id}"
    ]


def test_a_broken_trail_is_not_anchored(trail_database: Database, key: Ed25519PrivateKey) -> None:
    ids = write_entries(trail_database)
    unguard(trail_database)
    run(trail_database, f"UPDATE audit_entry SET reason = 'x' WHERE id = {ids[1]}")
    with (
        pytest.raises(anchor.BrokenTrailError, match=f"entry {ids[1]}: content changed"),
        anchor.snapshot(trail_database) as session,
    ):
        anchor.checkpoint_of(session, key)


def test_an_edited_checkpoint_or_another_key_is_not_authentic(
    sqlite_trail: Database, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    saved = checkpoint(sqlite_trail, key, tmp_path / "anchors")
    assert anchor.authenticate(saved, key.public_key()).trusted
    assert not anchor.authenticate(saved, None).trusted
    other = Ed25519PrivateKey.generate()
    with pytest.raises(anchor.AnchorError, match="not authentic: it was signed by key SHA256:"):
        anchor.authenticate(saved, other.public_key())
    raw = json.loads(Path(saved.source).read_text())
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps({**raw, "entries": raw["entries"] - 1}))
    with pytest.raises(anchor.AnchorError, match="signature does not match its content"):
        anchor.authenticate(anchor.read_checkpoint(edited), key.public_key())
    with pytest.raises(anchor.AnchorError, match="signature does not match its content"):
        anchor.authenticate(anchor.read_checkpoint(edited), None)
    forged = anchor.sign(1, 1, "0" * 64, other, datetime.now(UTC))
    with pytest.raises(anchor.AnchorError, match="not by the given key"):
        anchor.authenticate(forged, key.public_key())


def test_keys_and_checkpoints_are_never_overwritten(sqlite_trail: Database, tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    folder.mkdir()
    public, print_ = anchor.generate_key(folder / "k")
    assert public == folder / "k.pub" and print_.startswith("SHA256:")
    assert stat.S_IMODE((folder / "k").stat().st_mode) == 0o600
    assert anchor.fingerprint(anchor.load_public_key(public)) == print_
    assert anchor.fingerprint(anchor.load_public_key(folder / "k")) == print_
    with pytest.raises(anchor.AnchorError, match="exists already"):
        anchor.generate_key(folder / "k")
    saved = checkpoint(sqlite_trail, anchor.load_private_key(folder / "k"), folder)
    before = Path(saved.source).read_bytes()
    with pytest.raises(anchor.AnchorError, match="never overwritten"):
        anchor.write_checkpoint(saved, Path(saved.source))
    assert Path(saved.source).read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["k", "k.pub", Path(saved.source).name]
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "not JSON"),
        ('{"format": "other"}', "expected format"),
        (json.dumps({"format": anchor.FORMAT, "entries": "3"}), "'entries' must be a whole"),
    ],
)
def test_a_damaged_checkpoint_file_is_refused_clearly(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "c.json"
    path.write_text(content)
    with pytest.raises(anchor.AnchorError, match=message):
        anchor.read_checkpoint(path)
    with pytest.raises(anchor.AnchorError, match="cannot read the checkpoint"):
        anchor.read_checkpoint(tmp_path / "absent.json")
    path.write_text("not a key")
    with pytest.raises(anchor.AnchorError, match="not a PEM public key"):
        anchor.load_public_key(path)


def test_a_checkpoint_of_an_empty_trail_holds_for_any_later_trail(
    sqlite_trail: Database, key: Ed25519PrivateKey
) -> None:
    empty = anchor.sign(0, 0, audit.GENESIS_HASH, key, datetime.now(UTC))
    write_entries(sqlite_trail, 2)
    assert problems(sqlite_trail, empty) == []
