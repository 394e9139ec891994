"""Studies, sites and participant lists: pages and API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.responses import Response

from ovaregen.clinic import studies as service
from ovaregen.clinic.blinding import allocations_of
from ovaregen.store.audit import timestamp
from ovaregen.store.models import Participant, Site, Study
from ovaregen.web.dependencies import Actor, Screener, SessionDep, SetUp, Viewer
from ovaregen.web.pages import page

router = APIRouter()


class StudyOut(BaseModel):
    name: str
    title: str
    protocol_version: str
    target_enrolment: int | None
    randomised: bool


class SiteOut(BaseModel):
    code: str
    name: str


class SiteIn(BaseModel):
    code: str = Field(min_length=2, max_length=16)
    name: str = Field(min_length=1, max_length=200)


class ParticipantIn(BaseModel):
    site: str = Field(min_length=2, max_length=16, description="site code")
    code: str | None = Field(
        default=None, max_length=64, description="pseudonymous code; generated when absent"
    )


def study_json(study: Study) -> StudyOut:
    return StudyOut(
        name=study.name,
        title=study.title,
        protocol_version=study.protocol_version,
        target_enrolment=study.target_enrolment,
        randomised=study.randomised,
    )


def site_json(site: Site) -> SiteOut:
    return SiteOut(code=site.code, name=site.name)


def participant_json(
    participant: Participant, allocation: dict[str, object] | None
) -> dict[str, object]:
    """A participant as the API shows it (the allocation already filtered by the blind)."""
    return {
        "code": participant.code,
        "study": participant.study.name,
        "site": participant.site.code,
        "status": participant.status,
        "eligible": participant.eligible,
        "failed_criteria": [c for c in participant.failed_criteria.split(";") if c],
        "unknown_criteria": [c for c in participant.unknown_criteria.split(";") if c],
        "enrolled_at": timestamp(participant.enrolled_at) if participant.enrolled_at else None,
        "version": participant.version,
        "allocation": allocation,
    }


def participants_json(session: SessionDep, actor: Actor, study: Study) -> list[dict[str, object]]:
    rows = service.participants(session, study)
    allocations = allocations_of(session, (p.id for p in rows), blinded=actor.blinded)
    return [
        participant_json(p, allocations[p.id].as_json() if p.id in allocations else None)
        for p in rows
    ]


# ---- API ---------------------------------------------------------------------------------


@router.get("/api/studies", tags=["studies"])
def list_studies(session: SessionDep, actor: Viewer) -> list[StudyOut]:
    """Every study set up on this server."""
    return [study_json(s) for s in service.studies(session)]


@router.get("/api/studies/{study}", tags=["studies"])
def get_study(study: str, session: SessionDep, actor: Viewer) -> StudyOut:
    return study_json(service.study_named(session, study))


@router.get("/api/sites", tags=["studies"])
def list_sites(session: SessionDep, actor: Viewer) -> list[SiteOut]:
    return [site_json(s) for s in service.sites(session)]


@router.post("/api/sites", tags=["studies"], status_code=201)
def create_site(body: SiteIn, session: SessionDep, actor: SetUp) -> SiteOut:
    """Add a site (administrator)."""
    return site_json(
        service.add_site(session, code=body.code, name=body.name, username=actor.username)
    )


@router.get("/api/studies/{study}/participants", tags=["participants"])
def list_participants(study: str, session: SessionDep, actor: Viewer) -> list[dict[str, object]]:
    """Participants of a study; allocations as the caller's role may see them."""
    return participants_json(session, actor, service.study_named(session, study))


@router.post("/api/studies/{study}/participants", tags=["participants"], status_code=201)
def create_participant(
    study: str, body: ParticipantIn, session: SessionDep, actor: Screener
) -> dict[str, object]:
    """Register a woman for screening under a pseudonymous code."""
    found = service.study_named(session, study)
    participant = service.add_participant(
        session,
        found,
        service.site_coded(session, body.site.upper()),
        username=actor.username,
        code=body.code,
    )
    return participant_json(participant, None)


# ---- pages -------------------------------------------------------------------------------


@router.get("/", include_in_schema=False)
def home(request: Request, session: SessionDep, actor: Viewer) -> Response:
    return page(request, "home.j2", actor, studies=service.studies(session))


@router.get("/studies/{study}", include_in_schema=False)
def study_page(study: str, request: Request, session: SessionDep, actor: Viewer) -> Response:
    found = service.study_named(session, study)
    rows = service.participants(session, found)
    allocations = allocations_of(session, (p.id for p in rows), blinded=actor.blinded)
    return page(
        request,
        "study.j2",
        actor,
        study=found,
        protocol=service.protocol_of(found.name),
        participants=rows,
        allocations=allocations,
        sites=service.sites(session),
    )


@router.post("/studies/{study}/participants", include_in_schema=False)
def add_participant_page(
    study: str,
    session: SessionDep,
    actor: Screener,
    site: Annotated[str, Form(max_length=16)],
    code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    found = service.study_named(session, study)
    participant = service.add_participant(
        session,
        found,
        service.site_coded(session, site),
        username=actor.username,
        code=code or None,
    )
    return RedirectResponse(f"/studies/{found.name}/participants/{participant.code}", 303)


@router.get("/sites", include_in_schema=False)
def sites_page(request: Request, session: SessionDep, actor: Viewer) -> Response:
    return page(request, "sites.j2", actor, sites=service.sites(session))


@router.post("/sites", include_in_schema=False)
def add_site_page(
    session: SessionDep,
    actor: SetUp,
    code: Annotated[str, Form(max_length=16)],
    name: Annotated[str, Form(max_length=200)],
) -> Response:
    service.add_site(session, code=code, name=name, username=actor.username)
    return RedirectResponse("/sites", 303)
