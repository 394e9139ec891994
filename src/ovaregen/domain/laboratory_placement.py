"""Placing laboratory results on a woman's visits, for the coordinator to accept.

Rules (issue 15; ``domain.visit_windows``; INTERCHANGE.md "Conventions"):
- the patient must match exactly one participant: an identifier of a system the study
  recognises (its own pseudonym system, or the one the administrator configured) whose value
  is her participant id; any other identifier matches nobody;
- a specimen taken on or before day 0 (the treatment date), or while she has no treatment date,
  belongs to the screening form; a later one to the follow-up visit whose window holds its
  date; a date in no window, in two windows or after today is refused; where the protocol has
  a course of days before day 0 (Study A's G-CSF mobilisation, ``PreTreatment``), screening
  ends the day before it, and a result of its days is refused: it belongs to the day's form;
- the visit must record the analyte (its schedule lists a slot of it), take data (she is
  enrolled, for every visit after screening) and not be locked;
- the value is converted to the dictionary's unit (``canonical = value × factor``) and must lie
  within the hard limits; outside the soft limits it is placed with a warning;
- results of one slot agree when they differ by at most 0.5 % (the same specimen reported in two
  units, rounded); the one sent in the dictionary's unit is kept, else the first; results that
  disagree are all refused: the form holds one value;
- a form that holds the same value already needs nothing (``saved``); one that holds another
  value is never overwritten: a change of a saved value needs a person and a reason
  (21 CFR 11.10(e)); the coordinator changes it on the form;
- FSH has two dated slots at screening: results of distinct dates fill the first empty one in
  order; a date the form holds already is compared with it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ovaregen.domain.laboratory import (
    Casebook,
    LabResult,
    Placement,
    Refusal,
    Review,
    Slot,
    slots_at,
)
from ovaregen.domain.protocols import Protocol, Visit
from ovaregen.domain.variables import AlternativeUnit, Kind, Variable, variable

AGREEMENT = 0.005
"""Two results of one slot are the same when they differ by at most this fraction."""


@dataclass(frozen=True)
class _Converted:
    result: LabResult
    participant: str
    visit: Visit
    slots: tuple[Slot, ...]
    value: float
    canonical_unit: bool
    warnings: tuple[str, ...]


def place(
    results: Sequence[LabResult],
    protocol: Protocol,
    casebooks: Mapping[str, Casebook],
    *,
    screening: str,
    identifier_systems: frozenset[str],
    today: date,
) -> Review:
    """Place every result (module rules): a placement per slot filled, a refusal per result
    that cannot be placed."""
    refusals: list[Refusal] = []
    converted: list[_Converted] = []
    for result in results:
        outcome = _convert(result, protocol, casebooks, screening, identifier_systems, today)
        if isinstance(outcome, Refusal):
            refusals.append(outcome)
        else:
            converted.append(outcome)
    groups: dict[tuple[str, str, str], list[_Converted]] = defaultdict(list)
    for item in converted:
        groups[(item.participant, item.visit.id, item.result.analyte.value)].append(item)
    placements: list[Placement] = []
    for items in groups.values():
        book = casebooks[items[0].participant]
        placed, refused = _fill(items, book.forms.get(items[0].visit.id, {}))
        placements += placed
        refusals += refused
    placements.sort(key=lambda p: (p.participant, _visit_order(protocol, p.visit), p.key))
    refusals.sort(key=lambda r: (r.source.entry or 0, r.source.observation))
    return Review(tuple(placements), tuple(refusals))


def _visit_order(protocol: Protocol, visit_id: str) -> int:
    return next(i for i, v in enumerate(protocol.schedule) if v.id == visit_id)


def _refuse(result: LabResult, reason: str, participant: str | None = None) -> Refusal:
    return Refusal(result.source, result.patient_text, reason, participant)


def match_participant(
    result: LabResult, casebooks: Mapping[str, Casebook], identifier_systems: frozenset[str]
) -> str | Refusal:
    """Her participant id, or why the patient matches nobody (module rules)."""
    recognised = [i for i in result.patient if i.system in identifier_systems]
    codes = sorted({i.value for i in recognised if i.value in casebooks})
    if len(codes) == 1:
        return codes[0]
    systems = " or ".join(sorted(identifier_systems))
    if len(codes) > 1:
        return _refuse(result, f"the patient matches several participants ({', '.join(codes)})")
    if recognised:
        sent = ", ".join(str(i) for i in recognised)
        return _refuse(result, f"no participant of this study has the id of {sent}")
    sent = ", ".join(str(i) for i in result.patient) or "none"
    return _refuse(
        result,
        f"the patient matches no participant: her identifiers are {sent}; expected an "
        f"identifier of system {systems} whose value is a participant id",
    )


def _visit_of(result: LabResult, book: Casebook, protocol: Protocol, screening: str) -> Visit | str:
    """The visit holding the specimen date, or why there is none."""
    taken = result.specimen_date
    course = book.course
    if book.treated is not None and course is not None:
        first = course.first_day(book.treated)
        if first <= taken <= book.treated:
            day = (taken - first).days + 1
            return (
                f"the specimen date {taken} is day {day} of the {course.label} "
                f"({first} to {book.treated}): {course.where}"
            )
    if book.treated is None or taken <= book.treated:
        return next(v for v in protocol.schedule if v.id == screening)
    day = (taken - book.treated).days
    holding = [
        v
        for v in protocol.schedule
        if v.window is not None and v.window.contains(book.treated, taken)
    ]
    if len(holding) == 1:
        return holding[0]
    windows = "; ".join(
        f"{v.id} {v.window.describe()}" for v in protocol.schedule if v.window is not None
    )
    if holding:
        names = " and ".join(v.id for v in holding)
        return f"the specimen date {taken} (day {day}) lies in the windows of {names}"
    return (
        f"the specimen date {taken} is day {day} after the treatment date {book.treated}, "
        f"outside every visit window ({windows or 'the protocol has none'})"
    )


def _convert(
    result: LabResult,
    protocol: Protocol,
    casebooks: Mapping[str, Casebook],
    screening: str,
    identifier_systems: frozenset[str],
    today: date,
) -> _Converted | Refusal:
    code = match_participant(result, casebooks, identifier_systems)
    if isinstance(code, Refusal):
        return code
    book = casebooks[code]
    if result.specimen_date > today:
        return _refuse(result, f"the specimen date {result.specimen_date} is after today", code)
    visit = _visit_of(result, book, protocol, screening)
    if isinstance(visit, str):
        return _refuse(result, visit, code)
    slots = slots_at(result.analyte, visit.records)
    if not slots:
        return _refuse(
            result,
            f"{protocol.name} records no {result.analyte.label} at {visit.id} "
            f"({visit.label}), the visit of the specimen date {result.specimen_date}",
            code,
        )
    if visit.id != screening and not book.enrolled:
        return _refuse(
            result,
            f"{visit.id} takes data once she is enrolled; she is not: only the screening "
            "form takes data before enrolment",
            code,
        )
    if visit.id in book.locked:
        return _refuse(result, f"the {visit.id} form is locked: nothing can be added", code)
    target = variable(slots[0].variable)
    value = _in_dictionary_unit(result, target)
    if isinstance(value, str):
        return _refuse(result, value, code)
    canonical, in_canonical = value
    checked = _within_limits(canonical, target)
    if isinstance(checked, str):
        return _refuse(result, checked, code)
    return _Converted(result, code, visit, slots, canonical, in_canonical, checked)


def _in_dictionary_unit(result: LabResult, target: Variable) -> tuple[float, bool] | str:
    """The value in the variable's unit, and whether it was sent in it; or why not."""
    units = (AlternativeUnit(target.name, target.unit or "", 1.0), *target.alternatives)
    for unit in units:
        if unit.unit == result.unit:
            return result.value * unit.factor, unit.factor == 1.0
    accepted = ", ".join(u.unit for u in units)
    return (
        f"{result.sent} does not convert to {target.name} ({target.unit}): the units "
        f"accepted are {accepted}"
    )


def _within_limits(value: float, target: Variable) -> tuple[str, ...] | str:
    """Warnings (soft limits), or why the value is refused (hard limits, a whole number)."""
    if not math.isfinite(value):
        return f"{value} is not a number"
    if target.kind is Kind.INTEGER and not float(value).is_integer():
        return f"{target.name} is a whole number, not {value:g}"
    if target.hard is not None and not target.hard.contains(value):
        return (
            f"{value:.4g} {target.unit} lies outside {target.name}'s accepted range "
            f"{target.hard} {target.unit}"
        )
    if target.soft is not None and not target.soft.contains(value):
        return (
            f"{value:.4g} {target.unit} lies outside the usual range {target.soft} "
            f"{target.unit}: check it before accepting",
        )
    return ()


def _agree(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=AGREEMENT, abs_tol=1e-9)


def _merged(items: list[_Converted]) -> _Converted | None:
    """One of ``items`` when all agree (the one sent in the dictionary's unit first)."""
    first = items[0]
    if not all(_agree(first.value, other.value) for other in items[1:]):
        return None
    return next((i for i in items if i.canonical_unit), first)


def _disagreeing(items: list[_Converted], where: str) -> list[Refusal]:
    listed = "; ".join(
        f"{i.result.sent} on {i.result.specimen_date} ({i.result.source.observation})"
        for i in items
    )
    reason = (
        f"results of {items[0].result.analyte.label} at {where} disagree ({listed}): the form "
        "holds one value; enter the right one on the form"
    )
    return [_refuse(i.result, reason, i.participant) for i in items]


def _placement(items: list[_Converted], kept: _Converted, slot: Slot, saved: bool) -> Placement:
    seen: dict[str, Any] = {}
    for item in items:
        seen.setdefault(item.result.source.observation, item.result.source)
    target = variable(slot.variable)
    # A count (AFC) is stored as the whole number the eCRF stores (``_within_limits`` refused
    # a fraction): 6.0 in an integer column breaks the screening frame (polars Int64).
    value = int(kept.value) if target.kind is Kind.INTEGER else kept.value
    return Placement(
        participant=kept.participant,
        visit=kept.visit.id,
        analyte=kept.result.analyte,
        slot=slot,
        value=value,
        unit=target.unit or "",
        specimen_date=min(i.result.specimen_date for i in items),
        sources=tuple(seen.values()),
        sent=tuple(dict.fromkeys(i.result.sent for i in items)),
        saved=saved,
        warnings=kept.warnings,
    )


def _against_saved(
    items: list[_Converted], kept: _Converted, slot: Slot, saved: Any
) -> Placement | list[Refusal]:
    """The placement when the form holds nothing or the same value; refusals when it holds
    another (never overwritten: module rules)."""
    if saved is None:
        return _placement(items, kept, slot, saved=False)
    if isinstance(saved, int | float) and _agree(float(saved), kept.value):
        return _placement(items, kept, slot, saved=True)
    unit = variable(slot.variable).unit or ""
    reason = (
        f"the {kept.visit.id} form holds {slot.variable} = {saved} {unit}; a laboratory result "
        "does not replace a saved value: change it on the form, with a reason"
    )
    return [_refuse(i.result, reason, i.participant) for i in items]


def _fill(
    items: list[_Converted], form: Mapping[str, Any]
) -> tuple[list[Placement], list[Refusal]]:
    """The placements and refusals of one woman's results of one analyte at one visit."""
    slots = items[0].slots
    where = items[0].visit.id
    if all(slot.date_variable is None for slot in slots):
        kept = _merged(items)
        if kept is None:
            return [], _disagreeing(items, where)
        outcome = _against_saved(items, kept, slots[0], form.get(slots[0].variable))
        return ([outcome], []) if isinstance(outcome, Placement) else ([], outcome)
    return _fill_dated(items, tuple(s for s in slots if s.date_variable is not None), form)


def _fill_dated(
    items: list[_Converted], slots: tuple[Slot, ...], form: Mapping[str, Any]
) -> tuple[list[Placement], list[Refusal]]:
    """Dated slots (FSH at screening): one date per slot (module rules)."""
    by_date: dict[date, list[_Converted]] = defaultdict(list)
    for item in items:
        by_date[item.result.specimen_date].append(item)
    placements: list[Placement] = []
    refusals: list[Refusal] = []
    free = [
        s for s in slots if form.get(s.variable) is None and form.get(s.date_variable or "") is None
    ]
    filled: dict[str, str] = {}
    for taken in sorted(by_date):
        group = by_date[taken]
        kept = _merged(group)
        if kept is None:
            refusals += _disagreeing(group, f"{group[0].visit.id} on {taken}")
            continue
        holding = next(
            (s for s in slots if form.get(s.date_variable or "") == taken.isoformat()), None
        )
        if holding is not None:
            outcome = _against_saved(group, kept, holding, form.get(holding.variable))
        elif free:
            slot = free.pop(0)
            filled[slot.variable] = taken.isoformat()
            outcome = _placement(group, kept, slot, saved=False)
        else:
            names = ", ".join(
                f"{s.variable} of {form.get(s.date_variable or '') or filled.get(s.variable)}"
                for s in slots
            )
            reason = (
                f"the {group[0].visit.id} form holds {len(slots)} {kept.result.analyte.label} "
                f"results ({names}, saved or placed now) and has no place for one of {taken}"
            )
            outcome = [_refuse(i.result, reason, i.participant) for i in group]
        if isinstance(outcome, Placement):
            placements.append(outcome)
        else:
            refusals += outcome
    return placements, refusals
