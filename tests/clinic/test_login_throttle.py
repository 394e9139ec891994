"""The login throttle (``clinic.throttle``, ``clinic.users``): back-off a legitimate user can
outlast, counted atomically — on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from ovaregen.clinic import throttle, users
from ovaregen.clinic.users import LoginResult, begin_login, check, finish_login, log_in
from ovaregen.store.database import Database
from ovaregen.store.models import LoginFailure, User, utc_now
from tests.clinic_fixtures import PASSWORD

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
"""A fast hash for the simulations (the throttle does not depend on Argon2's cost)."""
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=utc_now().tzinfo)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """New hashes cheap too, so that a success does not re-hash at full cost."""
    monkeypatch.setattr(users, "_hasher", CHEAP)


def cheap_user(database: Database, username: str = "ana") -> str:
    with database.transaction() as session:
        session.add(User(username=username, password_hash=CHEAP.hash(PASSWORD)))
    return username


def attempt(
    database: Database,
    password: str,
    at: datetime,
    *,
    username: str = "ana",
    client: str = "10.0.0.1",
    device: str | None = None,
) -> LoginResult:
    with database.transaction() as session:
        started = begin_login(session, username=username, client=client, device=device, now=at)
    verdict = check(started, password)
    with database.transaction() as session:
        return finish_login(session, started, verdict, now=at)


def test_limits_double_from_the_free_allowance_up_to_the_cap() -> None:
    waits = [throttle.PAIR.wait(n).total_seconds() for n in range(4, 13)]
    assert waits == [0, 30, 60, 120, 240, 480, 900, 900, 900]
    assert throttle.USERNAME.wait(9) == timedelta(0)
    assert throttle.USERNAME.wait(10) == timedelta(seconds=30)
    assert throttle.ADDRESS.wait(29) == timedelta(0)
    assert throttle.PAIR.wait(10_000) == timedelta(minutes=15)


def test_five_free_failures_then_a_wait_measured_from_the_last_failure(
    clinic_database: Database,
) -> None:
    cheap_user(clinic_database)
    for n in range(5):
        result = attempt(clinic_database, "wrong guess here", T0 + n * SECOND)
        assert (result.user, result.throttled) == (None, False)
    refused = attempt(clinic_database, PASSWORD, T0 + 5 * SECOND)
    assert refused.throttled
    assert refused.retry_after_seconds == 29  # 30 s after the 5th failure, at T0 + 4 s
    sixth = attempt(clinic_database, "wrong guess here", T0 + 34 * SECOND)
    assert not sixth.throttled  # the wait is over: this one is checked (and fails)
    again = attempt(clinic_database, PASSWORD, T0 + 93 * SECOND)
    assert again.throttled and again.retry_after_seconds == 1  # now 60 s after the 6th
    right = attempt(clinic_database, PASSWORD, T0 + 94 * SECOND)
    assert right.user is not None and right.user.username == "ana"
    with clinic_database.transaction() as session:
        left = session.execute(select(func.count()).select_from(LoginFailure)).scalar_one()
    assert left == 0  # a success forgets this username's failures at this address


def test_an_attacker_who_keeps_trying_renews_nothing_and_the_user_gets_in(
    clinic_database: Database,
) -> None:
    cheap_user(clinic_database)
    at, checked = T0, []
    while at < T0 + timedelta(hours=1):  # one guess every 20 seconds for an hour
        result = attempt(clinic_database, "attacker guess", at, client="203.0.113.9")
        if not result.throttled:
            checked.append(at)
        at += 20 * SECOND
    # 5 free, then waits of 30 s … 8 min, then one check per 15 minutes: never a lock.
    assert 11 <= len(checked) <= 14
    gaps = [b - a for a, b in itertools.pairwise(checked[10:])]
    assert all(timedelta(minutes=15) <= gap < timedelta(minutes=15, seconds=20) for gap in gaps)
    last = checked[-1]
    # The owner from her own address: the username count makes her wait at most 15 minutes
    # after the attacker's last check, and then the right password succeeds.
    waiting = attempt(clinic_database, PASSWORD, last + SECOND, client="10.0.0.1")
    assert waiting.throttled and waiting.retry_after <= timedelta(minutes=15)
    inside = attempt(clinic_database, PASSWORD, last + timedelta(minutes=15), client="10.0.0.1")
    assert inside.user is not None


def test_a_known_device_gets_in_during_an_attack_from_elsewhere(clinic_database: Database) -> None:
    cheap_user(clinic_database)
    first = attempt(clinic_database, PASSWORD, T0)
    assert first.device is not None
    for n in range(40):  # the attacker: many addresses, the same username
        attempt(clinic_database, "attacker guess", T0 + (n + 1) * SECOND, client=f"198.51.100.{n}")
    during = T0 + 45 * SECOND
    assert attempt(clinic_database, PASSWORD, during, client="10.0.0.2").throttled
    known = attempt(clinic_database, PASSWORD, during, client="10.0.0.2", device=first.device)
    assert known.user is not None
    forged = attempt(clinic_database, PASSWORD, during, client="10.0.0.3", device="1.abc")
    assert forged.throttled


def test_one_address_behind_a_nat_slows_but_never_locks_its_colleagues(
    clinic_database: Database,
) -> None:
    for name in ("ana", "bea", *(f"u{n}" for n in range(30)), "u99"):
        cheap_user(clinic_database, name)
    for n in range(30):  # someone behind the clinic's NAT address tries 30 usernames
        attempt(clinic_database, "guess", T0 + n * SECOND, username=f"u{n}", client="192.0.2.1")
    refused = attempt(clinic_database, PASSWORD, T0 + 30 * SECOND, client="192.0.2.1")
    assert refused.throttled and refused.retry_after_seconds == 29
    assert attempt(clinic_database, PASSWORD, T0 + 60 * SECOND, client="192.0.2.1").user
    # A failure later doubles the address's wait, measured from that failure only.
    attempt(clinic_database, "guess", T0 + 61 * SECOND, username="u99", client="192.0.2.1")
    later = attempt(clinic_database, PASSWORD, T0 + 62 * SECOND, username="bea", client="192.0.2.1")
    assert later.throttled and later.retry_after_seconds == 59
    assert attempt(
        clinic_database, PASSWORD, T0 + 121 * SECOND, username="bea", client="192.0.2.1"
    ).user


def test_failures_are_forgotten_after_a_day(clinic_database: Database) -> None:
    cheap_user(clinic_database)
    for n in range(12):
        attempt(clinic_database, "wrong guess here", T0 + n * timedelta(minutes=16))
    assert attempt(clinic_database, PASSWORD, T0 + timedelta(hours=3, minutes=10)).throttled
    tomorrow = attempt(clinic_database, "wrong guess here", T0 + timedelta(hours=28))
    assert not tomorrow.throttled
    with clinic_database.transaction() as session:
        kept = session.execute(select(func.count()).select_from(LoginFailure)).scalar_one()
    assert kept == 1  # only the new failure: older than 24 h were deleted


def test_a_disabled_user_with_the_right_password_is_refused_and_counted(
    clinic_database: Database,
) -> None:
    cheap_user(clinic_database)
    with clinic_database.transaction() as session:
        session.execute(select(User).where(User.username == "ana")).scalar_one().active = False
    result = attempt(clinic_database, PASSWORD, T0)
    assert (result.user, result.throttled) == (None, False)
    with clinic_database.transaction() as session:
        assert session.execute(select(func.count()).select_from(LoginFailure)).scalar_one() == 1


def test_thirty_parallel_wrong_passwords_get_at_most_five_checks(
    clinic_database: Database,
) -> None:
    barrier = threading.Barrier(30)
    results: list[LoginResult] = []
    errors: list[BaseException] = []

    def guess() -> None:
        try:
            barrier.wait()
            results.append(
                log_in(clinic_database, username="monitor", password="x guess y z", client="c")
            )
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=guess) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    checked = [r for r in results if not r.throttled]
    assert len(results) == 30
    assert len(checked) == throttle.PAIR.free
    assert all(r.retry_after_seconds > 0 for r in results if r.throttled)
    with clinic_database.transaction() as session:
        recorded = session.execute(select(func.count()).select_from(LoginFailure)).scalar_one()
    assert recorded == throttle.PAIR.free


def test_overlong_usernames_and_addresses_are_counted_cut_to_their_column(
    clinic_database: Database,
) -> None:
    name, address = "u" * 200, "a" * 200  # the route allows 64; the command line does not cut
    for n in range(5):
        attempt(clinic_database, "guess", T0 + n * SECOND, username=name, client=address)
    refused = attempt(clinic_database, "guess", T0 + 5 * SECOND, username=name, client=address)
    assert refused.throttled
    cut = attempt(
        clinic_database, "guess", T0 + 5 * SECOND, username=name[:64], client=address[:64]
    )
    assert cut.throttled  # the same pair as stored


def test_an_attempt_whose_clock_reads_earlier_than_a_parallel_reservation_is_admitted(
    clinic_database: Database,
) -> None:
    """Within the free failures nobody waits, whatever the order of the clocks: a request that
    read the time just before a parallel one reserved its attempt (the later ``at``) was told
    to wait until that moment — ten colleagues logging in at once from one address got 429."""
    for name in ("ana", "eva"):
        cheap_user(clinic_database, name)
    with clinic_database.transaction() as session:
        first = begin_login(session, username="eva", client="10.0.0.1", now=T0 + SECOND)
    assert first.admission.admitted
    earlier = attempt(clinic_database, PASSWORD, T0, username="ana")
    assert not earlier.throttled and earlier.user is not None


def test_ten_colleagues_logging_in_at_once_from_one_address_all_get_in(
    clinic_database: Database,
) -> None:
    names = [cheap_user(clinic_database, f"colleague{i}") for i in range(10)]
    barrier = threading.Barrier(len(names))
    results: list[LoginResult] = []
    errors: list[BaseException] = []

    def log_in_as(name: str) -> None:
        try:
            barrier.wait()
            results.append(log_in(clinic_database, username=name, password=PASSWORD, client="n"))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=log_in_as, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(results) == len(names)
    assert all(r.user is not None and not r.throttled for r in results)
