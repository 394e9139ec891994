"""``ovaregen audit keygen | anchor | verify --anchor`` on SQLite and PostgreSQL, as an
administrator would run them: with the triggers dropped, a tail cut with the head fixed, a
rewrite with the chain recomputed, an emptied trail and a reordering make ``verify --anchor``
exit 1 naming what changed, where the chain alone says "intact"; an edited checkpoint or one of
another key is refused as not authentic."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result

from ovaregen.store.database import Database, connect, sqlite_url
from tests.clinic_fixtures import Postgres
from tests.postgres_gate import require_postgres
from tests.store.tamper import rechain, run, swap_contents, unguard, write_entries
from tests.test_clinic_cli import ok as ok_text
from tests.test_clinic_cli import run as run_cli


def cli(*args: str | Path) -> Result:
    return run_cli(*(str(a) for a in args))  # type: ignore[no-any-return]


def ok(*args: str | Path) -> str:
    return ok_text(*(str(a) for a in args))


@dataclass
class Clinic:
    where: list[str]
    """The options naming the database: --data DIR [--database-url URL]."""
    database: Database
    keys: Path


@pytest.fixture(params=["sqlite", "postgresql"])
def clinic(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Clinic]:
    """A clinic with a few audit entries and a key pair (tmp/keys/anchor.key and .pub)."""
    data = tmp_path / "clinic"
    keys = tmp_path / "keys"
    keys.mkdir()
    server: Postgres | None = None
    if request.param == "sqlite":
        where = ["--data", str(data)]
        url = sqlite_url(data)
    else:
        require_postgres()
        server = Postgres(f"ovaregen_anchor_{uuid.uuid4().hex[:12]}")
        server.create()
        where = ["--data", str(data), "--database-url", server.url]
        url = server.url
    ok("site", "add", *where, "--code", "MAD1", "--name", "Madrid")
    database = connect(url)
    write_entries(database, 6)
    created = ok("audit", "keygen", "--out", keys / "anchor.key")
    assert "fingerprint SHA256:" in created
    try:
        yield Clinic(where, database, keys)
    finally:
        database.dispose()
        if server is not None:
            server.drop()


def anchored(clinic: Clinic, name: str = "a.json") -> Path:
    target = clinic.keys.parent / name
    said = ok(
        "audit", "anchor", *clinic.where, "--key", clinic.keys / "anchor.key", "--out", target
    )
    assert f"checkpoint written to {target}" in said
    return target


def verify(clinic: Clinic, *anchors: Path, public: bool = True) -> Result:
    options = [a for path in anchors for a in ("--anchor", str(path))]
    if public:
        options += ["--public-key", str(clinic.keys / "anchor.key.pub")]
    return cli("audit", "verify", *clinic.where, *options)


def last_id(clinic: Clinic, checkpoint: Path) -> int:
    return int(json.loads(checkpoint.read_text())["last_id"])


def test_an_untouched_trail_with_later_entries_verifies(clinic: Clinic) -> None:
    first = anchored(clinic)
    write_entries(clinic.database, 2)
    second = anchored(clinic, "b.json")
    write_entries(clinic.database, 1)
    result = verify(clinic, first, second)
    assert result.exit_code == 0, result.output
    assert "audit trail intact" in result.stdout
    assert f"matches 2 checkpoint(s), up to entry {last_id(clinic, second)}" in result.stdout
    assert "note:" not in result.stderr
    unchecked = verify(clinic, first, public=False)
    assert unchecked.exit_code == 0
    assert "checked only against the key embedded in them" in unchecked.stderr


def test_a_tail_cut_with_the_head_fixed_fails_naming_it(clinic: Clinic) -> None:
    saved = anchored(clinic)
    end = last_id(clinic, saved)
    unguard(clinic.database)
    run(clinic.database, f"DELETE FROM audit_entry WHERE id > {end - 3}")
    rechain(clinic.database)
    assert verify(clinic).exit_code == 0  # the chain alone is fooled
    result = verify(clinic, saved)
    assert result.exit_code == 1
    assert f"entries after {end - 3} are missing: the checkpoint of " in result.stderr
    assert f"(a.json) recorded {end} entries, up to entry {end}" in result.stderr


def test_a_rewrite_or_a_reordering_with_the_chain_recomputed_fails_naming_it(
    clinic: Clinic,
) -> None:
    saved = anchored(clinic)
    end = last_id(clinic, saved)
    unguard(clinic.database)
    run(clinic.database, f"UPDATE audit_entry SET reason = 'no reason' WHERE id = {end - 1}")
    rechain(clinic.database)
    assert verify(clinic).exit_code == 0
    rewritten = verify(clinic, saved)
    assert rewritten.exit_code == 1
    assert f"an entry among entries 1–{end} was rewritten, removed or reordered" in (
        rewritten.stderr
    )
    swap_contents(clinic.database, end - 3, end - 2)
    rechain(clinic.database)
    assert "was rewritten, removed or reordered" in verify(clinic, saved).stderr


def test_an_emptied_trail_fails_naming_it(clinic: Clinic) -> None:
    saved = anchored(clinic)
    unguard(clinic.database)
    emptied = "DELETE FROM audit_entry" if clinic.database.is_sqlite else "TRUNCATE audit_entry"
    run(clinic.database, emptied)
    rechain(clinic.database)
    assert "intact: 0 entries" in verify(clinic).stdout
    result = verify(clinic, saved)
    assert result.exit_code == 1
    assert "every entry is missing (the trail is empty)" in result.stderr


def test_an_edited_checkpoint_or_another_key_is_not_authentic(clinic: Clinic) -> None:
    saved = anchored(clinic)
    raw = json.loads(saved.read_text())
    edited = saved.with_name("edited.json")
    edited.write_text(json.dumps({**raw, "entries": raw["entries"] - 2}))
    for public in (True, False):
        refused = verify(clinic, edited, public=public)
        assert refused.exit_code == 1
        assert "edited.json is not authentic: its signature does not match" in refused.stderr
    ok("audit", "keygen", "--out", clinic.keys / "other.key")
    forged = saved.with_name("forged.json")
    ok("audit", "anchor", *clinic.where, "--key", clinic.keys / "other.key", "--out", forged)
    refused = verify(clinic, forged)
    assert refused.exit_code == 1
    assert "forged.json is not authentic: it was signed by key SHA256:" in refused.stderr


def test_keys_and_checkpoints_are_never_overwritten_and_a_broken_trail_not_signed(
    clinic: Clinic,
) -> None:
    again = cli("audit", "keygen", "--out", clinic.keys / "anchor.key")
    assert again.exit_code == 1 and "exists already" in again.stderr
    saved = anchored(clinic)
    before = saved.read_bytes()
    twice = cli(
        "audit", "anchor", *clinic.where, "--key", clinic.keys / "anchor.key", "--out", saved
    )
    assert twice.exit_code == 1 and "never overwritten" in twice.stderr
    assert saved.read_bytes() == before
    unguard(clinic.database)
    run(clinic.database, "UPDATE audit_entry SET reason = 'x' WHERE id = 2")
    broken = cli(
        "audit",
        "anchor",
        *clinic.where,
        "--key",
        clinic.keys / "anchor.key",
        "--out",
        clinic.keys,
    )
    assert broken.exit_code == 1
    assert "the audit trail is broken, no checkpoint was written: entry 2" in broken.stderr
    assert sorted(p.name for p in clinic.keys.iterdir()) == ["anchor.key", "anchor.key.pub"]


def test_serve_refuses_checkpoint_options_that_cannot_work(tmp_path: Path) -> None:
    data = tmp_path / "clinic"
    folder = tmp_path / "anchors"
    folder.mkdir()
    keyless = cli("serve", "--data", data, "--anchor-dir", folder)
    assert keyless.exit_code == 2
    assert "--anchor-dir needs --anchor-key" in keyless.stderr
    no_folder = cli(
        "serve", "--data", data, "--anchor-dir", tmp_path / "absent", "--anchor-key", folder
    )
    assert no_folder.exit_code == 2 and "is not a folder" in no_folder.stderr
    not_a_key = cli("serve", "--data", data, "--anchor-dir", folder, "--anchor-key", folder)
    assert not_a_key.exit_code == 2 and "cannot read the private key" in not_a_key.stderr
    assert not data.exists()  # refused before anything was opened
