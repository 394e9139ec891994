"""The production Argon2 parameters, which the rest of the suite replaces by a test cost
(``tests/password_cost.py``): ``ovaregen`` hashes with argon2-cffi's RFC 9106 low-memory profile
(Argon2id, 64 MiB, 3 passes, 4 lanes), and a hash made with other parameters — the tests' cheap
ones, or an older default — is renewed at the production cost at the next right login."""

from __future__ import annotations

import pytest
from argon2 import Type, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy import select

from ovaregen.clinic import users
from ovaregen.store.database import Database
from ovaregen.store.models import User
from tests.clinic_fixtures import PASSWORD
from tests.password_cost import PRODUCTION_HASHER, TEST_HASHER


@pytest.fixture
def production_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """``clinic.users`` with its own hasher back, for this test only."""
    monkeypatch.setattr(users, "_hasher", PRODUCTION_HASHER)


def test_the_production_hasher_is_the_rfc_9106_low_memory_profile() -> None:
    made = extract_parameters(PRODUCTION_HASHER.hash(PASSWORD))
    assert made == RFC_9106_LOW_MEMORY
    assert made.type is Type.ID
    assert made.memory_cost >= 64 * 1024, "at least 64 MiB (RFC 9106's second choice)"
    assert made.time_cost >= 3


def test_the_suite_hashes_cheaply_only_inside_its_own_process() -> None:
    assert users._hasher is TEST_HASHER
    assert TEST_HASHER.check_needs_rehash(PRODUCTION_HASHER.hash(PASSWORD))
    assert extract_parameters(users.password_hash(PASSWORD)).memory_cost < 1024


@pytest.mark.usefixtures("production_cost")
def test_a_new_password_is_hashed_at_the_production_cost() -> None:
    stored = users.password_hash(PASSWORD)
    assert extract_parameters(stored) == RFC_9106_LOW_MEMORY
    assert PRODUCTION_HASHER.verify(stored, PASSWORD)


def test_a_cheap_hash_is_renewed_at_the_production_cost_at_login(
    sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The users of the test database were hashed at the test cost (``migrated``)."""
    with sqlite_database.read() as session:
        before = session.scalars(select(User.password_hash).where(User.username == "monitor"))
        assert extract_parameters(before.one()) == extract_parameters(TEST_HASHER.hash("x"))
    monkeypatch.setattr(users, "_hasher", PRODUCTION_HASHER)
    wrong = users.log_in(sqlite_database, username="monitor", password="not it", client="t")
    assert wrong.user is None
    right = users.log_in(sqlite_database, username="monitor", password=PASSWORD, client="t")
    assert right.user is not None
    with sqlite_database.read() as session:
        after = session.scalars(select(User.password_hash).where(User.username == "monitor"))
        assert extract_parameters(after.one()) == RFC_9106_LOW_MEMORY
