"""The participant hub, screening with live eligibility, enrolment and flow status.

The hub shows a woman's code, site, status, eligibility (failed and unknown criteria), her
allocation as the reader's role may see it (``clinic.blinding``: a blinded role sees the
neutral code only) and the protocol's visits. Screening saves the screening form and stores
the recomputed eligibility; the live API recomputes it from typed values without saving.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from pydantic import Field as Body
from starlette.responses import Response

from ovaregen.clinic import deviations, ecrf, enrolment, flow, scope, unblinding, views
from ovaregen.clinic import studies as service
from ovaregen.clinic.blinding import allocation_of
from ovaregen.clinic.query_lists import participant_counts
from ovaregen.store.models import utc_now
from ovaregen.web.dependencies import DataEntry, Screener, SessionDep, Viewer
from ovaregen.web.pages import page
from ovaregen.web.record_panels import participant_panels
from ovaregen.web.routes.forms import (
    SubmittedForm,
    found,
    render_visit,
    save_visit_form,
    typed_text,
)
from ovaregen.web.routes.laboratory import laboratory_flash, laboratory_offered
from ovaregen.web.routes.locks import lock_panel
from ovaregen.web.routes.questionnaire_links import questionnaire_panel
from ovaregen.web.routes.studies import participant_json

router = APIRouter()


# ---- pages -------------------------------------------------------------------------------


@router.get("/studies/{study}/participants/{code}", include_in_schema=False)
def participant_page(
    study: str, code: str, request: Request, session: SessionDep, actor: Viewer
) -> Response:
    found_study, participant = found(session, study, code, actor.access)
    protocol = service.protocol_of(found_study.name)
    return page(
        request,
        "participant.j2",
        actor,
        study=found_study,
        participant=participant,
        protocol=protocol,
        screening_visit=enrolment.screening_visit(protocol).id,
        asks_consent=enrolment.records_consent(protocol),
        today=utc_now().date().isoformat(),
        allocation=allocation_of(session, participant, blinded=actor.blinded),
        unblindings=unblinding.marks_of(session, participant),
        schedule=views.schedule_seen(protocol, actor.reader),
        forms=views.forms_seen(session, participant, actor.reader),
        failed=[c for c in participant.failed_criteria.split(";") if c],
        unknown=[c for c in participant.unknown_criteria.split(";") if c],
        statuses=[s for s, after in flow.STATUS_CHANGES.items() if participant.status in after],
        base=f"/studies/{found_study.name}/participants/{participant.code}",
        query_counts=participant_counts(session, participant, actor.reader),
        **participant_panels(session, participant),
        lock_panel=lock_panel(session, participant),
        deviations=deviations.deviations_of(session, participant),
        questionnaire=questionnaire_panel(session, protocol, participant),
        laboratory=laboratory_offered(session, found_study),
        laboratory_flash=laboratory_flash(request),
    )


@router.get("/studies/{study}/participants/{code}/screening", include_in_schema=False)
def screening_page(
    study: str, code: str, request: Request, session: SessionDep, actor: Viewer
) -> Response:
    found_study, participant = found(session, study, code, actor.access)
    visit = enrolment.screening_visit(service.protocol_of(found_study.name))
    return render_visit(request, session, actor, participant, visit)


@router.post("/studies/{study}/participants/{code}/screening", include_in_schema=False)
def save_screening_page(
    study: str,
    code: str,
    request: Request,
    session: SessionDep,
    actor: Screener,
    form: SubmittedForm,
) -> Response:
    """Save the screening form; eligibility is recomputed and stored on the participant."""
    found_study, participant = found(session, study, code, actor.access)
    visit = enrolment.screening_visit(service.protocol_of(found_study.name))
    return save_visit_form(request, session, actor, participant, visit, form)


@router.post("/studies/{study}/participants/{code}/enrol", include_in_schema=False)
def enrol_page(
    study: str,
    code: str,
    session: SessionDep,
    actor: Screener,
    enrolled_on: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Enrol an eligible, consented woman on the date given (today when empty); 409 with the
    reason otherwise, 422 naming a date that cannot be (future, before screening)."""
    found_study, participant = found(session, study, code, actor.access)
    enrolment.enrol(session, participant, username=actor.username, enrolled_on=enrolled_on)
    return RedirectResponse(f"/studies/{found_study.name}/participants/{participant.code}", 303)


@router.post("/studies/{study}/participants/{code}/status", include_in_schema=False)
def status_page(
    study: str,
    code: str,
    session: SessionDep,
    actor: DataEntry,
    status: Annotated[str, Form(max_length=32)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Set a flow status (screen failed, withdrawn, lost to follow-up, completed)."""
    found_study, participant = found(session, study, code, actor.access)
    enrolment.change_status(session, participant, status, reason=reason, username=actor.username)
    return RedirectResponse(f"/studies/{found_study.name}/participants/{participant.code}", 303)


# ---- API ---------------------------------------------------------------------------------


class EligibilityIn(BaseModel):
    values: dict[str, str | bool | int | float | None] = Body(
        description="screening values as typed, by field name; empty = unknown"
    )
    units: dict[str, str] = Body(default_factory=dict, description="unit per number field")


class EnrolIn(BaseModel):
    enrolled_on: str = Body(
        default="", max_length=32, description="enrolment date YYYY-MM-DD; empty = today"
    )


class StatusIn(BaseModel):
    status: str = Body(max_length=32)
    reason: str = Body(max_length=2000)


@router.get("/api/studies/{study}/participants/{code}", tags=["participants"])
def get_participant(study: str, code: str, session: SessionDep, actor: Viewer) -> dict[str, object]:
    """A participant, her allocation as the caller may see it, and her saved visit forms."""
    _, participant = found(session, study, code, actor.access)
    allocation = allocation_of(session, participant, blinded=actor.blinded)
    return participant_json(participant, allocation.as_json() if allocation else None) | {
        "visits": {
            visit: {"version": entry.version, "values": dict(entry.data)}
            for visit, entry in views.forms_seen(session, participant, actor.reader).items()
        }
    }


@router.post("/api/studies/{study}/eligibility", tags=["participants"])
def live_eligibility(
    study: str, body: EligibilityIn, session: SessionDep, actor: Screener
) -> dict[str, Any]:
    """Eligibility of typed screening values, criterion by criterion; nothing is saved."""
    found_study = scope.study_seen(session, study, actor.access)
    protocol = service.protocol_of(found_study.name)
    fields = ecrf.visit_fields(enrolment.screening_visit(protocol))
    names = {f.name for f in fields}
    texts = {k: typed_text(v) for k, v in body.values.items() if k in names}
    entry = ecrf.parse_entry(fields, texts, body.units)
    explanation = enrolment.assess(protocol, "screening", entry.values)
    return enrolment.explanation_json(explanation) | {"warnings": entry.warnings}


@router.post("/api/studies/{study}/participants/{code}/enrol", tags=["participants"])
def enrol_api(
    study: str, code: str, session: SessionDep, actor: Screener, body: EnrolIn | None = None
) -> dict[str, object]:
    """Enrol an eligible, consented woman, on ``enrolled_on`` when given (409 with the reason
    otherwise; 422 for a date in the future or before screening)."""
    _, participant = found(session, study, code, actor.access)
    enrolment.enrol(
        session,
        participant,
        username=actor.username,
        enrolled_on=body.enrolled_on if body else "",
    )
    allocation = allocation_of(session, participant, blinded=actor.blinded)
    return participant_json(participant, allocation.as_json() if allocation else None)


@router.post("/api/studies/{study}/participants/{code}/status", tags=["participants"])
def status_api(
    study: str, code: str, body: StatusIn, session: SessionDep, actor: DataEntry
) -> dict[str, object]:
    """Set a flow status with a reason (409 when not allowed from the current one)."""
    _, participant = found(session, study, code, actor.access)
    enrolment.change_status(
        session, participant, body.status, reason=body.reason, username=actor.username
    )
    allocation = allocation_of(session, participant, blinded=actor.blinded)
    return participant_json(participant, allocation.as_json() if allocation else None)
