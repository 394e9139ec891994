"""Alembic migration 0004 on a database at 0003, on SQLite and PostgreSQL: the plain seed of an
allocation list is replaced by its SHA-256 commitment and the late-strata key, computed from
it; the downgrade cannot bring the seed back and is refused while a list is stored."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from ovaregen.clinic.list_seed import LATE_STRATA_LABEL, late_strata_key
from ovaregen.store.database import Database
from ovaregen.store.migrate import current_revision, downgrade, upgrade
from tests.store.migration_fixtures import database_at

NOW = "2024-05-01 10:00:00+00:00"
SEED = bytes(range(100, 132))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_at_0003(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database at revision 0003."""
    with database_at("0003", request.param, tmp_path) as database:
        yield database


def _a_list(database: Database) -> None:
    statements = [
        "INSERT INTO study (id, name, title, protocol_version, randomised, created_at) "
        "VALUES (1, 'ucmsc-rct', 'C', '1', true, :now)",
        "INSERT INTO randomisation_list (id, study_id, seed_hex, block_sizes, factors, "
        "slots_per_stratum, created_at, created_by) "
        "VALUES (1, 1, :seed, '2,4,6', '{}', 10, :now, 'admin')",
        "INSERT INTO allocation_slot (study_id, stratum, sequence, block, arm, code) "
        "VALUES (1, 'MAD1', 1, 1, 'hrt', 'R-AAAAAA')",
    ]
    with database.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"now": NOW, "seed": SEED.hex()})


def _columns(database: Database) -> set[str]:
    return {c["name"] for c in inspect(database.engine).get_columns("randomisation_list")}


def test_the_seed_becomes_its_commitment_and_the_late_strata_key(
    database_at_0003: Database,
) -> None:
    _a_list(database_at_0003)
    upgrade(database_at_0003, "0004")
    assert current_revision(database_at_0003) == "0004"
    assert "seed_hex" not in _columns(database_at_0003)
    with database_at_0003.engine.connect() as connection:
        row = connection.execute(
            text("SELECT seed_sha256, late_strata_key_hex, block_sizes FROM randomisation_list")
        ).one()
        slots = connection.execute(text("SELECT count(*) FROM allocation_slot")).scalar_one()
    assert row.seed_sha256 == hashlib.sha256(SEED).hexdigest()
    assert row.late_strata_key_hex == late_strata_key(SEED).hex()
    assert row.late_strata_key_hex == hmac.new(SEED, LATE_STRATA_LABEL, "sha256").hexdigest()
    assert (row.block_sizes, slots) == ("2,4,6", 1)


def test_the_downgrade_is_refused_while_a_list_is_stored(database_at_0003: Database) -> None:
    _a_list(database_at_0003)
    upgrade(database_at_0003, "0004")
    with pytest.raises(RuntimeError, match=r"cannot downgrade below revision 0004: 1 allocation"):
        downgrade(database_at_0003, "0003")
    assert current_revision(database_at_0003) == "0004"
    assert "seed_sha256" in _columns(database_at_0003)


def test_without_a_list_the_downgrade_restores_the_column(database_at_0003: Database) -> None:
    upgrade(database_at_0003, "0004")
    downgrade(database_at_0003, "0003")
    assert current_revision(database_at_0003) == "0003"
    columns = _columns(database_at_0003)
    assert "seed_hex" in columns and "seed_sha256" not in columns
