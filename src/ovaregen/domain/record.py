"""Where each value of a study record lives: the visit that holds it, and its column in the
interchange tables (INTERCHANGE.md, DESIGN.md "The study record").

The record holds each value once, at the visit where it was measured:
- a value held once per woman (participants.csv) at the one schedule visit that records it
  (``domain.protocols`` refuses a schedule recording it twice); a value no visit of the
  protocol records is kept apart, at :data:`UNSCHEDULED`, so that nothing imported is lost;
- a follow-up measurement at its follow-up visit (a row of visits.csv); participants.csv's
  column is its projection at ``Protocol.summary_visit``;
- a G-CSF day (Study A) at the visit recording that day's dose (days 1–4) or the day-5
  leukocyte count (day 5): mobilisation.csv's ``dose_ug_kg``, ``wbc_10e9_l`` and ``symptoms``
  are the visit's ``gcsf_dN_ug_kg``, ``wbc_dN_10e9_l`` and ``symptoms_dN``; ``weight_kg`` is
  held under its own name.

The store, the exchange formats and the analysis share these rules, so a value read from one
place is written back to the same place.
"""

from __future__ import annotations

from dataclasses import dataclass

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import GCSF_DAYS, WBC_DAYS, variable

UNSCHEDULED = "long_term_followup"
"""The form of values that no schedule visit of the protocol records (kept, and exported)."""
WEIGHT = "weight_kg"
"""Body weight on a G-CSF day: held under its mobilisation.csv name in the day's visit."""


def home_visit(protocol: Protocol, name: str) -> str:
    """The visit that holds a participants.csv value ``name`` (module docstring)."""
    if variable(name).repeated:
        return protocol.summary_visit(name) or UNSCHEDULED
    for visit in protocol.schedule:
        if name in visit.records:
            return visit.id
    return UNSCHEDULED


def day_columns(day: int) -> dict[str, str]:
    """mobilisation.csv column → the visit's variable, for G-CSF day ``day`` (1–5)."""
    columns = {"wbc_10e9_l": f"wbc_d{day}_10e9_l"}
    if day in GCSF_DAYS:
        columns |= {
            WEIGHT: WEIGHT,
            "dose_ug_kg": f"gcsf_d{day}_ug_kg",
            "symptoms": f"symptoms_d{day}",
        }
    return columns


@dataclass(frozen=True)
class MobilisationDay:
    """A G-CSF day of the schedule and the visit that holds it."""

    day: int
    visit: str


def mobilisation_days(protocol: Protocol) -> tuple[MobilisationDay, ...]:
    """The protocol's G-CSF days (none for a study without mobilisation)."""
    days = []
    for day in WBC_DAYS:
        marker = f"gcsf_d{day}_ug_kg" if day in GCSF_DAYS else f"wbc_d{day}_10e9_l"
        visit = next((v.id for v in protocol.schedule if marker in v.records), None)
        if visit is not None:
            days.append(MobilisationDay(day, visit))
    return tuple(days)
