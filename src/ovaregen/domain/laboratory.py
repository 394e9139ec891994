"""Laboratory results from outside (a hospital's FHIR server or a Bundle file): what they are,
where they come from, and which dictionary variables hold them.

Rules (issue 15; CRITERIA.md "Units and plausibility"):
- a result is one measured value of one woman: an analyte, a value in a unit, the date its
  specimen was taken, and its source (the Observation's id, its ``issued`` time, the server or
  file) — the source goes with the value into the audit trail;
- the analytes ovaregen takes are AMH, FSH, oestradiol, leukocytes and the antral follicle count
  (AFC, an ultrasound count with no LOINC term: a local code, ``formats.fhir.loinc``);
- each analyte has *slots*: the dictionary variables that hold it, with the variable that holds
  its date where the form records one (FSH twice at screening, with dates, for the POI rule,
  CRITERIA.md "POI"); a visit holds the slots its schedule records;
- leukocytes of the G-CSF days (``wbc_dN_10e9_l``) are not slots: they drive the day's dose
  decision and are typed on the mobilisation form that day.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any


class Analyte(StrEnum):
    """What a laboratory (or ultrasound) result measures."""

    AMH = "amh"
    FSH = "fsh"
    OESTRADIOL = "oestradiol"
    LEUKOCYTES = "leukocytes"
    AFC = "afc"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Analyte.AMH: "AMH",
    Analyte.FSH: "FSH",
    Analyte.OESTRADIOL: "oestradiol",
    Analyte.LEUKOCYTES: "leukocytes",
    Analyte.AFC: "antral follicle count",
}


@dataclass(frozen=True)
class Slot:
    """A dictionary variable that holds one result of an analyte, and the variable holding the
    result's date (None: the visit's own date is the result's)."""

    variable: str
    date_variable: str | None = None


SLOTS: Mapping[Analyte, tuple[Slot, ...]] = {
    Analyte.AMH: (Slot("amh_ng_ml"), Slot("amh_post_ng_ml")),
    Analyte.FSH: (
        Slot("fsh_1_iu_l", "fsh_1_date"),
        Slot("fsh_2_iu_l", "fsh_2_date"),
        Slot("fsh_post_iu_l"),
    ),
    Analyte.OESTRADIOL: (Slot("oestradiol_pg_ml"), Slot("oestradiol_post_pg_ml")),
    Analyte.LEUKOCYTES: (Slot("wbc_10e9_l"),),
    Analyte.AFC: (Slot("afc"), Slot("afc_post")),
}
"""Every variable a result of each analyte may go to; a visit takes those it records, in this
order (FSH: the first measurement, then the second)."""


def slots_at(analyte: Analyte, records: tuple[str, ...]) -> tuple[Slot, ...]:
    """The analyte's slots that a visit recording ``records`` holds."""
    return tuple(slot for slot in SLOTS[analyte] if slot.variable in records)


@dataclass(frozen=True)
class Source:
    """Where a result came from: the Observation (its id, or the Bundle entry's fullUrl when it
    has none), when the laboratory issued it, and the server or file it was read from."""

    observation: str
    issued: str | None
    origin: str
    entry: int | None = None
    """The entry's position in the Bundle, from 1 (None for a result read by id)."""

    def describe(self) -> str:
        """``FHIR Observation obs-17 (issued 2024-03-02T09:15:00Z) from labs.json``."""
        issued = f" (issued {self.issued})" if self.issued else " (no issued time)"
        return f"FHIR Observation {self.observation}{issued} from {self.origin}"

    def where(self) -> str:
        """How a message names the result: its entry and Observation."""
        entry = f"entry {self.entry}, " if self.entry is not None else ""
        return f"{entry}Observation {self.observation}"


@dataclass(frozen=True)
class PatientIdentifier:
    """One identifier of the result's patient (FHIR Identifier: system and value)."""

    system: str | None
    value: str

    def __str__(self) -> str:
        return f"{self.system}|{self.value}" if self.system else self.value


@dataclass(frozen=True)
class LabResult:
    """One result as read: the unit is a dictionary unit (``Variable.unit`` or one of its
    alternatives' ``unit``), already translated from UCUM by the reader with ``factor``
    (``value × factor`` is the value in ``unit``)."""

    source: Source
    patient: tuple[PatientIdentifier, ...]
    patient_text: str
    """How messages name the patient: her reference or identifiers as sent."""
    analyte: Analyte
    value: float
    unit: str
    sent: str
    """The value and unit as the laboratory sent them, e.g. ``14.3 pmol/L``."""
    specimen_date: date


@dataclass(frozen=True)
class Refusal:
    """A result that is not placed, and why, in words for the coordinator."""

    source: Source
    patient_text: str
    reason: str
    participant: str | None = None

    def message(self) -> str:
        who = f"participant {self.participant}" if self.participant else self.patient_text
        return f"{self.source.where()} ({who}): {self.reason}"


@dataclass(frozen=True)
class Placement:
    """A result placed on a woman's visit, ready for the coordinator to accept.

    ``value`` is canonical (the dictionary's unit); ``saved`` is True when her form holds the
    same value already (nothing to store: a result imported twice, or typed by hand before).
    """

    participant: str
    visit: str
    analyte: Analyte
    slot: Slot
    value: float
    unit: str
    specimen_date: date
    sources: tuple[Source, ...]
    sent: tuple[str, ...]
    saved: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Names the placement in an accept step as it was reviewed: who, where, what, which
        results, and a digest of what would be stored and where from (value, unit, date, as
        sent, issued times). A laboratory that amends a value under the same Observation id
        changes the key, so an amended result is never accepted unreviewed."""
        observations = "+".join(sorted(s.observation for s in self.sources))
        seen = [
            repr(self.value),
            self.unit,
            self.specimen_date.isoformat(),
            list(self.sent),
            sorted([s.observation, s.issued or ""] for s in self.sources),
        ]
        digest = hashlib.sha256(json.dumps(seen).encode()).hexdigest()[:16]
        return f"{self.participant}|{self.visit}|{self.slot.variable}|{observations}#{digest}"

    def values(self) -> dict[str, Any]:
        """The form values to save: the canonical value, and its date where the slot has one."""
        values: dict[str, Any] = {self.slot.variable: self.value}
        if self.slot.date_variable is not None:
            values[self.slot.date_variable] = self.specimen_date.isoformat()
        return values

    def reason(self) -> str:
        """The audit trail's reason: the results' sources (issue 15: audited with its source)."""
        return "laboratory result: " + "; ".join(s.describe() for s in self.sources)


@dataclass(frozen=True)
class Review:
    """What a set of results would do: placements to accept, refusals to read."""

    placements: tuple[Placement, ...] = ()
    refusals: tuple[Refusal, ...] = ()

    @property
    def to_store(self) -> tuple[Placement, ...]:
        """The placements that would change a form (``saved`` ones change nothing)."""
        return tuple(p for p in self.placements if not p.saved)


@dataclass(frozen=True)
class Casebook:
    """A woman's saved forms as placing needs them.

    ``treated`` is day 0 of her windows (None before treatment); ``enrolled`` whether forms
    after screening take data; ``locked`` the visits whose forms refuse changes."""

    code: str
    treated: date | None
    enrolled: bool
    forms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    locked: frozenset[str] = frozenset()
    course: PreTreatment | None = None
    """A course of days before day 0 (Study A's G-CSF mobilisation), if her protocol has one."""


@dataclass(frozen=True)
class PreTreatment:
    """Days before day 0 that are neither screening nor a visit with a window: Study A's G-CSF
    mobilisation, days 1–5, the injection on day 5 = day 0 (STUDIES.md Study A). A result of
    those days belongs to the day's own form, where it drives the dose decision."""

    days: int
    """How many days the course lasts, day 0 included (5: G-CSF days 1–4 and the injection)."""
    label: str
    where: str
    """Where its results are entered instead, in words."""

    def first_day(self, treated: date) -> date:
        return treated - timedelta(days=self.days - 1)
