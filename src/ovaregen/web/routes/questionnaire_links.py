"""Creating and revoking a participant's questionnaire links (``clinic.questionnaire_links``):
the staff's side, with data-entry permission, on her page and on the API.

A new link is shown once, in the answer to the request that made it (never in a URL the
browser keeps in its history); afterwards only its state is listed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import questionnaire_links as links
from ovaregen.clinic.studies import protocol_of
from ovaregen.domain.protocols import Protocol
from ovaregen.store.audit import timestamp
from ovaregen.store.models import Participant, QuestionnaireLink, utc_now
from ovaregen.web.dependencies import DataEntry, RowId, SessionDep, Viewer, settings
from ovaregen.web.pages import page
from ovaregen.web.routes.forms import found
from ovaregen.web.settings import Settings

router = APIRouter()


def questionnaire_panel(
    session: Session, protocol: Protocol, participant: Participant
) -> dict[str, Any]:
    """What ``_questionnaire_panel.j2`` shows on her page: the visits a link may be made for
    and her links with their state."""
    now = utc_now()
    return {
        "visits": links.questionnaire_visits(protocol),
        "links": [(link, links.state(link, now)) for link in links.links_of(session, participant)],
        "may_send": participant.status in links.ANSWERING,
    }


def link_json(link: QuestionnaireLink) -> dict[str, object]:
    return {
        "id": link.id,
        "visit": link.visit,
        "state": links.state(link, utc_now()),
        "created_at": timestamp(link.created_at),
        "created_by": link.created_by,
        "expires_at": timestamp(link.expires_at),
        "used_at": timestamp(link.used_at) if link.used_at else None,
        "revoked_at": timestamp(link.revoked_at) if link.revoked_at else None,
        "answers": link.answers,
    }


def _public_url(request: Request, secret: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/questionnaire/{secret}"


@router.post("/studies/{study}/participants/{code}/questionnaire-links", include_in_schema=False)
def create_link_page(
    study: str,
    code: str,
    request: Request,
    session: SessionDep,
    actor: DataEntry,
    config: Annotated[Settings, Depends(settings)],
    visit: Annotated[str, Form(max_length=64)],
) -> Response:
    """Make a link for one follow-up visit and show it once."""
    found_study, participant = found(session, study, code, actor.access)
    link, secret = links.create_link(
        session,
        participant,
        protocol_of(found_study.name),
        visit,
        username=actor.username,
        lifetime=config.questionnaire_lifetime,
    )
    return page(
        request,
        "questionnaire_link.j2",
        actor,
        study=found_study,
        participant=participant,
        link=link,
        url=_public_url(request, secret),
    )


@router.post(
    "/studies/{study}/participants/{code}/questionnaire-links/{link_id}/revoke",
    include_in_schema=False,
)
def revoke_link_page(
    study: str, code: str, link_id: RowId, session: SessionDep, actor: DataEntry
) -> Response:
    found_study, participant = found(session, study, code, actor.access)
    links.revoke_link(session, participant, link_id, username=actor.username)
    return RedirectResponse(
        f"/studies/{found_study.name}/participants/{participant.code}#questionnaire", 303
    )


class LinkIn(BaseModel):
    visit: str = Field(min_length=1, max_length=64, description="a follow-up visit id")


@router.get("/api/studies/{study}/participants/{code}/questionnaire-links", tags=["participants"])
def list_links(
    study: str, code: str, session: SessionDep, actor: Viewer
) -> list[dict[str, object]]:
    """Her questionnaire links, newest first, with their state and the answers she reported."""
    _, participant = found(session, study, code, actor.access)
    return [link_json(link) for link in links.links_of(session, participant)]


@router.post(
    "/api/studies/{study}/participants/{code}/questionnaire-links",
    tags=["participants"],
    status_code=201,
)
def create_link(
    study: str,
    code: str,
    body: LinkIn,
    request: Request,
    session: SessionDep,
    actor: DataEntry,
    config: Annotated[Settings, Depends(settings)],
) -> dict[str, object]:
    """Make a link for one follow-up visit; the answer holds its URL, once."""
    found_study, participant = found(session, study, code, actor.access)
    link, secret = links.create_link(
        session,
        participant,
        protocol_of(found_study.name),
        body.visit,
        username=actor.username,
        lifetime=config.questionnaire_lifetime,
    )
    return {**link_json(link), "url": _public_url(request, secret)}
