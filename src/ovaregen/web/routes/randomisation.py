"""Randomisation: the allocation list's set-up and status, allocation, emergency unblinding.

Blinded roles see allocations as neutral codes only (``clinic.blinding``). The two unblinding
routes are the only ones where a blinded role (the investigator) receives an arm: one
participant, a stated reason, logged.

The list's seed is never stored: the answer that makes the list carries it once, as the seed
receipt its maker keeps (``clinic.list_seed``); with it the stored list can be verified later
(``POST …/randomisation/verify``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import flow, scope, studies
from ovaregen.clinic import randomisation as service
from ovaregen.clinic.blinding import allocations_of
from ovaregen.clinic.ecrf import FormRefusedError
from ovaregen.clinic.list_check import verify_list
from ovaregen.clinic.list_seed import SeedError, parse_seed, receipt_name
from ovaregen.store.models import Study
from ovaregen.web.dependencies import (
    Actor,
    EmergencyUnblinder,
    ForbiddenError,
    Randomiser,
    SessionDep,
    SetUp,
    Viewer,
)
from ovaregen.web.pages import page

router = APIRouter()


class ListIn(BaseModel):
    factors: str = Field(
        default="", max_length=500, description="comma-separated screening variables"
    )
    block_sizes: str = Field(default=service.DEFAULT_BLOCK_SIZES, max_length=64)
    slots_per_stratum: int | None = Field(
        default=None, ge=1, le=service.MAX_SLOTS_PER_STRATUM, description="default: target"
    )


class SeedIn(BaseModel):
    seed: str = Field(
        max_length=20_000,
        description="the seed receipt written when the list was made, or its 64 hex digits",
    )


class UnblindingIn(BaseModel):
    reason: str = Field(max_length=2000, description="the clinical emergency")


def status_json(session: Session, actor: Actor, study: Study) -> dict[str, object]:
    """The list's status as the caller may see it: never the seed; arms only when unblinded."""
    found = service.list_of(session, study)
    shown: dict[str, object] = {"study": study.name, "generated": found is not None}
    if found is None:
        return shown
    shown |= {
        "created_at": found.created_at.isoformat(),
        "created_by": found.created_by,
        "block_sizes": [int(s) for s in found.block_sizes.split(",")],
        "factors": found.factors,
        "slots_per_stratum": found.slots_per_stratum,
        "strata": [
            {"stratum": s.stratum, "slots": s.slots, "used": s.used}
            for s in scope.strata_seen(service.strata_use(session, study), study.name, actor.access)
        ],
    }
    rows = scope.participants_seen(session, study, actor.access)
    views = allocations_of(session, (p.id for p in rows), blinded=actor.blinded)
    shown["allocations"] = [
        {"participant": p.code, **views[p.id].as_json()} for p in rows if p.id in views
    ]
    return shown


def every_site_of(session: Session, study: str, actor: Actor) -> Study:
    """The study, for a change of its whole allocation list: the list spans every site, so it
    takes a grant of every site of the study (``clinic.scope``; 403 otherwise)."""
    found = scope.study_seen(session, study, actor.access)
    if not actor.access.every_site(found.name):
        raise ForbiddenError("the allocation list spans every site: this needs every site")
    return found


# ---- API ---------------------------------------------------------------------------------


@router.get("/api/studies/{study}/randomisation", tags=["randomisation"])
def get_list(study: str, session: SessionDep, actor: Viewer) -> dict[str, object]:
    """The allocation list's status (arms only for the unblinded statistician)."""
    return status_json(session, actor, scope.study_seen(session, study, actor.access))


@router.post(
    "/api/studies/{study}/randomisation",
    tags=["randomisation"],
    status_code=201,
    description=(
        "Generate the study's concealed allocation list, once (administrator). The answer "
        "carries `seed_receipt` — the list's seed — this once: it is not stored (the database "
        "keeps its SHA-256, `seed_sha256`). Keep the receipt apart from the server: it "
        "regenerates and verifies the list later (`POST …/randomisation/verify`)."
    ),
)
def create_list(study: str, body: ListIn, session: SessionDep, actor: SetUp) -> dict[str, object]:
    """Generate the study's concealed allocation list, once (administrator of every site)."""
    found = every_site_of(session, study, actor)
    made = service.create_list(
        session,
        found,
        username=actor.username,
        factors=body.factors,
        block_sizes=body.block_sizes,
        slots_per_stratum=body.slots_per_stratum,
    )
    return status_json(session, actor, found) | {
        "seed_sha256": made.randomisation.seed_sha256,
        "seed_receipt": made.receipt,
        "seed_receipt_name": receipt_name(found.name),
    }


@router.post(
    "/api/studies/{study}/randomisation/verify",
    tags=["randomisation"],
    description=(
        "Regenerate the list from its seed and compare it with the stored slots "
        "(administrator): `verified` is true when the seed matches the stored commitment and "
        "every stratum is exactly what it generates. The answer names no arm."
    ),
)
def verify(study: str, body: SeedIn, session: SessionDep, actor: SetUp) -> dict[str, object]:
    """Verify the stored allocation list against the seed its maker kept."""
    found = every_site_of(session, study, actor)
    try:
        seed = parse_seed(body.seed)
    except SeedError as error:
        raise FormRefusedError({"seed": str(error)}) from None
    checked = verify_list(session, found, seed)
    return {
        "study": found.name,
        "verified": checked.ok,
        "seed_matches": checked.seed_matches,
        "strata": [
            {
                "stratum": s.stratum,
                "slots": s.slots,
                "derived_from": s.derived_from,
                "first_difference": s.first_difference,
            }
            for s in checked.strata
        ],
        "imported_allocations": checked.imported,
        "report": checked.lines(),
    }


@router.post("/api/studies/{study}/participants/{code}/allocation", tags=["randomisation"])
def allocate(study: str, code: str, session: SessionDep, actor: Randomiser) -> Response:
    """Randomise an eligible, consented, enrolled participant (201; a repeat answers 200)."""
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    result = service.allocate(session, participant, username=actor.username, blinded=actor.blinded)
    return JSONResponse(result.view.as_json(), status_code=201 if result.created else 200)


@router.post("/api/studies/{study}/participants/{code}/unblinding", tags=["randomisation"])
def emergency_unblinding(
    study: str, code: str, body: UnblindingIn, session: SessionDep, actor: EmergencyUnblinder
) -> dict[str, object]:
    """Emergency unblinding of one participant, with a reason (investigator; logged)."""
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    revealed = service.unblind(session, participant, username=actor.username, reason=body.reason)
    return {
        "participant": revealed.participant,
        "allocation_code": revealed.allocation_code,
        "arm": revealed.arm,
        "arm_label": revealed.arm_label,
        "reason": revealed.reason,
        "at": revealed.at.isoformat(),
    }


# ---- pages -------------------------------------------------------------------------------


@router.get("/studies/{study}/randomisation", include_in_schema=False)
def randomisation_page(
    study: str, request: Request, session: SessionDep, actor: Viewer
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    protocol = studies.protocol_of(found.name)
    rows = scope.participants_seen(session, found, actor.access)
    views = allocations_of(session, (p.id for p in rows), blinded=actor.blinded)
    return page(
        request,
        "randomisation.j2",
        actor,
        study=found,
        protocol=protocol,
        randomisation=service.list_of(session, found),
        strata=scope.strata_seen(service.strata_use(session, found), found.name, actor.access),
        allocated=[(p, views[p.id]) for p in rows if p.id in views],
        candidates=[
            p
            for p in rows
            if p.id not in views and p.eligible == "true" and p.status == flow.ONGOING
        ],
        arm_labels={arm.id: arm.label for arm in protocol.arms} if not actor.blinded else {},
        default_block_sizes=service.DEFAULT_BLOCK_SIZES,
        default_slots=found.target_enrolment or service.DEFAULT_SLOTS_PER_STRATUM,
        max_slots=service.MAX_SLOTS_PER_STRATUM,
    )


@router.post("/studies/{study}/randomisation", include_in_schema=False)
def create_list_page(
    study: str,
    request: Request,
    session: SessionDep,
    actor: SetUp,
    factors: Annotated[str, Form(max_length=500)] = "",
    block_sizes: Annotated[str, Form(max_length=64)] = service.DEFAULT_BLOCK_SIZES,
    slots_per_stratum: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    found = every_site_of(session, study, actor)
    slots = slots_per_stratum.strip()
    if slots and not slots.isdigit():
        raise studies.StudyError(
            f"slots per stratum {slots!r} is not valid: expected a whole number "
            f"1–{service.MAX_SLOTS_PER_STRATUM}"
        )
    made = service.create_list(
        session,
        found,
        username=actor.username,
        factors=factors,
        block_sizes=block_sizes,
        slots_per_stratum=int(slots) if slots else None,
    )
    shown = page(
        request,
        "randomisation_seed.j2",
        actor,
        study=found,
        receipt=made.receipt,
        receipt_name=receipt_name(found.name),
        seed_sha256=made.randomisation.seed_sha256,
    )
    shown.headers["Cache-Control"] = "no-store"  # the seed is shown once: never from a cache
    return shown


@router.post("/studies/{study}/participants/{code}/randomise", include_in_schema=False)
def randomise_page(study: str, code: str, session: SessionDep, actor: Randomiser) -> Response:
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    service.allocate(session, participant, username=actor.username, blinded=actor.blinded)
    return RedirectResponse(f"/studies/{found.name}/participants/{participant.code}", 303)


@router.get("/studies/{study}/participants/{code}/unblind", include_in_schema=False)
def unblinding_form(
    study: str, code: str, request: Request, session: SessionDep, actor: EmergencyUnblinder
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    return page(
        request,
        "unblinded.j2",
        actor,
        study=found,
        participant=participant,
        revealed=None,
        earlier=service.unblindings_of(session, participant),
        min_reason=service.MIN_UNBLINDING_REASON,
    )


@router.post("/studies/{study}/participants/{code}/unblind", include_in_schema=False)
def unblind_page(
    study: str,
    code: str,
    request: Request,
    session: SessionDep,
    actor: EmergencyUnblinder,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    revealed = service.unblind(session, participant, username=actor.username, reason=reason)
    return page(
        request,
        "unblinded.j2",
        actor,
        study=found,
        participant=participant,
        revealed=revealed,
        earlier=(),
        min_reason=service.MIN_UNBLINDING_REASON,
    )
