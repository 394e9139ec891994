"""An administrator's changes to accounts: disable, enable, new password, unlock,
end sessions, full name — each audited (21 CFR Part 11 §11.10(d), (e): access limited to
authorised people, changes to it recorded).

A change that withdraws or alters what a person may do — disabling, a new password (and a new
role or site, ``clinic.site_access``) — also ends every web session of that user at once
(OWASP Session Management Cheat Sheet, "Renew the session ID after any privilege level
change"); disabling also revokes her personal API tokens (``clinic.tokens``: re-enabling her
does not revive them; a new role does not revoke them, they act with her roles of the
moment); a new password also forgets
the user's failed logins (the administrator has established who she is). ``unlock`` is the
CAPTCHA-free way past the login throttle (``clinic.throttle``): it forgets the failures of a
username, or of an address. Password hashes are computed by the caller before the transaction
(``users.password_hash``) and never enter the audit trail. A new full name (the printed name
of her signatures from then on, §11.50(a)(1)) changes nothing she may do: her sessions stay.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ovaregen.clinic import throttle, tokens
from ovaregen.clinic.users import UserError, check_full_name
from ovaregen.store import audit
from ovaregen.store.models import PasswordLink, User, WebSession, utc_now

ENTITY = "user"


def user_named(session: Session, username: str, *, for_update: bool = False) -> User:
    """The user called ``username``, or a refusal naming it."""
    query = select(User).where(User.username == username)
    found = session.execute(query.with_for_update() if for_update else query).scalar_one_or_none()
    if found is None:
        raise UserError(f"no user named {username!r} (ovaregen user list shows them)")
    return found


def _end_sessions(session: Session, user: User, keep: str | None = None) -> int:
    """End her web sessions, but the one whose token hash is ``keep`` (her own, when she
    changes her own password)."""
    query = delete(WebSession).where(WebSession.user_id == user.id)
    if keep is not None:
        query = query.where(WebSession.token_hash != keep)
    result = session.execute(query)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def void_links(session: Session, user: User, now: datetime | None = None) -> int:
    """Void every unused, unvoided one-time password link of ``user``
    (``clinic.password_links``); how many."""
    result = session.execute(
        update(PasswordLink)
        .where(
            PasswordLink.user_id == user.id,
            PasswordLink.used_at.is_(None),
            PasswordLink.voided_at.is_(None),
        )
        .values(voided_at=now or utc_now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _record(
    session: Session, user: User, by: str, changes: dict[str, object], reason: str = ""
) -> None:
    audit.record(
        session,
        username=by,
        action=audit.Action.UPDATE,
        entity=ENTITY,
        entity_id=user.id,
        changes={"username": user.username, **changes},
        reason=reason,
    )


def set_active(session: Session, username: str, *, active: bool, by: str, reason: str = "") -> int:
    """Enable or disable ``username``; disabling ends her sessions, revokes her API tokens
    and voids her password links. Returns how many sessions ended."""
    user = user_named(session, username, for_update=True)
    if user.active == active:
        state = "enabled" if active else "disabled"
        raise UserError(f"{username} is {state} already; nothing was changed")
    user.active = active
    ended = revoked = voided = 0
    if not active:
        ended = _end_sessions(session, user)
        revoked = tokens.revoke_all(session, user, by=by, reason=reason or "the user was disabled")
        voided = void_links(session, user)
    changes = {
        "active": [not active, active],
        "sessions_ended": ended,
        "tokens_revoked": revoked,
        "links_voided": voided,
    }
    _record(session, user, by, changes, reason)
    return ended


def set_password(
    session: Session,
    username: str,
    *,
    new_hash: str,
    by: str,
    reason: str = "",
    keep_session: str | None = None,
) -> int:
    """Give ``username`` the password whose hash is ``new_hash`` (checked against the rule by
    the caller), end her sessions (but ``keep_session``, a token hash: her own when she
    changes it herself), void her unused password links, forget her failed logins. Returns
    how many sessions ended."""
    user = user_named(session, username, for_update=True)
    user.password_hash = new_hash
    ended = _end_sessions(session, user, keep_session)
    voided = void_links(session, user)
    forgotten = throttle.forget_username(session, username)
    _record(
        session,
        user,
        by,
        {
            "password": ["(old)", "(new)"],
            "sessions_ended": ended,
            "links_voided": voided,
            "failures_forgotten": forgotten,
        },
        reason,
    )
    return ended


def set_full_name(
    session: Session, username: str, *, full_name: str, by: str, reason: str = ""
) -> str:
    """Give ``username`` the full name ``full_name`` (``users.check_full_name``), printed on
    the signatures she makes from now on; her past signatures keep the name they were made
    with (``signature.printed_name``). Audited; returns the name as kept."""
    name = check_full_name(full_name)
    user = user_named(session, username, for_update=True)
    if user.full_name == name:
        raise UserError(f"{username}'s full name is {name!r} already; nothing was changed")
    before = user.full_name or None
    user.full_name = name
    _record(session, user, by, {"full_name": [before, name]}, reason)
    return name


def revoke_sessions(session: Session, username: str, *, by: str, reason: str = "") -> int:
    """End every web session of ``username`` (she must log in again). Returns how many."""
    user = user_named(session, username)
    ended = _end_sessions(session, user)
    _record(session, user, by, {"sessions_ended": ended}, reason)
    return ended


def unlock_username(session: Session, username: str, *, by: str, reason: str = "") -> int:
    """Forget the failed logins of ``username`` (a known user); how many were forgotten."""
    user = user_named(session, username)
    forgotten = throttle.forget_username(session, username)
    _record(session, user, by, {"failures_forgotten": forgotten}, reason)
    return forgotten


def unlock_address(session: Session, address: str, *, by: str, reason: str = "") -> int:
    """Forget the failed logins from ``address`` (for every username); how many."""
    forgotten = throttle.forget_address(session, address)
    audit.record(
        session,
        username=by,
        action=audit.Action.UPDATE,
        entity="login_address",
        entity_id=address[: throttle.FIELD_LENGTH],
        changes={"failures_forgotten": forgotten},
        reason=reason,
    )
    return forgotten
