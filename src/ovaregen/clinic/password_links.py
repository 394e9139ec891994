"""One-time password links: how a person gets a password without an administrator typing it.

Rules (issue 13, item 1 and "Security notes"; NIST SP 800-63B §6.1.2.3 and the OWASP
Forgot Password Cheat Sheet):

- A new account has no usable password (``users.add_user`` without one); the administrator
  is shown a *set-password* link to hand over. A *reset* link does the same for an existing
  account. There is no mail server here: the link is printed on the administrator's page (or
  by ``ovaregen user reset-link``) and handed over in person or by the site's own channel.
- The link's secret is ``secrets.token_urlsafe(32)`` (256 random bits); the database keeps
  only its SHA-256 (a random secret needs no slow hash: ``clinic.tokens`` says why).
- A link has one purpose (setting that user's password), expires after ``LIFETIME`` (24 h),
  is spent by its one successful use, and a newer link voids the previous ones. Disabling the
  user voids them too (``clinic.accounts.set_active``).
- An expired, used, voided or unknown link, or one of a disabled user, gets one neutral
  answer (``LinkRefusedError``): nothing tells a guesser which. Guessing is throttled per
  address like logging in (``clinic.throttle``, under the pseudo-username ``THROTTLE_NAME``,
  which no real username can be).
- Using a link sets the password, ends every web session of the user and forgets her failed
  logins (``clinic.accounts.set_password``); issuing and using are audited, never the secret.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ovaregen.clinic import throttle
from ovaregen.clinic.accounts import ENTITY, set_password, void_links
from ovaregen.store import audit
from ovaregen.store.models import LoginFailure, PasswordLink, User, utc_now

LIFETIME = timedelta(hours=24)
PATH = "/reset/"
"""A link is ``PATH`` + secret, on the server's address."""
THROTTLE_NAME = "(password link)"
"""The throttle's username for guesses at links (has characters no username may hold)."""
SECRET_LENGTH = 43
"""``token_urlsafe(32)`` is 43 characters; anything else is refused without a lookup."""
REFUSED = (
    "This link cannot be used: it may have expired, been used already, or been replaced by "
    "a newer one. Ask your administrator for a new link."
)


class Purpose(StrEnum):
    SET = "set"
    """A new account's first password."""
    RESET = "reset"
    """A new password for an existing account."""


class LinkRefusedError(ValueError):
    """The link cannot be used; one neutral message whatever the cause."""

    def __init__(self) -> None:
        super().__init__(REFUSED)


class LinkThrottledError(Exception):
    """Too many wrong links from this address: wait ``retry_after``."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__("too many unusable links from this address")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Issued:
    """A link just issued: its secret is shown this once."""

    row: PasswordLink
    secret: str

    @property
    def path(self) -> str:
        return PATH + self.secret


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def issue(
    session: Session,
    user: User,
    *,
    by: str,
    purpose: Purpose = Purpose.RESET,
    reason: str = "",
    now: datetime | None = None,
) -> Issued:
    """A new link for ``user`` (her earlier unused links are voided); audited."""
    now = now or utc_now()
    voided = void_links(session, user, now)
    secret = secrets.token_urlsafe(32)
    row = PasswordLink(
        token_hash=secret_hash(secret),
        user_id=user.id,
        purpose=purpose.value,
        created_at=now,
        created_by=by,
        expires_at=now + LIFETIME,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        username=by,
        action=audit.Action.UPDATE,
        entity=ENTITY,
        entity_id=user.id,
        changes={
            "username": user.username,
            "password_link": [None, purpose.value],
            "link_expires_at": row.expires_at.isoformat(),
            "links_voided": voided,
        },
        reason=reason,
    )
    return Issued(row, secret)


def _live(session: Session, secret: str, now: datetime, *, for_update: bool) -> PasswordLink:
    if len(secret) != SECRET_LENGTH:
        raise LinkRefusedError
    query = select(PasswordLink).where(PasswordLink.token_hash == secret_hash(secret))
    found = session.execute(query.with_for_update() if for_update else query).scalar_one_or_none()
    if (
        found is None
        or found.used_at is not None
        or found.voided_at is not None
        or _aware(found.expires_at) <= now
        or not found.user.active
    ):
        raise LinkRefusedError
    return found


def admit_link(session: Session, secret: str, *, client: str, now: datetime | None = None) -> User:
    """The user whose live link ``secret`` is, after asking the throttle for ``client``'s
    address: ``LinkThrottledError`` while it waits, ``LinkRefusedError`` for an unusable link
    (counted as a failure). Call in a write transaction; changes nothing else."""
    now = now or utc_now()
    admission = throttle.admit(
        session, username=THROTTLE_NAME, client=client, known_device=True, now=now
    )
    if not admission.admitted:
        raise LinkThrottledError(admission.retry_after)
    found = _live(session, secret, now, for_update=False)  # refused: the reservation stays
    session.execute(delete(LoginFailure).where(LoginFailure.id == admission.reservation))
    return found.user


def use_link(session: Session, secret: str, *, new_hash: str, now: datetime | None = None) -> User:
    """Spend the live link ``secret``: give its user the password whose hash is ``new_hash``
    (checked against the rule by the caller), end her sessions, forget her failed logins;
    audited as the user herself. ``LinkRefusedError`` when the link is not live (then
    nothing changed)."""
    now = now or utc_now()
    link = _live(session, secret, now, for_update=True)
    link.used_at = now
    user = link.user
    set_password(
        session,
        user.username,
        new_hash=new_hash,
        by=user.username,
        reason=f"password set by a one-time {link.purpose} link issued by {link.created_by}",
    )
    return user


def links_of(session: Session, user: User) -> list[PasswordLink]:
    """Her links, newest first."""
    return list(
        session.execute(
            select(PasswordLink)
            .where(PasswordLink.user_id == user.id)
            .order_by(PasswordLink.created_at.desc(), PasswordLink.id.desc())
        ).scalars()
    )


def pending_link(session: Session, user: User, now: datetime | None = None) -> PasswordLink | None:
    """Her link still waiting to be used, if any."""
    now = now or utc_now()
    for link in links_of(session, user):
        if link.used_at is None and link.voided_at is None and _aware(link.expires_at) > now:
            return link
    return None
