"""The G-CSF mobilisation log of Study A: page and API over ``clinic.mobilisation``.

A day whose visit form is locked (``clinic.locks``: that day's form, her casebook or the study)
is shown read-only with the lock named: no input, no save button, no decision on its proposal;
the other days stay writable under a form lock."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from ovaregen.clinic import locks, scope
from ovaregen.clinic import mobilisation as service
from ovaregen.clinic.ecrf import Field as FormField
from ovaregen.clinic.ecrf import FormRefusedError, ReasonRequiredError
from ovaregen.clinic.studies import protocol_of
from ovaregen.domain.titration import DOSE_HARD_LIMIT_UG_KG
from ovaregen.store.models import DataLock, Participant
from ovaregen.web.dependencies import Actor, DataEntry, Prescriber, SessionDep, Viewer
from ovaregen.web.pages import page
from ovaregen.web.submission import Submitted, version_of

router = APIRouter()


def _day_or_none(text: str | None) -> int | None:
    """The G-CSF day a redirect after a decision names (``?decided=``), else None."""
    return int(text) if text in {"1", "2", "3", "4"} else None


UNIT_SUFFIX = "_unit"
"""A value's unit select is named after it: ``wbc_d1_10e9_l_unit``."""


class DayIn(BaseModel):
    values: dict[str, str | float | int | None] = Field(
        description="canonical variable names → values (empty or null = unknown)"
    )
    units: dict[str, str] = Field(
        default_factory=dict, description="unit per value if not canonical"
    )
    version: int | None = Field(default=None, description="the version opened (null when new)")
    reason: str = Field(default="", max_length=2000)


class DecisionIn(BaseModel):
    day: int
    decision: str = Field(description="accept | change")
    dose_ug_kg: float | None = Field(default=None, description="required when change")
    confirm: bool = Field(
        default=False,
        description="confirm a dose far from the proposal or below a usual dose (422 otherwise)",
    )
    reason: str = Field(default="", max_length=2000)
    version: int | None = Field(default=None, description="the decision's version when changing it")


def participant_for(session: Session, study: str, code: str, access: scope.Access) -> Participant:
    """The participant, if the caller sees her, the study has a G-CSF log and she is enrolled
    (404 / 409)."""
    found = scope.study_seen(session, study, access)
    participant = scope.participant_seen(session, found, code, access)
    service.require_mobilisation(participant)
    return participant


def soft_warnings(days: tuple[service.MobilisationDay, ...]) -> dict[str, str]:
    """Saved values outside their usual range, for a person to check."""
    warnings = {}
    for day in days:
        for fld in day.fields:
            value, soft = day.values.get(fld.name), fld.variable.soft
            if isinstance(value, int | float) and soft is not None and not soft.contains(value):
                warnings[fld.name] = (
                    f"{value:g} {fld.variable.unit or ''} is outside the usual range {soft}: "
                    "please check it"
                )
    return warnings


def day_locks(
    session: Session, participant: Participant, days: tuple[service.MobilisationDay, ...]
) -> tuple[dict[str, DataLock | None], list[tuple[DataLock, str]]]:
    """The lock holding each day's visit form (``clinic.locks``: the study's, her casebook's
    or that day's), and each lock once with the form it names, for the page's notices."""
    held = locks.locks_holding(session, participant, [d.visit for d in days])
    labels = {v.id: v.label for v in protocol_of(participant.study.name).schedule}
    notices: list[tuple[DataLock, str]] = []
    for day in days:
        lock = held[day.visit]
        if lock is not None and all(lock.id != shown.id for shown, _ in notices):
            notices.append((lock, f"Form {labels.get(day.visit, day.visit)}"))
    return held, notices


def _render(
    request: Request,
    session: Session,
    actor: Actor,
    participant: Participant,
    *,
    status_code: int = 200,
    errors: Mapping[str, str] | None = None,
    texts: Mapping[str, str] | None = None,
    form_day: int | None = None,
    message: str = "",
) -> Response:
    days = service.mobilisation_log(session, participant)
    held, notices = day_locks(session, participant, days)
    return page(
        request,
        "gcsf.j2",
        actor,
        status_code=status_code,
        participant=participant,
        study=participant.study,
        days=days,
        table=service.titration_table(),
        dose_limit=DOSE_HARD_LIMIT_UG_KG,
        warnings=soft_warnings(days),
        errors=errors or {},
        texts=texts or {},
        form_day=form_day,
        message=message,
        unit_suffix=UNIT_SUFFIX,
        saved=request.query_params.get("saved"),
        decided=_day_or_none(request.query_params.get("decided")),
        day_locks=held,
        lock_notices=notices,
    )


def _units(fields: tuple[FormField, ...], texts: Mapping[str, str]) -> dict[str, str]:
    return {f.name: texts[f.name + UNIT_SUFFIX] for f in fields if f.name + UNIT_SUFFIX in texts}


# ---- pages -------------------------------------------------------------------------------


@router.get("/studies/{study}/participants/{code}/gcsf", include_in_schema=False)
def gcsf_page(
    study: str, code: str, request: Request, session: SessionDep, actor: Viewer
) -> Response:
    return _render(request, session, actor, participant_for(session, study, code, actor.access))


@router.post("/studies/{study}/participants/{code}/gcsf", include_in_schema=False)
def save_day_page(
    study: str,
    code: str,
    request: Request,
    session: SessionDep,
    actor: DataEntry,
    texts: Submitted,
) -> Response:
    participant = participant_for(session, study, code, actor.access)
    day_text = texts.get("day", "").strip()
    day = int(day_text) if day_text.isdigit() else 0
    try:
        service.save_day(
            session,
            participant,
            day,
            texts,
            _units(service.day_fields(day), texts) if 1 <= day <= 5 else {},
            username=actor.username,
            expected_version=version_of(texts.get("version")),
            reason=texts.get("reason", ""),
        )
    except FormRefusedError as refused:
        return _render(
            request,
            session,
            actor,
            participant,
            status_code=422,
            errors=refused.errors,
            texts=texts,
            form_day=day,
            message="values refused: nothing was saved",
        )
    except ReasonRequiredError as missing:
        return _render(
            request,
            session,
            actor,
            participant,
            status_code=422,
            errors={"reason": str(missing)},
            texts=texts,
            form_day=day,
            message="not saved: a reason for the change is needed",
        )
    return RedirectResponse(
        f"/studies/{participant.study.name}/participants/{participant.code}/gcsf?saved={day}"
        f"#day-{day}",
        303,
    )


def _dose(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        dose = float(text)
    except ValueError:
        dose = math.nan
    if not math.isfinite(dose):
        raise FormRefusedError(
            {"dose_ug_kg": f'dose: "{text}" is not a number; expected µg/kg/day, e.g. 7.5'}
        )
    return dose


@router.post("/studies/{study}/participants/{code}/gcsf/decision", include_in_schema=False)
def decide_page(
    study: str,
    code: str,
    request: Request,
    session: SessionDep,
    actor: Prescriber,
    day: Annotated[int, Form()],
    decision: Annotated[str, Form(max_length=16)],
    dose_ug_kg: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[str, Form(max_length=16)] = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    participant = participant_for(session, study, code, actor.access)
    texts = {"decision": decision, "dose_ug_kg": dose_ug_kg, "decision_reason": reason}
    try:
        service.decide(
            session,
            participant,
            day=day,
            decision=decision,
            dose_ug_kg=_dose(dose_ug_kg),
            reason=reason,
            username=actor.username,
            expected_version=version_of(version),
            confirmed=confirm == "yes",
        )
    except FormRefusedError as refused:
        return _render(
            request,
            session,
            actor,
            participant,
            status_code=422,
            errors=refused.errors,
            texts=texts,
            form_day=day,
            message="decision refused: nothing was saved",
        )
    except ReasonRequiredError as missing:
        return _render(
            request,
            session,
            actor,
            participant,
            status_code=422,
            errors={"decision_reason": str(missing)},
            texts=texts,
            form_day=day,
            message="decision not saved: a reason is needed",
        )
    return RedirectResponse(
        f"/studies/{participant.study.name}/participants/{participant.code}/gcsf"
        f"?decided={day}#proposal-{day}",
        303,
    )


# ---- API ---------------------------------------------------------------------------------


def _log(session: Session, participant: Participant) -> dict[str, Any]:
    table = service.titration_table()
    return {
        "participant": participant.code,
        "study": participant.study.name,
        "table": {"id": table.id, "version": table.version},
        "days": service.log_json(service.mobilisation_log(session, participant)),
    }


@router.get("/api/studies/{study}/participants/{code}/gcsf", tags=["gcsf"])
def get_log(study: str, code: str, session: SessionDep, actor: Viewer) -> dict[str, Any]:
    """Days 1–5 (canonical units) with each day's titration proposal and decision."""
    return _log(session, participant_for(session, study, code, actor.access))


@router.put("/api/studies/{study}/participants/{code}/gcsf/days/{day}", tags=["gcsf"])
def put_day(
    study: str, code: str, day: int, body: DayIn, session: SessionDep, actor: DataEntry
) -> dict[str, Any]:
    """Save one day (1–4, 5 = injection day) as its visit; answers the log and any warnings."""
    participant = participant_for(session, study, code, actor.access)
    entry = service.save_day(
        session,
        participant,
        day,
        body.values,
        body.units,
        username=actor.username,
        expected_version=body.version,
        reason=body.reason,
    )
    return _log(session, participant) | {"warnings": entry.warnings}


@router.post("/api/studies/{study}/participants/{code}/gcsf/decision", tags=["gcsf"])
def post_decision(
    study: str, code: str, body: DecisionIn, session: SessionDep, actor: Prescriber
) -> dict[str, Any]:
    """Record the investigator's decision on a day's proposal (accept, or change with reason)."""
    participant = participant_for(session, study, code, actor.access)
    row = service.decide(
        session,
        participant,
        day=body.day,
        decision=body.decision,
        dose_ug_kg=body.dose_ug_kg,
        reason=body.reason,
        username=actor.username,
        expected_version=body.version,
        confirmed=body.confirm,
    )
    found = service.decision_json(row)
    assert found is not None
    return found
