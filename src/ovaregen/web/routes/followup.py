"""Follow-up pages and API: complications checklist, pregnancies, adverse events.

The JSON API of pregnancies and adverse events is ``web.routes.followup_api`` (included in
this router); a deletion from a page names the version it deletes, as the API's does. A page
whose form is locked (``clinic.locks``: the list, her casebook or the study) names the lock and
reads only, for every role: no input, no save, add or delete button.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import followup as service
from ovaregen.clinic import locks
from ovaregen.clinic.ecrf import FormRefusedError, ReasonRequiredError
from ovaregen.clinic.studies import protocol_of
from ovaregen.store.models import Participant
from ovaregen.web.dependencies import Actor, DataEntry, RowId, SessionDep, Viewer
from ovaregen.web.pages import page
from ovaregen.web.routes import followup_api
from ovaregen.web.routes.followup_api import enrolled
from ovaregen.web.submission import Submitted, version_of

router = APIRouter()

SAVED_FLASHES = {"added": "added", "changed": "changed", "removed": "removed"}
"""What a redirect after a save says it did (``?saved=``): shown as a "saved" message as the
forms show one; any other value shows nothing (the query string is never echoed)."""
Reason = Annotated[str, Form(max_length=2000)]


def _base(participant: Participant) -> str:
    return f"/studies/{participant.study.name}/participants/{participant.code}"


def _attempt(
    action: Callable[[], object], render: Callable[[int, Mapping[str, str], str], Response]
) -> Response | None:
    """Run a change; on refused values or a missing reason re-render the form (nothing saved)."""
    try:
        action()
    except FormRefusedError as refused:
        return render(422, refused.errors, "values refused: nothing was saved")
    except ReasonRequiredError as missing:
        return render(422, {"reason": str(missing)}, "not saved: a reason is needed")
    return None


# ---- complications checklist and menses at follow-up ------------------------------------


def _followup_page(
    request: Request,
    session: Session,
    actor: Actor,
    participant: Participant,
    *,
    status_code: int = 200,
    errors: Mapping[str, str] | None = None,
    texts: Mapping[str, str] | None = None,
    message: str = "",
) -> Response:
    """The checklist form and links to the follow-up visits (those recording pregnancies)."""
    entry = service.followup_entry(session, participant)
    protocol = protocol_of(participant.study.name)
    return page(
        request,
        "followup.j2",
        actor,
        status_code=status_code,
        participant=participant,
        study=participant.study,
        fields=service.followup_fields(protocol),
        recorded_at=[v for v in protocol.schedule if v.id in service.followup_visits(protocol)],
        values=texts if texts is not None else (entry.data if entry else {}),
        entry=entry,
        visits=[v for v in protocol.schedule if v.pregnancies],
        errors=errors or {},
        message=message,
        saved=request.query_params.get("saved"),
        page_lock=locks.lock_holding(session, participant, service.FOLLOWUP_VISIT),
    )


@router.get("/studies/{study}/participants/{code}/followup", include_in_schema=False)
def followup_page(
    study: str, code: str, request: Request, session: SessionDep, actor: Viewer
) -> Response:
    return _followup_page(request, session, actor, enrolled(session, study, code, actor.access))


@router.post("/studies/{study}/participants/{code}/followup", include_in_schema=False)
def save_followup_page(
    study: str, code: str, request: Request, session: SessionDep, actor: DataEntry, texts: Submitted
) -> Response:
    participant = enrolled(session, study, code, actor.access)
    refused = _attempt(
        lambda: service.save_followup(
            session,
            participant,
            texts,
            username=actor.username,
            expected_version=version_of(texts.get("version")),
            reason=texts.get("reason", ""),
        ),
        lambda status, errors, message: _followup_page(
            request,
            session,
            actor,
            participant,
            status_code=status,
            errors=errors,
            texts=texts,
            message=message,
        ),
    )
    return refused or RedirectResponse(f"{_base(participant)}/followup?saved=1", 303)


class FollowupIn(BaseModel):
    values: dict[str, str | bool | None] = Field(
        description="comp_* (true/false/null), menses_followup"
    )
    version: int | None = None
    reason: str = Field(default="", max_length=2000)


@router.get("/api/studies/{study}/participants/{code}/followup", tags=["follow-up"])
def get_followup(study: str, code: str, session: SessionDep, actor: Viewer) -> dict[str, Any]:
    """The complications checklist and menses at follow-up (unknown = null)."""
    participant = enrolled(session, study, code, actor.access)
    entry = service.followup_entry(session, participant)
    data = entry.data if entry else {}
    return {
        "version": entry.version if entry else None,
        "values": {
            f.name: data.get(f.name)
            for f in service.followup_fields(protocol_of(participant.study.name))
        },
    }


@router.put("/api/studies/{study}/participants/{code}/followup", tags=["follow-up"])
def put_followup(
    study: str, code: str, body: FollowupIn, session: SessionDep, actor: DataEntry
) -> dict[str, Any]:
    participant = enrolled(session, study, code, actor.access)
    entry = service.save_followup(
        session,
        participant,
        body.values,
        username=actor.username,
        expected_version=body.version,
        reason=body.reason,
    )
    return get_followup(study, code, session, actor) | {"warnings": entry.warnings}


# ---- pregnancies ---------------------------------------------------------------------------


def _pregnancies_page(
    request: Request,
    session: Session,
    actor: Actor,
    participant: Participant,
    *,
    status_code: int = 200,
    errors: Mapping[str, str] | None = None,
    texts: Mapping[str, str] | None = None,
    editing: str = "new",
    message: str = "",
) -> Response:
    return page(
        request,
        "pregnancies.j2",
        actor,
        status_code=status_code,
        saved=SAVED_FLASHES.get(request.query_params.get("saved", "")) if not message else None,
        participant=participant,
        study=participant.study,
        pregnancies=service.pregnancies_of(session, participant),
        fields=service.pregnancy_fields(),
        errors=errors or {},
        texts=texts or {},
        editing=editing,
        message=message,
        page_lock=locks.lock_holding(session, participant, locks.PREGNANCIES),
    )


@router.get("/studies/{study}/participants/{code}/pregnancies", include_in_schema=False)
def pregnancies_page(
    study: str, code: str, request: Request, session: SessionDep, actor: Viewer
) -> Response:
    return _pregnancies_page(request, session, actor, enrolled(session, study, code, actor.access))


def _pregnancy_render(
    request: Request,
    session: Session,
    actor: Actor,
    participant: Participant,
    texts: Mapping[str, str],
    editing: str,
) -> Callable[[int, Mapping[str, str], str], Response]:
    def render(status: int, errors: Mapping[str, str], message: str) -> Response:
        return _pregnancies_page(
            request,
            session,
            actor,
            participant,
            status_code=status,
            errors=errors,
            texts=texts,
            editing=editing,
            message=message,
        )

    return render


@router.post("/studies/{study}/participants/{code}/pregnancies", include_in_schema=False)
def add_pregnancy_page(
    study: str, code: str, request: Request, session: SessionDep, actor: DataEntry, texts: Submitted
) -> Response:
    participant = enrolled(session, study, code, actor.access)
    refused = _attempt(
        lambda: service.add_pregnancy(session, participant, texts, username=actor.username),
        _pregnancy_render(request, session, actor, participant, texts, "new"),
    )
    return refused or RedirectResponse(f"{_base(participant)}/pregnancies?saved=added", 303)


@router.post(
    "/studies/{study}/participants/{code}/pregnancies/{pregnancy_id}", include_in_schema=False
)
def edit_pregnancy_page(
    study: str,
    code: str,
    pregnancy_id: RowId,
    request: Request,
    session: SessionDep,
    actor: DataEntry,
    texts: Submitted,
) -> Response:
    participant = enrolled(session, study, code, actor.access)
    refused = _attempt(
        lambda: service.update_pregnancy(
            session,
            participant,
            pregnancy_id,
            texts,
            username=actor.username,
            expected_version=version_of(texts.get("version")),
            reason=texts.get("reason", ""),
        ),
        _pregnancy_render(request, session, actor, participant, texts, str(pregnancy_id)),
    )
    return refused or RedirectResponse(f"{_base(participant)}/pregnancies?saved=changed", 303)


@router.post(
    "/studies/{study}/participants/{code}/pregnancies/{pregnancy_id}/delete",
    include_in_schema=False,
)
def delete_pregnancy_page(
    study: str,
    code: str,
    pregnancy_id: RowId,
    request: Request,
    session: SessionDep,
    actor: DataEntry,
    reason: Reason = "",
    version: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    participant = enrolled(session, study, code, actor.access)
    texts = {"reason": reason}
    refused = _attempt(
        lambda: service.delete_pregnancy(
            session,
            participant,
            pregnancy_id,
            username=actor.username,
            reason=reason,
            expected_version=version_of(version),
        ),
        _pregnancy_render(request, session, actor, participant, texts, f"delete-{pregnancy_id}"),
    )
    return refused or RedirectResponse(f"{_base(participant)}/pregnancies?saved=removed", 303)


# ---- adverse events ------------------------------------------------------------------------


def _events_page(
    request: Request,
    session: Session,
    actor: Actor,
    participant: Participant,
    *,
    status_code: int = 200,
    errors: Mapping[str, str] | None = None,
    texts: Mapping[str, str] | None = None,
    editing: str = "new",
    message: str = "",
) -> Response:
    return page(
        request,
        "adverse_events.j2",
        actor,
        status_code=status_code,
        saved=SAVED_FLASHES.get(request.query_params.get("saved", "")) if not message else None,
        participant=participant,
        study=participant.study,
        events=service.events_of(session, participant),
        grades=service.CTCAE_GRADES,
        versions=service.CTCAE_VERSIONS,
        default_version=service.DEFAULT_CTCAE_VERSION,
        relatedness=service.RELATEDNESS,
        outcomes=service.AE_OUTCOMES,
        errors=errors or {},
        texts=texts or {},
        editing=editing,
        message=message,
        page_lock=locks.lock_holding(session, participant, locks.ADVERSE_EVENTS),
    )


def _event_render(
    request: Request,
    session: Session,
    actor: Actor,
    participant: Participant,
    texts: Mapping[str, str],
    editing: str,
) -> Callable[[int, Mapping[str, str], str], Response]:
    def render(status: int, errors: Mapping[str, str], message: str) -> Response:
        return _events_page(
            request,
            session,
            actor,
            participant,
            status_code=status,
            errors=errors,
            texts=texts,
            editing=editing,
            message=message,
        )

    return render


@router.get("/studies/{study}/participants/{code}/adverse-events", include_in_schema=False)
def events_page(
    study: str, code: str, request: Request, session: SessionDep, actor: Viewer
) -> Response:
    return _events_page(request, session, actor, enrolled(session, study, code, actor.access))


@router.post("/studies/{study}/participants/{code}/adverse-events", include_in_schema=False)
def add_event_page(
    study: str, code: str, request: Request, session: SessionDep, actor: DataEntry, texts: Submitted
) -> Response:
    participant = enrolled(session, study, code, actor.access)
    refused = _attempt(
        lambda: service.add_event(session, participant, texts, username=actor.username),
        _event_render(request, session, actor, participant, texts, "new"),
    )
    return refused or RedirectResponse(f"{_base(participant)}/adverse-events?saved=added", 303)


@router.post(
    "/studies/{study}/participants/{code}/adverse-events/{event_id}", include_in_schema=False
)
def edit_event_page(
    study: str,
    code: str,
    event_id: RowId,
    request: Request,
    session: SessionDep,
    actor: DataEntry,
    texts: Submitted,
) -> Response:
    participant = enrolled(session, study, code, actor.access)
    refused = _attempt(
        lambda: service.update_event(
            session,
            participant,
            event_id,
            texts,
            username=actor.username,
            expected_version=version_of(texts.get("version")),
            reason=texts.get("reason", ""),
        ),
        _event_render(request, session, actor, participant, texts, str(event_id)),
    )
    return refused or RedirectResponse(f"{_base(participant)}/adverse-events?saved=changed", 303)


@router.post(
    "/studies/{study}/participants/{code}/adverse-events/{event_id}/delete",
    include_in_schema=False,
)
def delete_event_page(
    study: str,
    code: str,
    event_id: RowId,
    request: Request,
    session: SessionDep,
    actor: DataEntry,
    reason: Reason = "",
    version: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    participant = enrolled(session, study, code, actor.access)
    refused = _attempt(
        lambda: service.delete_event(
            session,
            participant,
            event_id,
            username=actor.username,
            reason=reason,
            expected_version=version_of(version),
        ),
        _event_render(
            request, session, actor, participant, {"reason": reason}, f"delete-{event_id}"
        ),
    )
    return refused or RedirectResponse(f"{_base(participant)}/adverse-events?saved=removed", 303)


router.include_router(followup_api.router)
