"""The study's worklist at the reader's sites: visits upcoming, due, overdue and done out of
their window, and women still in screening with undecided eligibility (``clinic.worklist``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import scope, views
from ovaregen.clinic import studies as service
from ovaregen.clinic.worklist import DEFAULT_LOOK_AHEAD, MAX_LOOK_AHEAD, Worklist, worklist
from ovaregen.domain.visit_windows import Timing
from ovaregen.store.models import utc_now
from ovaregen.web.dependencies import Actor, SessionDep, Viewer
from ovaregen.web.pages import page

router = APIRouter()

LookAhead = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_LOOK_AHEAD,
        description="days ahead in which an opening window makes a visit upcoming",
    ),
]


def _worklist(session: Session, study: str, actor: Actor, days: int) -> tuple[Any, Worklist]:
    found = scope.study_seen(session, study, actor.access)
    protocol = service.protocol_of(found.name)
    listed = worklist(
        session,
        found,
        protocol,
        actor.access,
        views.schedule_seen(protocol, actor.reader),
        today=utc_now().date(),
        look_ahead=days,
    )
    return found, listed


@router.get("/studies/{study}/worklist", include_in_schema=False)
def worklist_page(
    study: str,
    request: Request,
    session: SessionDep,
    actor: Viewer,
    days: LookAhead = DEFAULT_LOOK_AHEAD,
) -> Response:
    found, listed = _worklist(session, study, actor, days)
    return page(
        request,
        "worklist.j2",
        actor,
        study=found,
        listed=listed,
        protocol=service.protocol_of(found.name),
        Timing=Timing,
    )


@router.get("/api/studies/{study}/worklist", tags=["worklist"])
def worklist_api(
    study: str, session: SessionDep, actor: Viewer, days: LookAhead = DEFAULT_LOOK_AHEAD
) -> dict[str, Any]:
    """Visits overdue, due, upcoming within ``days`` and out of window; women in screening
    with undecided eligibility; at the caller's sites, today (UTC)."""
    _, listed = _worklist(session, study, actor, days)
    return listed.as_json()
