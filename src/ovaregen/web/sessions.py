"""Login sessions and CSRF tokens.

The session cookie carries a random 256-bit token (HttpOnly, SameSite=Lax, Secure behind
HTTPS); the database keeps only its SHA-256, with an idle and an absolute expiry. Each session
has its own CSRF token (synchronizer token pattern, OWASP CSRF Cheat Sheet): every form posts
it as ``csrf_token`` and every API write sends it as ``X-CSRF-Token``. The login form, before any
session exists, uses a double-submit cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ovaregen.store.database import Database, DatabaseBusyError, is_busy
from ovaregen.store.models import User, WebSession, utc_now
from ovaregen.web.settings import Settings

SESSION_COOKIE = "ovaregen_session"
LOGIN_CSRF_COOKIE = "ovaregen_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
TOUCH_EVERY_SECONDS = 60
TOUCH_WAIT_SECONDS = 1.0
"""How long a GET waits to record ``last_seen`` before leaving it to the next request."""
log = logging.getLogger("ovaregen.web")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_match(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def start_session(session: Session, user: User, settings: Settings) -> str:
    """A new session for ``user``; returns the cookie token (the database keeps its hash)."""
    token = new_token()
    now = utc_now()
    session.add(
        WebSession(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=new_token(),
            created_at=now,
            last_seen=now,
            expires_at=now + settings.session_absolute,
        )
    )
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    return token


def find_session(
    session: Session, token: str | None, settings: Settings, *, database: Database | None = None
) -> WebSession | None:
    """The live session for a cookie token, or None.

    ``last_seen`` is written at most once a minute (``TOUCH_EVERY_SECONDS``). With ``database``
    (the request's own session is read-only: a GET) that write is its own short transaction,
    skipped when the database is busy (the next request tries again), and an expired session
    is left for ``start_session`` to remove: a GET never waits for the write lock (issue 11).
    Otherwise both happen in ``session``.
    """
    if not token:
        return None
    found = session.execute(
        select(WebSession).where(WebSession.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if found is None:
        return None
    now = utc_now()
    if _aware(found.expires_at) <= now or now - _aware(found.last_seen) > settings.session_idle:
        if database is None:
            session.delete(found)
        return None
    if not found.user.active:
        return None
    if (now - _aware(found.last_seen)).total_seconds() > TOUCH_EVERY_SECONDS:
        if database is None:
            found.last_seen = now
        else:
            _touch(database, found.token_hash, now)
    return found


def _touch(database: Database, hashed: str, now: datetime) -> None:
    """Record that the session was used, in its own transaction; skipped when busy."""
    stale = now - timedelta(seconds=TOUCH_EVERY_SECONDS)
    try:
        with database.transaction(wait_seconds=TOUCH_WAIT_SECONDS) as writing:
            writing.execute(
                update(WebSession)
                .where(WebSession.token_hash == hashed, WebSession.last_seen < stale)
                .values(last_seen=now)
            )
    except (DatabaseBusyError, OperationalError) as error:
        if not is_busy(error):
            raise
        log.info("a session was not touched: the database is busy")


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))
