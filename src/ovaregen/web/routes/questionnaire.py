"""The participant's questionnaire page: no login, reached through her one-use link
(``clinic.questionnaire_links``).

Every failure — an unknown, spent, expired or revoked link, or the form key of another link —
is answered with the same neutral page and status (404), so the answer tells a guess nothing.
Wrong secrets are throttled per address with the login's back-off (``clinic.throttle``, its
pair count under a fixed name): each look-up is reserved as a failure and forgotten when the
link is live. The form carries a key bound to the link instead of a session's CSRF token (no
session cookie exists). The page shows only her questions: no code, site, staff or arm.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import delete
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import questionnaire_links as links
from ovaregen.clinic import throttle
from ovaregen.clinic.ecrf import FormRefusedError, VersionConflictError, visit_of
from ovaregen.clinic.studies import protocol_of
from ovaregen.store.models import LoginFailure, QuestionnaireLink, utc_now
from ovaregen.web.client_address import client_address
from ovaregen.web.dependencies import DatabaseDep, settings
from ovaregen.web.pages import page
from ovaregen.web.routes.auth import wait_text
from ovaregen.web.settings import Settings

router = APIRouter()
THROTTLE_NAME = "~questionnaire-link"
"""The throttle's username for link look-ups (no account can be named so: ``~``)."""
REFUSED = (
    "This questionnaire link cannot be used. It may have been used already, have expired or "
    "have been replaced. Please contact your clinic for a new link."
)


def _admitted(session: Session, request: Request, config: Settings) -> int | timedelta:
    """The reserved failure's id, or how long this address must wait."""
    admission = throttle.admit(
        session,
        username=THROTTLE_NAME,
        client=client_address(request, config.trusted_proxies),
        known_device=True,  # the pair count only: per address
        now=utc_now(),
    )
    return admission.reservation if admission.reservation is not None else admission.retry_after


def _forget(session: Session, reservation: int) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.id == reservation))


def _refused(request: Request) -> Response:
    return page(request, "questionnaire_refused.j2", None, status_code=404, message=REFUSED)


def _throttled(request: Request, wait: timedelta) -> Response:
    seconds = max(1, int(wait.total_seconds()))
    response = page(
        request,
        "questionnaire_refused.j2",
        None,
        status_code=429,
        message=f"Too many attempts from this connection: wait {wait_text(seconds)} and try again.",
    )
    response.headers["Retry-After"] = str(seconds)
    return response


def _form(
    request: Request,
    link: QuestionnaireLink,
    token: str,
    *,
    errors: dict[str, str] | None = None,
    given: dict[str, str] | None = None,
) -> Response:
    visit = visit_of(protocol_of(link.participant.study.name), link.visit)
    return page(
        request,
        "questionnaire.j2",
        None,
        status_code=422 if errors else 200,
        token=token,
        form_key=links.form_key(token, link.id),
        questions=links.questions_of(visit),
        report=links.REPORT_QUESTIONS,
        errors=errors or {},
        given=given or {},
        max_report=links.MAX_REPORT,
    )


@router.get("/questionnaire/{token}", include_in_schema=False)
def questionnaire_page(
    token: str,
    request: Request,
    db: DatabaseDep,
    config: Annotated[Settings, Depends(settings)],
) -> Response:
    with db.transaction() as session:
        admitted = _admitted(session, request, config)
        if isinstance(admitted, timedelta):
            return _throttled(request, admitted)
        try:
            link = links.live_link(session, token)
        except links.LinkRefusedError:
            return _refused(request)
        _forget(session, admitted)
        return _form(request, link, token)


@router.post("/questionnaire/{token}", include_in_schema=False)
async def answer_questionnaire(
    token: str,
    request: Request,
    db: DatabaseDep,
    config: Annotated[Settings, Depends(settings)],
) -> Response:
    form = await request.form()
    texts = {k: v for k, v in form.items() if isinstance(v, str)}
    with db.transaction() as session:
        admitted = _admitted(session, request, config)
        if isinstance(admitted, timedelta):
            return _throttled(request, admitted)
        try:
            link = links.live_link(session, token)
        except links.LinkRefusedError:
            return _refused(request)
        if not hmac.compare_digest(texts.get("form_key", ""), links.form_key(token, link.id)):
            return _refused(request)
        _forget(session, admitted)
        visit = visit_of(protocol_of(link.participant.study.name), link.visit)
        try:
            with session.begin_nested():
                links.answer(session, link, visit, texts)
        except FormRefusedError as refused:
            return _form(request, link, token, errors=refused.errors, given=texts)
        except (links.LinkRefusedError, VersionConflictError):
            return _refused(request)  # answered at the same moment: the other one stands
    return page(request, "questionnaire_done.j2", None)
