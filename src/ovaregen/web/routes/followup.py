"""Follow-up pages and API: complications checklist, pregnancies, adverse events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import followup as service
from ovaregen.clinic.ecrf import FormRefusedError, ReasonRequiredError
from ovaregen.clinic.studies import participant_coded, protocol_of, study_named
from ovaregen.store.models import AdverseEvent, Participant, Pregnancy
from ovaregen.web.dependencies import Actor, DataEntry, SessionDep, Viewer
from ovaregen.web.pages import page
from ovaregen.web.submission import Submitted, version_of

router = APIRouter()
Reason = Annotated[str, Form(max_length=2000)]


def enrolled(session: Session, study: str, code: str) -> Participant:
    """The participant, if she was enrolled (404 unknown, 409 not enrolled)."""
    participant = participant_coded(session, study_named(session, study), code)
    service.require_enrolled(participant)
    return participant


def _base(participant: Participant) -> str:
    return f"/studies/{participant.study.name}/participants/{participant.code}"


def pregnancy_json(pregnancy: Pregnancy) -> dict[str, Any]:
    return {"id": pregnancy.id, "version": pregnancy.version} | service.pregnancy_values(pregnancy)


def event_json(event: AdverseEvent) -> dict[str, Any]:
    return {"id": event.id, "version": event.version} | service.event_values(event)


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
    )


@router.get("/studies/{study}/participants/{code}/followup", include_in_schema=False)
def followup_page(
    study: str, code: str, request: Request, session: SessionDep, actor: Viewer
) -> Response:
    return _followup_page(request, session, actor, enrolled(session, study, code))


@router.post("/studies/{study}/participants/{code}/followup", include_in_schema=False)
def save_followup_page(
    study: str, code: str, request: Request, session: SessionDep, actor: DataEntry, texts: Submitted
) -> Response:
    participant = enrolled(session, study, code)
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
    participant = enrolled(session, study, code)
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
    participant = enrolled(session, study, code)
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
        participant=participant,
        study=participant.study,
        pregnancies=service.pregnancies_of(session, participant),
        fields=service.pregnancy_fields(),
        errors=errors or {},
        texts=texts or {},
        editing=editing,
        message=message,
    )


@router.get("/studies/{study}/participants/{code}/pregnancies", include_in_schema=False)
def pregnancies_page(
    study: str, code: str, request: Request, session: SessionDep, actor: Viewer
) -> Response:
    return _pregnancies_page(request, session, actor, enrolled(session, study, code))


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
    participant = enrolled(session, study, code)
    refused = _attempt(
        lambda: service.add_pregnancy(session, participant, texts, username=actor.username),
        _pregnancy_render(request, session, actor, participant, texts, "new"),
    )
    return refused or RedirectResponse(f"{_base(participant)}/pregnancies", 303)


@router.post(
    "/studies/{study}/participants/{code}/pregnancies/{pregnancy_id}", include_in_schema=False
)
def edit_pregnancy_page(
    study: str,
    code: str,
    pregnancy_id: int,
    request: Request,
    session: SessionDep,
    actor: DataEntry,
    texts: Submitted,
) -> Response:
    participant = enrolled(session, study, code)
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
    return refused or RedirectResponse(f"{_base(participant)}/pregnancies", 303)


@router.post(
    "/studies/{study}/participants/{code}/pregnancies/{pregnancy_id}/delete",
    include_in_schema=False,
)
def delete_pregnancy_page(
    study: str,
    code: str,
    pregnancy_id: int,
    request: Request,
    session: SessionDep,
    actor: DataEntry,
    reason: Reason = "",
    version: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    participant = enrolled(session, study, code)
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
    return refused or RedirectResponse(f"{_base(participant)}/pregnancies", 303)


class PregnancyIn(BaseModel):
    conception: str | None = Field(default=None, description="spontaneous | ivf")
    months_after_treatment: float | str | None = None
    outcome: str | None = Field(default=None, description="ongoing | live_birth | miscarriage | …")
    infants_live_born: int | str | None = None
    infant_death_first_year: int | str | None = None
    congenital_anomaly: int | str | None = None


class PregnancyChange(PregnancyIn):
    version: int
    reason: str = Field(default="", max_length=2000)


def _values(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(exclude={"version", "reason"})


@router.get("/api/studies/{study}/participants/{code}/pregnancies", tags=["follow-up"])
def list_pregnancies(
    study: str, code: str, session: SessionDep, actor: Viewer
) -> list[dict[str, Any]]:
    participant = enrolled(session, study, code)
    return [pregnancy_json(p) for p in service.pregnancies_of(session, participant)]


@router.post(
    "/api/studies/{study}/participants/{code}/pregnancies", tags=["follow-up"], status_code=201
)
def create_pregnancy(
    study: str, code: str, body: PregnancyIn, session: SessionDep, actor: DataEntry
) -> dict[str, Any]:
    participant = enrolled(session, study, code)
    return pregnancy_json(
        service.add_pregnancy(session, participant, _values(body), username=actor.username)
    )


@router.put(
    "/api/studies/{study}/participants/{code}/pregnancies/{pregnancy_id}", tags=["follow-up"]
)
def change_pregnancy(
    study: str,
    code: str,
    pregnancy_id: int,
    body: PregnancyChange,
    session: SessionDep,
    actor: DataEntry,
) -> dict[str, Any]:
    participant = enrolled(session, study, code)
    return pregnancy_json(
        service.update_pregnancy(
            session,
            participant,
            pregnancy_id,
            _values(body),
            username=actor.username,
            expected_version=body.version,
            reason=body.reason,
        )
    )


@router.delete(
    "/api/studies/{study}/participants/{code}/pregnancies/{pregnancy_id}",
    tags=["follow-up"],
    status_code=204,
)
def remove_pregnancy(
    study: str,
    code: str,
    pregnancy_id: int,
    session: SessionDep,
    actor: DataEntry,
    reason: str = "",
) -> Response:
    participant = enrolled(session, study, code)
    service.delete_pregnancy(
        session, participant, pregnancy_id, username=actor.username, reason=reason
    )
    return Response(status_code=204)


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
    return _events_page(request, session, actor, enrolled(session, study, code))


@router.post("/studies/{study}/participants/{code}/adverse-events", include_in_schema=False)
def add_event_page(
    study: str, code: str, request: Request, session: SessionDep, actor: DataEntry, texts: Submitted
) -> Response:
    participant = enrolled(session, study, code)
    refused = _attempt(
        lambda: service.add_event(session, participant, texts, username=actor.username),
        _event_render(request, session, actor, participant, texts, "new"),
    )
    return refused or RedirectResponse(f"{_base(participant)}/adverse-events", 303)


@router.post(
    "/studies/{study}/participants/{code}/adverse-events/{event_id}", include_in_schema=False
)
def edit_event_page(
    study: str,
    code: str,
    event_id: int,
    request: Request,
    session: SessionDep,
    actor: DataEntry,
    texts: Submitted,
) -> Response:
    participant = enrolled(session, study, code)
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
    return refused or RedirectResponse(f"{_base(participant)}/adverse-events", 303)


@router.post(
    "/studies/{study}/participants/{code}/adverse-events/{event_id}/delete",
    include_in_schema=False,
)
def delete_event_page(
    study: str,
    code: str,
    event_id: int,
    request: Request,
    session: SessionDep,
    actor: DataEntry,
    reason: Reason = "",
    version: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    participant = enrolled(session, study, code)
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
    return refused or RedirectResponse(f"{_base(participant)}/adverse-events", 303)


class EventIn(BaseModel):
    term: str = Field(default="", max_length=200)
    onset_date: str | None = Field(default=None, description="YYYY-MM-DD")
    grade: int | str | None = Field(default=None, description="CTCAE grade 1–5")
    ctcae_version: str = Field(default="5.0")
    serious: bool | str | None = None
    related: str = Field(default="", description="unrelated | unlikely | possible | …")
    outcome: str = Field(default="", description="ongoing | resolved | … | fatal")


class EventChange(EventIn):
    version: int
    reason: str = Field(default="", max_length=2000)


@router.get("/api/studies/{study}/participants/{code}/adverse-events", tags=["follow-up"])
def list_events(study: str, code: str, session: SessionDep, actor: Viewer) -> list[dict[str, Any]]:
    participant = enrolled(session, study, code)
    return [event_json(e) for e in service.events_of(session, participant)]


@router.post(
    "/api/studies/{study}/participants/{code}/adverse-events", tags=["follow-up"], status_code=201
)
def create_event(
    study: str, code: str, body: EventIn, session: SessionDep, actor: DataEntry
) -> dict[str, Any]:
    participant = enrolled(session, study, code)
    return event_json(
        service.add_event(session, participant, _values(body), username=actor.username)
    )


@router.put(
    "/api/studies/{study}/participants/{code}/adverse-events/{event_id}", tags=["follow-up"]
)
def change_event(
    study: str, code: str, event_id: int, body: EventChange, session: SessionDep, actor: DataEntry
) -> dict[str, Any]:
    participant = enrolled(session, study, code)
    return event_json(
        service.update_event(
            session,
            participant,
            event_id,
            _values(body),
            username=actor.username,
            expected_version=body.version,
            reason=body.reason,
        )
    )


@router.delete(
    "/api/studies/{study}/participants/{code}/adverse-events/{event_id}",
    tags=["follow-up"],
    status_code=204,
)
def remove_event(
    study: str, code: str, event_id: int, session: SessionDep, actor: DataEntry, reason: str = ""
) -> Response:
    participant = enrolled(session, study, code)
    service.delete_event(session, participant, event_id, username=actor.username, reason=reason)
    return Response(status_code=204)
