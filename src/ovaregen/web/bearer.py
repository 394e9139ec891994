"""Personal API tokens on the JSON API (``clinic.tokens``): reading ``Authorization: Bearer``,
recording a token's use, answering and auditing its refusals.

Which credential decides is ``web.dependencies.optional_actor``'s rule: a request that carries
the session cookie is a browser's, and the cookie alone decides (the CSRF rule holds, whatever
``Authorization`` says); otherwise, on ``/api/`` routes only, the bearer token (RFC 6750 §2.1).
Pages never accept a token: without a cookie they send the reader to the login page, so a
token cannot reach the page that creates tokens.

Refusals are answered as RFC 6750 §3 says: 401 with ``WWW-Authenticate: Bearer …
error="invalid_token"`` for a malformed, unknown, revoked or expired token or a disabled user,
403 with ``error="insufficient_scope"`` for a read-only token asked to change something; the
body is the API's ``{"detail": …}``. The refusal is audited after the request's own transaction
has ended (the error handler runs then), in a short transaction of its own.
"""

from __future__ import annotations

import logging
from datetime import datetime

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ovaregen.clinic.tokens import (
    TOUCH_EVERY,
    Refusal,
    Refused,
    TokenRefusedError,
    authenticate,
    needs_touch,
    record_refusal,
)
from ovaregen.store.database import Database, DatabaseError
from ovaregen.store.models import ApiToken, utc_now
from ovaregen.web.client_address import client_address
from ovaregen.web.settings import Settings

API_PREFIX = "/api"
WAIT_SECONDS = 1.0
"""How long recording a use or a refusal waits for the database before leaving it."""
log = logging.getLogger("ovaregen.web")


def is_api_path(path: str) -> bool:
    """Whether ``path`` is a route of the JSON API (tokens are accepted there only)."""
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def presented_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``; None without the header; any other
    ``Authorization`` is refused as malformed (never silently ignored)."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise TokenRefusedError(Refusal(Refused.MALFORMED))
    return value.strip()


def request_token(
    request: Request, session: Session, *, database: Database | None = None
) -> ApiToken | None:
    """The live token the request presents, None when it presents none, or
    ``TokenRefusedError``. ``last_used_at`` is written at most once a minute: in ``session``,
    or with ``database`` (a GET, whose own session is read-only) in a short transaction of its
    own, skipped when the database is busy."""
    presented = presented_token(request)
    if presented is None:
        return None
    return live_token(session, presented, database=database)


def live_token(session: Session, presented: str, *, database: Database | None = None) -> ApiToken:
    """The live token ``presented`` is (``clinic.tokens.authenticate``: hashed lookup), or
    ``TokenRefusedError``; its use recorded as ``request_token`` says. Shared by the bearer
    header and the REDCap API's ``token`` form field (``web.routes.redcap_api``)."""
    now = utc_now()
    token = authenticate(session, presented, now)
    if needs_touch(token, now):
        if database is None:
            token.last_used_at = now
        else:
            _touch(database, token.id, now)
    return token


def _touch(database: Database, token_id: int, now: datetime) -> None:
    stale = now - TOUCH_EVERY
    try:
        with database.transaction(wait_seconds=WAIT_SECONDS) as writing:
            writing.execute(
                update(ApiToken)
                .where(ApiToken.id == token_id)
                .where((ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < stale))
                .values(last_used_at=now)
            )
    except (DatabaseError, SQLAlchemyError) as error:
        log.info("an API token's last use was not recorded: %s", error)


def _audit_refusal(database: Database, refusal: Refusal, request: Request, client: str) -> None:
    """Log the refusal; audit it when it concerns a known token (``clinic.tokens`` rules).
    An audit that cannot be written now is logged: the answer stays the refusal, never a 500."""
    log.warning(
        "API token refused (%s) on %s %s from %s%s",
        refusal.why.value,
        request.method,
        request.url.path,
        client,
        f": token {refusal.token_id} of {refusal.owner}" if refusal.token_id else "",
    )
    if refusal.token_id is None:
        return
    try:
        with database.transaction(wait_seconds=WAIT_SECONDS) as session:
            record_refusal(
                session, refusal, method=request.method, path=request.url.path, client=client
            )
    except (DatabaseError, SQLAlchemyError) as error:
        log.error("a refused API token use was not audited: %s", error)


async def audit_refused(request: Request, refusal: Refusal) -> None:
    """Log and audit a refused token use (``_audit_refusal``), off the event loop."""
    config: Settings = request.app.state.settings
    client = client_address(request, config.trusted_proxies)
    await run_in_threadpool(_audit_refusal, request.app.state.database, refusal, request, client)


async def refused(request: Request, error: TokenRefusedError) -> Response:
    """The answer to a refused token (401, or 403 for a read-only token asked to write),
    after auditing the refusal."""
    refusal = error.refusal
    await audit_refused(request, refusal)
    if refusal.why is Refused.READ_ONLY:
        status, challenge = 403, 'Bearer realm="ovaregen", error="insufficient_scope"'
    else:
        status, challenge = 401, 'Bearer realm="ovaregen", error="invalid_token"'
    return JSONResponse(
        {"detail": refusal.text}, status_code=status, headers={"WWW-Authenticate": challenge}
    )
