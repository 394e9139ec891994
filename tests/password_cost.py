"""Argon2 at a test cost inside the test process; the production parameters stay as they are.

Rule (issue 13b): a password hash costs about a fifth of a second by design (``clinic.users``:
Argon2id, argon2-cffi's RFC 9106 low-memory profile), and the clinic tests hash eight users per
database and verify a password per login, thousands of times. Inside the test process the
hasher is swapped for a cheap Argon2id one for the whole session (the code paths are the same:
hash, verify, check for a re-hash); ``ovaregen`` processes the tests start (``serve``, the
command line) keep the production cost. ``tests/clinic/test_password_cost.py`` checks the
production parameters and that a hash made at the test cost is renewed at the production
cost at the next login.

The hooks are loaded by ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from ovaregen.clinic import users

PRODUCTION_HASHER = users._hasher
"""The hasher ``ovaregen`` uses, kept before the tests replace it."""
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
"""Argon2id at its smallest cost (8 KiB, one pass): microseconds instead of 0.2 s."""


@pytest.fixture(autouse=True, scope="session")
def password_hashes_at_test_cost() -> Iterator[PasswordHasher]:
    """Every password hashed or verified in this process uses ``TEST_HASHER``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_hasher", TEST_HASHER)
        yield TEST_HASHER
