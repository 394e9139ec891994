"""Request dependencies: the database session, the logged-in person, and the one access check.

``Authorised(permission)`` is the single place where access is decided: it finds who is asking
(or refuses: 401 for the API, a redirect to /login for pages), checks that the study and the
participant the path names are among those the user's grants let her see (``clinic.scope``:
404 otherwise, the answer for an unknown one), checks that her role there holds the permission
(403: at the woman's site, in the study, or — for a path of neither — somewhere), and for
every request that changes something checks the CSRF token (form field ``csrf_token`` or header
``X-CSRF-Token``). Routes declare what they need with the ``Annotated`` aliases below and never
check roles themselves; they find participants through ``clinic.scope`` with the actor's
access — her grants whose role holds the route's permission — so lists and counts hold only
the women of the sites where she may do what the route does.

Who is asking (``optional_actor``): a request that carries the session cookie is a browser's,
and the cookie alone decides — the CSRF rule holds for it whatever else it sends. A request
without the cookie may present a personal API token on the JSON API (``Authorization: Bearer``,
``web.bearer``, ``clinic.tokens``): it acts as the token's user, with her roles, permissions,
blind and sites; it needs no CSRF token (no cookie is involved, so a forged cross-site request
cannot carry it: RFC 6750 §5.3 and the OWASP CSRF Cheat Sheet), and a ``read`` token may only
GET and HEAD. Pages never accept tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from ovaregen.clinic import scope, unblinding
from ovaregen.clinic.roles import Permission, is_blinded, may
from ovaregen.clinic.scope import Access
from ovaregen.clinic.studies import protocol_of
from ovaregen.clinic.tokens import Refusal, Refused, TokenRefusedError, may_write
from ovaregen.clinic.views import Reader, visit_permission
from ovaregen.domain.protocols import ProtocolError
from ovaregen.store.database import Database, is_read_only
from ovaregen.store.models import ApiToken, User, WebSession
from ovaregen.web.bearer import is_api_path, request_token
from ovaregen.web.database_turns import database_turn
from ovaregen.web.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    find_session,
    tokens_match,
)
from ovaregen.web.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
"""A row's id in a path (a query, a deviation, a pregnancy…): 1 to the largest id the tables'
INTEGER keys hold on PostgreSQL (32 bits); anything else is answered 422 before a database is
asked (SQLite cannot bind an id over 64 bits, PostgreSQL refuses one over 32: both were 500)."""


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


READS_ONLY = "_ovaregen_reads_only"
"""The mark of an endpoint that changes nothing in its request's transaction (``reads_only``)."""
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def reads_only(endpoint: Endpoint) -> Endpoint:
    """Mark a POST route whose request transaction only reads, as a GET's does: it may wait
    for another server (a FHIR server, ``web.routes.laboratory``) without holding the write
    lock that every save of the clinic needs, and writes, if at all, in a short
    ``transaction()`` of its own (``DatabaseDep``). The CSRF check is the POST's."""
    setattr(endpoint, READS_ONLY, True)
    return endpoint


def _reads(request: Request) -> bool:
    return request.method in READ_METHODS or bool(
        getattr(request.scope.get("endpoint"), READS_ONLY, False)
    )


def db_session(
    request: Request,
    db: Annotated[Database, Depends(database)],
    _turn: Annotated[None, Depends(database_turn, scope="function")],
) -> Iterator[Session]:
    """One transaction per request, begun once the request has its turn at the database
    (``web.database_turns``): read-only for GET and HEAD, else a write transaction committed
    when the route returns and rolled back on error (a ``reads_only`` POST: read-only too)."""
    with db.read() if _reads(request) else db.transaction() as session:
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
    """The person making the request, as her session (or API token) and grants allow.

    ``access`` is what the route works on: her grants whose role allows the route's permission
    (``clinic.scope``: ``Access.holding``); ``held`` is every grant she holds. ``study`` and
    ``site`` are where the request is (the path's study and woman), and her roles there say
    what she may do and whether she is blinded (``roles``)."""

    user: User
    access: Access
    web_session: WebSession | None = None
    api_token: ApiToken | None = None
    """Set when the request came with a personal API token instead of a session."""
    held: Access | None = None
    study: str | None = None
    site: str | None = None

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def grants(self) -> Access:
        """Every grant she holds."""
        return self.held if self.held is not None else self.access

    @property
    def roles(self) -> frozenset[str]:
        """Her roles where the request is: at the woman's site, in the study, or anywhere."""
        if self.study is None:
            return self.grants.roles()
        if self.site is None:
            return self.grants.roles_in(self.study)
        return self.grants.roles_at(self.study, self.site)

    @property
    def role(self) -> str:
        """Her role here, or her roles joined ("coordinator and monitor")."""
        return " and ".join(sorted(self.roles)) or "no role"

    @property
    def blinded(self) -> bool:
        """Blinded unless every role she holds here sees the arm (none: blinded)."""
        return not self.roles or any(is_blinded(role) for role in self.roles)

    @property
    def csrf_token(self) -> str:
        return self.web_session.csrf_token if self.web_session is not None else ""

    def may(self, permission: Permission) -> bool:
        """Whether a role of hers here allows ``permission``. Outside any study every user may
        view (her own account, the lists of what her grants cover: nothing without a grant)."""
        if permission is Permission.VIEW and self.study is None:
            return True
        return any(may(role, permission) for role in self.roles)

    def at(self, study: str, site: str | None = None) -> Actor:
        """The same person at ``study`` (and ``site``): a route that finds its woman by another
        key than the path (a query's id) asks what she may do with her there."""
        return replace(self, study=study, site=site)

    @property
    def reader(self) -> Reader:
        """Who is looking, for the views of study data (``clinic.views``)."""
        return Reader(self.user.username, self.role, self.access, self.roles)


def optional_actor(
    request: Request, session: SessionDep, config: Annotated[Settings, Depends(settings)]
) -> Actor | None:
    """The person asking, or None: by the session cookie when the request carries it, else
    (on the API only) by a bearer token, refused with ``TokenRefusedError`` when not live."""
    own_transaction = database(request) if is_read_only(session) else None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None and is_api_path(request.url.path):
        token = request_token(request, session, database=own_transaction)
        if token is None:
            return None
        return Actor(token.user, scope.access_of(session, token.user.id), api_token=token)
    found = find_session(session, cookie, config, database=own_transaction)
    if found is None:
        return None
    return Actor(found.user, scope.access_of(session, found.user.id), web_session=found)


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


def in_scope(request: Request, session: Session, actor: Actor, named: str | None = None) -> Actor:
    """The actor where the path is: its study (``{study}``, else ``named`` when the request
    names it otherwise) and participant (``{code}``), if any, seen by her (``clinic.scope``);
    else ``NotFoundError`` (404, as for unknown ones)."""
    name = request.path_params.get("study", named)
    if name is None:
        return actor
    study = scope.study_seen(session, str(name), actor.grants)
    code = request.path_params.get("code")
    if code is None:
        return actor.at(study.name)
    woman = scope.participant_seen(session, study, str(code), actor.grants)
    return actor.at(study.name, woman.site.code)


async def admitted(
    request: Request,
    actor: Actor | None,
    permission: Permission,
    session: Session,
    *,
    study: str | None = None,
    reads: bool = False,
) -> Actor:
    """The one access check: logged in (401/redirect); for a change by API token, a token
    that may write (403, audited); the path's study (or ``study``) and participant within her
    sites (404); ``permission`` allowed by her role there (403); for a change by a session, the
    session's CSRF token (403). The actor returned works on her grants that allow
    ``permission``. ``reads``: the request only reads although it is a POST (REDCap's API
    reads by POST, ``web.routes.redcap_api``), so a ``read`` token may make it."""
    if actor is None:
        raise NotLoggedInError
    token = actor.api_token
    changes = request.method not in READ_METHODS and not reads
    if token is not None and changes and not may_write(token):
        raise TokenRefusedError(Refusal(Refused.READ_ONLY, token.id, actor.username))
    placed = in_scope(request, session, actor, study)
    if not placed.may(permission):
        raise ForbiddenError
    if (
        token is None
        and request.method not in SAFE_METHODS
        and not tokens_match(await _csrf_token_sent(request), actor.csrf_token)
    ):
        raise CsrfError
    return replace(placed, access=actor.grants.holding(permission), held=actor.grants)


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


async def site_unblinder(
    request: Request,
    actor: Annotated[Actor | None, Depends(optional_actor)],
    session: SessionDep,
) -> Actor:
    """The actor allowed to unblind the path's woman: ``Permission.UNBLIND_EMERGENCY`` and a
    grant naming her site (``clinic.unblinding.may_unblind_at``; 403 for an every-site grant)."""
    found = await admitted(request, actor, Permission.UNBLIND_EMERGENCY, session)
    study = scope.study_seen(session, str(request.path_params["study"]), found.access)
    woman = scope.participant_seen(session, study, str(request.path_params["code"]), found.access)
    if not unblinding.may_unblind_at(found.access, study.name, woman.site.code):
        raise ForbiddenError(
            f"emergency unblinding is for an investigator of her site {woman.site.code}: your "
            f"grants ({found.access.describe()}) do not name it; an administrator grants it"
        )
    return found


Viewer = Annotated[Actor, Depends(authorised(Permission.VIEW))]
VisitWriter = Annotated[Actor, Depends(visit_writer)]
"""Saving a visit form: ``Permission.TREAT`` for an arm-revealing visit, else ENTER_DATA."""
Screener = Annotated[Actor, Depends(authorised(Permission.SCREEN))]
DataEntry = Annotated[Actor, Depends(authorised(Permission.ENTER_DATA))]
Prescriber = Annotated[Actor, Depends(authorised(Permission.DECIDE_DOSE))]
Randomiser = Annotated[Actor, Depends(authorised(Permission.RANDOMISE))]
EmergencyUnblinder = Annotated[Actor, Depends(site_unblinder)]
"""Unblinding one woman: the investigator's permission and a grant naming her site."""
UnblindingReader = Annotated[Actor, Depends(authorised(Permission.SEE_UNBLINDINGS))]
SetUp = Annotated[Actor, Depends(authorised(Permission.SET_UP))]
AuditReader = Annotated[Actor, Depends(authorised(Permission.VIEW_AUDIT))]
Exporter = Annotated[Actor, Depends(authorised(Permission.EXPORT))]
Importer = Annotated[Actor, Depends(authorised(Permission.IMPORT))]
QueryRaiser = Annotated[Actor, Depends(authorised(Permission.RAISE_QUERY))]
"""Raising, closing and re-opening a query (the monitor, the data manager)."""
QueryAnswerer = Annotated[Actor, Depends(authorised(Permission.ANSWER_QUERY))]
"""Answering a query on her site's data (investigators, the coordinator)."""

SourceVerifier = Annotated[Actor, Depends(authorised(Permission.VERIFY_SOURCE))]
"""Marking a form verified against source (the monitor's SDV, ``clinic.verification``)."""
Signer = Annotated[Actor, Depends(authorised(Permission.SIGN))]
"""Signing a casebook or a form electronically (``clinic.signatures``)."""

Locker = Annotated[Actor, Depends(authorised(Permission.LOCK))]
"""Locking and unlocking a form, a casebook or the study database (``clinic.locks``)."""

DeviationReviewer = Annotated[Actor, Depends(authorised(Permission.SIGN))]
"""Reviewing a protocol deviation: the investigators', who answer for protocol compliance at
their site (ICH E6(R3) §2.5: the investigator documents and explains any deviation)."""
