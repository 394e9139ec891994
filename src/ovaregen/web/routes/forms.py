"""Per-visit eCRF pages and API: fields from the data dictionary, values in canonical units.

Rules (``clinic.ecrf``): a value outside the hard limits is refused beside its field with the
accepted range and nothing is saved; a soft-limit value is saved with a warning; after the
first save a change needs a reason; a save based on an older version is refused (409) and the
page shows the saved values beside the typed ones so nothing is lost. Visits after screening
take data only once the woman is enrolled (``clinic.enrolment``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic import Field as Body
from starlette.datastructures import FormData
from starlette.responses import Response

from ovaregen.clinic import ecrf, enrolment, locks, scope, views
from ovaregen.clinic import studies as service
from ovaregen.clinic import views as views_rule
from ovaregen.clinic.query_lists import field_markers
from ovaregen.clinic.roles import Permission
from ovaregen.domain.protocols import Visit
from ovaregen.domain.screening import Explanation
from ovaregen.domain.variables import Kind
from ovaregen.io.units import measured_text
from ovaregen.store.models import FormEntry, Participant, Study
from ovaregen.web.dependencies import Actor, SessionDep, Viewer, VisitWriter
from ovaregen.web.pages import page
from ovaregen.web.record_panels import form_panels

router = APIRouter()

UNIT_PREFIX = "unit:"
"""Form inputs named ``unit:<field>`` carry the unit a number was typed in."""


@dataclass(frozen=True)
class FieldView:
    """One input as a page shows it: typed or saved text, unit, limits, messages."""

    name: str
    label: str
    kind: str
    units: tuple[str, ...]
    unit: str
    text: str
    choices: tuple[str, ...]
    hint: str
    error: str = ""
    warning: str = ""
    saved: str | None = None
    """The saved value beside the typed one, after a version conflict."""


@dataclass(frozen=True)
class Submission:
    """What a person typed into a visit form."""

    texts: dict[str, str]
    units: dict[str, str]
    version: int | None
    reason: str


def value_text(fld: ecrf.Field, value: Any) -> str:
    """A canonical value as its input shows it (numbers in the canonical unit)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and fld.variable.kind in (Kind.NUMBER, Kind.INTEGER):
        return measured_text(float(value))
    return str(value)


def kept_as_saved(
    fields: Sequence[ecrf.Field], typed: Submission, entry: FormEntry | None, values: dict[str, Any]
) -> dict[str, Any]:
    """``values`` with each number left as typed back unchanged (the shown text of its saved
    value, in the canonical unit) replaced by the saved full-precision value: showing a
    converted 0.896358… as 0.896 must neither lose its precision nor count as a change."""
    saved = entry.data if entry else {}
    kept = dict(values)
    for fld in fields:
        before = saved.get(fld.name)
        chosen = fld.unit_named(typed.units.get(fld.name))
        canonical = chosen is None or chosen.factor == 1.0
        text = typed.texts.get(fld.name, "").strip()
        if isinstance(before, float) and canonical and text == value_text(fld, before):
            kept[fld.name] = before
    return kept


def _hint(fld: ecrf.Field) -> str:
    var = fld.variable
    unit = f" {var.unit}" if var.unit else ""
    parts = []
    if var.hard is not None:
        parts.append(f"accepted {var.hard}{unit}")
    if var.soft is not None:
        parts.append(f"usual {var.soft}{unit}")
    return "; ".join(parts)


def field_views(
    fields: Sequence[ecrf.Field],
    texts: Mapping[str, str],
    units: Mapping[str, str] | None = None,
    *,
    errors: Mapping[str, str] | None = None,
    warnings: Mapping[str, str] | None = None,
    saved: Mapping[str, Any] | None = None,
) -> list[FieldView]:
    """The inputs of a form for a template."""
    views = []
    for fld in fields:
        unit_names = tuple(u.unit for u in fld.units)
        chosen = fld.unit_named((units or {}).get(fld.name))
        views.append(
            FieldView(
                name=fld.name,
                label=fld.variable.description,
                kind=fld.variable.kind.value,
                units=unit_names,
                unit=chosen.unit if chosen else "",
                text=texts.get(fld.name, ""),
                choices=fld.variable.choices,
                hint=_hint(fld),
                error=(errors or {}).get(fld.name, ""),
                warning=(warnings or {}).get(fld.name, ""),
                saved=value_text(fld, saved.get(fld.name)) if saved is not None else None,
            )
        )
    return views


def saved_texts(fields: Sequence[ecrf.Field], entry: FormEntry | None) -> dict[str, str]:
    data = entry.data if entry else {}
    return {f.name: value_text(f, data.get(f.name)) for f in fields}


async def form_data(request: Request) -> FormData:
    """The submitted form (read once; the CSRF check has cached it)."""
    return await request.form()


SubmittedForm = Annotated[FormData, Depends(form_data)]


def submission(form: FormData, fields: Sequence[ecrf.Field]) -> Submission:
    """The typed values, units, version and reason of a submitted visit form."""
    names = {f.name for f in fields}
    texts = {k: v for k, v in form.items() if k in names and isinstance(v, str)}
    units = {
        k.removeprefix(UNIT_PREFIX): v
        for k, v in form.items()
        if k.startswith(UNIT_PREFIX) and isinstance(v, str)
    }
    version_text = form.get("version")
    version_text = version_text.strip() if isinstance(version_text, str) else ""
    try:
        version = int(version_text) if version_text else None
    except ValueError:
        raise HTTPException(
            422, f"version {version_text!r} is not valid: expected a whole number"
        ) from None
    reason = form.get("reason")
    return Submission(texts, units, version, reason if isinstance(reason, str) else "")


def visit_in(study: Study, visit_id: str, actor: Actor) -> Visit:
    """The visit of a URL as the reader may see it (404 when unknown, or when it reveals the
    arm and the reader is blinded: ``clinic.views``)."""
    return views.visit_seen(service.protocol_of(study.name), visit_id, actor.reader)


def found(
    session: SessionDep, study: str, code: str, access: scope.Access
) -> tuple[Study, Participant]:
    """The study and participant of a URL (404 when either is unknown)."""
    found_study = scope.study_seen(session, study, access)
    return found_study, scope.participant_seen(session, found_study, code, access)


def render_visit(
    request: Request,
    session: SessionDep,
    actor: Actor,
    participant: Participant,
    visit: Visit,
    *,
    typed: Submission | None = None,
    errors: Mapping[str, str] | None = None,
    warnings: Mapping[str, str] | None = None,
    message: str = "",
    saved_flash: bool = False,
    conflict: ecrf.SavedForm | None = None,
    explanation: Explanation | None = None,
    status_code: int = 200,
) -> Response:
    """The visit's form page (``screening.j2`` for the screening visit)."""
    fields = ecrf.visit_fields(visit)
    entry = ecrf.form_entry(session, participant, visit.id)
    protocol = service.protocol_of(participant.study.name)
    screening = visit.id == enrolment.screening_visit(protocol).id
    if screening and explanation is None:
        explanation = enrolment.assess(protocol, participant.code, entry.data if entry else {})
    views = field_views(
        fields,
        typed.texts if typed else saved_texts(fields, entry),
        typed.units if typed else None,
        errors=errors,
        warnings=warnings,
        saved=(conflict.data or {}) if conflict is not None else None,
    )
    base = f"/studies/{participant.study.name}/participants/{participant.code}"
    return page(
        request,
        "screening.j2" if screening else "visit.j2",
        actor,
        status_code=status_code,
        study=participant.study,
        participant=participant,
        visit=visit,
        fields=views,
        entry=entry,
        version=(conflict.version if conflict is not None else entry.version if entry else ""),
        reason=typed.reason if typed else "",
        errors=errors or {},
        warnings=warnings or {},
        message=message,
        saved_flash=saved_flash,
        conflict=conflict,
        explanation=enrolment.criteria_json(explanation) if explanation else None,
        eligible=enrolment.explanation_json(explanation)["eligible"] if explanation else None,
        poseidon_group=explanation.poseidon_group if explanation else None,
        participant_url=base,
        queried=field_markers(session, participant, visit.id, actor.reader),
        can_edit=actor.may(
            Permission.SCREEN if screening else views_rule.visit_permission(protocol, visit.id)
        ),
        action=f"{base}/screening" if screening else f"{base}/visits/{visit.id}",
        **form_panels(session, participant, visit.id),
        visit_lock=locks.lock_holding(session, participant, visit.id),
    )


def save_visit_form(
    request: Request,
    session: SessionDep,
    actor: Actor,
    participant: Participant,
    visit: Visit,
    form: FormData,
) -> Response:
    """Parse and save a submitted visit form, re-rendering it with every message."""
    enrolment.check_entry_allowed(participant, visit.id)
    fields = ecrf.visit_fields(visit)
    typed = submission(form, fields)
    try:
        parsed = ecrf.parse_entry(fields, typed.texts, typed.units)
    except ecrf.FormRefusedError as refused:
        return render_visit(
            request,
            session,
            actor,
            participant,
            visit,
            typed=typed,
            errors=refused.errors,
            message="values refused: nothing was saved",
            status_code=422,
        )
    try:
        with session.begin_nested():
            saved = enrolment.save_visit(
                session,
                participant,
                visit.id,
                kept_as_saved(
                    fields, typed, ecrf.form_entry(session, participant, visit.id), parsed.values
                ),
                username=actor.username,
                expected_version=typed.version,
                reason=typed.reason,
            )
    except ecrf.ReasonRequiredError as missing:
        return render_visit(
            request,
            session,
            actor,
            participant,
            visit,
            typed=typed,
            errors={"reason": str(missing)},
            message=f"not saved: {missing}",
            status_code=422,
        )
    except ecrf.VersionConflictError as conflict:
        return render_visit(
            request,
            session,
            actor,
            participant,
            visit,
            typed=typed,
            message=str(conflict),
            conflict=conflict.current,
            status_code=409,
        )
    return render_visit(
        request,
        session,
        actor,
        participant,
        visit,
        warnings=parsed.warnings,
        saved_flash=True,
        message=f"saved (version {saved.entry.version})",
        explanation=saved.explanation,
    )


# ---- pages -------------------------------------------------------------------------------


@router.get("/studies/{study}/participants/{code}/visits/{visit}", include_in_schema=False)
def visit_page(
    study: str, code: str, visit: str, request: Request, session: SessionDep, actor: Viewer
) -> Response:
    found_study, participant = found(session, study, code, actor.access)
    return render_visit(request, session, actor, participant, visit_in(found_study, visit, actor))


@router.post("/studies/{study}/participants/{code}/visits/{visit}", include_in_schema=False)
def save_visit_page(
    study: str,
    code: str,
    visit: str,
    request: Request,
    session: SessionDep,
    actor: VisitWriter,
    form: SubmittedForm,
) -> Response:
    found_study, participant = found(session, study, code, actor.access)
    return save_visit_form(
        request, session, actor, participant, visit_in(found_study, visit, actor), form
    )


# ---- API ---------------------------------------------------------------------------------


class FieldOut(BaseModel):
    name: str
    kind: str
    description: str
    unit: str | None
    units: list[str]
    hard: list[float] | None
    soft: list[float] | None
    choices: list[str]


class VisitIn(BaseModel):
    values: dict[str, str | bool | int | float | None] = Body(
        description="typed values by field name (text or number); empty or null = unknown"
    )
    units: dict[str, str] = Body(default_factory=dict, description="unit per number field")
    version: int | None = Body(default=None, description="the version read (null when new)")
    reason: str = Body(default="", max_length=2000, description="reason for a change")


def field_json(fld: ecrf.Field) -> FieldOut:
    var = fld.variable
    return FieldOut(
        name=fld.name,
        kind=var.kind.value,
        description=var.description,
        unit=var.unit,
        units=[u.unit for u in fld.units],
        hard=[var.hard.low, var.hard.high] if var.hard else None,
        soft=[var.soft.low, var.soft.high] if var.soft else None,
        choices=list(var.choices),
    )


def typed_text(value: str | bool | int | float | None) -> str:
    """A JSON value as the text a person would have typed: a JSON number in positional
    decimal digits (``1e-07`` → ``0.0000001``, ``3.0`` → ``3``), as the eCRF reads numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value)


def parse_api_values(
    fields: Sequence[ecrf.Field], body_values: Mapping[str, Any], units: Mapping[str, str]
) -> ecrf.Entry:
    """Parse the named fields only (others keep their saved values); 422 naming bad ones."""
    known = {f.name: f for f in fields}
    unknown = sorted(set(body_values) - set(known))
    if unknown:
        raise ecrf.FormRefusedError(
            {
                name: f"not a field of this form: expected one of {', '.join(known)}"
                for name in unknown
            }
        )
    named = [known[name] for name in body_values]
    return ecrf.parse_entry(named, {k: typed_text(v) for k, v in body_values.items()}, units)


def visit_json(visit: Visit, entry: FormEntry | None) -> dict[str, Any]:
    return {
        "visit": visit.id,
        "version": entry.version if entry else None,
        "values": dict(entry.data) if entry else {},
    }


@router.get("/api/studies/{study}/participants/{code}/visits/{visit}", tags=["forms"])
def get_visit(
    study: str, code: str, visit: str, session: SessionDep, actor: Viewer
) -> dict[str, Any]:
    """A visit's saved values (canonical units), version, and its fields."""
    found_study, participant = found(session, study, code, actor.access)
    schedule_visit = visit_in(found_study, visit, actor)
    entry = ecrf.form_entry(session, participant, schedule_visit.id)
    return visit_json(schedule_visit, entry) | {
        "fields": [field_json(f).model_dump() for f in ecrf.visit_fields(schedule_visit)]
    }


@router.put("/api/studies/{study}/participants/{code}/visits/{visit}", tags=["forms"])
def put_visit(
    study: str, code: str, visit: str, body: VisitIn, session: SessionDep, actor: VisitWriter
) -> Response:
    """Save the values given (others kept); 422 for refused values or a missing reason,
    409 when someone saved since ``version`` (their values and yours are returned)."""
    found_study, participant = found(session, study, code, actor.access)
    schedule_visit = visit_in(found_study, visit, actor)
    enrolment.check_entry_allowed(participant, schedule_visit.id)
    fields = ecrf.visit_fields(schedule_visit)
    parsed = parse_api_values(fields, body.values, body.units)
    try:
        with session.begin_nested():
            saved = enrolment.save_visit(
                session,
                participant,
                schedule_visit.id,
                parsed.values,
                username=actor.username,
                expected_version=body.version,
                reason=body.reason,
            )
    except ecrf.VersionConflictError as conflict:
        return JSONResponse(
            {
                "detail": str(conflict),
                "current": conflict.saved_values,
                "current_version": conflict.current.version,
                "yours": {k: typed_text(v) for k, v in body.values.items()},
            },
            status_code=409,
        )
    answer = visit_json(schedule_visit, saved.entry) | {"warnings": parsed.warnings}
    if saved.explanation is not None:
        answer["eligibility"] = enrolment.explanation_json(saved.explanation)
    return JSONResponse(answer)
