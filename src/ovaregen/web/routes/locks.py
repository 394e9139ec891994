"""Form, participant and study locks: the study's lock page, the lock and unlock buttons, and
the JSON API beside them (``clinic.locks`` states the rules).

Every URL that changes a lock contains ``/lock`` (``…/lock`` to lock, ``…/lock/release`` to
unlock), and only ``Permission.LOCK`` (the data manager, the administrator) may call them.
Reading the locks is everyone's: a lock names who, when and why, never an arm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from pydantic import Field as Body
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import locks, scope
from ovaregen.clinic.studies import protocol_of
from ovaregen.store.models import DataLock, Participant, Study
from ovaregen.web.dependencies import Locker, SessionDep, Viewer
from ovaregen.web.pages import page
from ovaregen.web.routes.forms import found

router = APIRouter()

REASON = 2000


@dataclass(frozen=True)
class LockPanel:
    """What a participant's page shows of her locks (``_lock_panel.j2``)."""

    study_lock: DataLock | None
    casebook_lock: DataLock | None
    form_locks: dict[str, DataLock]
    forms: tuple[tuple[str, str], ...]
    """(form name, label) of every form a lock may name."""
    history: tuple[DataLock, ...]
    action: str


def lock_panel(session: Session, participant: Participant) -> LockPanel:
    """The participant page's lock panel: the study's lock, hers, her forms' and the history."""
    protocol = protocol_of(participant.study.name)
    labels = (
        *((v.id, v.label) for v in protocol.schedule),
        (locks.PREGNANCIES, "Pregnancies"),
        (locks.ADVERSE_EVENTS, "Adverse events"),
    )
    return LockPanel(
        locks.study_lock(session, participant.study),
        locks.participant_lock(session, participant),
        locks.form_locks(session, participant),
        labels,
        tuple(locks.participant_history(session, participant)),
        f"/studies/{participant.study.name}/participants/{participant.code}/lock",
    )


def _participant_url(participant: Participant, form: str | None) -> str:
    base = f"/studies/{participant.study.name}/participants/{participant.code}"
    if form is None:
        return base
    if form == locks.PREGNANCIES:
        return f"{base}/pregnancies"
    if form == locks.ADVERSE_EVENTS:
        return f"{base}/adverse-events"
    return f"{base}/visits/{form}"


def _form(text: str) -> str | None:
    return text.strip() or None


# ---- pages -------------------------------------------------------------------------------


@router.get("/studies/{study}/locks", include_in_schema=False)
def locks_page(study: str, request: Request, session: SessionDep, actor: Viewer) -> Response:
    """The study's database lock and every lock of the women the reader sees."""
    found_study = scope.study_seen(session, study, actor.access)
    return page(
        request,
        "locks.j2",
        actor,
        study=found_study,
        study_lock=locks.study_lock(session, found_study),
        history=_seen_history(session, found_study, actor),
        target=locks.target,
    )


def _seen_history(session: Session, study: Study, actor: Any) -> list[DataLock]:
    """The study's locks, without those of women outside the reader's sites."""
    seen = {p.id for p in scope.participants_seen(session, study, actor.access)}
    return [
        lock
        for lock in locks.history(session, study)
        if lock.participant_id is None or lock.participant_id in seen
    ]


@router.post("/studies/{study}/lock", include_in_schema=False)
def lock_study_page(
    study: str,
    session: SessionDep,
    actor: Locker,
    reason: Annotated[str, Form(max_length=REASON)] = "",
) -> Response:
    """Lock the study database (before the final analysis), with a reason."""
    found_study = scope.study_seen(session, study, actor.access)
    locks.lock(session, found_study, username=actor.username, reason=reason)
    return RedirectResponse(f"/studies/{found_study.name}/locks", 303)


@router.post("/studies/{study}/lock/release", include_in_schema=False)
def unlock_study_page(
    study: str,
    session: SessionDep,
    actor: Locker,
    reason: Annotated[str, Form(max_length=REASON)] = "",
) -> Response:
    """Unlock the study database, with a reason (the lock stays in the history)."""
    found_study = scope.study_seen(session, study, actor.access)
    locks.unlock(session, found_study, username=actor.username, reason=reason)
    return RedirectResponse(f"/studies/{found_study.name}/locks", 303)


@router.post("/studies/{study}/participants/{code}/lock", include_in_schema=False)
def lock_participant_page(
    study: str,
    code: str,
    session: SessionDep,
    actor: Locker,
    reason: Annotated[str, Form(max_length=REASON)] = "",
    form: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Lock her casebook (no ``form``) or one form of hers, with a reason."""
    found_study, participant = found(session, study, code, actor.access)
    name = _form(form)
    locks.lock(session, found_study, participant, name, username=actor.username, reason=reason)
    return RedirectResponse(_participant_url(participant, name), 303)


@router.post("/studies/{study}/participants/{code}/lock/release", include_in_schema=False)
def unlock_participant_page(
    study: str,
    code: str,
    session: SessionDep,
    actor: Locker,
    reason: Annotated[str, Form(max_length=REASON)] = "",
    form: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Unlock her casebook (no ``form``) or one form of hers, with a reason."""
    found_study, participant = found(session, study, code, actor.access)
    name = _form(form)
    locks.unlock(session, found_study, participant, name, username=actor.username, reason=reason)
    return RedirectResponse(_participant_url(participant, name), 303)


# ---- API ---------------------------------------------------------------------------------


class LockIn(BaseModel):
    reason: str = Body("", max_length=REASON)
    form: str | None = Body(None, max_length=64)
    """A visit id, ``pregnancies`` or ``adverse_events``; none: her whole casebook."""


class StudyLockIn(BaseModel):
    reason: str = Body("", max_length=REASON)


@router.get("/api/studies/{study}/locks", tags=["locks"])
def locks_api(study: str, session: SessionDep, actor: Viewer) -> dict[str, Any]:
    """The study's lock state and lock history (open and released), newest first."""
    found_study = scope.study_seen(session, study, actor.access)
    held = locks.study_lock(session, found_study)
    return {
        "study": found_study.name,
        "study_lock": locks.lock_json(held, found_study.name) if held else None,
        "history": [
            locks.lock_json(lock, found_study.name)
            for lock in _seen_history(session, found_study, actor)
        ],
    }


@router.post("/api/studies/{study}/lock", tags=["locks"], status_code=201)
def lock_study_api(
    study: str, body: StudyLockIn, session: SessionDep, actor: Locker
) -> dict[str, Any]:
    """Lock the study database with a reason (409 when locked already)."""
    found_study = scope.study_seen(session, study, actor.access)
    made = locks.lock(session, found_study, username=actor.username, reason=body.reason)
    return locks.lock_json(made, found_study.name)


@router.post("/api/studies/{study}/lock/release", tags=["locks"])
def unlock_study_api(
    study: str, body: StudyLockIn, session: SessionDep, actor: Locker
) -> dict[str, Any]:
    """Unlock the study database with a reason (409 when it is not locked)."""
    found_study = scope.study_seen(session, study, actor.access)
    closed = locks.unlock(session, found_study, username=actor.username, reason=body.reason)
    return locks.lock_json(closed, found_study.name)


@router.post("/api/studies/{study}/participants/{code}/lock", tags=["locks"], status_code=201)
def lock_participant_api(
    study: str, code: str, body: LockIn, session: SessionDep, actor: Locker
) -> dict[str, Any]:
    """Lock her casebook (no ``form``) or one form of hers, with a reason."""
    found_study, participant = found(session, study, code, actor.access)
    form = body.form or None
    made = locks.lock(
        session, found_study, participant, form, username=actor.username, reason=body.reason
    )
    return locks.lock_json(made, found_study.name)


@router.post("/api/studies/{study}/participants/{code}/lock/release", tags=["locks"])
def unlock_participant_api(
    study: str, code: str, body: LockIn, session: SessionDep, actor: Locker
) -> dict[str, Any]:
    """Unlock her casebook (no ``form``) or one form of hers, with a reason."""
    found_study, participant = found(session, study, code, actor.access)
    form = body.form or None
    closed = locks.unlock(
        session, found_study, participant, form, username=actor.username, reason=body.reason
    )
    return locks.lock_json(closed, found_study.name)
