"""The page where a logged-in user lists, creates and revokes her own API tokens: personal
(``ovr_``, for ``/api/``) or REDCap API ones (for PyCap or REDCapR at ``/redcap/api/``).

Every user may hold tokens (``Viewer``: every role may view), and only her own: another
user's token is answered as an unknown one (404). The page is a page, so it never accepts a
token itself (``web.bearer``): a stolen token cannot make more tokens. A new token is shown
once, in the answer to the form that created it (no redirect, never cached: every answer is
``Cache-Control: no-store``); afterwards only its name, scope and dates are shown. Creating
and revoking are audited (``clinic.tokens``), CSRF-checked by the one access dependency.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ovaregen.clinic import tokens
from ovaregen.clinic.studies import NotFoundError
from ovaregen.web.dependencies import Actor, RowId, SessionDep, Viewer
from ovaregen.web.pages import page

router = APIRouter()
PAGE = "/account/tokens"


def _page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    *,
    created: tokens.Created | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "tokens.j2",
        actor,
        status_code=status_code,
        tokens=tokens.tokens_of(session, actor.user),
        state_of=tokens.state_of,
        created=created,
        message=message,
        default_days=tokens.DEFAULT_EXPIRY_DAYS,
        max_days=tokens.MAX_EXPIRY_DAYS,
        name_length=tokens.NAME_LENGTH,
        kinds=tokens.KIND_LABELS,
    )


@router.get(PAGE, include_in_schema=False)
def tokens_page(request: Request, session: SessionDep, actor: Viewer) -> Response:
    """Her tokens, newest first, and the form that creates one."""
    return _page(request, session, actor)


@router.post(PAGE, include_in_schema=False)
def create_token_page(
    request: Request,
    session: SessionDep,
    actor: Viewer,
    name: Annotated[str, Form(max_length=tokens.NAME_LENGTH)] = "",
    expires_days: Annotated[int, Form(ge=1, le=tokens.MAX_EXPIRY_DAYS)] = (
        tokens.DEFAULT_EXPIRY_DAYS
    ),
    write: Annotated[bool, Form()] = False,
    kind: Annotated[str, Form(max_length=16)] = tokens.Kind.PERSONAL.value,
) -> Response:
    """Create a token of hers (personal, or the REDCap API kind) and show it, this once."""
    try:
        created = tokens.create_token(
            session,
            actor.user,
            name=name,
            by=actor.username,
            scope=tokens.Scope.WRITE if write else tokens.Scope.READ,
            expires_days=expires_days,
            kind=kind,
        )
    except tokens.TokenError as error:
        return _page(request, session, actor, message=str(error), status_code=422)
    return _page(request, session, actor, created=created)


@router.post(PAGE + "/{token_id}/revoke", include_in_schema=False)
def revoke_token_page(token_id: RowId, session: SessionDep, actor: Viewer) -> Response:
    """Revoke one of her tokens (another user's is unknown here: 404)."""
    try:
        token = tokens.token_numbered(session, token_id, owner=actor.user)
    except tokens.TokenError as error:
        raise NotFoundError(str(error)) from None
    if token.revoked_at is None:
        tokens.revoke(session, token, by=actor.username, reason="revoked by its owner")
    return RedirectResponse(PAGE, 303)
