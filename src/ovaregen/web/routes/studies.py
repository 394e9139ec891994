"""Studies, sites and participant lists: pages and API.

Two people creating the same thing at once (a site code, a participant code) both pass the
"exists already" check; the database's unique constraint then refuses the second, which is
answered 409 like the check (never 500). A generated participant code is drawn again instead
(``GENERATED_CODE_ATTEMPTS``), so simultaneous registrations all succeed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import locks, participant_search, scope
from ovaregen.clinic import studies as service
from ovaregen.clinic.blinding import allocations_of
from ovaregen.clinic.fhir_settings import fhir_server_of
from ovaregen.formats.registry import CODECS, Format
from ovaregen.store.audit import timestamp
from ovaregen.store.models import Participant, Site, Study
from ovaregen.web.dependencies import Actor, Screener, SessionDep, SetUp, Viewer
from ovaregen.web.pages import page
from ovaregen.web.routes.fhir_server import may_set

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


def found_participants(
    session: Session, actor: Actor, study: Study, request: Request, page_size: int | None
) -> participant_search.Found:
    """The page of women the request's query string asks for (``clinic.participant_search``);
    a bad parameter is answered 422 with its name, value and what was expected."""
    sites = [s.code for s in scope.sites_seen(session, actor.access, study.name)]
    try:
        search = participant_search.parsed(dict(request.query_params), sites, page_size=page_size)
    except participant_search.SearchError as error:
        raise HTTPException(422, f"the search is not valid: {error}") from None
    return participant_search.search_participants(session, study, actor.access, search)


def participants_json(
    session: Session, actor: Actor, rows: Sequence[Participant]
) -> list[dict[str, object]]:
    allocations = allocations_of(session, (p.id for p in rows), blinded=actor.blinded)
    return [
        participant_json(p, allocations[p.id].as_json() if p.id in allocations else None)
        for p in rows
    ]


def paging_headers(request: Request, found: participant_search.Found) -> dict[str, str]:
    """``X-Total-Count`` (every matching woman) and, for a paged answer, an RFC 8288 ``Link``
    header to the first, previous, next and last pages of the same search."""
    headers = {"X-Total-Count": str(found.total)}
    if found.search.page_size is not None:
        base = str(request.url.replace(query=""))
        headers["Link"] = ", ".join(
            f'<{base}?{found.search.query(explicit=True, page=number)}>; rel="{relation}"'
            for relation, number in found.neighbours().items()
        )
    return headers


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
def list_participants(
    study: str,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Viewer,
    q: Annotated[str, Query(description="part of a participant or allocation code")] = "",
    status: Annotated[str, Query(description="flow status, e.g. ongoing")] = "",
    site: Annotated[str, Query(description="site code, one of the caller's sites")] = "",
    eligible: Annotated[str, Query(description="true, false, unknown or not_screened")] = "",
    page: Annotated[str, Query(description="page number from 1")] = "",
    page_size: Annotated[
        str, Query(description=f"rows per page, 1 to {participant_search.MAX_PAGE_SIZE}")
    ] = "",
) -> list[dict[str, object]]:
    """Participants of a study at the caller's sites, by code; allocations as her role may see
    them. Without ``page``/``page_size`` every matching woman is answered (as before paging);
    ``X-Total-Count`` gives how many match, and a paged answer links its neighbours in an
    RFC 8288 ``Link`` header (docs/gcp-search.md)."""
    found = scope.study_seen(session, study, actor.access)
    result = found_participants(session, actor, found, request, page_size=None)
    response.headers.update(paging_headers(request, result))
    return participants_json(session, actor, result.rows)


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
    """The study's women, searched and paged by the query string (a bookmark keeps it)."""
    found = scope.study_seen(session, study, actor.access)
    result = found_participants(
        session, actor, found, request, page_size=participant_search.DEFAULT_PAGE_SIZE
    )
    allocations = allocations_of(session, (p.id for p in result.rows), blinded=actor.blinded)
    return page(
        request,
        "study.j2",
        actor,
        study=found,
        protocol=service.protocol_of(found.name),
        participants=result.rows,
        found=result,
        statuses=participant_search.STATUSES,
        default_page_size=participant_search.DEFAULT_PAGE_SIZE,
        eligibilities=participant_search.ELIGIBILITIES,
        allocations=allocations,
        sites=scope.sites_seen(session, actor.access, found.name),
        export_formats=[
            f.value
            for f, c in CODECS.items()
            if c.write is not None and f is not Format.INTERCHANGE
        ],
        every_site=actor.access.every_site(found.name),
        study_lock=locks.study_lock(session, found),
        fhir_setting=may_set(actor, found.name),
        fhir_server=fhir_server_of(session, found) if may_set(actor, found.name) else None,
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
