"""The login throttle: exponential back-off that a legitimate user can outlast.

Every password check is first *reserved* as a failure (a ``LoginFailure`` row), atomically with
the decision to allow it, and when the password proves right the failures of that username at
that address (the reservation among them) are forgotten — so
parallel attempts cannot all slip past the count, and a crash between the two counts as a
failure. Failures are remembered for ``MEMORY`` (24 h; older ones are forgotten) and counted
three ways:

* by username **and** address — ``PAIR``: 5 free failures, then a wait of 30 s that doubles
  with each further failure, at most 15 min;
* by username from any address — ``USERNAME``: 10 free, then the same back-off (stops guessing
  one account from many addresses);
* by address for any username — ``ADDRESS``: 30 free, then the same back-off (stops one address
  trying many accounts; generous because a clinic's staff often share one NAT address).

The wait of each count is measured from its **last** failure, and an attempt refused while
waiting is not checked and not counted: an attacker who keeps trying gets one password check
per wait (at most one every 15 minutes per count), never a lock that renews itself, and the
right password succeeds once the wait is over (OWASP Authentication Cheat Sheet, "Protect
against automated attacks"; NIST SP 800-63B §5.2.2, rate limiting without permanent lockout).

A browser that has logged in as this user before (a *known device*, ``clinic.devices``) is
subject to the ``PAIR`` count only: an attacker elsewhere, or a colleague's mistakes behind the
same NAT address, cannot keep its owner out (OWASP "Slow Down Online Guessing Attacks with
Device Cookies"). What remains — an attacker at the user's own address aiming at her account,
or a new browser during an attack — the administrator clears without any CAPTCHA:
``ovaregen user unlock``.

Atomicity: on PostgreSQL each decision takes transaction-scoped advisory locks on the username
and then on the address (always in this order: no deadlock); on SQLite the write transaction
(``BEGIN IMMEDIATE``) serialises decisions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, select, text
from sqlalchemy.orm import Session

from ovaregen.store.models import LoginFailure

MEMORY = timedelta(hours=24)
"""Failures older than this are forgotten (and deleted)."""
_LOCK_SPACE_USERNAME = 0x4F56_0001
_LOCK_SPACE_ADDRESS = 0x4F56_0002
FIELD_LENGTH = 64
"""The stored length of a username or an address (longer ones are cut)."""


@dataclass(frozen=True)
class Limit:
    """``free`` failures cost nothing; after ``n ≥ free`` the wait is ``base · 2^(n − free)``,
    at most ``cap``, counted from the last failure."""

    free: int
    base: timedelta
    cap: timedelta

    def wait(self, failures: int) -> timedelta:
        if failures < self.free:
            return timedelta(0)
        doublings = min(failures - self.free, 32)  # 2^32 · base is far beyond any cap
        return min(self.cap, self.base * (1 << doublings))


PAIR = Limit(free=5, base=timedelta(seconds=30), cap=timedelta(minutes=15))
USERNAME = Limit(free=10, base=timedelta(seconds=30), cap=timedelta(minutes=15))
ADDRESS = Limit(free=30, base=timedelta(seconds=30), cap=timedelta(minutes=15))


@dataclass(frozen=True)
class Admission:
    """Whether a password check may happen now: ``reservation`` is the id of the failure row
    reserved for it, or None when refused, then ``retry_after`` says how long to wait."""

    reservation: int | None
    retry_after: timedelta = timedelta(0)

    @property
    def admitted(self) -> bool:
        return self.reservation is not None


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _lock_key(value: str) -> int:
    """A signed 32-bit key for ``pg_advisory_xact_lock(space, key)``."""
    return int.from_bytes(hashlib.sha256(value.encode("utf-8")).digest()[:4], "big", signed=True)


def _lock(session: Session, username: str, client: str) -> None:
    """Serialise decisions about this username and this address (PostgreSQL; SQLite's
    immediate transaction already holds the database's write lock)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for space, value in ((_LOCK_SPACE_USERNAME, username), (_LOCK_SPACE_ADDRESS, client)):
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"),
            {"space": space, "key": _lock_key(value)},
        )


def _wait_left(
    session: Session, where: ColumnElement[bool], limit: Limit, now: datetime
) -> timedelta:
    count, last = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            where, LoginFailure.at >= now - MEMORY
        )
    ).one()
    wait = limit.wait(int(count))
    if not wait or last is None:  # within the free failures: no wait, whatever the clocks say
        return timedelta(0)
    return max(timedelta(0), _aware(last) + wait - now)


def wait_left(
    session: Session, *, username: str, client: str, known_device: bool, now: datetime
) -> timedelta:
    """How long this username at this address must still wait (zero: a check may happen)."""
    username, client = username[:FIELD_LENGTH], client[:FIELD_LENGTH]
    waits = [
        _wait_left(
            session,
            and_(LoginFailure.username == username, LoginFailure.client == client),
            PAIR,
            now,
        )
    ]
    if not known_device:
        waits.append(_wait_left(session, LoginFailure.username == username, USERNAME, now))
        waits.append(_wait_left(session, LoginFailure.client == client, ADDRESS, now))
    return max(waits)


def admit(
    session: Session, *, username: str, client: str, known_device: bool, now: datetime
) -> Admission:
    """Decide atomically whether a password check may happen now; if so reserve it as a
    failure (``succeeded`` removes it). Call inside the caller's (short) transaction."""
    username, client = username[:FIELD_LENGTH], client[:FIELD_LENGTH]
    _lock(session, username, client)
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - MEMORY))
    left = wait_left(session, username=username, client=client, known_device=known_device, now=now)
    if left > timedelta(0):
        return Admission(None, left)
    reserved = LoginFailure(username=username, client=client, at=now)
    session.add(reserved)
    session.flush()
    return Admission(reserved.id)


def succeeded(session: Session, username: str, client: str) -> None:
    """The password was right: forget the failures of this username at this address (its
    reservation among them). Failures from elsewhere stay: a success here proves nothing
    about them, and forgetting them would hand an attacker new free attempts."""
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.username == username[:FIELD_LENGTH],
            LoginFailure.client == client[:FIELD_LENGTH],
        )
    )


def forget_username(session: Session, username: str) -> int:
    """Forget every failure recorded for ``username`` (an administrator's unlock); how many."""
    result = session.execute(
        delete(LoginFailure).where(LoginFailure.username == username[:FIELD_LENGTH])
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_address(session: Session, client: str) -> int:
    """Forget every failure recorded from the address ``client``; how many."""
    result = session.execute(
        delete(LoginFailure).where(LoginFailure.client == client[:FIELD_LENGTH])
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Lockout:
    """A username's recent failed logins and the longest wait they impose now (from one
    address, ``PAIR``, or from any, ``USERNAME``): what an administrator's unlock clears."""

    failures: int
    wait: timedelta

    @property
    def locked(self) -> bool:
        return self.wait > timedelta(0)


def lockout(session: Session, username: str, now: datetime) -> Lockout:
    """The recent failures of ``username`` and the wait they impose (a new browser's view)."""
    username = username[:FIELD_LENGTH]
    recent = and_(LoginFailure.username == username, LoginFailure.at >= now - MEMORY)
    failures = int(session.execute(select(func.count()).where(recent)).scalar_one())
    if not failures:
        return Lockout(0, timedelta(0))
    waits = [_wait_left(session, LoginFailure.username == username, USERNAME, now)]
    clients = session.execute(select(LoginFailure.client).where(recent).distinct()).scalars()
    for client in list(clients):
        pair = and_(LoginFailure.username == username, LoginFailure.client == client)
        waits.append(_wait_left(session, pair, PAIR, now))
    return Lockout(failures, max(waits))
