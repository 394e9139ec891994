"""The administrator's view of the accounts, and a new account without a typed password.

An account made on the web is created with no usable password and a one-time set-password
link (``clinic.password_links``): the administrator never knows her password (21 CFR Part 11
§11.300(a), (b): identification codes and passwords unique to one person and issued under
control; NIST SP 800-63B §6.1.2.3). At least one grant of sites is required, as on the
command line (``clinic.site_access.grants_of``: least privilege, no site assumed).

The list says of each user her role, grants, whether active, her last login if known (the
newest of her live web sessions: a login that has ended is not kept), whether the login
throttle holds her back (``clinic.throttle.lockout``) and whether a link waits to be used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ovaregen.clinic import throttle
from ovaregen.clinic.password_links import Issued, Purpose, issue, pending_link
from ovaregen.clinic.scope import Access, access_of
from ovaregen.clinic.site_access import give, grants_of
from ovaregen.clinic.users import add_user
from ovaregen.store.models import PasswordLink, User, WebSession, utc_now


@dataclass(frozen=True)
class Account:
    """One row of the administrator's list."""

    user: User
    access: Access
    last_login: datetime | None
    lockout: throttle.Lockout
    pending_link: PasswordLink | None

    @property
    def username(self) -> str:
        return self.user.username


def accounts(session: Session, now: datetime | None = None) -> list[Account]:
    """Every user, by username."""
    now = now or utc_now()
    newest = select(WebSession.user_id, func.max(WebSession.created_at)).group_by(
        WebSession.user_id
    )
    last = {user_id: at for user_id, at in session.execute(newest)}
    return [
        Account(
            user,
            access_of(session, user.id),
            last.get(user.id),
            throttle.lockout(session, user.username, now),
            pending_link(session, user, now),
        )
        for user in session.execute(select(User).order_by(User.username)).scalars()
    ]


def create_account(
    session: Session,
    *,
    username: str,
    role: str,
    studies: Iterable[str],
    sites: Iterable[str],
    by: str,
    reason: str = "",
    full_name: str = "",
) -> tuple[User, Issued]:
    """A new active user with her grants, her full name (if given) and no usable password,
    and her one-time set-password link (shown once to the administrator); each step audited.
    Refused (``UserError``, nothing saved by the caller's transaction) without a site."""
    grants = grants_of(studies, sites, role)
    user = add_user(session, username=username, password=None, by=by, full_name=full_name)
    give(session, user, grants, by=by, reason=reason)
    return user, issue(session, user, by=by, purpose=Purpose.SET, reason=reason)
