"""The FastAPI application: settings → database (checked, migrated at start) → routers.

Errors never show a traceback: the API answers JSON ``{"detail": …}``, pages an error page.
A full disk answers 507 "the disk is full: nothing was saved", a busy database 503 with
``Retry-After``, a read-only one 503 (``store.failures``); anything else unexpected is logged
and answered 500 without internals. Request bodies over ``Settings.max_body_bytes`` are
refused 413 before they are read (``body_limit``), control characters in submitted fields
422 (``control_chars``). Every response carries security headers (a strict
Content-Security-Policy: scripts and styles only from this server) and pages are not cached.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

from ovaregen.clinic.ecrf import FormRefusedError, ReasonRequiredError, VersionConflictError
from ovaregen.clinic.locks import LockedError
from ovaregen.clinic.studies import NotFoundError, StudyError, prepare_database
from ovaregen.clinic.tokens import TokenRefusedError
from ovaregen.store.database import Database, DatabaseBusyError, DatabaseError
from ovaregen.store.failures import (
    BUSY_MESSAGE,
    BUSY_RETRY_AFTER_SECONDS,
    DISK_FULL_MESSAGE,
    READ_ONLY_MESSAGE,
    DiskFullWatch,
    Failure,
    classify,
)
from ovaregen.store.opening import discard_unfinished, open_checked, sqlite_file_exists
from ovaregen.web import bearer, openapi
from ovaregen.web.body_limit import BodyLimit
from ovaregen.web.checkpoints import start_checkpoints
from ovaregen.web.control_chars import ControlCharacters
from ovaregen.web.dependencies import CsrfError, ForbiddenError, NotLoggedInError
from ovaregen.web.kept import kept_entries
from ovaregen.web.pages import page
from ovaregen.web.settings import Settings

log = logging.getLogger("ovaregen.web")
STATIC = Path(__file__).parent / "static"
API_PREFIX = bearer.API_PREFIX

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


INTERNAL_MESSAGE = "internal error: nothing was saved; the log has details"
NUL_MESSAGE = "a submitted value contains a NUL character (U+0000), which is not accepted"


def open_prepared(settings: Settings) -> Database:
    """Check, connect, apply migrations and set the shipped studies up (idempotent).

    An empty, damaged or foreign database file raises ``DatabaseDamagedError``: it is never
    re-created (``store.integrity``)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    existed = sqlite_file_exists(settings.database_url)
    database = open_checked(settings.database_url)
    try:
        prepare_database(database)
    except BaseException:
        database.dispose()
        discard_unfinished(settings.database_url, existed)
        raise
    return database


def _is_api(request: Request) -> bool:
    return bearer.is_api_path(request.url.path)


def _error(request: Request, status: int, message: str, **extra: Any) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message, **extra}, status_code=status)
    return page(
        request,
        "error.j2",
        None,
        status_code=status,
        status=status,
        message=message,
        errors=extra.get("errors") or {},
    )


def _refusal(scope: Scope, status: int, message: str) -> Response:
    """A refusal by a middleware, shaped as the application's (JSON for /api, else a page)."""
    return _error(Request(scope), status, message)


def _failure_response(request: Request, error: BaseException) -> Response | None:
    """The plain answer to a disk-full, busy or read-only database (None for others)."""
    kind = classify(error)
    if kind is Failure.DISK_FULL:
        log.error("disk full on %s %s: %s", request.method, request.url.path, error)
        watch: DiskFullWatch | None = getattr(request.app.state, "disk_full", None)
        if watch is not None:
            watch.record()
        return _error(request, 507, DISK_FULL_MESSAGE)
    if kind is Failure.BUSY:
        log.warning("database busy on %s %s: %s", request.method, request.url.path, error)
        said = isinstance(error, DatabaseBusyError)  # store.database names who holds it
        response = _error(request, 503, str(error) if said else BUSY_MESSAGE)
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
        return response
    if kind is Failure.READ_ONLY:
        log.error("read-only database on %s %s: %s", request.method, request.url.path, error)
        return _error(request, 503, READ_ONLY_MESSAGE)
    return None


def _internal(request: Request, error: BaseException) -> Response:
    """Known failures answered plainly; anything else logged and answered 500, no details."""
    known = _failure_response(request, error)
    if known is not None:
        return known
    if isinstance(error, ValueError) and "NUL (0x00)" in str(error):  # psycopg, PG text
        return _error(request, 422, NUL_MESSAGE)
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=error)
    return _error(request, 500, INTERNAL_MESSAGE)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotLoggedInError)
    async def not_logged_in(request: Request, _error_: NotLoggedInError) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": "not logged in"},
                status_code=401,
                headers={"WWW-Authenticate": 'Cookie realm="ovaregen"'},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method == "POST" and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            kept = kept_entries(await request.form())
            if kept:  # a form typed in a session that has ended: keep what was typed
                from ovaregen.web.routes.auth import login_page  # noqa: PLC0415 - a peer route

                config: Settings = request.app.state.settings
                return login_page(request, config, target, "", 401, kept)
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    app.add_exception_handler(TokenRefusedError, bearer.refused)  # type: ignore[arg-type]

    @app.exception_handler(ForbiddenError)
    async def forbidden(request: Request, error: ForbiddenError) -> Response:
        return _error(request, 403, str(error))

    @app.exception_handler(CsrfError)
    async def csrf(request: Request, _error_: CsrfError) -> Response:
        return _error(
            request, 403, "the form's security token is missing or stale: reload the page"
        )

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, error: NotFoundError) -> Response:
        return _error(request, 404, str(error.args[0] if error.args else error))

    @app.exception_handler(LockedError)
    async def locked(request: Request, error: LockedError) -> Response:
        return _error(request, 423, str(error), lock=error.lock_json)

    @app.exception_handler(StudyError)
    async def refused(request: Request, error: StudyError) -> Response:
        return _error(request, 409, str(error))

    @app.exception_handler(FormRefusedError)
    async def form_refused(request: Request, error: FormRefusedError) -> Response:
        return _error(request, 422, "values refused: nothing was saved", errors=error.errors)

    @app.exception_handler(ReasonRequiredError)
    async def reason_required(request: Request, error: ReasonRequiredError) -> Response:
        return _error(request, 422, str(error))

    @app.exception_handler(VersionConflictError)
    async def conflict(request: Request, error: VersionConflictError) -> Response:
        return _error(request, 409, str(error), current=error.saved_values)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        response = _error(request, error.status_code, str(error.detail))
        for header, value in (error.headers or {}).items():
            response.headers.setdefault(header, value)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in error.errors()
        ]
        return _error(request, 422, "the request is not valid: " + "; ".join(problems))

    @app.exception_handler(SQLAlchemyError)
    async def database_failure(request: Request, error: SQLAlchemyError) -> Response:
        return _internal(request, error)

    @app.exception_handler(OSError)
    async def os_failure(request: Request, error: OSError) -> Response:
        return _internal(request, error)

    @app.exception_handler(DatabaseError)
    async def database_refused(request: Request, error: DatabaseError) -> Response:
        known = _failure_response(request, error)
        if known is not None:
            return known
        log.error("database error on %s %s: %s", request.method, request.url.path, error)
        return _error(request, 503, f"{error}: nothing was saved")

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> Response:
        return _internal(request, error)


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """The application for ``settings`` (``database`` given by tests that share one)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = database is None
        if own:
            app.state.database = open_prepared(settings)
            app.state.disk_full.watch(app.state.database.sessions)
        checkpoints = start_checkpoints(settings, app.state.database)  # None without anchor_dir
        try:
            yield
        finally:
            if checkpoints is not None:
                checkpoints.stop()
            if own:
                app.state.database.dispose()

    app = FastAPI(
        title="ovaregen clinic",
        summary="Study platform for regenerative ovarian therapies",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.disk_full = DiskFullWatch()
    if database is not None:
        app.state.database = database
        app.state.disk_full.watch(database.sessions)

    app.add_middleware(ControlCharacters, refuse=_refusal)  # inside the limit: reads bounded
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, refuse=_refusal)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    from ovaregen.web.routes import ROUTERS  # noqa: PLC0415 - routers import this module's peers

    for router in ROUTERS:
        app.include_router(router)
    openapi.install(app)
    return app
