"""Protocol deviations: the study's list at the reader's sites, one woman's deviations, the
record-by-hand and review forms, and the same under /api (``clinic.deviations`` rules)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from pydantic import Field as Body
from starlette.responses import Response

from ovaregen.clinic import deviations, scope
from ovaregen.clinic.ecrf import FormRefusedError
from ovaregen.store.models import Participant
from ovaregen.web.dependencies import DataEntry, DeviationReviewer, RowId, SessionDep, Viewer
from ovaregen.web.pages import page
from ovaregen.web.routes.forms import found

router = APIRouter()

StatusFilter = Annotated[str, Query(max_length=16, description="open or reviewed; empty: all")]


def _base(participant: Participant) -> str:
    return f"/studies/{participant.study.name}/participants/{participant.code}"


def _version(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        raise FormRefusedError(
            {"version": f"version {text!r} is not valid: expected a whole number"}
        ) from None


# ---- pages -------------------------------------------------------------------------------


@router.get("/studies/{study}/deviations", include_in_schema=False)
def study_deviations_page(
    study: str, request: Request, session: SessionDep, actor: Viewer, status: StatusFilter = ""
) -> Response:
    """Every deviation of the study's women at the reader's sites."""
    found_study = scope.study_seen(session, study, actor.access)
    listed = deviations.deviations_seen(session, found_study, actor.access, status or None)
    return page(
        request,
        "deviations.j2",
        actor,
        study=found_study,
        deviations=listed,
        kind_labels=deviations.KIND_LABELS,
        chosen=status,
    )


def _participant_page(
    request: Request,
    session: SessionDep,
    actor: Viewer,
    participant: Participant,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "participant_deviations.j2",
        actor,
        status_code=status_code,
        study=participant.study,
        participant=participant,
        deviations=deviations.deviations_of(session, participant),
        kind_labels=deviations.KIND_LABELS,
        hand_kinds=deviations.HAND_KINDS,
        errors=errors or {},
        typed=typed or {},
        base=_base(participant),
    )


@router.get("/studies/{study}/participants/{code}/deviations", include_in_schema=False)
def participant_deviations_page(
    study: str, code: str, request: Request, session: SessionDep, actor: Viewer
) -> Response:
    _, participant = found(session, study, code, actor.access)
    return _participant_page(request, session, actor, participant)


@router.post("/studies/{study}/participants/{code}/deviations", include_in_schema=False)
def record_deviation_page(
    study: str,
    code: str,
    request: Request,
    session: SessionDep,
    actor: DataEntry,
    kind: Annotated[str, Form(max_length=32)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Record a deviation by hand; the form comes back with what was wrong (422)."""
    _, participant = found(session, study, code, actor.access)
    try:
        deviations.record_deviation(
            session, participant, kind, description, username=actor.username
        )
    except FormRefusedError as refused:
        typed = {"kind": kind, "description": description}
        return _participant_page(
            request,
            session,
            actor,
            participant,
            errors=dict(refused.errors),
            typed=typed,
            status_code=422,
        )
    return RedirectResponse(f"{_base(participant)}/deviations", 303)


@router.post(
    "/studies/{study}/participants/{code}/deviations/{deviation_id}/review",
    include_in_schema=False,
)
def review_deviation_page(
    study: str,
    code: str,
    deviation_id: RowId,
    request: Request,
    session: SessionDep,
    actor: DeviationReviewer,
    comment: Annotated[str, Form(max_length=4000)] = "",
    version: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Review an open deviation with a comment (409 when someone reviewed it meanwhile)."""
    _, participant = found(session, study, code, actor.access)
    try:
        deviations.review_deviation(
            session,
            participant,
            deviation_id,
            comment,
            expected_version=_version(version),
            username=actor.username,
        )
    except FormRefusedError as refused:
        errors = {f"{deviation_id}.{k}": v for k, v in refused.errors.items()}
        return _participant_page(
            request, session, actor, participant, errors=errors, status_code=422
        )
    return RedirectResponse(f"{_base(participant)}/deviations", 303)


# ---- API ---------------------------------------------------------------------------------


class DeviationIn(BaseModel):
    kind: str = Body(default="", max_length=32, description="one of clinic.deviations.HAND_KINDS")
    description: str = Body(default="", max_length=4000)


class ReviewIn(BaseModel):
    comment: str = Body(default="", max_length=4000)
    version: int | None = Body(default=None, description="the version read; 409 if stale")


@router.get("/api/studies/{study}/deviations", tags=["deviations"])
def list_deviations(
    study: str, session: SessionDep, actor: Viewer, status: StatusFilter = ""
) -> list[dict[str, Any]]:
    """The deviations of the study's women at the caller's sites (``status``: open/reviewed)."""
    found_study = scope.study_seen(session, study, actor.access)
    listed = deviations.deviations_seen(session, found_study, actor.access, status or None)
    return [deviations.deviation_json(d) for d in listed]


@router.get("/api/studies/{study}/participants/{code}/deviations", tags=["deviations"])
def participant_deviations(
    study: str, code: str, session: SessionDep, actor: Viewer
) -> list[dict[str, Any]]:
    """One woman's deviations, oldest first."""
    _, participant = found(session, study, code, actor.access)
    return [deviations.deviation_json(d) for d in deviations.deviations_of(session, participant)]


@router.post(
    "/api/studies/{study}/participants/{code}/deviations", tags=["deviations"], status_code=201
)
def record_deviation(
    study: str, code: str, body: DeviationIn, session: SessionDep, actor: DataEntry
) -> dict[str, Any]:
    """Record a deviation by hand (422 naming the field when the kind or text is wrong)."""
    _, participant = found(session, study, code, actor.access)
    recorded = deviations.record_deviation(
        session, participant, body.kind, body.description, username=actor.username
    )
    return deviations.deviation_json(recorded)


@router.post(
    "/api/studies/{study}/participants/{code}/deviations/{deviation_id}/review",
    tags=["deviations"],
)
def review_deviation(
    study: str,
    code: str,
    deviation_id: RowId,
    body: ReviewIn,
    session: SessionDep,
    actor: DeviationReviewer,
) -> dict[str, Any]:
    """Review an open deviation with a comment (409 if reviewed already or stale)."""
    _, participant = found(session, study, code, actor.access)
    reviewed = deviations.review_deviation(
        session,
        participant,
        deviation_id,
        body.comment,
        expected_version=body.version,
        username=actor.username,
    )
    return deviations.deviation_json(reviewed)
