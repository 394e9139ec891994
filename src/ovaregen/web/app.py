"""The FastAPI application: settings → database (migrated at start) → routers.

Errors never show a traceback: the API answers JSON ``{"detail": …}``, pages an error page.
Every response carries security headers (a strict Content-Security-Policy: scripts and styles
only from this server) and pages are not cached.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from ovaregen.clinic.ecrf import FormRefusedError, ReasonRequiredError, VersionConflictError
from ovaregen.clinic.studies import NotFoundError, StudyError, prepare_database
from ovaregen.store.database import Database, connect
from ovaregen.web.dependencies import CsrfError, ForbiddenError, NotLoggedInError
from ovaregen.web.kept import kept_entries
from ovaregen.web.pages import page
from ovaregen.web.settings import Settings

log = logging.getLogger("ovaregen.web")
STATIC = Path(__file__).parent / "static"
API_PREFIX = "/api"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def open_prepared(settings: Settings) -> Database:
    """Connect, apply migrations and set the shipped studies up (idempotent)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = connect(settings.database_url)
    prepare_database(database)
    return database


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX + "/") or request.url.path == API_PREFIX


def _error(request: Request, status: int, message: str, **extra: Any) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message, **extra}, status_code=status)
    return page(request, "error.j2", None, status_code=status, status=status, message=message)


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
        return _error(request, error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in error.errors()
        ]
        return _error(request, 422, "the request is not valid: " + "; ".join(problems))

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> Response:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _error(request, 500, "internal error: nothing was saved; the log has details")


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """The application for ``settings`` (``database`` given by tests that share one)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = database is None
        app.state.database = open_prepared(settings) if own else database
        try:
            yield
        finally:
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
    if database is not None:
        app.state.database = database

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
    return app
