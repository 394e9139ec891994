"""The participant page's "Fetch laboratory results" (issue 15, item 1): a woman's results from
the FHIR server her study's administrator configured (``clinic.fhir_settings``), reviewed and
then accepted by the coordinator.

Rules (``clinic.laboratory``):
- fetching stores nothing: the page shows where each result would go (visit, variable, value in
  the dictionary's unit, as sent, specimen date, sources, warnings), the values her forms hold
  already, and every result refused with the reason;
- accepting asks the server again, places the results again on her forms as they are then, and
  stores the ones selected that are still placed the same way, in one transaction, each audited
  with its source; a selected one that is no longer placed (the laboratory changed or withdrew
  it since the review) is not stored, and the coordinator is told;
- either step needs data entry at her site (``Permission.ENTER_DATA``; the screening form also
  the screener's, as the form itself); a locked casebook or study is refused (423) before the
  server is asked; the server is asked outside the write transaction (``reads_only``), so a slow
  laboratory never holds up the clinic's saves;
- nothing depends on her arm: the results go only to visits the reader may see and write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from ovaregen.clinic import ecrf, enrolment, locks, views
from ovaregen.clinic import studies as service
from ovaregen.clinic.fhir_settings import fhir_server_of
from ovaregen.clinic.laboratory import accept, review_results
from ovaregen.clinic.roles import Permission
from ovaregen.domain.laboratory import Placement, Review
from ovaregen.domain.variables import variable
from ovaregen.formats.errors import FormatError
from ovaregen.formats.fhir.observations import Results, read_bundle
from ovaregen.formats.fhir.server import FhirServerError, fetch_results
from ovaregen.io.units import measured_text
from ovaregen.store.database import Database
from ovaregen.store.models import FhirServer, Participant, Study, utc_now
from ovaregen.web.dependencies import Actor, DatabaseDep, DataEntry, SessionDep, reads_only
from ovaregen.web.pages import page
from ovaregen.web.routes.forms import found

router = APIRouter()

BASE = "/studies/{study}/participants/{code}/laboratory"
KEY_FIELD = "key"
"""The review's checkboxes: one per placement to store, its ``Placement.key``."""
MAX_KEYS = 500
STORED, CHANGED = "lab_stored", "lab_changed"
"""The participant page's flash after an acceptance (counts only, never text from a request)."""


@dataclass(frozen=True)
class PlacementView:
    """One placement as the review shows it."""

    key: str
    visit: str
    variable: str
    label: str
    value: str
    unit: str
    sent: str
    specimen_date: str
    sources: tuple[str, ...]
    warnings: tuple[str, ...]


def _view(placement: Placement, visit_labels: dict[str, str]) -> PlacementView:
    return PlacementView(
        key=placement.key,
        visit=visit_labels.get(placement.visit, placement.visit),
        variable=placement.slot.variable,
        label=variable(placement.slot.variable).description,
        value=measured_text(float(placement.value)),
        unit=placement.unit,
        sent=", ".join(placement.sent),
        specimen_date=placement.specimen_date.isoformat(),
        sources=tuple(source.describe() for source in placement.sources),
        warnings=placement.warnings,
    )


def laboratory_offered(session: Session, study: Study) -> bool:
    """Whether the participant page offers "Fetch laboratory results" (a server is set)."""
    return fhir_server_of(session, study) is not None


def _server(session: Session, study: Study) -> FhirServer:
    server = fhir_server_of(session, study)
    if server is None:
        raise service.StudyError(
            f"study {study.name} has no FHIR server configured: there is nowhere to fetch "
            "laboratory results from; an administrator sets it (ovaregen fhir server)"
        )
    return server


def _fetched(server: FhirServer, woman: Participant) -> Results | str:
    """Her results as the server holds them now, or what went wrong (nothing is stored)."""
    try:
        bundle = fetch_results(server.base_url, server.identifier_system, woman.code)
        return read_bundle(bundle, origin=server.base_url)
    except (FhirServerError, FormatError) as error:
        return f"{error}; nothing was stored"


def _writable(review: Review, study: Study, actor: Actor) -> Review:
    """The review without placements on visits the reader may not see or write (module rules;
    none of the shipped protocols records a result on such a visit)."""
    protocol = service.protocol_of(study.name)
    screening = enrolment.screening_visit(protocol).id
    seen = {visit.id for visit in views.schedule_seen(protocol, actor.reader)}

    def may_write(visit: str) -> bool:
        needed = (
            Permission.SCREEN if visit == screening else views.visit_permission(protocol, visit)
        )
        return visit in seen and actor.may(needed)

    kept = tuple(p for p in review.placements if may_write(p.visit))
    return Review(kept, review.refusals)


def _reviewed(
    session: Session, study: Study, woman: Participant, read: Results, actor: Actor, system: str
) -> Review:
    """Her results placed on the visits she may write, matched by ``system``: the identifier
    system the server was asked with."""
    review = review_results(
        session, study, read, [woman], configured_system=system, today=utc_now().date()
    )
    return _writable(review, study, actor)


def _page(
    request: Request,
    actor: Actor,
    study: Study,
    woman: Participant,
    *,
    server: FhirServer,
    review: Review | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    protocol = service.protocol_of(study.name)
    labels = {visit.id: visit.label for visit in protocol.schedule}
    return page(
        request,
        "laboratory.j2",
        actor,
        status_code=status_code,
        study=study,
        participant=woman,
        server=server,
        error=error,
        to_store=[_view(p, labels) for p in review.to_store] if review else [],
        saved=[_view(p, labels) for p in review.placements if p.saved] if review else [],
        refusals=[r.message() for r in review.refusals] if review else [],
        reviewed=review is not None,
        base=f"/studies/{study.name}/participants/{woman.code}",
    )


@router.post(f"{BASE}/fetch", include_in_schema=False)
@reads_only
def fetch_page(
    study: str, code: str, request: Request, session: SessionDep, actor: DataEntry
) -> Response:
    """Her results from the study's FHIR server, for review; nothing is stored."""
    found_study, woman = found(session, study, code, actor.access)
    locks.refuse_participant_change(session, woman)
    server = _server(session, found_study)
    read = _fetched(server, woman)
    if isinstance(read, str):
        return _page(request, actor, found_study, woman, server=server, error=read, status_code=502)
    review = _reviewed(session, found_study, woman, read, actor, server.identifier_system)
    return _page(request, actor, found_study, woman, server=server, review=review)


async def _form(request: Request) -> FormData:
    return await request.form()


def _keys(form: FormData) -> list[str]:
    return [k for k in form.getlist(KEY_FIELD) if isinstance(k, str) and k][:MAX_KEYS]


@router.post(f"{BASE}/accept", include_in_schema=False)
@reads_only
def accept_page(
    study: str,
    code: str,
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    actor: DataEntry,
    form: Annotated[FormData, Depends(_form)],
) -> Response:
    """Ask the server again and store the selected results still placed the same way, in one
    transaction of their own (module rules); then back to her page with what was stored."""
    found_study, woman = found(session, study, code, actor.access)
    locks.refuse_participant_change(session, woman)
    server = _server(session, found_study)
    keys = _keys(form)
    if not keys:
        return _page(
            request,
            actor,
            found_study,
            woman,
            server=server,
            error="no result was selected: nothing was stored",
            status_code=422,
        )
    read = _fetched(server, woman)
    if isinstance(read, str):
        return _page(request, actor, found_study, woman, server=server, error=read, status_code=502)
    try:
        stored, missing = _store(
            database, found_study.name, woman.code, read, keys, actor, server.identifier_system
        )
    except locks.LockedError as error:
        return _refused(request, actor, found_study, woman, server, str(error), 423)
    except (service.StudyError, ecrf.VersionConflictError, ecrf.FormRefusedError) as error:
        return _refused(request, actor, found_study, woman, server, str(error), 409)
    flash = f"?{STORED}={stored}" + (f"&{CHANGED}={missing}" if missing else "")
    return RedirectResponse(f"/studies/{found_study.name}/participants/{woman.code}{flash}", 303)


def _refused(
    request: Request,
    actor: Actor,
    study: Study,
    woman: Participant,
    server: FhirServer,
    message: str,
    status: int,
) -> Response:
    said = f"{message}: nothing of this acceptance was stored"
    return _page(request, actor, study, woman, server=server, error=said, status_code=status)


def _store(
    database: Database,
    study: str,
    code: str,
    read: Results,
    keys: Sequence[str],
    actor: Actor,
    system: str,
) -> tuple[int, int]:
    """Place the results on her forms as they are now and store the selected placements still
    as reviewed (``Placement.key``), all in one transaction: (how many stored, how many selected
    are no longer placed as reviewed)."""
    with database.transaction() as session:
        found_study = service.study_named(session, study)
        woman = service.participant_coded(session, found_study, code)
        locks.refuse_participant_change(session, woman)
        review = _reviewed(session, found_study, woman, read, actor, system)
        done = accept(session, found_study, review, keys=keys, username=actor.username)
    return len(done.stored), len(done.missing)


def _count(text: str | None) -> int:
    return int(text) if text is not None and text.isdigit() and len(text) <= 6 else 0


def laboratory_flash(request: Request) -> str:
    """The participant page's summary after an acceptance (from the redirect's counts)."""
    if STORED not in request.query_params:
        return ""
    stored = _count(request.query_params.get(STORED))
    changed = _count(request.query_params.get(CHANGED))
    said = f"{stored} laboratory value{'' if stored == 1 else 's'} stored"
    if changed:
        said += (
            f"; {changed} of those selected changed since the review (at the laboratory, or on "
            f"her forms) and {'was' if changed == 1 else 'were'} not stored: fetch the results "
            "again"
        )
    return said
