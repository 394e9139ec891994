"""Logging in and out (pages) and who am I (API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ovaregen.clinic.devices import DEVICE_LIFETIME
from ovaregen.clinic.roles import Permission
from ovaregen.clinic.scope import ALL, NOWHERE
from ovaregen.clinic.users import begin_login, check, finish_login
from ovaregen.store.database import Database
from ovaregen.web.client_address import client_address
from ovaregen.web.dependencies import (
    Actor,
    SessionDep,
    Viewer,
    database,
    optional_actor,
    settings,
)
from ovaregen.web.kept import KEPT_PREFIX, carried_entries
from ovaregen.web.pages import page, role_label
from ovaregen.web.sessions import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    end_session,
    find_session,
    new_token,
    start_session,
    tokens_match,
)
from ovaregen.web.settings import Settings

router = APIRouter(tags=["session"])

DEVICE_COOKIE_PREFIX = "ovaregen_device_"
"""Cookie ``ovaregen_device_USERNAME``: this browser logged in as USERNAME before
(``clinic.devices``); sent to ``/login`` only."""


PASSWORD_SET = "Your password is set: log in with it."


def device_cookie(username: str) -> str:
    """The device cookie's name for ``username`` (usernames are valid cookie-name text)."""
    return DEVICE_COOKIE_PREFIX + username


def _safe_next(target: str | None) -> str:
    """Only a path on this server (no scheme, no host: no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _secure(request: Request, config: Settings) -> bool:
    return config.secure_cookies or request.url.scheme == "https"


def login_page(
    request: Request,
    config: Settings,
    next_path: str,
    message: str = "",
    status: int = 200,
    kept: dict[str, str] | None = None,
) -> Response:
    """The login form; ``kept`` entries of a form posted after the session ended ride along."""
    token = new_token()
    response = page(
        request,
        "login.j2",
        None,
        status_code=status,
        login_token=token,
        next_path=next_path,
        message=message,
        kept=kept or {},
        kept_prefix=KEPT_PREFIX,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request, config),
        path="/login",
    )
    return response


@router.get("/login", include_in_schema=False)
def login_form(
    request: Request,
    config: Annotated[Settings, Depends(settings)],
    actor: Annotated[Actor | None, Depends(optional_actor)],
    next: str = "/",
    password: str = "",
) -> Response:
    if actor is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    said = PASSWORD_SET if password == "set" else ""  # after a one-time link (routes.passwords)
    return login_page(request, config, _safe_next(next), said)


async def carried(request: Request) -> dict[str, str]:
    """The entries a login form carries back from a form posted after the session ended."""
    return carried_entries(await request.form())


def wait_text(seconds: int) -> str:
    """A wait in words: seconds below two minutes, else whole minutes (rounded up)."""
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{-(-seconds // 60)} minutes"


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    db: Annotated[Database, Depends(database)],
    config: Annotated[Settings, Depends(settings)],
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
    kept: Annotated[dict[str, str], Depends(carried)] = {},  # noqa: B006 - FastAPI fills it
) -> Response:
    """Log in (``clinic.users``: throttle and reservation, Argon2 with no transaction open,
    then the outcome and the new session); 429 with ``Retry-After`` while throttled."""
    if not tokens_match(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return login_page(
            request, config, _safe_next(next), "The form expired: please log in again.", 403, kept
        )
    name = username.strip()
    client = client_address(request, config.trusted_proxies)
    with db.transaction() as session:
        attempt = begin_login(
            session, username=name, client=client, device=request.cookies.get(device_cookie(name))
        )
    verdict = check(attempt, password)
    token, started = "", None
    with db.transaction() as session:
        result = finish_login(session, attempt, verdict)
        if result.user is not None:
            token = start_session(session, result.user, config)
            started = find_session(session, token, config) if kept else None
    if result.throttled:
        wait = result.retry_after_seconds
        refused = login_page(
            request,
            config,
            _safe_next(next),
            f"Too many failed logins: wait {wait_text(wait)} and try again "
            "(or ask an administrator to unlock the account).",
            429,
            kept,
        )
        refused.headers["Retry-After"] = str(wait)
        return refused
    if result.user is None:
        return login_page(
            request, config, _safe_next(next), "Wrong username or password.", 401, kept
        )
    response: Response = RedirectResponse(_safe_next(next), status_code=303)
    if started is not None:
        response = page(
            request,
            "kept.j2",
            Actor(result.user, NOWHERE, web_session=started),  # the page shows her kept values only
            target=_safe_next(next),
            kept=kept,
        )
    secure = _secure(request, config)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure,
        max_age=int(config.session_absolute.total_seconds()),
    )
    if result.device is not None:
        response.set_cookie(
            device_cookie(result.user.username),
            result.device,
            httponly=True,
            samesite="strict",
            secure=secure,
            path="/login",
            max_age=int(DEVICE_LIFETIME.total_seconds()),
        )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, session: SessionDep, actor: Viewer) -> Response:
    end_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/api/me", tags=["session"])
def me(actor: Viewer) -> dict[str, object]:
    """The logged-in user (and her full name, the printed name of her signatures; null until
    set), her roles (joined when several), whether blinded in any of them, what her roles allow
    somewhere, where and as what (her grants: study, site — ``all`` for every one — and role;
    ``clinic.scope``), and how she came in: ``session`` (the browser's cookie) or
    ``api_token`` (then its name, scope, expiry)."""
    token = actor.api_token
    return {
        "username": actor.username,
        "full_name": actor.user.full_name or None,
        "role": actor.role,
        "role_label": role_label(actor),
        "blinded": actor.blinded,
        "permissions": sorted(p.value for p in Permission if actor.may(p)),
        "access": [
            {"study": g.study or ALL, "site": g.site or ALL, "role": g.role}
            for g in sorted(actor.grants.grants, key=str)
        ],
        "via": "session" if token is None else "api_token",
        "token": None
        if token is None
        else {"name": token.name, "scope": token.scope, "expires_at": token.expires_at},
    }
