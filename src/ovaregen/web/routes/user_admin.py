"""The administrator's user pages (``Permission.SET_UP``): list, create, deactivate and
reactivate, one-time reset link, unlock, role, sites, full name — over the same clinic functions as
``ovaregen user`` (``clinic.accounts``, ``clinic.site_access``, ``clinic.password_links``,
``clinic.user_admin``), each audited under the administrator's name.

Rules: a change that alters what a person may do (deactivating, reactivating, a new role, a
grant or its withdrawal) needs the administrator's reason (21 CFR Part 11 §11.10(e); ICH E6(R3)
§4.2.2: access changes documented); an administrator does not deactivate herself nor change
her own role here (she would lock herself out: another administrator does it). A link is shown
once, in the answer to the form that made it (every answer is ``Cache-Control: no-store``),
prefixed with the address the administrator is using (the request's base URL). Refusals
answer 422 with the message, an unknown user 404; nothing half-saved (one transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import accounts, password_links, site_access, user_admin
from ovaregen.clinic.roles import ROLE_LABELS, Permission, Role
from ovaregen.clinic.scope import ALL
from ovaregen.clinic.studies import NotFoundError
from ovaregen.clinic.users import UserError
from ovaregen.store.models import Site, Study, User, utc_now
from ovaregen.web.dependencies import Actor, SessionDep, SetUp
from ovaregen.web.pages import page

router = APIRouter()
PAGE = "/admin/users"

Text = Annotated[str, Form(max_length=2000)]
FULL_NAME_FIELD = 1000
"""What the full-name field accepts before ``users.check_full_name`` (200 once spaces are
collapsed) says what is wrong, instead of a bare 422 of the form parser."""
Names = Annotated[list[str], Form(max_length=64)]


def link_url(request: Request, issued: password_links.Issued) -> str:
    """The link on the address the administrator is using."""
    return str(request.base_url).rstrip("/") + issued.path


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    message: str = "",
    error: str = "",
    link: str = "",
    link_for: str = "",
    status_code: int = 200,
) -> Response:
    listed = user_admin.accounts(session, utc_now())
    return page(
        request,
        "user_admin.j2",
        actor,
        status_code=status_code,
        accounts=listed,
        roles=[(role.value, ROLE_LABELS[role]) for role in Role],
        signers={a.username for a in listed if a.access.holding(Permission.SIGN).grants},
        sites=list(session.execute(select(Site).order_by(Site.code)).scalars()),
        studies=list(session.execute(select(Study).order_by(Study.name)).scalars()),
        all_value=ALL,
        message=message,
        error=error,
        link=link,
        link_for=link_for,
        lifetime_hours=int(password_links.LIFETIME.total_seconds() // 3600),
    )


def _user(session: Session, username: str) -> User:
    """The user named in the path, or 404 (as for any unknown one)."""
    try:
        return accounts.user_named(session, username, for_update=True)
    except UserError as error:
        raise NotFoundError(str(error)) from None


def _needs_reason(reason: str, what: str) -> str:
    if not reason.strip():
        raise UserError(f"reason: say why you {what} (kept in the audit trail)")
    return reason.strip()


def _not_herself(actor: Actor, user: User, what: str) -> None:
    if user.id == actor.user.id:
        raise UserError(f"you cannot {what} your own account: another administrator can")


def _act(
    request: Request,
    session: Session,
    actor: Actor,
    username: str,
    change: Callable[[User], str],
) -> Response:
    """Run one change on the user of the path; the page with what was done, or with the
    refusal (422, nothing changed: the savepoint is rolled back)."""
    user = _user(session, username)
    try:
        with session.begin_nested():
            done = change(user)
    except UserError as error:
        return _page(request, session, actor, error=str(error), status_code=422)
    return _page(request, session, actor, message=done)


@router.get(PAGE, include_in_schema=False)
def users_page(request: Request, session: SessionDep, actor: SetUp) -> Response:
    """Every user, her role, sites, state, last login, throttle; and the forms."""
    return _page(request, session, actor)


@router.post(PAGE, include_in_schema=False)
def create_user_page(
    request: Request,
    session: SessionDep,
    actor: SetUp,
    username: Annotated[str, Form(max_length=64)] = "",
    full_name: Annotated[str, Form(max_length=FULL_NAME_FIELD)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    study: Names = [],  # noqa: B006 - FastAPI copies the default
    site: Names = [],  # noqa: B006
    reason: Text = "",
) -> Response:
    """Create a user with her sites, her full name and no password; show her one-time
    set-password link."""
    try:
        with session.begin_nested():
            user, issued = user_admin.create_account(
                session,
                username=username.strip(),
                role=role,
                studies=study,
                sites=site,
                by=actor.username,
                reason=reason.strip(),
                full_name=full_name,
            )
    except UserError as error:
        return _page(request, session, actor, error=f"{error}; nothing was saved", status_code=422)
    return _page(
        request,
        session,
        actor,
        message=f"user {user.username} created; she sets her password with the link below",
        link=link_url(request, issued),
        link_for=user.username,
        status_code=201,
    )


@router.post(PAGE + "/{username}/deactivate", include_in_schema=False)
def deactivate_page(
    request: Request, session: SessionDep, actor: SetUp, username: str, reason: Text = ""
) -> Response:
    """Deactivate: she cannot log in, her sessions end, her API tokens and links stop."""

    def change(user: User) -> str:
        _not_herself(actor, user, "deactivate")
        why = _needs_reason(reason, "deactivate her")
        ended = accounts.set_active(
            session, user.username, active=False, by=actor.username, reason=why
        )
        return f"user {user.username} deactivated; {ended} web sessions ended"

    return _act(request, session, actor, username, change)


@router.post(PAGE + "/{username}/reactivate", include_in_schema=False)
def reactivate_page(
    request: Request, session: SessionDep, actor: SetUp, username: str, reason: Text = ""
) -> Response:
    """Reactivate (her password as it was; her revoked tokens stay revoked)."""

    def change(user: User) -> str:
        why = _needs_reason(reason, "reactivate her")
        accounts.set_active(session, user.username, active=True, by=actor.username, reason=why)
        return f"user {user.username} reactivated"

    return _act(request, session, actor, username, change)


@router.post(PAGE + "/{username}/reset-link", include_in_schema=False)
def reset_link_page(
    request: Request, session: SessionDep, actor: SetUp, username: str, reason: Text = ""
) -> Response:
    """A one-time reset link for her, shown once (an earlier one is voided)."""
    user = _user(session, username)
    if not user.active:
        return _page(
            request,
            session,
            actor,
            error=f"{user.username} is deactivated: reactivate her first; nothing was changed",
            status_code=422,
        )
    issued = password_links.issue(session, user, by=actor.username, reason=reason.strip())
    return _page(
        request,
        session,
        actor,
        message=f"a password reset link for {user.username}: hand it to her",
        link=link_url(request, issued),
        link_for=user.username,
    )


@router.post(PAGE + "/{username}/unlock", include_in_schema=False)
def unlock_page(
    request: Request, session: SessionDep, actor: SetUp, username: str, reason: Text = ""
) -> Response:
    """Forget her failed logins: the login throttle lets her in at once."""

    def change(user: User) -> str:
        forgotten = accounts.unlock_username(
            session, user.username, by=actor.username, reason=reason.strip()
        )
        return f"user {user.username} unlocked ({forgotten} failed logins forgotten)"

    return _act(request, session, actor, username, change)


@router.post(PAGE + "/{username}/name", include_in_schema=False)
def name_page(
    request: Request,
    session: SessionDep,
    actor: SetUp,
    username: str,
    full_name: Annotated[str, Form(max_length=FULL_NAME_FIELD)] = "",
    reason: Text = "",
) -> Response:
    """Give her another full name: printed on the signatures she makes from now on (her past
    signatures keep theirs); audited. Her sessions stay: what she may do is unchanged."""

    def change(user: User) -> str:
        name = accounts.set_full_name(
            session, user.username, full_name=full_name, by=actor.username, reason=reason.strip()
        )
        return f"user {user.username}'s full name is now {name}"

    return _act(request, session, actor, username, change)


@router.post(PAGE + "/{username}/role", include_in_schema=False)
def role_page(
    request: Request,
    session: SessionDep,
    actor: SetUp,
    username: str,
    role: Annotated[str, Form(max_length=32)] = "",
    study: Names = [],  # noqa: B006
    site: Names = [],  # noqa: B006
    reason: Text = "",
) -> Response:
    """Give her another role at the study × site chosen (every one she holds when no site is
    chosen); her sessions end (she logs in again under it)."""

    def change(user: User) -> str:
        _not_herself(actor, user, "change the role of")
        why = _needs_reason(reason, "change her role")
        chosen = [s for s in site if s.strip()]
        places = site_access.places_of(study, chosen) if chosen else None
        after = site_access.change_role(session, user, role, places, by=actor.username, reason=why)
        return f"user {user.username} now holds {after.describe()}; her web sessions ended"

    return _act(request, session, actor, username, change)


def _access(
    request: Request,
    session: Session,
    actor: Actor,
    username: str,
    studies: list[str],
    sites: list[str],
    reason: str,
    *,
    role: str = "",
    grant: bool,
) -> Response:
    def change(user: User) -> str:
        why = _needs_reason(reason, "change her sites")
        places = site_access.places_of(studies, sites)
        if grant:
            after = site_access.give_at(session, user, places, role, by=actor.username, reason=why)
        else:
            after = site_access.withdraw(session, user, places, by=actor.username, reason=why)
        return f"user {user.username} now holds {after.describe()}; her web sessions ended"

    return _act(request, session, actor, username, change)


@router.post(PAGE + "/{username}/grant", include_in_schema=False)
def grant_page(
    request: Request,
    session: SessionDep,
    actor: SetUp,
    username: str,
    study: Names = [],  # noqa: B006
    site: Names = [],  # noqa: B006
    role: Annotated[str, Form(max_length=32)] = "",
    reason: Text = "",
) -> Response:
    """Give her a role at every study × every site chosen ('all' for every one)."""
    return _access(request, session, actor, username, study, site, reason, role=role, grant=True)


@router.post(PAGE + "/{username}/withdraw", include_in_schema=False)
def withdraw_page(
    request: Request,
    session: SessionDep,
    actor: SetUp,
    username: str,
    study: Names = [],  # noqa: B006
    site: Names = [],  # noqa: B006
    reason: Text = "",
) -> Response:
    """Withdraw grants she holds (named as they were given)."""
    return _access(request, session, actor, username, study, site, reason, grant=False)


@router.get("/api/admin/users", tags=["users"])
def users_api(session: SessionDep, actor: SetUp) -> list[dict[str, object]]:
    """Every user: full name (null until set), grants (study, site — ``all`` for every one —
    and her role there), active, last login (the newest live session, or null), recent failed
    logins and the throttle's wait in seconds, and whether a one-time password link waits to
    be used (never the link)."""
    return [
        {
            "username": account.username,
            "full_name": account.user.full_name or None,
            "active": account.user.active,
            "access": [
                {"study": g.study or ALL, "site": g.site or ALL, "role": g.role}
                for g in sorted(account.access.grants, key=str)
            ],
            "last_login": account.last_login,
            "failed_logins": account.lockout.failures,
            "throttle_wait_seconds": int(account.lockout.wait.total_seconds()),
            "link_pending_until": account.pending_link.expires_at if account.pending_link else None,
        }
        for account in user_admin.accounts(session)
    ]
