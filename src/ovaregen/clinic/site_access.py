"""Giving, changing and withdrawing a user's roles by study and site (``clinic.scope`` states
what a grant lets her see and do); each change audited (21 CFR Part 11 §11.10(d): access
limited to authorised people; §11.10(e): changes to it recorded) and ending her web sessions,
so that she works under her new access at once (OWASP Session Management Cheat Sheet: renew the
session after any privilege change).

A grant is written ``STUDY/SITE as ROLE`` in the audit trail, ``all`` for every study or site.
Refused, with nothing changed:
- granting what she holds already, or withdrawing what she does not hold;
- a grant overlapping one of another role (she holds one role at each study and site, as in
  OpenClinica: a coordinator at MAD1 who is to monitor there too is given the monitor's role
  instead, ``change_role``);
- a grant that would make her blinded in a study where she is unblinded, or the reverse (ICH
  E9 §2.3.1: those who see the arm — the statistician, the treatment team — do not enter or
  assess outcomes; a person is blinded in a study or not, whatever her sites).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ovaregen.clinic.roles import ROLE_LABELS, Role, is_blinded
from ovaregen.clinic.scope import ALL, Access, Grant, access_of
from ovaregen.clinic.studies import NotFoundError, site_coded, study_named
from ovaregen.clinic.users import UserError, check_role
from ovaregen.store import audit
from ovaregen.store.models import SiteAccess, User, WebSession


def places_of(studies: Iterable[str], sites: Iterable[str]) -> list[tuple[str | None, str | None]]:
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
    return [(study, site) for study in study_part for site in site_part]


def grants_of(studies: Iterable[str], sites: Iterable[str], role: str) -> list[Grant]:
    """Every study × site named (``places_of``), each in ``role`` (checked)."""
    checked = check_role(role)
    return [Grant(study, site, checked) for study, site in places_of(studies, sites)]


def role_for(access: Access, role: str | None) -> str:
    """The role of a new grant: ``role`` when said, else the one role she holds; refused when
    she holds none or several (say which)."""
    if role:
        return check_role(role)
    held = sorted(access.roles())
    if len(held) == 1:
        return held[0]
    roles = ", ".join(r.value for r in Role)
    if not held:
        raise UserError(f"say her role at these sites: --role, one of {roles}")
    raise UserError(
        f"she holds several roles ({', '.join(held)}): say her role at these sites (--role)"
    )


def _ids(session: Session, grant: Grant) -> tuple[int | None, int | None]:
    try:
        study = study_named(session, grant.study).id if grant.study is not None else None
        site = site_coded(session, grant.site).id if grant.site is not None else None
    except NotFoundError as error:
        raise UserError(f"{error.args[0]} (ovaregen site list shows the sites)") from None
    return study, site


def _conflicts(grants: Iterable[Grant]) -> None:
    """Refuse two roles at one study and site, or blinded and unblinded roles in one study
    (module docstring)."""
    ordered = sorted(set(grants), key=str)
    for index, one in enumerate(ordered):
        for other in ordered[index + 1 :]:
            if one.role == other.role:
                continue
            if one.overlaps(other):
                raise UserError(
                    f"{one} and {other} overlap: she holds one role at each study and site; "
                    "change her role there instead (ovaregen user set-role, the Users page)"
                )
            if one.shares_a_study(other) and is_blinded(one.role) != is_blinded(other.role):
                blinded, unblinded = (one, other) if is_blinded(one.role) else (other, one)
                raise UserError(
                    f"{unblinded} sees the allocated arms and {blinded} is blinded, in the same "
                    "study: a person who sees the arm does not enter or assess outcomes (ICH E9 "
                    "§2.3.1); give the unblinded role to someone else"
                )


def _end_sessions(session: Session, user: User) -> int:
    result = session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _rows_at(session: Session, user: User, grant: Grant) -> list[SiteAccess]:
    study_id, site_id = _ids(session, grant)
    query = select(SiteAccess).where(
        SiteAccess.user_id == user.id,
        SiteAccess.study_id.is_(None) if study_id is None else SiteAccess.study_id == study_id,
        SiteAccess.site_id.is_(None) if site_id is None else SiteAccess.site_id == site_id,
    )
    return list(session.execute(query).scalars())


def give(
    session: Session, user: User, grants: Iterable[Grant], *, by: str, reason: str = ""
) -> Access:
    """Give ``user`` the grants she does not hold yet (module docstring); audited; her sessions
    end."""
    held = access_of(session, user.id).grants
    wanted = list(dict.fromkeys(grants))
    new = [g for g in wanted if g not in held]
    if not new:
        raise UserError(f"{user.username} holds {', '.join(map(str, wanted))} already")
    _conflicts([*held, *new])
    for grant in new:
        study_id, site_id = _ids(session, grant)
        session.add(
            SiteAccess(
                user_id=user.id, study_id=study_id, site_id=site_id, role=grant.role, granted_by=by
            )
        )
    session.flush()
    return _changed(session, user, by, held, reason)


def give_at(
    session: Session,
    user: User,
    places: Iterable[tuple[str | None, str | None]],
    role: str | None,
    *,
    by: str,
    reason: str = "",
) -> Access:
    """Give ``user`` a role at these study × site places: ``role``, or her one role when it is
    not said (``role_for``); as ``give``."""
    chosen = role_for(access_of(session, user.id), role)
    return give(session, user, [Grant(s, c, chosen) for s, c in places], by=by, reason=reason)


def withdraw(
    session: Session,
    user: User,
    places: Iterable[tuple[str | None, str | None]],
    *,
    by: str,
    reason: str = "",
) -> Access:
    """Withdraw her grants at these study × site places (whatever her role there); audited;
    her sessions end."""
    held = access_of(session, user.id).grants
    gone = list(dict.fromkeys(places))
    missing = [p for p in gone if not any((g.study, g.site) == p for g in held)]
    if missing:
        named = ", ".join(f"{s or ALL}/{c or ALL}" for s, c in missing)
        raise UserError(
            f"{user.username} does not hold {named} (she holds "
            f"{access_of(session, user.id).describe()})"
        )
    for study, site in gone:
        for row in _rows_at(session, user, Grant(study, site, "")):
            session.delete(row)
    session.flush()
    return _changed(session, user, by, held, reason)


def change_role(
    session: Session,
    user: User,
    role: str,
    places: Iterable[tuple[str | None, str | None]] | None = None,
    *,
    by: str,
    reason: str = "",
) -> Access:
    """Make ``role`` her role at the places she holds (all of them when ``places`` is None);
    audited; her sessions end."""
    role = check_role(role)
    held = access_of(session, user.id).grants
    wanted = None if places is None else set(places)
    changing = [g for g in held if wanted is None or (g.study, g.site) in wanted]
    if wanted is not None:
        missing = wanted - {(g.study, g.site) for g in held}
        if missing:
            named = ", ".join(f"{s or ALL}/{c or ALL}" for s, c in sorted(missing, key=str))
            raise UserError(f"{user.username} does not hold {named}; give it with user grant")
    if not changing:
        raise UserError(f"{user.username} holds no site: give her one with a role (user grant)")
    if all(g.role == role for g in changing):
        label = ROLE_LABELS[Role(role)]
        raise UserError(f"{user.username} is {label} there already; nothing was changed")
    after = [g for g in held if g not in changing] + [
        Grant(g.study, g.site, role) for g in changing
    ]
    _conflicts(after)
    for grant in changing:
        for row in _rows_at(session, user, grant):
            row.role = role
    session.flush()
    return _changed(session, user, by, held, reason)


def _changed(
    session: Session, user: User, by: str, before: frozenset[Grant], reason: str
) -> Access:
    """End her sessions and record the change of her access."""
    ended = _end_sessions(session, user)
    after = access_of(session, user.id)
    audit.record(
        session,
        username=by,
        action=audit.Action.UPDATE,
        entity="user",
        entity_id=user.id,
        changes={
            "username": user.username,
            "access": [
                [str(g) for g in sorted(before, key=str)],
                [str(g) for g in sorted(after.grants, key=str)],
            ],
            "sessions_ended": ended,
        },
        reason=reason,
    )
    return after


def users_without_access(session: Session) -> list[str]:
    """The active users who hold no grant (they see no woman): named at server start."""
    granted = select(SiteAccess.user_id)
    rows = session.execute(
        select(User.username).where(User.active.is_(True), User.id.not_in(granted))
    )
    return sorted(rows.scalars())
