"""Daily G-CSF titration for Study A: the software proposes, the clinician decides.

Study A gives filgrastim on days 1–4, starting at 10 µg/kg/day, and adjusts it every day from
that day's leukocyte count and symptom grade; the paper does not publish its rule
(``shared/spec/STUDIES.md``, ``CRITERIA.md`` "G-CSF mobilization support"). The rule is
therefore data: a :class:`TitrationTable` of leukocyte bands and symptom grades → action
(``continue``, ``reduce``, ``hold_24h``, ``stop``), each row with its source, shipped as
``ovaregen/protocols/regenera-gcsf-titration.yaml``.

Decisions (stated here and in the shipped table):

- Day *d* (1–4): the dose given on day *d* with day *d*'s leukocytes and symptom grade proposes
  the dose of day *d* + 1. After day 4 nothing more is given (``complete``): leukocytes and CD34+
  are measured on day 5. The action the rules gave is still kept (``rule_action``); a day-4
  symptom that stops G-CSF is headed ``stop``, not ``complete`` (it is a safety event).
- The most restrictive action wins (stop > hold_24h > reduce > continue); the reason lists every
  rule that fired.
- ``hold_24h``: no G-CSF on day *d* + 1 (proposed dose 0). The held day is evaluated like any
  other with the dose in force before the hold, so with nothing firing that dose resumes on day
  *d* + 2. The course is not prolonged beyond day 4: a hold of day 4 ends it (no G-CSF is
  given on day 5, STUDIES.md study A).
- ``reduce``: the dose in force minus the table's percentage, never below its floor; a dose
  already at the floor cannot be reduced and is sent for review (``needs_review``).
- A missing count or grade is never guessed. A proposal is made only when every possible value
  of the missing input gives the same one (a severe symptom stops whatever the count); otherwise
  the action is ``needs_review`` with no dose, and ``missing`` names what is missing.
- Inputs that cannot be right are refused (:class:`DoseRefused`), never corrected: a dose above
  the maximum, a dose in mg/kg (the paper's thousand-fold slip), a dose ≤ 0, a day outside 1–4,
  an unknown grade, leukocytes outside the data dictionary's hard limits.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import yaml

from ovaregen.domain.variables import GCSF_DAYS, SYMPTOM_GRADES, WBC_HARD, variable

DEFAULT_TABLE = "regenera-gcsf-titration"
"""The shipped template (``ovaregen/protocols/regenera-gcsf-titration.yaml``)."""


def _dose_hard_limit() -> float:
    limits = variable("gcsf_d1_ug_kg").hard
    assert limits is not None, "the data dictionary sets a hard limit for the G-CSF dose"
    return limits.high


DOSE_HARD_LIMIT_UG_KG = _dose_hard_limit()
"""The data dictionary's hard upper limit of the G-CSF dose (CRITERIA.md: 0–20 µg/kg/day)."""

LAST_GCSF_DAY = GCSF_DAYS[-1]
_MICROGRAM_UNITS = frozenset(
    f"{mass}/kg{per_day}" for mass in ("ug", "μg", "mcg") for per_day in ("", "/day", "/d")
)
_MILLIGRAM_UNITS = frozenset(f"mg/kg{per_day}" for per_day in ("", "/day", "/d"))


class Action(StrEnum):
    """What the proposal says to do on the next day. The first four are table actions."""

    CONTINUE = "continue"
    REDUCE = "reduce"
    HOLD_24H = "hold_24h"
    STOP = "stop"
    NEEDS_REVIEW = "needs_review"
    """Nothing automatic: an input is missing, or the dose cannot be reduced further."""
    COMPLETE = "complete"
    """Day 4 was the last G-CSF day: no further dose; leukocytes and CD34+ on day 5."""


TABLE_ACTIONS = (Action.CONTINUE, Action.REDUCE, Action.HOLD_24H, Action.STOP)
"""The actions a table row may give, least restrictive first."""


class DoseRefused(ValueError):  # noqa: N818 - a refusal, not a program fault
    """An input the titration rule refuses to work with, and why."""


@dataclass(frozen=True)
class LeukocyteBand:
    """Leukocytes (10⁹/L) from ``at_least`` (inclusive) to ``below`` (exclusive; None = ∞)."""

    at_least: float
    below: float | None
    action: Action
    source: str
    note: str = ""

    def contains(self, wbc_10e9_l: float) -> bool:
        return self.at_least <= wbc_10e9_l and (self.below is None or wbc_10e9_l < self.below)

    def condition(self, wbc_10e9_l: float) -> str:
        value = f"leukocytes {_fmt(wbc_10e9_l)} × 10⁹/L"
        if self.below is None:
            return f"{value} ≥ {_fmt(self.at_least)} × 10⁹/L"
        if self.at_least == 0:
            return f"{value} < {_fmt(self.below)} × 10⁹/L"
        return f"{value} in {_fmt(self.at_least)}–<{_fmt(self.below)} × 10⁹/L"


@dataclass(frozen=True)
class SymptomRule:
    """The action for one symptom grade of Study A."""

    grade: str
    action: Action
    source: str
    note: str = ""


@dataclass(frozen=True)
class ReduceStep:
    """``reduce``: the dose in force minus ``by_percent`` %, never below ``floor_ug_kg``."""

    by_percent: float
    floor_ug_kg: float
    source: str

    def apply(self, dose_ug_kg: float) -> float:
        return max(dose_ug_kg * (1 - self.by_percent / 100), self.floor_ug_kg)


@dataclass(frozen=True)
class TitrationTable:
    """A versioned G-CSF adjustment table: doses, reduce step, leukocyte bands, symptom rows."""

    id: str
    version: str
    title: str
    start_dose_ug_kg: float
    max_dose_ug_kg: float
    dose_source: str
    reduce: ReduceStep
    leukocyte_bands: tuple[LeukocyteBand, ...]
    symptoms: tuple[SymptomRule, ...]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TitrationTable:
        """Build and validate a table; a bad entry raises ``ValueError`` naming it."""
        table = _Reader(data, "table")
        table.only("id", "version", "title", "dose", "reduce", "leukocyte_bands", "symptoms")
        dose = table.section("dose")
        dose.only("start_ug_kg", "maximum_ug_kg", "source")
        maximum = dose.number("maximum_ug_kg")
        if not 0 < maximum <= DOSE_HARD_LIMIT_UG_KG:
            dose.fail(
                "maximum_ug_kg",
                f"{_fmt(maximum)} must be in (0, "
                f"{_fmt(DOSE_HARD_LIMIT_UG_KG)}] µg/kg/day (the hard limit)",
            )
        start = dose.number("start_ug_kg")
        if not 0 < start <= maximum:
            dose.fail("start_ug_kg", f"{_fmt(start)} must be in (0, {_fmt(maximum)}] µg/kg/day")
        reduce = table.section("reduce")
        reduce.only("by_percent", "floor_ug_kg", "source")
        by_percent = reduce.number("by_percent")
        if not 0 < by_percent < 100:
            reduce.fail("by_percent", f"{_fmt(by_percent)} must be between 0 and 100")
        floor = reduce.number("floor_ug_kg")
        if not 0 < floor <= start:
            reduce.fail("floor_ug_kg", f"{_fmt(floor)} must be in (0, {_fmt(start)}] µg/kg/day")
        return cls(
            id=table.text("id"),
            version=table.text("version"),
            title=table.text("title", required=False),
            start_dose_ug_kg=start,
            max_dose_ug_kg=maximum,
            dose_source=dose.text("source"),
            reduce=ReduceStep(by_percent, floor, reduce.text("source")),
            leukocyte_bands=_read_bands(table),
            symptoms=_read_symptoms(table.section("symptoms")),
        )

    def band_for(self, wbc_10e9_l: float) -> LeukocyteBand:
        """The band holding a leukocyte count (the bands cover 0–∞)."""
        return next(band for band in self.leukocyte_bands if band.contains(wbc_10e9_l))

    def symptom_rule(self, grade: str) -> SymptomRule:
        """The row of one symptom grade."""
        return next(rule for rule in self.symptoms if rule.grade == grade)


def load_titration_table(name_or_path: str | Path = DEFAULT_TABLE) -> TitrationTable:
    """Load a shipped table by name (``regenera-gcsf-titration``, ``.yaml`` optional) or a file.

    Shipped tables are read with :mod:`importlib.resources` from ``ovaregen.protocols``.
    """
    text: str
    where = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in where or "\\" in where:
        text = Path(name_or_path).read_text(encoding="utf-8")
    else:
        filename = where if where.endswith((".yaml", ".yml")) else f"{where}.yaml"
        resource = resources.files("ovaregen.protocols").joinpath(filename)
        if not resource.is_file():
            raise ValueError(f"no titration table {where!r} in ovaregen.protocols")
        text = resource.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: a titration table must be a mapping")
    try:
        return TitrationTable.from_mapping(data)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from error


@dataclass(frozen=True)
class FiredRule:
    """One table row that matched the day's inputs."""

    condition: str
    action: Action
    action_text: str
    source: str
    note: str = ""

    def __str__(self) -> str:
        return f"{self.condition}: {self.action_text} ({self.source})"


@dataclass(frozen=True)
class DoseProposal:
    """The proposal for the next day, with its reason, rules and table version (for the audit).

    ``next_dose_ug_kg`` is in µg/kg/day: the dose for ``applies_to_day`` (0 for a hold), None
    for stop, needs_review and after day 4. ``rule_action`` is the table's action (None when a
    missing input leaves it open); ``action`` is what is proposed.
    """

    action: Action
    next_dose_ug_kg: float | None
    applies_to_day: int
    reason: str
    rules: tuple[FiredRule, ...]
    missing: tuple[str, ...]
    rule_action: Action | None
    day: int
    dose_ug_kg: float
    wbc_10e9_l: float | None
    symptom: str | None
    table_id: str
    table_version: str


def propose_next_dose(
    table: TitrationTable,
    *,
    day: int,
    dose_ug_kg: float,
    wbc_10e9_l: float | None,
    symptom: str | None,
    dose_unit: str = "µg/kg/day",
) -> DoseProposal:
    """Propose day ``day + 1``'s G-CSF dose from day ``day``'s dose, leukocytes and symptom grade.

    ``dose_ug_kg`` is the dose in force: the dose given on ``day`` or, on a held day, the dose
    given before the hold. ``None`` means not recorded. Raises :class:`DoseRefused` for inputs
    that cannot be right (see the module docstring).
    """
    _check_unit(dose_unit)
    _check_dose(dose_ug_kg, table)
    if isinstance(day, bool) or not isinstance(day, int) or day not in GCSF_DAYS:
        raise DoseRefused(f"day {day!r} is outside the G-CSF days {GCSF_DAYS[0]}–{LAST_GCSF_DAY}")
    grade = _check_symptom(symptom)
    _check_wbc(wbc_10e9_l)
    band = None if wbc_10e9_l is None else table.band_for(wbc_10e9_l)
    row = None if grade is None else table.symptom_rule(grade)

    rules: list[FiredRule] = []
    if band is not None and wbc_10e9_l is not None:
        rules.append(_fired(table, band.condition(wbc_10e9_l), band.action, band.source, band.note))
    if row is not None:
        rules.append(_fired(table, f"symptom {row.grade}", row.action, row.source, row.note))
    missing = tuple(
        name
        for name, value in (("leukocytes", wbc_10e9_l), ("symptom grade", grade))
        if value is None
    )
    bands = [band.action] if band else [b.action for b in table.leukocyte_bands]
    grades = [row.action] if row else [r.action for r in table.symptoms]
    possible = {_most_restrictive(b, g) for b in bands for g in grades}
    rule_action = next(iter(possible)) if len(possible) == 1 else None

    next_day = day + 1
    next_dose: float | None = None
    if rule_action is Action.STOP:
        action, outcome = Action.STOP, "stop G-CSF: no further dose"
        if day == LAST_GCSF_DAY:
            outcome += (
                f" (day {day} was the last G-CSF day); "
                f"measure leukocytes and CD34+ on day {next_day}"
            )
    elif day == LAST_GCSF_DAY:
        action = Action.COMPLETE
        outcome = (
            f"day {day} was the last G-CSF day: no further dose; "
            f"measure leukocytes and CD34+ on day {next_day}"
        )
    elif rule_action is None:
        action = Action.NEEDS_REVIEW
        options = " or ".join(a.value for a in TABLE_ACTIONS if a in possible)
        outcome = (
            f"needs review: {' and '.join(missing)} not recorded and the table could give "
            f"{options}; no automatic proposal, the haematologist decides"
        )
    elif rule_action is Action.HOLD_24H and next_day == LAST_GCSF_DAY:
        action, next_dose = Action.HOLD_24H, 0.0
        outcome = (
            f"hold 24 h: no G-CSF on day {next_day}, the last G-CSF day, so the course ends "
            f"(it is not prolonged); measure leukocytes and CD34+ on day {next_day + 1}"
        )
    elif rule_action is Action.HOLD_24H:
        action, next_dose = Action.HOLD_24H, 0.0
        outcome = (
            f"hold 24 h: no G-CSF on day {next_day}; {_fmt(dose_ug_kg)} µg/kg/day resumes on "
            f"day {next_day + 1} unless day {next_day}'s count or symptoms say otherwise"
        )
    elif rule_action is Action.REDUCE and dose_ug_kg <= table.reduce.floor_ug_kg:
        action = Action.NEEDS_REVIEW
        outcome = (
            f"needs review: {_fmt(dose_ug_kg)} µg/kg/day is already at the floor "
            f"{_fmt(table.reduce.floor_ug_kg)} µg/kg/day and cannot be reduced further"
        )
    elif rule_action is Action.REDUCE:
        action, next_dose = Action.REDUCE, table.reduce.apply(dose_ug_kg)
        floor = " (the floor)" if next_dose == table.reduce.floor_ug_kg else ""
        outcome = f"reduce to {_fmt(next_dose)} µg/kg/day{floor} on day {next_day}"
    else:
        action, next_dose = Action.CONTINUE, dose_ug_kg
        outcome = f"continue {_fmt(dose_ug_kg)} µg/kg/day on day {next_day}"

    if action in TABLE_ACTIONS and len({rule.action for rule in rules}) > 1:
        outcome += " (the most restrictive rule wins)"
    notes = [str(rule) for rule in rules]
    if action is not Action.NEEDS_REVIEW:
        notes += [
            f"{name} not recorded (the proposal holds whatever the value)" for name in missing
        ]
    reason = "; ".join(notes) + f". Proposal: {outcome}." if notes else f"Proposal: {outcome}."
    return DoseProposal(
        action=action,
        next_dose_ug_kg=next_dose,
        applies_to_day=next_day,
        reason=reason,
        rules=tuple(rules),
        missing=missing,
        rule_action=rule_action,
        day=day,
        dose_ug_kg=dose_ug_kg,
        wbc_10e9_l=wbc_10e9_l,
        symptom=grade,
        table_id=table.id,
        table_version=table.version,
    )


def _most_restrictive(*actions: Action) -> Action:
    return max(actions, key=TABLE_ACTIONS.index)


def _fired(
    table: TitrationTable, condition: str, action: Action, source: str, note: str
) -> FiredRule:
    text = {
        Action.CONTINUE: "continue",
        Action.REDUCE: f"reduce by {_fmt(table.reduce.by_percent)}%",
        Action.HOLD_24H: "hold 24 h",
        Action.STOP: "stop",
    }[action]
    return FiredRule(condition, action, text, source, note)


def _check_unit(unit: str) -> None:
    normal = "".join(unicodedata.normalize("NFKC", unit).lower().split())
    if normal in _MICROGRAM_UNITS:
        return
    if normal in _MILLIGRAM_UNITS:
        raise DoseRefused(
            f"unit {unit!r} refused: mg/kg is a thousand-fold error: G-CSF is dosed in "
            "µg/kg/day; Study A's paper prints 'mg/kg'"
        )
    raise DoseRefused(f"unit {unit!r} refused: G-CSF is dosed in µg/kg/day (ug/kg, µg/kg, mcg/kg)")


def _check_dose(dose: float, table: TitrationTable) -> None:
    if isinstance(dose, bool) or not isinstance(dose, int | float) or math.isnan(dose):
        raise DoseRefused(f"dose {dose!r} is not a number of µg/kg/day")
    if dose < 0:
        raise DoseRefused(f"dose {_fmt(dose)} µg/kg/day refused: a dose cannot be negative")
    if dose == 0:
        raise DoseRefused(
            "dose 0 refused: pass the dose in force (on a held day, the dose given before the hold)"
        )
    if dose > table.max_dose_ug_kg:
        raise DoseRefused(
            f"dose {_fmt(dose)} µg/kg/day refused: {_fmt(table.max_dose_ug_kg)} µg/kg/day is the "
            "maximum"
        )


def _check_symptom(symptom: str | None) -> str | None:
    if symptom is None:
        return None
    grade = symptom.strip().lower() if isinstance(symptom, str) else symptom
    if grade not in SYMPTOM_GRADES:
        raise DoseRefused(
            f"unknown symptom grade {symptom!r}: expected one of {', '.join(SYMPTOM_GRADES)}"
        )
    return str(grade)


def _check_wbc(wbc: float | None) -> None:
    if wbc is None:
        return
    if isinstance(wbc, bool) or not isinstance(wbc, int | float) or math.isnan(wbc):
        raise DoseRefused(f"leukocytes {wbc!r} is not a number of 10⁹/L")
    if WBC_HARD.contains(wbc):
        return
    hint = ""
    if WBC_HARD.contains(wbc * 1e-3):
        hint = f"; a count per mm³? {_fmt(wbc)}/mm³ = {_fmt(wbc * 1e-3)} × 10⁹/L"
    raise DoseRefused(
        f"leukocytes {_fmt(wbc)} × 10⁹/L refused: outside the hard limits {WBC_HARD} × 10⁹/L{hint}"
    )


def _fmt(value: float) -> str:
    return "∞" if math.isinf(value) else f"{round(value, 3):g}"


def optional_number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def optional_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    return str(value)


class _Reader:
    """Typed access to one mapping of a table file, with errors naming the entry."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise ValueError(f"{where}: expected a mapping, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data
        self.where = where

    def fail(self, key: str, message: str) -> NoReturn:
        raise ValueError(f"{self.where}.{key}: {message}")

    def only(self, *keys: str) -> None:
        unknown = sorted(str(key) for key in self.data if key not in keys)
        if unknown:
            raise ValueError(
                f"{self.where}: unknown entry {unknown[0]!r} (known: {', '.join(keys)})"
            )

    def section(self, key: str) -> _Reader:
        if key not in self.data:
            self.fail(key, "missing")
        return _Reader(self.data[key], f"{self.where}.{key}")

    def number(self, key: str, *, required: bool = True) -> float:
        value = self.data.get(key)
        if value is None and not required:
            return math.inf
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            self.fail(key, f"expected a number, got {value!r}")
        return float(value)

    def text(self, key: str, *, required: bool = True) -> str:
        value = self.data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"expected a non-empty text, got {value!r}")
        return str(value).strip()

    def action(self, key: str) -> Action:
        value = self.data.get(key)
        if value not in {a.value for a in TABLE_ACTIONS}:
            self.fail(key, f"unknown action {value!r} (known: {', '.join(TABLE_ACTIONS)})")
        return Action(value)


def _read_bands(table: _Reader) -> tuple[LeukocyteBand, ...]:
    raw = table.data.get("leukocyte_bands")
    if not isinstance(raw, list) or not raw:
        table.fail("leukocyte_bands", "expected a non-empty list of bands")
    bands: list[LeukocyteBand] = []
    for index, item in enumerate(raw):
        row = _Reader(item, f"{table.where}.leukocyte_bands[{index}]")
        row.only("at_least", "below", "action", "source", "note")
        low, high = row.number("at_least"), row.number("below", required=False)
        if low < 0 or high <= low:
            row.fail("below", f"band {_fmt(low)}–{_fmt(high)} is empty or negative")
        below = None if math.isinf(high) else high
        note = row.text("note", required=False)
        bands.append(LeukocyteBand(low, below, row.action("action"), row.text("source"), note))
    bands.sort(key=lambda band: band.at_least)
    if bands[0].at_least != 0:
        table.fail("leukocyte_bands", f"gap: nothing covers 0–{_fmt(bands[0].at_least)} × 10⁹/L")
    for lower, upper in itertools.pairwise(bands):
        end = math.inf if lower.below is None else lower.below
        if end < upper.at_least:
            table.fail(
                "leukocyte_bands",
                f"gap: nothing covers {_fmt(end)}–{_fmt(upper.at_least)} × 10⁹/L",
            )
        if end > upper.at_least:
            table.fail(
                "leukocyte_bands",
                f"overlap: the band from {_fmt(lower.at_least)} reaches {_fmt(end)} but the next "
                f"starts at {_fmt(upper.at_least)} × 10⁹/L",
            )
    if bands[-1].below is not None:
        table.fail("leukocyte_bands", f"gap: nothing covers ≥ {_fmt(bands[-1].below)} × 10⁹/L")
    return tuple(bands)


def _read_symptoms(section: _Reader) -> tuple[SymptomRule, ...]:
    for key in section.data:
        if key not in SYMPTOM_GRADES:
            known = ", ".join(SYMPTOM_GRADES)
            raise ValueError(f"{section.where}: unknown symptom grade {key!r} (known: {known})")
    rules: list[SymptomRule] = []
    for grade in SYMPTOM_GRADES:
        row = section.section(grade)
        row.only("action", "source", "note")
        note = row.text("note", required=False)
        rules.append(SymptomRule(grade, row.action("action"), row.text("source"), note))
    return tuple(rules)
