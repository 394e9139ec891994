"""The follow-up JSON API of pregnancies and adverse events (included in ``routes.followup``).

A POST creates a record (a field left out is unknown). A PUT replaces it and must carry every
field (``ovaregen.web.followup_bodies``: 422 naming the missing ones, never a silent clear). A
DELETE must name the version it deletes (``?version=N``: 422 without, 409 when the record
changed since it was read), so that no one deletes unseen what someone else just changed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import followup as service
from ovaregen.clinic import scope
from ovaregen.store.models import AdverseEvent, Participant, Pregnancy
from ovaregen.web.dependencies import DataEntry, RowId, SessionDep, Viewer
from ovaregen.web.followup_bodies import (
    DELETES,
    REPLACES,
    EventIn,
    EventReplacement,
    PregnancyIn,
    PregnancyReplacement,
)

router = APIRouter()
VersionQuery = Annotated[
    int, Query(description="the version of the record you delete, as you read it (required)")
]


def enrolled(session: Session, study: str, code: str, access: scope.Access) -> Participant:
    """The participant, if the caller sees her and she was enrolled (404 unknown or another
    site's, 409 not enrolled)."""
    found = scope.study_seen(session, study, access)
    participant = scope.participant_seen(session, found, code, access)
    service.require_enrolled(participant)
    return participant


def pregnancy_json(pregnancy: Pregnancy) -> dict[str, Any]:
    return {"id": pregnancy.id, "version": pregnancy.version} | service.pregnancy_values(pregnancy)


def event_json(event: AdverseEvent) -> dict[str, Any]:
    return {"id": event.id, "version": event.version} | service.event_values(event)


def _values(body: BaseModel) -> dict[str, Any]:
    return body.model_dump()


@router.get("/api/studies/{study}/participants/{code}/pregnancies", tags=["follow-up"])
def list_pregnancies(
    study: str, code: str, session: SessionDep, actor: Viewer
) -> list[dict[str, Any]]:
    participant = enrolled(session, study, code, actor.access)
    return [pregnancy_json(p) for p in service.pregnancies_of(session, participant)]


@router.post(
    "/api/studies/{study}/participants/{code}/pregnancies", tags=["follow-up"], status_code=201
)
def create_pregnancy(
    study: str, code: str, body: PregnancyIn, session: SessionDep, actor: DataEntry
) -> dict[str, Any]:
    participant = enrolled(session, study, code, actor.access)
    return pregnancy_json(
        service.add_pregnancy(session, participant, _values(body), username=actor.username)
    )


@router.put(
    "/api/studies/{study}/participants/{code}/pregnancies/{pregnancy_id}",
    tags=["follow-up"],
    description=REPLACES.format(what="pregnancy", fields=", ".join(PregnancyReplacement.fields)),
)
def change_pregnancy(
    study: str,
    code: str,
    pregnancy_id: RowId,
    body: PregnancyReplacement,
    session: SessionDep,
    actor: DataEntry,
) -> dict[str, Any]:
    participant = enrolled(session, study, code, actor.access)
    return pregnancy_json(
        service.update_pregnancy(
            session,
            participant,
            pregnancy_id,
            body.values(),
            username=actor.username,
            expected_version=body.version,
            reason=body.reason,
        )
    )


@router.delete(
    "/api/studies/{study}/participants/{code}/pregnancies/{pregnancy_id}",
    tags=["follow-up"],
    status_code=204,
    description=DELETES.format(what="pregnancy"),
)
def remove_pregnancy(
    study: str,
    code: str,
    pregnancy_id: RowId,
    session: SessionDep,
    actor: DataEntry,
    version: VersionQuery,
    reason: str = "",
) -> Response:
    participant = enrolled(session, study, code, actor.access)
    service.delete_pregnancy(
        session,
        participant,
        pregnancy_id,
        username=actor.username,
        reason=reason,
        expected_version=version,
    )
    return Response(status_code=204)


# ---- adverse events ------------------------------------------------------------------------


@router.get("/api/studies/{study}/participants/{code}/adverse-events", tags=["follow-up"])
def list_events(study: str, code: str, session: SessionDep, actor: Viewer) -> list[dict[str, Any]]:
    participant = enrolled(session, study, code, actor.access)
    return [event_json(e) for e in service.events_of(session, participant)]


@router.post(
    "/api/studies/{study}/participants/{code}/adverse-events", tags=["follow-up"], status_code=201
)
def create_event(
    study: str, code: str, body: EventIn, session: SessionDep, actor: DataEntry
) -> dict[str, Any]:
    participant = enrolled(session, study, code, actor.access)
    return event_json(
        service.add_event(session, participant, _values(body), username=actor.username)
    )


@router.put(
    "/api/studies/{study}/participants/{code}/adverse-events/{event_id}",
    tags=["follow-up"],
    description=REPLACES.format(what="adverse event", fields=", ".join(EventReplacement.fields)),
)
def change_event(
    study: str,
    code: str,
    event_id: RowId,
    body: EventReplacement,
    session: SessionDep,
    actor: DataEntry,
) -> dict[str, Any]:
    participant = enrolled(session, study, code, actor.access)
    return event_json(
        service.update_event(
            session,
            participant,
            event_id,
            body.values(),
            username=actor.username,
            expected_version=body.version,
            reason=body.reason,
        )
    )


@router.delete(
    "/api/studies/{study}/participants/{code}/adverse-events/{event_id}",
    tags=["follow-up"],
    status_code=204,
    description=DELETES.format(what="adverse event"),
)
def remove_event(
    study: str,
    code: str,
    event_id: RowId,
    session: SessionDep,
    actor: DataEntry,
    version: VersionQuery,
    reason: str = "",
) -> Response:
    participant = enrolled(session, study, code, actor.access)
    service.delete_event(
        session,
        participant,
        event_id,
        username=actor.username,
        reason=reason,
        expected_version=version,
    )
    return Response(status_code=204)
