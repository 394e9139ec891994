"""Users: creation with an Argon2 password hash, verification, throttled login.

There is no default account and no default password: the first user is added on the command
line (``ovaregen user add``). Passwords: at least 12 characters (NIST SP 800-63B §5.1.1.2
recommends ≥ 8 and allows more; a clinic database warrants more).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ovaregen.clinic.roles import Role
from ovaregen.store import audit
from ovaregen.store.models import LoginFailure, User, utc_now

MIN_PASSWORD_LENGTH = 12
USERNAME_PATTERN = "letters, digits, '.', '_' or '-', 2–64 characters"
MAX_FAILURES = 5
"""Failed logins per username (or per client address × 4) within ``FAILURE_WINDOW``."""
FAILURE_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class UserError(ValueError):
    """A user cannot be created or changed as asked (the message says why)."""


def _check_username(username: str) -> None:
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    if not 2 <= len(username) <= 64 or not set(username) <= allowed:
        raise UserError(f"username {username!r} is not valid: expected {USERNAME_PATTERN}")


def check_password(password: str) -> None:
    """Refuse a password that is too short or only spaces."""
    if len(password) < MIN_PASSWORD_LENGTH or not password.strip():
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def add_user(session: Session, *, username: str, role: str, password: str, by: str) -> User:
    """Create a user with an Argon2id hash of ``password``; audited."""
    _check_username(username)
    try:
        role = Role(role).value
    except ValueError:
        raise UserError(
            f"role {role!r} is not known: expected one of {', '.join(r.value for r in Role)}"
        ) from None
    check_password(password)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise UserError(f"a user named {username!r} exists already")
    user = User(username=username, role=role, password_hash=_hasher.hash(password), active=True)
    session.add(user)
    session.flush()
    audit.record(
        session,
        username=by,
        action=audit.Action.CREATE,
        entity="user",
        entity_id=user.id,
        changes={"username": [None, username], "role": [None, role], "active": [None, True]},
    )
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled: bool = False


def _recent_failures(session: Session, column: InstrumentedAttribute[str], value: str) -> int:
    since = utc_now() - FAILURE_WINDOW
    return int(
        session.execute(
            select(func.count())
            .select_from(LoginFailure)
            .where(column == value, LoginFailure.at >= since)
        ).scalar_one()
    )


def authenticate(session: Session, *, username: str, password: str, client: str) -> LoginResult:
    """The user for these credentials, or None; refuses while throttled.

    Throttling: after ``MAX_FAILURES`` failures for a username, or four times as many from one
    client address, within ``FAILURE_WINDOW``, every attempt is refused until the window
    passes (OWASP Authentication Cheat Sheet, "Protect against automated attacks").
    """
    if (
        _recent_failures(session, LoginFailure.username, username) >= MAX_FAILURES
        or _recent_failures(session, LoginFailure.client, client) >= 4 * MAX_FAILURES
    ):
        return LoginResult(None, throttled=True)
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        valid = user is not None and user.active
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        valid = False
    if not valid or user is None:
        session.add(LoginFailure(username=username[:64], client=client[:64]))
        return LoginResult(None)
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return LoginResult(user)
