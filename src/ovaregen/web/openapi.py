"""The OpenAPI document, true to what the routes answer.

FastAPI documents each route's success and its own validation error; the answers every route
shares come from the one access dependency and the application's error handlers
(``web.app``), so they are added here, by the same rules those use:

- 401 ``not logged in`` (API) or 303 to ``/login`` (pages) on every route but the public ones;
- 403 on every non-public route (the role does not allow it; for a change, a missing or stale
  CSRF token);
- 400 on routes taking a body (it is not valid JSON);
- 404 on routes with path parameters (unknown study, participant, visit, record);
- 409 on every non-public route (refused by a study rule — a G-CSF log of a woman not in the
  mobilisation, say — a version conflict with ``current``, an import already running); 413 on
  changes (the body limit); 423 on changes (locked data, ``clinic.locks``); 422 on routes
  taking parameters or a body (a value refused, with ``errors`` for a form);
- 503 everywhere (the database is busy, with ``Retry-After``) and 507 (the disk is full):
  nothing was saved.

Every error body is ``{"detail": text, …}`` (``ErrorBody``), FastAPI's list-shaped
``HTTPValidationError`` included: ovaregen's handler answers a sentence, not a list.

Every non-public API operation declares its two ways in (``security``, OpenAPI 3.1 §4.8.27 and
§4.8.30): the browser's session cookie, or a personal API token as ``Authorization: Bearer``
(``web.bearer``, ``clinic.tokens``; a ``read`` token only for GET and HEAD).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ovaregen.web.sessions import SESSION_COOKIE

PUBLIC = frozenset({"/health"})
"""Routes answered without a login."""
UNSAFE = frozenset({"post", "put", "patch", "delete"})
ERROR_BODY = "#/components/schemas/ErrorBody"
SECURITY_SCHEMES: dict[str, Any] = {
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The browser's session after logging in at /login; every change also "
        "sends the session's CSRF token as X-CSRF-Token.",
    },
    "apiToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token (ovr_…), created on the page /account/tokens or "
        "with `ovaregen token create`; it acts as its user. A read token may only GET; no "
        "CSRF token is needed. Not accepted together with the session cookie (the cookie "
        "decides).",
    },
}
SECURITY: list[dict[str, list[str]]] = [{"sessionCookie": []}, {"apiToken": []}]
_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorBody",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for a person."},
        "errors": {
            "description": "The refused values of a form, by field.",
            "type": ["object", "array"],
        },
        "current": {
            "description": "The saved version and values, on a version conflict.",
            "type": "object",
        },
        "lock": {
            "description": "The lock that refused the change (423): what, who, when, why.",
            "type": "object",
        },
    },
    "additionalProperties": True,
}
_MESSAGES = {
    "400": "The body is not valid JSON (or not the declared content type); nothing was read.",
    "401": "Not logged in, or the API token was refused (malformed, unknown, revoked, "
    "expired, or its user disabled).",
    "403": "The role does not allow this, a change came without the session's CSRF token, or "
    "a read-only API token was asked to change something.",
    "404": "No such study, participant, visit or record (or not one this role may see).",
    "409": "Refused by a study rule (a record of a woman not at that stage, say), a version "
    "conflict (the saved version in `current`), "
    "or an import already running; nothing was saved.",
    "413": "The request body is larger than the server accepts; nothing was read.",
    "422": "A value or parameter was refused; nothing was saved.",
    "423": "The form, the casebook or the study database is locked (`lock` names who locked "
    "it, when and why: `clinic.locks`); nothing was saved until it is unlocked.",
    "503": "The database is busy (an import may be running) or cannot be used; nothing was "
    "saved; try again after `Retry-After` seconds.",
    "507": "The disk is full; nothing was saved.",
}


def _error(code: str, api: bool) -> dict[str, Any]:
    """An error answer: ``ErrorBody`` from the API, an error page from a page route."""
    content = (
        {"application/json": {"schema": {"$ref": ERROR_BODY}}}
        if api
        else {"text/html": {"schema": {"type": "string"}}}
    )
    return {"description": _MESSAGES[code], "content": content}


def _shared_answers(path: str, method: str, operation: dict[str, Any]) -> dict[str, Any]:
    """The answers of ``operation`` that come from the access check and the error handlers."""
    answers: dict[str, Any] = {}
    api = path.startswith("/api/")
    if path not in PUBLIC:
        if api:
            answers["401"] = _error("401", api)
        else:
            answers["303"] = {"description": "Not logged in: to the login page."}
        answers["403"] = _error("403", api)
    if "requestBody" in operation:
        answers["400"] = _error("400", api)
    if "{" in path:
        answers["404"] = _error("404", api)
    if path not in PUBLIC:
        answers["409"] = _error("409", api)
    if method in UNSAFE:
        answers["413"] = _error("413", api)
        if path not in PUBLIC:
            answers["423"] = _error("423", api)
    if operation.get("parameters") or "requestBody" in operation or method in UNSAFE:
        answers["422"] = _error("422", api)
    answers["503"] = _error("503", api) | {
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
    }
    answers["507"] = _error("507", api)
    return answers


def documented(app: FastAPI) -> dict[str, Any]:
    """The application's OpenAPI document with the shared answers of every route."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, answer in _shared_answers(path, method, operation).items():
                if code == "422" or code not in responses:
                    responses[code] = answer
            if path.startswith("/api/") and path not in PUBLIC:
                operation["security"] = SECURITY
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    components = schema["components"].setdefault("schemas", {})
    components["ErrorBody"] = _ERROR_SCHEMA
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema


def install(app: FastAPI) -> None:
    """Serve ``documented(app)`` as the application's OpenAPI document."""

    def openapi() -> dict[str, Any]:
        return documented(app)

    app.openapi = openapi  # type: ignore[method-assign]
