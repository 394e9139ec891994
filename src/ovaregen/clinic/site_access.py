"""Giving and withdrawing a user's access by study and site (``clinic.scope`` states what a
grant lets her see); each change audited (21 CFR Part 11 §11.10(d): access limited to
authorised people; §11.10(e): changes to it recorded) and ending her web sessions, so that
she works under her new access at once (OWASP Session Management Cheat Sheet: renew the
session after any privilege change).

A grant is written ``STUDY/SITE`` in the audit trail, ``all`` for every one. Granting a grant
she holds, or revoking one she does not hold, is refused (nothing changed).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ovaregen.clinic.scope import ALL, Access, Grant, access_of
from ovaregen.clinic.studies import NotFoundError, site_coded, study_named
from ovaregen.clinic.users import UserError
from ovaregen.store import audit
from ovaregen.store.models import SiteAccess, User, WebSession


def grants_of(studies: Iterable[str], sites: Iterable[str]) -> list[Grant]:
    """Every study × every site named (``all``, or nothing named, for studies: every study;
    ``all`` for sites: every site). No site named is refused: a user's sites are said, never
    assumed (least privilege)."""
    study_names = [s.strip() for s in studies if s.strip()]
    site_codes = [s.strip().upper() for s in sites if s.strip()]
    if not site_codes:
        raise UserError(
            "say which sites she works at: at least one site code, or all for every site "
            "(statisticians, administrators, central monitors); on the command line "
            "--site CODE (repeatable) or --site all"
        )
    study_part: list[str | None] = (
        [None] if not study_names or ALL in study_names else list(dict.fromkeys(study_names))
    )
    site_part: list[str | None] = (
        [None] if ALL.upper() in site_codes else list(dict.fromkeys(site_codes))
    )
    return [Grant(study, site) for study in study_part for site in site_part]


def _ids(session: Session, grant: Grant) -> tuple[int | None, int | None]:
    try:
        study = study_named(session, grant.study).id if grant.study is not None else None
        site = site_coded(session, grant.site).id if grant.site is not None else None
    except NotFoundError as error:
        raise UserError(f"{error.args[0]} (ovaregen site list shows the sites)") from None
    return study, site


def _end_sessions(session: Session, user: User) -> int:
    result = session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def give(
    session: Session, user: User, grants: Iterable[Grant], *, by: str, reason: str = ""
) -> Access:
    """Give ``user`` the grants she does not hold yet; audited; her sessions end."""
    held = access_of(session, user.id).grants
    wanted = [g for g in dict.fromkeys(grants)]
    new = [g for g in wanted if g not in held]
    if not new:
        raise UserError(f"{user.username} holds {', '.join(map(str, wanted))} already")
    for grant in new:
        study_id, site_id = _ids(session, grant)
        session.add(SiteAccess(user_id=user.id, study_id=study_id, site_id=site_id, granted_by=by))
    session.flush()
    ended = _end_sessions(session, user)
    after = access_of(session, user.id)
    _record(session, user, by, sorted(held, key=str), after, ended, reason)
    return after


def withdraw(
    session: Session, user: User, grants: Iterable[Grant], *, by: str, reason: str = ""
) -> Access:
    """Withdraw grants ``user`` holds; audited; her sessions end."""
    held = access_of(session, user.id).grants
    gone = [g for g in dict.fromkeys(grants)]
    missing = [g for g in gone if g not in held]
    if missing:
        raise UserError(
            f"{user.username} does not hold {', '.join(map(str, missing))} (she holds "
            f"{access_of(session, user.id).describe()})"
        )
    for grant in gone:
        study_id, site_id = _ids(session, grant)
        session.execute(
            delete(SiteAccess).where(
                SiteAccess.user_id == user.id,
                SiteAccess.study_id.is_(None)
                if study_id is None
                else SiteAccess.study_id == study_id,
                SiteAccess.site_id.is_(None) if site_id is None else SiteAccess.site_id == site_id,
            )
        )
    ended = _end_sessions(session, user)
    after = access_of(session, user.id)
    _record(session, user, by, sorted(held, key=str), after, ended, reason)
    return after


def _record(
    session: Session,
    user: User,
    by: str,
    before: list[Grant],
    after: Access,
    ended: int,
    reason: str,
) -> None:
    audit.record(
        session,
        username=by,
        action=audit.Action.UPDATE,
        entity="user",
        entity_id=user.id,
        changes={
            "username": user.username,
            "access": [[str(g) for g in before], [str(g) for g in sorted(after.grants, key=str)]],
            "sessions_ended": ended,
        },
        reason=reason,
    )


def users_without_access(session: Session) -> list[str]:
    """The active users who hold no grant (they see no woman): named at server start."""
    granted = select(SiteAccess.user_id)
    rows = session.execute(
        select(User.username).where(User.active.is_(True), User.id.not_in(granted))
    )
    return sorted(rows.scalars())
