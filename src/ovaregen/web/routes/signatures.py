"""Electronic signatures: an investigator signs the casebook or one form by entering her
password again (``clinic.signatures``); the API lists every signature with its state.

A refused signing (wrong password, throttled) answers without raising, so the request's
transaction commits the throttle's count and the audit entry of the refusal. The password is
checked with Argon2 inside the request's transaction (about a quarter of a second, only when
someone signs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel
from pydantic import Field as Body
from starlette.responses import Response

from ovaregen.clinic import signatures
from ovaregen.store.models import Participant
from ovaregen.web.client_address import client_address
from ovaregen.web.dependencies import Actor, SessionDep, Signer, Viewer, settings
from ovaregen.web.pages import page
from ovaregen.web.routes.forms import found
from ovaregen.web.routes.verification import form_page
from ovaregen.web.settings import Settings

router = APIRouter()

Config = Annotated[Settings, Depends(settings)]
WRONG_PASSWORD = "wrong password: nothing was signed (the attempt counts as a failed login)"


def _refusal(signing: signatures.Signing) -> tuple[int, str, dict[str, str]]:
    """The status, message and headers of a refused signing."""
    if signing.outcome is signatures.Outcome.THROTTLED:
        wait = signing.retry_after_seconds
        return (
            429,
            f"too many failed password checks: wait {wait} seconds and sign again; "
            "nothing was signed",
            {"Retry-After": str(wait)},
        )
    return 403, WRONG_PASSWORD, {}


def _sign(
    request: Request,
    config: Settings,
    session: SessionDep,
    actor: Actor,
    participant: Participant,
    *,
    scope: str,
    meaning: str,
    password: str,
    seen: str,
) -> signatures.Signing:
    """Sign, or 422 naming the field when the password is empty or the meaning unknown."""
    try:
        return signatures.sign(
            session,
            participant,
            signer=actor.user,
            password=password,
            client=client_address(request, config.trusted_proxies),
            scope=scope.strip() or signatures.CASEBOOK,
            meaning=meaning,
            seen=seen,
        )
    except signatures.SignatureRefusedError as refused:
        raise HTTPException(422, str(refused)) from None


@router.post("/studies/{study}/participants/{code}/signature", include_in_schema=False)
def sign_page(
    study: str,
    code: str,
    request: Request,
    config: Config,
    session: SessionDep,
    actor: Signer,
    scope: Annotated[str, Form(max_length=64)] = signatures.CASEBOOK,
    meaning: Annotated[str, Form(max_length=64)] = signatures.MEANINGS[0],
    password: Annotated[str, Form(max_length=1024)] = "",
    seen: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Sign the casebook (``scope=casebook``) or one form; back to its page when signed."""
    found_study, participant = found(session, study, code, actor.access)
    signing = _sign(
        request,
        config,
        session,
        actor,
        participant,
        scope=scope,
        meaning=meaning,
        password=password,
        seen=seen,
    )
    if signing.state is None:
        status, message, headers = _refusal(signing)
        refused = page(
            request, "error.j2", actor, status_code=status, status=status, message=message
        )
        refused.headers.update(headers)
        return refused
    signed = signing.state.signature.scope
    base = f"/studies/{found_study.name}/participants/{participant.code}"
    target = base if signed == signatures.CASEBOOK else form_page(study, participant.code, signed)
    return RedirectResponse(target, 303)


# ---- API ---------------------------------------------------------------------------------


class SignIn(BaseModel):
    scope: str = Body(
        default=signatures.CASEBOOK, max_length=64, description="'casebook' or a form's key"
    )
    meaning: str = Body(default=signatures.MEANINGS[0], max_length=64)
    password: str = Body(max_length=1024, description="the signer's password, again")
    seen: str = Body(max_length=64, description="the 'seen' hash of what was reviewed")


@router.get("/api/studies/{study}/participants/{code}/signatures", tags=["signatures"])
def signatures_api(study: str, code: str, session: SessionDep, actor: Viewer) -> dict[str, Any]:
    """Every signature of her records with its state (valid, or broken and what changed),
    and the ``seen`` hash of her casebook and of each form to sign them as they are now."""
    _, participant = found(session, study, code, actor.access)
    forms = signatures.covered(session, participant, signatures.CASEBOOK)
    return {
        "meanings": list(signatures.MEANINGS),
        "seen": {signatures.CASEBOOK: signatures.seen_of(signatures.CASEBOOK, forms)}
        | {key: signatures.seen_of(key, {key: form}) for key, form in forms.items()},
        "signatures": [
            signatures.state(session, participant, s).as_json()
            for s in signatures.signatures_of(session, participant)
        ],
    }


THROTTLED_ANSWER: dict[int | str, dict[str, Any]] = {
    201: {"description": "Signed: the signature and its state."},
    429: {
        "description": "Too many failed password checks: wait and sign again.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    },
}


@router.post(
    "/api/studies/{study}/participants/{code}/signature",
    tags=["signatures"],
    status_code=201,
    responses=THROTTLED_ANSWER,
)
def sign_api(
    study: str,
    code: str,
    body: SignIn,
    request: Request,
    config: Config,
    session: SessionDep,
    actor: Signer,
) -> Response:
    """Sign with the password again: 201 and the signature; 403 for a wrong password, 429
    while throttled, 409 when the values changed since ``seen``, 422 for a bad meaning."""
    _, participant = found(session, study, code, actor.access)
    signing = _sign(
        request,
        config,
        session,
        actor,
        participant,
        scope=body.scope,
        meaning=body.meaning,
        password=body.password,
        seen=body.seen,
    )
    if signing.state is None:
        status, message, headers = _refusal(signing)
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    return JSONResponse(jsonable(signing.state.as_json()), status_code=201)


def jsonable(value: dict[str, Any]) -> dict[str, Any]:
    """Times as ISO 8601 text (FastAPI's encoder, for a ``JSONResponse`` built here)."""
    encoded: dict[str, Any] = jsonable_encoder(value)
    return encoded
