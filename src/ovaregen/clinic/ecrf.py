"""Electronic case report forms: one form per visit of a protocol's schedule, generated from
the data dictionary (``domain.variables``).

Rules (INTERCHANGE.md "Conventions", CRITERIA.md "Units and plausibility"):
- a value may be entered in any unit the dictionary lists for it and is stored in the canonical
  unit (``canonical = value × factor``);
- empty = unknown, never zero or false;
- a value outside the hard limits is refused with the accepted range in the unit used; a value
  outside the soft limits is saved with a warning for a person to check;
- after the first save, a change needs a reason (21 CFR 11.10(e); ICH E6 R3 §4.2.1);
- each form row carries a version: a save based on an older version is refused with the other
  person's values shown, so neither edit is lost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ovaregen.domain.protocols import Protocol, Visit
from ovaregen.domain.variables import AlternativeUnit, DatasetFile, Kind, Variable, variable
from ovaregen.io.units import number_text, quantity_text, range_text, units_of
from ovaregen.io.values import expected_value, parse_word, what_is_wrong
from ovaregen.store import audit
from ovaregen.store.models import FormEntry, Participant, utc_now


class FormRefusedError(ValueError):
    """Some values cannot be saved; ``errors`` maps each field to why (nothing is saved)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class ReasonRequiredError(ValueError):
    """A change to saved values was submitted without a reason for change."""


class VersionConflictError(ValueError):
    """Someone else saved the form since it was opened; ``current`` holds their values."""

    def __init__(self, current: FormEntry) -> None:
        self.current = current
        self.saved_values = dict(current.data or {})
        """The saved values, copied while the row is still loaded (for error responses)."""
        super().__init__(
            f"this form was changed by {current.updated_by} at "
            f"{audit.timestamp(current.updated_at)} (version {current.version}) after you opened "
            "it; your values were not saved: compare them with the saved ones and save again"
        )


@dataclass(frozen=True)
class Field:
    """One input of a form: a dictionary variable and the units it may be entered in."""

    variable: Variable

    @property
    def name(self) -> str:
        return self.variable.name

    @property
    def units(self) -> tuple[AlternativeUnit, ...]:
        return units_of(self.variable) if self.variable.unit else ()

    def unit_named(self, unit: str | None) -> AlternativeUnit | None:
        """The unit the person chose (the canonical one when none or unknown)."""
        if not self.units:
            return None
        for candidate in self.units:
            if unit in (candidate.unit, candidate.column):
                return candidate
        return self.units[0]


def visit_of(protocol: Protocol, visit_id: str) -> Visit:
    """The protocol's visit ``visit_id``; ``KeyError`` when the schedule has none."""
    for visit in protocol.schedule:
        if visit.id == visit_id:
            return visit
    raise KeyError(visit_id)


VISIT_DATE = variable("visit_date", DatasetFile.VISITS)
"""The date of a follow-up visit (visits.csv ``visit_date``): the first field of its form."""


def visit_fields(visit: Visit) -> tuple[Field, ...]:
    """The form of ``visit``: its recorded variables in schedule order, after the visit date
    for a follow-up visit."""
    fields = tuple(Field(variable(name)) for name in visit.records)
    return (Field(VISIT_DATE), *fields) if visit.follow_up else fields


@dataclass
class Entry:
    """Values parsed from a submitted form, canonical units, with soft-limit warnings."""

    values: dict[str, Any] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)


def _number(text: str, var: Variable) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ValueError(what_is_wrong(text, var)) from None
    if not math.isfinite(number):
        raise ValueError(what_is_wrong(text, var))
    return number


def parse_value(fld: Field, text: str | None, unit: str | None = None) -> tuple[Any, str | None]:
    """The canonical value of one input and a soft-limit warning; ``ValueError`` says why not.

    Empty text is unknown (None). Numbers entered in an alternative unit are converted.
    """
    var = fld.variable
    text = (text or "").strip()
    if not text:
        return None, None
    if var.kind in (Kind.BOOLEAN, Kind.CHOICE):
        word = parse_word(text, var)
        if word is None:
            raise ValueError(f"{what_is_wrong(text, var)}; expected {expected_value(var)}")
        return word, None
    if var.kind is Kind.DATE:
        try:
            return date.fromisoformat(text).isoformat(), None
        except ValueError:
            raise ValueError(f"{what_is_wrong(text, var)}; expected YYYY-MM-DD") from None
    if var.kind is Kind.TEXT:
        return text, None
    chosen = fld.unit_named(unit)
    factor = chosen.factor if chosen else 1.0
    written = _number(text, var)
    value = written * factor
    if var.kind is Kind.INTEGER:
        if not written.is_integer():
            raise ValueError(f"{what_is_wrong(text, var)}; expected a whole number")
        value = round(value)
    if var.hard is not None and not var.hard.contains(value):
        shown = range_text(var.hard, chosen) if chosen else str(var.hard)
        raise ValueError(
            f"{text} {chosen.unit if chosen else ''}".rstrip()
            + f" is outside the accepted range {shown}; check the value and its unit"
        )
    warning = None
    if var.soft is not None and not var.soft.contains(value):
        shown = range_text(var.soft, chosen) if chosen else str(var.soft)
        warning = (
            f"{quantity_text(float(written), chosen) if chosen else number_text(float(written))}"
            f" is outside the usual range {shown}: saved, please check it"
        )
    return value, warning


def parse_entry(
    fields: Sequence[Field], texts: Mapping[str, str | None], units: Mapping[str, str] | None = None
) -> Entry:
    """Every field of a submitted form; raises ``FormRefusedError`` naming each bad field."""
    entry, errors = Entry(), {}
    for fld in fields:
        try:
            value, warning = parse_value(fld, texts.get(fld.name), (units or {}).get(fld.name))
        except ValueError as error:
            errors[fld.name] = f"{fld.variable.description}: {error}"
            continue
        entry.values[fld.name] = value
        if warning:
            entry.warnings[fld.name] = warning
    if errors:
        raise FormRefusedError(errors)
    return entry


def form_entry(session: Session, participant: Participant, visit_id: str) -> FormEntry | None:
    """The saved form of a visit, or None before its first save."""
    return session.execute(
        select(FormEntry).where(
            FormEntry.participant_id == participant.id, FormEntry.visit == visit_id
        )
    ).scalar_one_or_none()


def save_form(
    session: Session,
    participant: Participant,
    visit_id: str,
    values: Mapping[str, Any],
    *,
    username: str,
    expected_version: int | None,
    reason: str = "",
) -> FormEntry:
    """Save a visit's values (those given; others kept), audited.

    ``expected_version`` is the version the person opened (None for a new form).
    Raises ``VersionConflictError`` when it is not the saved one, ``ReasonRequiredError`` when saved
    values change without a reason.
    """
    entry = form_entry(session, participant, visit_id)
    reason = reason.strip()
    if entry is None:
        if expected_version not in (None, 0):
            raise VersionConflictError(FormEntry(updated_by="?", updated_at=utc_now(), version=0))
        new = {k: v for k, v in values.items() if v is not None}
        entry = FormEntry(
            participant_id=participant.id,
            visit=visit_id,
            data=new,
            updated_by=username,
            updated_at=utc_now(),
        )
        try:
            with session.begin_nested():
                session.add(entry)
                session.flush()
        except IntegrityError:
            # Someone created this form at the same moment: theirs stands, show it.
            saved = form_entry(session, participant, visit_id)
            if saved is None:
                raise
            raise VersionConflictError(saved) from None
        audit.record(
            session,
            username=username,
            action=audit.Action.CREATE,
            entity=f"form:{visit_id}",
            entity_id=entry.id,
            study=participant.study.name,
            participant=participant.code,
            changes=audit.differences({}, new),
            reason=reason,
        )
        return entry
    if expected_version != entry.version:
        raise VersionConflictError(entry)
    merged = dict(entry.data)
    merged.update(values)
    merged = {k: v for k, v in merged.items() if v is not None}
    changes = audit.differences(entry.data, merged)
    if not changes:
        return entry
    if not reason:
        raise ReasonRequiredError(
            "these values were saved before: give a reason for the change ("
            + ", ".join(changes)
            + ")"
        )
    entry.data = merged
    entry.updated_by = username
    entry.updated_at = utc_now()
    try:
        session.flush()
    except StaleDataError:
        raise VersionConflictError(entry) from None
    audit.record(
        session,
        username=username,
        action=audit.Action.UPDATE,
        entity=f"form:{visit_id}",
        entity_id=entry.id,
        study=participant.study.name,
        participant=participant.code,
        changes=changes,
        reason=reason,
    )
    return entry
