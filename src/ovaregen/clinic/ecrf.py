"""Electronic case report forms: one form per visit of a protocol's schedule, generated from
the data dictionary (``domain.variables``).

Rules (INTERCHANGE.md "Conventions", CRITERIA.md "Units and plausibility"):
- a value may be entered in any unit the dictionary lists for it and is stored in the canonical
  unit (``canonical = value × factor``);
- empty = unknown, never zero or false;
- a number is typed in ASCII digits with an optional sign and decimal point, a whole number
  in digits only (no exponent, no other script's digits, no ``_``, no comma);
- a value outside the hard limits is refused with the accepted range in the unit used; a value
  outside the soft limits is saved with a warning for a person to check;
- a change of a saved value needs a reason; a first entry (empty → value) does not, even into
  a form that exists already (21 CFR 11.10(e); ICH E6 R3 §4.2.1);
- each form row carries a version: a save based on an older version is refused with the other
  person's values shown, so neither edit is lost.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ovaregen.clinic import locks
from ovaregen.domain.protocols import Protocol, Visit
from ovaregen.domain.variables import (
    AlternativeUnit,
    DatasetFile,
    Kind,
    Limits,
    Variable,
    variable,
)
from ovaregen.io.limits import likely_unit
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


@dataclass(frozen=True)
class SavedForm:
    """A form as it is saved, copied out of the ORM row: still readable after a rollback (the
    row itself is expired then, and on PostgreSQL reading it again would fail)."""

    data: dict[str, Any]
    version: int
    updated_by: str
    updated_at: datetime

    @classmethod
    def of(cls, entry: FormEntry) -> SavedForm:
        return cls(dict(entry.data or {}), entry.version, entry.updated_by, entry.updated_at)


class VersionConflictError(ValueError):
    """Someone else saved the form since it was opened; ``current`` holds their values, read
    before any rollback (issue 11: building the answer from the expired row gave 500s)."""

    def __init__(self, current: SavedForm) -> None:
        self.current = current
        self.saved_values = dict(current.data)
        """The saved values (for error responses)."""
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


_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
"""A number as a person types it: ASCII digits, an optional sign and decimal point."""
_WHOLE = re.compile(r"[+-]?[0-9]+")
"""A whole number: ASCII digits and an optional sign, nothing else."""
_EXPONENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)e[+-]?[0-9]+", re.IGNORECASE)


def _number(text: str, var: Variable) -> float:
    """The number typed into ``var``'s input, or ``ValueError`` saying why not and what is
    expected.

    Only ASCII decimal digits count (issue 11: Python's ``float`` took ``1_0``, Arabic-Indic
    ``١٢`` and mathematical ``𝟓`` digits, and ``1e1`` as a whole number): a number is an
    optional sign, digits and an optional decimal point (the interchange format's point, never a
    comma, no thousands separator: ``io.values``); a whole number is digits only.
    """
    whole = var.kind is Kind.INTEGER
    if (_WHOLE if whole else _DECIMAL).fullmatch(text):
        number = float(text)
        if math.isfinite(number):
            return number
        raise ValueError(f'value "{text}" is too large to be a number of this field')
    expected = (
        "a whole number written with the digits 0–9 (e.g. 12)"
        if whole
        else "a number written with the digits 0–9 and, for a fraction, a decimal point (e.g. 12.5)"
    )
    raise ValueError(f"{_not_a_number(text, var)}; expected {expected}")


def _not_a_number(text: str, var: Variable) -> str:
    """Why ``text`` is not a number of ``var`` as the eCRF reads numbers."""
    quoted = f'value "{text}"'
    foreign = [
        c for c in text if c not in "0123456789" and unicodedata.decimal(c, None) is not None
    ]
    if foreign:
        names = ", ".join(dict.fromkeys(unicodedata.name(c, "digit").lower() for c in foreign))
        ascii_text = "".join(str(unicodedata.decimal(c)) if c in foreign else c for c in text)
        return f'{quoted} has digits other than 0–9 ({names}): type it as "{ascii_text}"'
    if _EXPONENT.fullmatch(text):
        number = float(text)
        if not math.isfinite(number):
            return f"{quoted} is not a finite number"
        return f"{quoted} has an exponent: type the number in full ({number_text(number)})"
    if var.kind is Kind.INTEGER and _DECIMAL.fullmatch(text):
        number = float(text)
        if math.isfinite(number) and number.is_integer():
            return (
                f'{quoted} has a decimal point: type the whole number without it ("{int(number)}")'
            )
        return f"{quoted} is not a whole number"
    return what_is_wrong(text, var)


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
            + _unit_slip(written, fld, chosen, var.hard, hard=True)
        )
    warning = None
    if var.soft is not None and not var.soft.contains(value):
        shown = range_text(var.soft, chosen) if chosen else str(var.soft)
        warning = (
            f"{quantity_text(float(written), chosen) if chosen else number_text(float(written))}"
            f" is outside the usual range {shown}: saved, please check it"
            + _unit_slip(written, fld, chosen, var.soft, hard=False)
        )
    return value, warning


def _unit_slip(
    written: float, fld: Field, chosen: AlternativeUnit | None, limits: Limits, *, hard: bool
) -> str:
    """``; looks like /mm³ (25000 /mm³ = 25 10⁹/L): choose /mm³ …`` when the written number
    is plausible in another unit of the field, by the dataset reader's rule
    (``io.limits.likely_unit``; CRITERIA.md "Units and plausibility"), else nothing."""
    if chosen is None:
        return ""
    other = likely_unit(written, fld.variable, chosen, limits)
    if other is None:
        return ""
    shown = f"{number_text(written)} {other.unit}"
    if other.factor != 1.0:
        shown += f" = {quantity_text(written * other.factor, fld.units[0])}"
    lead = "looks like" if hard else "if it is in"
    return f"; {lead} {other.unit} ({shown}): choose {other.unit} as its unit or convert it"


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


def _saved_now(session: Session, entry_id: int) -> SavedForm:
    """The form as it is committed now (not the copy this session holds)."""
    found = session.execute(
        select(FormEntry).where(FormEntry.id == entry_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if found is None:
        return SavedForm({}, 0, "someone (the form was removed)", utc_now())
    return SavedForm.of(found)


def changed_saved_values(changes: Mapping[str, Sequence[Any]]) -> list[str]:
    """The fields of ``changes`` (``{field: [old, new]}``) whose saved value changes.

    A first entry of a value (empty → value) is not a change of a record and needs no reason,
    even into a form row that exists already (another form created it empty); changing or
    clearing a saved value does (21 CFR 11.10(e): the audit trail must not obscure previously
    recorded information; ICH E6(R3) §4.2.1, REDCap/OpenClinica practice).
    """
    return [name for name, (before, _after) in changes.items() if before is not None]


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
    values change without a reason, ``locks.LockedError`` when the form, her casebook or the
    study is locked.
    """
    locks.refuse_form_change(session, participant, visit_id)
    entry = form_entry(session, participant, visit_id)
    reason = reason.strip()
    if entry is None:
        if expected_version not in (None, 0):
            raise VersionConflictError(SavedForm({}, 0, "nobody (it is not saved yet)", utc_now()))
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
            raise VersionConflictError(SavedForm.of(saved)) from None
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
        raise VersionConflictError(SavedForm.of(entry))
    merged = dict(entry.data)
    merged.update(values)
    merged = {k: v for k, v in merged.items() if v is not None}
    changes = audit.differences(entry.data, merged)
    if not changes:
        return entry
    altered = changed_saved_values(changes)
    if altered and not reason:
        raise ReasonRequiredError(
            "these values were saved before: give a reason for the change ("
            + ", ".join(altered)
            + ")"
        )
    entry_id = entry.id
    try:
        # The savepoint opens before the change (begin_nested flushes first), so that a stale
        # row rolls back only this savepoint and the transaction stays usable.
        with session.begin_nested():
            entry.data = merged
            entry.updated_by = username
            entry.updated_at = utc_now()
            session.flush()
    except StaleDataError:
        # Someone saved it between our read and our write (PostgreSQL, READ COMMITTED):
        # read theirs afresh, while the transaction is still usable.
        raise VersionConflictError(_saved_now(session, entry_id)) from None
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
