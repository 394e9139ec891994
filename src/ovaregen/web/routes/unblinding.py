"""Emergency unblinding and the notification list of unblindings (``clinic.unblinding``).

The two unblinding routes are the only ones where a blinded role (an investigator of the
woman's site, ``EmergencyUnblinder``) receives an arm: one participant, a listed category and
an explanation, the earlier unblindings confirmed as read, logged. The notification list names
who unblinded whom, when and why — never the arm — to the statistician and the principal
investigator (``UnblindingReader``), for the women of their sites.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from ovaregen.clinic import scope
from ovaregen.clinic import unblinding as service
from ovaregen.clinic.ecrf import FormRefusedError, ReasonRequiredError
from ovaregen.clinic.studies import StudyError
from ovaregen.store.models import Participant, Study
from ovaregen.web.dependencies import Actor, EmergencyUnblinder, SessionDep, UnblindingReader
from ovaregen.web.pages import page

router = APIRouter()


class UnblindingIn(BaseModel):
    category: str = Field(
        default="", max_length=64, description="one of " + ", ".join(service.CATEGORIES)
    )
    reason: str = Field(max_length=2000, description="the clinical emergency, explained")
    seen_earlier: bool = Field(
        default=False,
        description="true to confirm the earlier unblindings were read (needed when any)",
    )


def revealed_json(revealed: service.Unblinded) -> dict[str, object]:
    return {
        "participant": revealed.participant,
        "allocation_code": revealed.allocation_code,
        "arm": revealed.arm,
        "arm_label": revealed.arm_label,
        "category": revealed.category,
        "reason": revealed.reason,
        "at": revealed.at.isoformat(),
        "earlier_unblindings": revealed.earlier,
    }


# ---- API ---------------------------------------------------------------------------------


@router.post("/api/studies/{study}/participants/{code}/unblinding", tags=["randomisation"])
def emergency_unblinding(
    study: str, code: str, body: UnblindingIn, session: SessionDep, actor: EmergencyUnblinder
) -> dict[str, object]:
    """Emergency unblinding of one participant of the investigator's site: a category, an
    explanation, and ``seen_earlier`` when she was unblinded before (409 names them)."""
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    revealed = service.unblind(
        session,
        participant,
        username=actor.username,
        category=body.category,
        reason=body.reason,
        seen_earlier=body.seen_earlier,
    )
    return revealed_json(revealed)


@router.get("/api/studies/{study}/unblindings", tags=["randomisation"])
def unblindings_api(study: str, session: SessionDep, actor: UnblindingReader) -> dict[str, object]:
    """Every emergency unblinding of the study at the reader's sites, newest first (no arm)."""
    found = scope.study_seen(session, study, actor.access)
    marks = service.notifications(session, found, actor.access)
    return {"study": found.name, "unblindings": [m.as_json() for m in marks]}


# ---- pages -------------------------------------------------------------------------------


def _form_page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    study: Study,
    participant: Participant,
    *,
    refused: str | None = None,
    status_code: int = 200,
    chosen: str = "",
    reason: str = "",
) -> Response:
    return page(
        request,
        "unblinded.j2",
        actor,
        status_code=status_code,
        study=study,
        participant=participant,
        revealed=None,
        earlier=service.marks_of(session, participant),
        categories=service.CATEGORIES,
        refused=refused,
        chosen=chosen,
        reason=reason,
        min_reason=service.MIN_UNBLINDING_REASON,
    )


@router.get("/studies/{study}/participants/{code}/unblind", include_in_schema=False)
def unblinding_form(
    study: str, code: str, request: Request, session: SessionDep, actor: EmergencyUnblinder
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    return _form_page(request, session, actor, found, participant)


@router.post("/studies/{study}/participants/{code}/unblind", include_in_schema=False)
def unblind_page(
    study: str,
    code: str,
    request: Request,
    session: SessionDep,
    actor: EmergencyUnblinder,
    category: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    seen_earlier: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    try:
        revealed = service.unblind(
            session,
            participant,
            username=actor.username,
            category=category,
            reason=reason,
            seen_earlier=seen_earlier == "yes",
        )
    except (ReasonRequiredError, FormRefusedError, StudyError) as error:
        status = 409 if isinstance(error, StudyError) else 422
        return _form_page(
            request,
            session,
            actor,
            found,
            participant,
            refused=str(error),
            status_code=status,
            chosen=category,
            reason=reason,
        )
    return page(
        request,
        "unblinded.j2",
        actor,
        study=found,
        participant=participant,
        revealed=revealed,
        category_label=service.category_label(revealed.category),
        earlier=(),
    )


@router.get("/studies/{study}/unblindings", include_in_schema=False)
def unblindings_page(
    study: str, request: Request, session: SessionDep, actor: UnblindingReader
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    return page(
        request,
        "unblindings.j2",
        actor,
        study=found,
        marks=service.notifications(session, found, actor.access),
    )
