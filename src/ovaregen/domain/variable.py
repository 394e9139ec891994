"""The types of the data dictionary: a variable, its kind, unit, limits and file.

The dictionary itself (every variable, with its source) is ``domain.variables``; this module
holds only the shapes, so that the dictionary can be assembled from several modules (one per
kind of record) without import cycles.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a value is written in a file and held in a dataset."""

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"
    CHOICE = "choice"


class DatasetFile(StrEnum):
    """The files of a study dataset (a CSV each, or a sheet each of one workbook)."""

    PARTICIPANTS = "participants"
    PREGNANCIES = "pregnancies"
    VISITS = "visits"
    ADVERSE_EVENTS = "adverse_events"
    MOBILISATION = "mobilisation"

    @property
    def file_name(self) -> str:
        """The CSV file (or worksheet) name: ``visits.csv``."""
        return f"{self.value}.csv"


@dataclass(frozen=True)
class Limits:
    """An inclusive plausibility range in the variable's canonical unit."""

    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{_number(self.low)}–{_number(self.high)}"


@dataclass(frozen=True)
class AlternativeUnit:
    """A unit a value may be supplied in: ``canonical = value × factor``.

    ``column`` is the column name that announces the unit (the unit is part of the name);
    a value in the canonical column that only makes sense in this unit is reported as a
    likely unit error naming it.
    """

    column: str
    unit: str
    factor: float


@dataclass(frozen=True)
class Variable:
    """One column of the interchange format."""

    name: str
    file: DatasetFile
    kind: Kind
    description: str
    unit: str | None = None
    hard: Limits | None = None
    soft: Limits | None = None
    choices: tuple[str, ...] = ()
    alternatives: tuple[AlternativeUnit, ...] = ()
    required: bool = False
    unique: bool = False
    default: str | None = None
    group: str = ""
    repeated: bool = False
    """Measured at follow-up visits: one value per visit (visits.csv), INTERCHANGE.md."""

    def alternative_for(self, column: str) -> AlternativeUnit | None:
        """The alternative unit announced by ``column``, if any."""
        for alternative in self.alternatives:
            if alternative.column == column:
                return alternative
        return None


def _number(value: float) -> str:
    return f"{value:g}"
