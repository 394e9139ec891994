"""Studies, sites and participant lists: pages and API.

Two people creating the same thing at once (a site code, a participant code) both pass the
"exists already" check; the database's unique constraint then refuses the second, which is
answered 409 like the check (never 500). A generated participant code is drawn again instead
(``GENERATED_CODE_ATTEMPTS``), so simultaneous registrations all succeed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import locks, scope
from ovaregen.clinic import studies as service
from ovaregen.clinic.blinding import allocations_of
from ovaregen.store.audit import timestamp
from ovaregen.store.models import Participant, Site, Study
from ovaregen.web.dependencies import Actor, Screener, SessionDep, SetUp, Viewer
from ovaregen.web.pages import page

router = APIRouter()
T = TypeVar("T")
GENERATED_CODE_ATTEMPTS = 20
"""How often a generated participant code is drawn again when another registration took it."""


def created_once(session: Session, create: Callable[[], T], taken: str, attempts: int = 1) -> T:
    """``create()`` in a savepoint; a unique-constraint refusal (someone created the same thing
    at the same moment) is tried again up to ``attempts`` times, then refused as ``taken``."""
    for attempt in range(attempts):
        try:
            with session.begin_nested():
                return create()
        except IntegrityError:
            if attempt == attempts - 1:
                raise service.StudyError(taken) from None
    raise AssertionError("unreachable: attempts >= 1")


def new_site(session: Session, code: str, name: str, username: str) -> Site:
    """Add a site; 409 when its code exists, also when added at the same moment."""
    return created_once(
        session,
        lambda: service.add_site(session, code=code, name=name, username=username),
        f"a site with code {code.strip().upper()!r} exists already",
    )


def new_participant(
    session: Session, study: Study, site: Site, username: str, code: str | None
) -> Participant:
    """Register a participant; a generated code taken at the same moment is drawn again, a
    given one is refused (409)."""
    given = (code or "").strip() or None
    if given is not None:
        return created_once(
            session,
            lambda: service.add_participant(session, study, site, username=username, code=given),
            f"participant {given!r} exists already in study {study.name}",
        )
    for _ in range(GENERATED_CODE_ATTEMPTS):
        drawn = service.next_code(session, study, site)
        try:
            with session.begin_nested():
                return service.add_participant(session, study, site, username=username, code=drawn)
        except (IntegrityError, service.StudyError):
            if not _code_taken(session, study, drawn):
                raise  # refused for another reason than the race
    raise service.StudyError(
        f"no free participant code for site {site.code} after {GENERATED_CODE_ATTEMPTS} "
        "attempts: others are registering at the same moment; try again"
    )


def _code_taken(session: Session, study: Study, code: str) -> bool:
    found = session.execute(
        select(Participant.id).where(Participant.study_id == study.id, Participant.code == code)
    ).first()
    return found is not None


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
    rows = scope.participants_seen(session, study, actor.access)
    allocations = allocations_of(session, (p.id for p in rows), blinded=actor.blinded)
    return [
        participant_json(p, allocations[p.id].as_json() if p.id in allocations else None)
        for p in rows
    ]


# ---- API ---------------------------------------------------------------------------------


@router.get("/api/studies", tags=["studies"])
def list_studies(session: SessionDep, actor: Viewer) -> list[StudyOut]:
    """The studies set up on this server that the caller's grants cover."""
    return [study_json(s) for s in scope.studies_seen(session, actor.access)]


@router.get("/api/studies/{study}", tags=["studies"])
def get_study(study: str, session: SessionDep, actor: Viewer) -> StudyOut:
    return study_json(scope.study_seen(session, study, actor.access))


@router.get("/api/sites", tags=["studies"])
def list_sites(session: SessionDep, actor: Viewer) -> list[SiteOut]:
    """The sites the caller holds (every site for a grant of every site)."""
    return [site_json(s) for s in scope.sites_seen(session, actor.access)]


@router.post("/api/sites", tags=["studies"], status_code=201)
def create_site(body: SiteIn, session: SessionDep, actor: SetUp) -> SiteOut:
    """Add a site (administrator)."""
    return site_json(new_site(session, body.code, body.name, actor.username))


@router.get("/api/studies/{study}/participants", tags=["participants"])
def list_participants(study: str, session: SessionDep, actor: Viewer) -> list[dict[str, object]]:
    """Participants of a study at the caller's sites; allocations as her role may see them."""
    return participants_json(session, actor, scope.study_seen(session, study, actor.access))


@router.post("/api/studies/{study}/participants", tags=["participants"], status_code=201)
def create_participant(
    study: str, body: ParticipantIn, session: SessionDep, actor: Screener
) -> dict[str, object]:
    """Register a woman for screening under a pseudonymous code, at one of the caller's sites."""
    found = scope.study_seen(session, study, actor.access)
    site = scope.site_seen(session, body.site.upper(), found.name, actor.access)
    participant = new_participant(session, found, site, actor.username, body.code)
    return participant_json(participant, None)


# ---- pages -------------------------------------------------------------------------------


@router.get("/", include_in_schema=False)
def home(request: Request, session: SessionDep, actor: Viewer) -> Response:
    return page(request, "home.j2", actor, studies=scope.studies_seen(session, actor.access))


@router.get("/studies/{study}", include_in_schema=False)
def study_page(study: str, request: Request, session: SessionDep, actor: Viewer) -> Response:
    found = scope.study_seen(session, study, actor.access)
    rows = scope.participants_seen(session, found, actor.access)
    allocations = allocations_of(session, (p.id for p in rows), blinded=actor.blinded)
    return page(
        request,
        "study.j2",
        actor,
        study=found,
        protocol=service.protocol_of(found.name),
        participants=rows,
        allocations=allocations,
        sites=scope.sites_seen(session, actor.access, found.name),
        every_site=actor.access.every_site(found.name),
        study_lock=locks.study_lock(session, found),
    )


@router.post("/studies/{study}/participants", include_in_schema=False)
def add_participant_page(
    study: str,
    session: SessionDep,
    actor: Screener,
    site: Annotated[str, Form(max_length=16)],
    code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    participant = new_participant(
        session,
        found,
        scope.site_seen(session, site, found.name, actor.access),
        actor.username,
        code or None,
    )
    return RedirectResponse(f"/studies/{found.name}/participants/{participant.code}", 303)


@router.get("/sites", include_in_schema=False)
def sites_page(request: Request, session: SessionDep, actor: Viewer) -> Response:
    return page(request, "sites.j2", actor, sites=scope.sites_seen(session, actor.access))


@router.post("/sites", include_in_schema=False)
def add_site_page(
    session: SessionDep,
    actor: SetUp,
    code: Annotated[str, Form(max_length=16)],
    name: Annotated[str, Form(max_length=200)],
) -> Response:
    new_site(session, code, name, actor.username)
    return RedirectResponse("/sites", 303)
