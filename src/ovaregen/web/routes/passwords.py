"""Setting a password: by a one-time link (public, no login) and one's own (logged in).

``/reset/{token}`` (``clinic.password_links``): the page and its form check the link under the
login throttle of the client's address, so links cannot be guessed at speed; an unusable link
gets one neutral answer (404); a good one sets the password (the rule of
``clinic.passwords``), is spent, ends the user's sessions, and sends her to log in.

``/account/password``: every logged-in user changes her own password by giving the current
one, checked as a login is (``clinic.users``, throttled: a borrowed session cannot guess it);
her other sessions end, this one stays (OWASP Authentication Cheat Sheet, "Change password
feature"; 21 CFR Part 11 §11.300(b)); audited as herself. The Argon2 checks of this form run
in the request's transaction (the one access dependency opens it): a rare, short wait.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ovaregen.clinic import password_links
from ovaregen.clinic.accounts import set_password
from ovaregen.clinic.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problem
from ovaregen.clinic.users import begin_login, check, finish_login, password_hash
from ovaregen.web.client_address import client_address
from ovaregen.web.dependencies import Actor, DatabaseDep, SessionDep, Viewer, settings
from ovaregen.web.pages import page
from ovaregen.web.routes.auth import wait_text
from ovaregen.web.settings import Settings

router = APIRouter()
OWN_PAGE = "/account/password"

Password = Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)]
ConfigDep = Annotated[Settings, Depends(settings)]


def _new_password_problem(new: str, repeated: str, username: str) -> str | None:
    if new != repeated:
        return "new password: the two entries differ; type the same password twice"
    problem = password_problem(new, username)
    return f"new password: {problem}" if problem else None


def _link_page(
    request: Request, token: str, *, username: str = "", message: str = "", status_code: int = 200
) -> Response:
    return page(
        request,
        "password_link.j2",
        None,
        status_code=status_code,
        token=token,
        username=username,
        message=message,
        refused=password_links.REFUSED if not username else "",
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
    )


def _admitted(
    request: Request, db: DatabaseDep, config: Settings, token: str
) -> tuple[str, Response | None]:
    """The link's username, or the answer refusing it (neutral 404, or 429 while throttled)."""
    client = client_address(request, config.trusted_proxies)
    try:
        with db.transaction() as session:
            try:
                return password_links.admit_link(session, token, client=client).username, None
            except password_links.LinkRefusedError:
                pass  # the reservation stays: a wrong guess counts as a failed login
    except password_links.LinkThrottledError as error:
        seconds = max(1, int(error.retry_after.total_seconds()) + 1)
        refused = _link_page(
            request,
            token,
            message=f"Too many unusable links from this address: wait {wait_text(seconds)}.",
            status_code=429,
        )
        refused.headers["Retry-After"] = str(seconds)
        return "", refused
    return "", _link_page(request, token, status_code=404)


@router.get("/reset/{token}", include_in_schema=False)
def link_form(request: Request, db: DatabaseDep, config: ConfigDep, token: str) -> Response:
    """The form that sets a password by a one-time link (or the neutral refusal)."""
    username, refused = _admitted(request, db, config, token)
    if refused is not None:
        return refused
    return _link_page(request, token, username=username)


@router.post("/reset/{token}", include_in_schema=False)
def use_link(
    request: Request,
    db: DatabaseDep,
    config: ConfigDep,
    token: str,
    new_password: Password = "",
    repeat_password: Password = "",
) -> Response:
    """Set the password by the link; the link is spent, her sessions end; then log in."""
    username, refused = _admitted(request, db, config, token)
    if refused is not None:
        return refused
    problem = _new_password_problem(new_password, repeat_password, username)
    if problem is not None:
        return _link_page(request, token, username=username, message=problem, status_code=422)
    new_hash = password_hash(new_password)  # Argon2 outside the transaction
    try:
        with db.transaction() as session:
            password_links.use_link(session, token, new_hash=new_hash)
    except password_links.LinkRefusedError:  # spent meanwhile (a second tab): nothing changed
        return _link_page(request, token, status_code=404)
    return RedirectResponse("/login?password=set", status_code=303)


def _own_page(
    request: Request, actor: Actor, *, message: str = "", done: bool = False, status: int = 200
) -> Response:
    return page(
        request,
        "own_password.j2",
        actor,
        status_code=status,
        message=message,
        done=done,
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
    )


@router.get(OWN_PAGE, include_in_schema=False)
def own_password_form(request: Request, actor: Viewer) -> Response:
    """The form: current password, new password twice."""
    return _own_page(request, actor)


@router.post(OWN_PAGE, include_in_schema=False)
def change_own_password(
    request: Request,
    session: SessionDep,
    actor: Viewer,
    config: ConfigDep,
    current_password: Password = "",
    new_password: Password = "",
    repeat_password: Password = "",
) -> Response:
    """Change her own password: the current one first (throttled as a login), then the rule;
    her other sessions end; audited."""
    if actor.web_session is None:  # pages take no API token; kept for the type checker
        return _own_page(request, actor, message="log in with your browser", status=403)
    client = client_address(request, config.trusted_proxies)
    attempt = begin_login(session, username=actor.username, client=client)
    result = finish_login(session, attempt, check(attempt, current_password))
    if result.throttled:
        wait = wait_text(result.retry_after_seconds)
        message = f"current password: too many wrong attempts; wait {wait} and try again"
        refused = _own_page(request, actor, message=message, status=429)
        refused.headers["Retry-After"] = str(result.retry_after_seconds)
        return refused
    if result.user is None:
        message = "current password: it is not right; nothing was changed"
        return _own_page(request, actor, message=message, status=422)
    problem = _new_password_problem(new_password, repeat_password, actor.username)
    if problem is None and new_password == current_password:
        problem = "new password: it is the current one; choose another"
    if problem is not None:
        return _own_page(request, actor, message=problem + "; nothing was changed", status=422)
    ended = set_password(
        session,
        actor.username,
        new_hash=password_hash(new_password),
        by=actor.username,
        reason="changed by the user herself",
        keep_session=actor.web_session.token_hash,
    )
    return _own_page(
        request,
        actor,
        message=f"Your password is changed; {ended} other sessions of yours ended.",
        done=True,
    )
