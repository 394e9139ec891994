"""Request dependencies: the database session, the logged-in person, and the one access check.

``Authorised(permission)`` is the single place where access is decided: it finds the session
from the cookie (or refuses: 401 for the API, a redirect to /login for pages), checks the role's
permission (403), checks that the study and the participant the path names are among those the
user's sites let her see (``clinic.scope``: 404 otherwise, the answer for an unknown one), and
for every request that changes something checks the CSRF token (form field ``csrf_token`` or
header ``X-CSRF-Token``). Routes declare what they need with the ``Annotated`` aliases below
and never check roles themselves; they find participants through ``clinic.scope`` with the
actor's access, so lists and counts hold only her sites' women.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ovaregen.clinic import scope
from ovaregen.clinic.roles import Permission, is_blinded, may
from ovaregen.clinic.scope import Access
from ovaregen.clinic.studies import protocol_of
from ovaregen.clinic.views import Reader, visit_permission
from ovaregen.domain.protocols import ProtocolError
from ovaregen.store.database import Database, is_read_only
from ovaregen.store.models import User, WebSession
from ovaregen.web.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    find_session,
    tokens_match,
)
from ovaregen.web.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotLoggedInError(Exception):
    """No valid session: 401 for the API, a redirect to the login page for pages."""


class ForbiddenError(Exception):
    """Logged in, but the role does not allow this (403)."""

    def __init__(self, message: str = "your role does not allow this") -> None:
        super().__init__(message)


class CsrfError(Exception):
    """A change was submitted without this session's CSRF token (403)."""


def database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


def settings(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


READ_METHODS = frozenset({"GET", "HEAD"})
"""Requests answered in a read-only transaction (``Database.read``): they never wait for the
write lock (issue 11). OPTIONS is left out: it is never routed to a handler here."""


def db_session(request: Request, db: Annotated[Database, Depends(database)]) -> Iterator[Session]:
    """One transaction per request: read-only for GET and HEAD, else a write transaction
    committed when the route returns and rolled back on error."""
    with db.read() if request.method in READ_METHODS else db.transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(db_session, scope="function")]
"""The request's session. ``scope="function"`` commits as soon as the route returns, before the
response is sent: a client told "saved" (with the new version) can rely on it, and its next
request sees the change (the default scope would commit only after the response left)."""
DatabaseDep = Annotated[Database, Depends(database)]
"""The database, for the rare GET that records something (the audit entry of a download): it
reads in the request's read-only session, then writes in a short ``transaction()`` of its own."""


@dataclass(frozen=True)
class Actor:
    """The person making the request, as their session, role and sites allow."""

    user: User
    web_session: WebSession
    access: Access

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def blinded(self) -> bool:
        return is_blinded(self.user.role)

    @property
    def csrf_token(self) -> str:
        return self.web_session.csrf_token

    def may(self, permission: Permission) -> bool:
        return may(self.user.role, permission)

    @property
    def reader(self) -> Reader:
        """Who is looking, for the views of study data (``clinic.views``)."""
        return Reader(self.user.username, self.user.role, self.access)


def optional_actor(
    request: Request, session: SessionDep, config: Annotated[Settings, Depends(settings)]
) -> Actor | None:
    """The logged-in person, or None."""
    found = find_session(
        session,
        request.cookies.get(SESSION_COOKIE),
        config,
        database=database(request) if is_read_only(session) else None,
    )
    if found is None:
        return None
    return Actor(found.user, found, scope.access_of(session, found.user.id))


async def _csrf_token_sent(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def in_scope(request: Request, session: Session, actor: Actor) -> None:
    """The study (``{study}``) and participant (``{code}``) of the path, if any, are seen by
    the actor (``clinic.scope``); else ``NotFoundError`` (404, as for unknown ones)."""
    name = request.path_params.get("study")
    if name is None:
        return
    study = scope.study_seen(session, str(name), actor.access)
    code = request.path_params.get("code")
    if code is not None:
        scope.participant_seen(session, study, str(code), actor.access)


async def admitted(
    request: Request, actor: Actor | None, permission: Permission, session: Session
) -> Actor:
    """The one access check: logged in (401/redirect), allowed ``permission`` (403), the
    path's study and participant within her sites (404), and for a change the session's CSRF
    token (403)."""
    if actor is None:
        raise NotLoggedInError
    if not actor.may(permission):
        raise ForbiddenError
    in_scope(request, session, actor)
    if request.method not in SAFE_METHODS and not tokens_match(
        await _csrf_token_sent(request), actor.csrf_token
    ):
        raise CsrfError
    return actor


def authorised(permission: Permission) -> object:
    """A dependency: the actor, if logged in, allowed ``permission``, and CSRF-checked."""

    async def check(
        request: Request,
        actor: Annotated[Actor | None, Depends(optional_actor)],
        session: SessionDep,
    ) -> Actor:
        return await admitted(request, actor, permission, session)

    return check


async def visit_writer(
    request: Request,
    study: str,
    visit: str,
    actor: Annotated[Actor | None, Depends(optional_actor)],
    session: SessionDep,
) -> Actor:
    """The actor allowed to save this visit: the treatment team's permission for a visit that
    reveals the arm (``clinic.views.visit_permission``), data entry for any other."""
    try:
        permission = visit_permission(protocol_of(study), visit)
    except ProtocolError:
        permission = Permission.ENTER_DATA  # an unknown study is answered 404 by the route
    return await admitted(request, actor, permission, session)


Viewer = Annotated[Actor, Depends(authorised(Permission.VIEW))]
VisitWriter = Annotated[Actor, Depends(visit_writer)]
"""Saving a visit form: ``Permission.TREAT`` for an arm-revealing visit, else ENTER_DATA."""
Screener = Annotated[Actor, Depends(authorised(Permission.SCREEN))]
DataEntry = Annotated[Actor, Depends(authorised(Permission.ENTER_DATA))]
Prescriber = Annotated[Actor, Depends(authorised(Permission.DECIDE_DOSE))]
Randomiser = Annotated[Actor, Depends(authorised(Permission.RANDOMISE))]
EmergencyUnblinder = Annotated[Actor, Depends(authorised(Permission.UNBLIND_EMERGENCY))]
SetUp = Annotated[Actor, Depends(authorised(Permission.SET_UP))]
AuditReader = Annotated[Actor, Depends(authorised(Permission.VIEW_AUDIT))]
Exporter = Annotated[Actor, Depends(authorised(Permission.EXPORT))]
Importer = Annotated[Actor, Depends(authorised(Permission.IMPORT))]
