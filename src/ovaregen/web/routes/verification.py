"""Source-data verification: the monitor marks a form verified (``clinic.verification``),
and the SDV worklist of a study (per site) lists every form with data as not verified,
verified, or cleared by a later change. The monitor's writes are under ``/verification``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from pydantic import Field as Body
from starlette.responses import Response

from ovaregen.clinic import record_hash, scope, verification
from ovaregen.web.dependencies import SessionDep, SourceVerifier, Viewer
from ovaregen.web.pages import page
from ovaregen.web.routes.forms import found

router = APIRouter()


def form_page(study: str, code: str, key: str) -> str:
    """The page of a form (where the monitor comes back after marking it)."""
    base = f"/studies/{study}/participants/{code}"
    if key == record_hash.PREGNANCIES:
        return f"{base}/pregnancies"
    if key == record_hash.ADVERSE_EVENTS:
        return f"{base}/adverse-events"
    return f"{base}/visits/{key}"


def _site(site: str) -> str | None:
    return site.strip() or None


def _row_json(row: verification.WorklistRow) -> dict[str, Any]:
    return {"participant": row.participant.code, "site": row.participant.site.code} | (
        row.verification.as_json()
    )


@router.get("/studies/{study}/verification", include_in_schema=False)
def worklist_page(
    study: str, request: Request, session: SessionDep, actor: Viewer, site: str = ""
) -> Response:
    found_study = scope.study_seen(session, study, actor.access)
    rows = verification.worklist(session, found_study, actor.access, _site(site))
    counts = {s: sum(1 for r in rows if r.verification.state is s) for s in verification.State}
    return page(
        request,
        "verification.j2",
        actor,
        study=found_study,
        rows=rows,
        counts=counts,
        sites=scope.sites_seen(session, actor.access, found_study.name),
        site=_site(site) or "",
        form_page=form_page,
    )


@router.post("/studies/{study}/participants/{code}/verification", include_in_schema=False)
def verify_page(
    study: str,
    code: str,
    session: SessionDep,
    actor: SourceVerifier,
    form: Annotated[str, Form(max_length=64)] = "",
    seen: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Mark one form verified as seen; back to the visit's page, or to the participant's for a
    list (whose pages show no SDV state); 409 if it changed since."""
    if not form.strip():
        raise HTTPException(422, "form is empty: expected the key of a saved form to verify")
    found_study, participant = found(session, study, code, actor.access)
    marked = verification.verify(
        session, participant, form.strip(), seen, username=actor.username
    ).form
    base = f"/studies/{found_study.name}/participants/{participant.code}"
    target = f"{base}#verification" if marked.is_list else f"{base}/visits/{marked.key}"
    return RedirectResponse(target, 303)


# ---- API ---------------------------------------------------------------------------------


class VerifyIn(BaseModel):
    form: str = Body(max_length=64, description="a visit id, 'pregnancies' or 'adverse_events'")
    seen: str = Body(max_length=64, description="the form's 'seen' hash as read (GET)")


@router.get("/api/studies/{study}/verification", tags=["verification"])
def worklist_api(
    study: str, session: SessionDep, actor: Viewer, site: str = ""
) -> list[dict[str, Any]]:
    """The SDV worklist: every form with data of her sites' women (or of ``site``)."""
    found_study = scope.study_seen(session, study, actor.access)
    return [
        _row_json(r) for r in verification.worklist(session, found_study, actor.access, _site(site))
    ]


@router.get("/api/studies/{study}/participants/{code}/verification", tags=["verification"])
def states_api(study: str, code: str, session: SessionDep, actor: Viewer) -> list[dict[str, Any]]:
    """The SDV state of each of her forms with data, and its ``seen`` hash."""
    _, participant = found(session, study, code, actor.access)
    return [s.as_json() for s in verification.states_of(session, participant)]


@router.post(
    "/api/studies/{study}/participants/{code}/verification",
    tags=["verification"],
    status_code=201,
)
def verify_api(
    study: str, code: str, body: VerifyIn, session: SessionDep, actor: SourceVerifier
) -> dict[str, Any]:
    """Mark one form verified as seen (404 without data, 409 when it changed since)."""
    _, participant = found(session, study, code, actor.access)
    return verification.verify(
        session, participant, body.form, body.seen, username=actor.username
    ).as_json()
