"""Women a result could not use, counted and named, so that a report accounts for every one.

A result computed on complete cases uses the members of its population whose values it needs
are known; the others are *left out*, each for the first needed value that is unknown, in the
order the result names them (STROBE item 12c and 13, CONSORT item 16: "number of participants
… included in each analysis"). The reason is written in words from the data dictionary
("baseline anti-Müllerian hormone unknown"), never as a column id.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import polars as pl

from ovaregen.analysis.result import LeftOut
from ovaregen.domain.variable import DatasetFile
from ovaregen.domain.variables import variables_of

DERIVED_NAMES: dict[str, str] = {
    "oocyte_activation": "oocyte activation (neither criterion met and at least one unknown)",
    "activation_by_afc": "activation by AFC (AFC before or after treatment)",
    "activation_by_amh": "activation by AMH (AMH before or after treatment)",
    "activation_group": "oocyte activation",
    "por_bologna": "POR by the Bologna criteria",
    "dor": "DOR (POSEIDON groups 3–4)",
    "poi": "POI by the ESHRE criteria",
    "pregnancy_spontaneous": "whether she conceived spontaneously",
    "pregnancy_ivf": "whether she conceived after IVF",
    "has_live_birth": "whether she had a live birth",
    "pregnant": "whether she became pregnant",
    "age_group": "age",
    "arm": "allocated arm",
    "worst_gcsf_grade": "G-CSF symptom grade",
}
"""Derived columns (not in the data dictionary) by the words a report uses for them."""


@cache
def _dictionary() -> dict[str, str]:
    names: dict[str, str] = {}
    for file in DatasetFile:
        for variable in variables_of(file):
            names.setdefault(variable.name, variable.description.split(";")[0].strip())
    return names


@cache
def _units() -> dict[str, str]:
    units: dict[str, str] = {}
    for file in DatasetFile:
        for variable in variables_of(file):
            if variable.unit:
                units.setdefault(variable.name, variable.unit)
    return units


def unit_of(column: str) -> str:
    """The dictionary unit of ``column`` ("" when it has none or is not in the dictionary)."""
    return _units().get(column, "")


def readable(column: str) -> str:
    """The words for ``column``: the derived name, the dictionary description, or the id."""
    return DERIVED_NAMES.get(column) or _dictionary().get(column) or column.replace("_", " ")


def unknown(count: int, what: str) -> tuple[LeftOut, ...]:
    """``count`` women left out because ``what`` (a column id or words) is unknown."""
    return (LeftOut(count, _unknown_phrase(readable(what))),) if count else ()


def _unknown_phrase(words: str) -> str:
    """``words`` + " unknown", the qualifier kept after it: "oocyte activation unknown
    (neither criterion met and at least one unknown)"."""
    head, bracket, rest = words.partition(" (")
    return f"{head} unknown ({rest}" if bracket else f"{words} unknown"


def unknown_in(frame: pl.DataFrame, columns: Sequence[str]) -> tuple[LeftOut, ...]:
    """The rows of ``frame`` with an unknown value among ``columns``, each counted once under
    the first of ``columns`` (in the order given) that is unknown."""
    left: list[LeftOut] = []
    remaining = frame.select(columns)
    for column in columns:
        missing = remaining.get_column(column).is_null()
        left.extend(unknown(int(missing.sum()), column))
        remaining = remaining.filter(~missing)
    return tuple(left)


def total(left_out: Sequence[LeftOut]) -> int:
    """How many women were left out in all."""
    return sum(item.count for item in left_out)
