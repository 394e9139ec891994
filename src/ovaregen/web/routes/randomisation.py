"""Randomisation: the allocation list's set-up and status, and allocation after confirmation.

Blinded roles see allocations as neutral codes only (``clinic.blinding``), and never the
list's design — block sizes, slots per stratum, slots left — which would let a site predict
the next arm at the end of a block (ICH E9 §2.3.1); the unblinded (``Permission.SEE_ARM``)
see it. An allocation is made only on a confirmation of what was shown
(``clinic.allocation_confirmation``). Emergency unblinding is ``web.routes.unblinding``.

The list's seed is never stored: the answer that makes the list carries it once, as the seed
receipt its maker keeps (``clinic.list_seed``); with it the stored list can be verified later
(``POST …/randomisation/verify``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import allocation_confirmation, flow, locks, scope, studies
from ovaregen.clinic import randomisation as service
from ovaregen.clinic.blinding import allocations_of
from ovaregen.clinic.ecrf import FormRefusedError
from ovaregen.clinic.list_check import verify_list
from ovaregen.clinic.list_seed import SeedError, parse_seed, receipt_name
from ovaregen.clinic.locks import LockedError
from ovaregen.clinic.studies import StudyError
from ovaregen.store.models import Participant, Study
from ovaregen.web.dependencies import (
    Actor,
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


class AllocationIn(BaseModel):
    confirm: bool = Field(default=False, description="must be true: the allocation is final")
    seen: str = Field(
        default="",
        max_length=40,
        description="the `seen` value of GET …/allocation/confirmation (stale: 409)",
    )


def status_json(session: Session, actor: Actor, study: Study) -> dict[str, object]:
    """The list's status as the caller may see it: never the seed; arms only when unblinded."""
    found = service.list_of(session, study)
    shown: dict[str, object] = {"study": study.name, "generated": found is not None}
    if found is None:
        return shown
    strata = scope.strata_seen(service.strata_use(session, study), study.name, actor.access)
    shown |= {
        "created_at": found.created_at.isoformat(),
        "created_by": found.created_by,
        "factors": found.factors,
        "strata": [{"stratum": s.stratum, "used": s.used} for s in strata],
    }
    if not actor.blinded:  # the list's design: block sizes and slots, to the unblinded only
        shown |= {
            "block_sizes": [int(s) for s in found.block_sizes.split(",")],
            "slots_per_stratum": found.slots_per_stratum,
            "strata": [{"stratum": s.stratum, "slots": s.slots, "used": s.used} for s in strata],
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


@router.get(
    "/api/studies/{study}/participants/{code}/allocation/confirmation", tags=["randomisation"]
)
def allocation_confirmation_api(
    study: str, code: str, session: SessionDep, actor: Randomiser
) -> dict[str, object]:
    """What an allocation would be confirmed on: her code, site, stratification factors as
    recorded, eligibility, consent, and ``seen`` to send back with ``"confirm": true``."""
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    shown = allocation_confirmation.confirmation_of(session, participant, blinded=actor.blinded)
    return shown.as_json()


@router.post(
    "/api/studies/{study}/participants/{code}/allocation",
    tags=["randomisation"],
    description=(
        "Randomise an eligible, consented, enrolled participant (201; a repeat answers 200). "
        'The body must confirm: `{"confirm": true, "seen": …}` with `seen` from '
        "`GET …/allocation/confirmation` (422 without; 409 when her record changed since)."
    ),
)
def allocate(
    study: str,
    code: str,
    session: SessionDep,
    actor: Randomiser,
    body: Annotated[AllocationIn | None, Body()] = None,
) -> Response:
    """Randomise an eligible, consented, enrolled participant, on confirmation."""
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    asked = body or AllocationIn()
    allocation_confirmation.confirmed(session, participant, confirm=asked.confirm, seen=asked.seen)
    result = service.allocate(session, participant, username=actor.username, blinded=actor.blinded)
    return JSONResponse(result.view.as_json(), status_code=201 if result.created else 200)


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
        design_shown=not actor.blinded,
        default_block_sizes=service.DEFAULT_BLOCK_SIZES,
        default_slots=found.target_enrolment or service.DEFAULT_SLOTS_PER_STRATUM,
        max_slots=service.MAX_SLOTS_PER_STRATUM,
        study_lock=locks.study_lock(session, found),
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


def _confirmation_page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    study: Study,
    participant: Participant,
    *,
    refused: str | None = None,
    status_code: int = 200,
) -> Response:
    shown = allocation_confirmation.confirmation_of(session, participant, blinded=actor.blinded)
    return page(
        request,
        "randomise_confirm.j2",
        actor,
        status_code=status_code,
        study=study,
        participant=participant,
        confirmation=shown,
        refused=refused,
    )


@router.get("/studies/{study}/participants/{code}/randomise", include_in_schema=False)
def randomise_confirmation(
    study: str, code: str, request: Request, session: SessionDep, actor: Randomiser
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    return _confirmation_page(request, session, actor, found, participant)


@router.post("/studies/{study}/participants/{code}/randomise", include_in_schema=False)
def randomise_page(
    study: str,
    code: str,
    request: Request,
    session: SessionDep,
    actor: Randomiser,
    confirm: Annotated[str, Form(max_length=8)] = "",
    seen: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    found = scope.study_seen(session, study, actor.access)
    participant = scope.participant_seen(session, found, code, actor.access)
    try:
        allocation_confirmation.confirmed(session, participant, confirm=confirm == "yes", seen=seen)
    except LockedError:
        raise  # answered 423 with the lock named (web.app)
    except (FormRefusedError, StudyError) as error:  # checked before anything is written
        status = 409 if isinstance(error, StudyError) else 422
        return _confirmation_page(
            request, session, actor, found, participant, refused=str(error), status_code=status
        )
    service.allocate(session, participant, username=actor.username, blinded=actor.blinded)
    return RedirectResponse(f"/studies/{found.name}/participants/{participant.code}", 303)
