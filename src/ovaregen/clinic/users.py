"""Users: creation with an Argon2 password hash, and logging in without holding the database.

There is no default account and no default password: the first user is added on the command
line (``ovaregen user add``); the password rule is ``clinic.passwords``.

A login takes three steps so that Argon2 (about a quarter of a second) never runs inside a
database transaction (on SQLite a transaction holds the database's write lock; everyone else
would wait): ``begin_login`` — a short transaction that asks the throttle (``clinic.throttle``)
and, if allowed, reserves the attempt and reads the hash; ``check`` — the Argon2 verification,
no transaction open; ``finish_login`` — a short transaction that records the outcome (and where
the caller starts the web session). ``log_in`` runs the three for callers without a session.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic import throttle
from ovaregen.clinic.devices import device_token, is_known_device
from ovaregen.clinic.passwords import MIN_PASSWORD_LENGTH, password_problem
from ovaregen.clinic.roles import Role
from ovaregen.store import audit
from ovaregen.store.database import Database
from ovaregen.store.models import User, utc_now

__all__ = ["MIN_PASSWORD_LENGTH", "USERNAME_PATTERN", "UserError", "add_user", "log_in"]

USERNAME_PATTERN = "letters, digits, '.', '_' or '-', 2–64 characters"

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password of anyone")
"""Verified for an unknown username, so that its answer takes as long as a known one's."""


class UserError(ValueError):
    """A user cannot be created or changed as asked (the message says why)."""


def check_username(username: str) -> None:
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    if not 2 <= len(username) <= 64 or not set(username) <= allowed:
        raise UserError(f"username {username!r} is not valid: expected {USERNAME_PATTERN}")


def check_password(password: str, username: str = "") -> None:
    """Refuse a password that breaks the rule of ``clinic.passwords`` (the message says why)."""
    problem = password_problem(password, username)
    if problem is not None:
        raise UserError(problem)


FULL_NAME_LIMIT = 200
"""The longest full name kept (``app_user.full_name``, ``signature.printed_name``)."""


def check_full_name(full_name: str) -> str:
    """The full name as kept — the printed name of her signatures (21 CFR 11.50(a)(1)):
    spaces at the ends dropped and runs of spaces made one; refused when empty, longer than
    ``FULL_NAME_LIMIT`` or holding a control character."""
    name = " ".join(full_name.split())
    if not name:
        raise UserError("full name: empty; give her name as it is printed on her signatures")
    if len(name) > FULL_NAME_LIMIT:
        raise UserError(f"full name: {len(name)} characters, expected at most {FULL_NAME_LIMIT}")
    if any(not character.isprintable() for character in name):
        raise UserError("full name: holds a control or invisible character; type it again")
    return name


def check_role(role: str) -> str:
    """The role's canonical name, or a refusal listing the roles."""
    try:
        return Role(role).value
    except ValueError:
        raise UserError(
            f"role {role!r} is not known: expected one of {', '.join(r.value for r in Role)}"
        ) from None


def password_hash(password: str) -> str:
    """An Argon2id hash of ``password`` (slow on purpose: compute it outside transactions)."""
    return _hasher.hash(password)


def no_password_hash() -> str:
    """A stored hash no password matches (not an Argon2 hash: verification always fails), for
    an account whose owner sets her password by a one-time link (``clinic.password_links``)."""
    return "!unset-" + secrets.token_hex(16)


def add_user(
    session: Session,
    *,
    username: str,
    password: str | None,
    by: str,
    full_name: str = "",
) -> User:
    """Create a user with an Argon2id hash of ``password``, or with no usable password
    (``None``: she sets it by a one-time link), and her full name if given (checked by
    ``check_full_name``); audited. She holds no role and sees nobody until given grants
    (``clinic.site_access.give``)."""
    check_username(username)
    name = check_full_name(full_name) if full_name.strip() else ""
    if password is not None:
        check_password(password, username)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise UserError(f"a user named {username!r} exists already")
    stored = password_hash(password) if password is not None else no_password_hash()
    user = User(username=username, full_name=name, password_hash=stored, active=True)
    session.add(user)
    session.flush()
    changes: dict[str, object] = {
        "username": [None, username],
        "active": [None, True],
    }
    if name:
        changes["full_name"] = [None, name]
    audit.record(
        session,
        username=by,
        action=audit.Action.CREATE,
        entity="user",
        entity_id=user.id,
        changes=changes,
    )
    return user


@dataclass(frozen=True)
class Attempt:
    """A login attempt after ``begin_login``: admitted (then the hash to check) or refused."""

    username: str
    client: str
    admission: throttle.Admission
    user_id: int | None = None
    password_hash: str = _DUMMY_HASH


@dataclass(frozen=True)
class Verdict:
    """The password check: right or not, and a fresh hash when the parameters changed."""

    valid: bool
    new_hash: str | None = None


@dataclass(frozen=True)
class LoginResult:
    """The user logged in (or None); when throttled, how long to wait; on success, a new
    device token for this browser (``clinic.devices``)."""

    user: User | None
    throttled: bool = False
    retry_after: timedelta = timedelta(0)
    device: str | None = None

    @property
    def retry_after_seconds(self) -> int:
        """The wait in whole seconds, rounded up (``Retry-After``)."""
        return max(1, math.ceil(self.retry_after.total_seconds())) if self.throttled else 0


def begin_login(
    session: Session,
    *,
    username: str,
    client: str,
    device: str | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Step 1 (short transaction): ask the throttle, reserve the attempt, read the hash."""
    now = now or utc_now()
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    known = user is not None and is_known_device(device, username, user.password_hash, now)
    admission = throttle.admit(
        session, username=username, client=client, known_device=known, now=now
    )
    if not admission.admitted or user is None:
        return Attempt(username, client, admission)
    return Attempt(username, client, admission, user.id, user.password_hash)


def check(attempt: Attempt, password: str) -> Verdict:
    """Step 2 (no transaction open): verify the password with Argon2; a refused attempt is
    not checked."""
    if not attempt.admission.admitted:
        return Verdict(False)
    try:
        _hasher.verify(attempt.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return Verdict(False)
    if attempt.user_id is None:
        return Verdict(False)
    if _hasher.check_needs_rehash(attempt.password_hash):
        return Verdict(True, _hasher.hash(password))
    return Verdict(True)


def finish_login(
    session: Session, attempt: Attempt, verdict: Verdict, now: datetime | None = None
) -> LoginResult:
    """Step 3 (short transaction): record the outcome. A wrong password keeps its reserved
    failure; a right one forgets this username's failures at this address — unless the user
    was disabled or given a new password meanwhile, which counts as a failure."""
    if not attempt.admission.admitted:
        return LoginResult(None, throttled=True, retry_after=attempt.admission.retry_after)
    if not verdict.valid or attempt.user_id is None:
        return LoginResult(None)
    user = session.get(User, attempt.user_id)
    if user is None or not user.active or user.password_hash != attempt.password_hash:
        return LoginResult(None)
    throttle.succeeded(session, attempt.username, attempt.client)
    if verdict.new_hash is not None:
        user.password_hash = verdict.new_hash
    return LoginResult(
        user, device=device_token(user.username, user.password_hash, now or utc_now())
    )


def log_in(
    database: Database,
    *,
    username: str,
    password: str,
    client: str,
    device: str | None = None,
) -> LoginResult:
    """The three steps, each in its own transaction, Argon2 outside them."""
    with database.transaction() as session:
        attempt = begin_login(session, username=username, client=client, device=device)
    verdict = check(attempt, password)
    with database.transaction() as session:
        return finish_login(session, attempt, verdict)
