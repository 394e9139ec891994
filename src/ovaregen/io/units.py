"""Units of a column: the canonical one or an alternative, and how they are written in messages.

CRITERIA.md "Units and plausibility": the unit is part of the column name, and
``canonical = value × factor`` for an alternative unit (``domain.variables.AlternativeUnit``).
The canonical unit is treated as the alternative with factor 1, so every column of a variable
has a unit of the same shape.
"""

from __future__ import annotations

import math
from decimal import Decimal

from ovaregen.domain.variables import AlternativeUnit, Limits, Variable


def canonical_unit(variable: Variable) -> AlternativeUnit:
    """The variable's own column and unit, as an "alternative" with factor 1."""
    return AlternativeUnit(variable.name, variable.unit or "", 1.0)


def units_of(variable: Variable) -> tuple[AlternativeUnit, ...]:
    """Every unit a variable may be written in, canonical first."""
    return (canonical_unit(variable), *variable.alternatives)


def unit_of_column(variable: Variable, column: str) -> AlternativeUnit:
    """The unit announced by ``column``, one of the variable's columns."""
    for unit in units_of(variable):
        if unit.column == column:
            return unit
    raise KeyError(f"{column!r} is not a column of {variable.name}")


def in_unit(limits: Limits, unit: AlternativeUnit) -> Limits:
    """``limits`` (canonical) expressed in ``unit``."""
    return Limits(limits.low / unit.factor, limits.high / unit.factor)


def range_text(limits: Limits, unit: AlternativeUnit) -> str:
    """An inclusive range in a column's unit, e.g. ``5–2000 10⁹/L``."""
    shown = in_unit(limits, unit)
    return f"{number_text(shown.low)}–{number_text(shown.high)} {unit.unit}".rstrip()


def quantity_text(value: float, unit: AlternativeUnit) -> str:
    """A value with its unit, e.g. ``247.91 10⁹/L``."""
    return f"{number_text(value)} {unit.unit}".rstrip()


def number_text(value: float) -> str:
    """A number as a person would write it: no ``.0``, five significant digits, no exponent
    for large values."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if abs(value) >= 1e5:
        return f"{value:.0f}"
    return f"{value:.5g}"


MEASURED_DECIMALS = 4
"""A stored number with at most this many decimals is shown as it was typed."""
CONVERTED_DIGITS = 3
"""Significant digits of a value converted from another unit (6.4 pmol/L → 0.896 ng/mL)."""


def measured_text(value: float) -> str:
    """A stored measurement as a page shows it, at the measurement's precision; the stored
    value keeps its full precision (INTERCHANGE.md "Conventions": canonical = value × factor).

    A whole number is shown as one (age 32, not 32.0); a value typed in the canonical unit has
    the few decimals that were typed and is shown as typed (0.25); a converted value's binary
    tail (0.896358543417367) is shown with three significant digits, as a laboratory reports.
    """
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    typed = repr(value)
    if "e" not in typed and len(typed.partition(".")[2]) <= MEASURED_DECIMALS:
        return typed
    if abs(value) >= 10**CONVERTED_DIGITS:
        return f"{value:.0f}"
    shown = format(Decimal(f"{value:.{CONVERTED_DIGITS}g}"), "f")
    return shown.rstrip("0").rstrip(".") if "." in shown else shown
