"""Plausibility limits and unit slips (CRITERIA.md "Units and plausibility").

A value outside its variable's hard limits is an error; outside its soft limits (but within
the hard ones) a warning for a person to check. Limits are checked on the canonical value, and
quoted in the unit of the column the value was written in.

"A value in the wrong unit (platelets 247910 given as 10⁹/L) must fail loudly with the likely
intended unit named": when reading the written number in another unit of the same variable
would make it plausible, the finding says so and names the column that announces that unit.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from ovaregen.domain.variables import AlternativeUnit, Limits, Variable
from ovaregen.io.checks import Check, Problem, Row
from ovaregen.io.dataset import Severity
from ovaregen.io.units import canonical_unit, number_text, quantity_text, range_text, units_of

_TOLERANCE = 1e-9
"""Relative slack at the bounds, so that 214.2 pmol/L (= 30 ng/mL) is not "above 30"."""


def outside(value: pl.Expr, limits: Limits) -> pl.Expr:
    """Rows whose canonical ``value`` lies outside ``limits`` (null stays null)."""
    slack = _TOLERANCE * max(1.0, abs(limits.low), abs(limits.high))
    return (value < limits.low - slack) | (value > limits.high + slack)


def limit_checks(variable: Variable, unit: AlternativeUnit, text: str, value: str) -> list[Check]:
    """Hard- and soft-limit checks of one column of ``variable`` written in ``unit``.

    ``text`` and ``value`` name the frame columns holding the cell text and the parsed
    number in the column's own unit.
    """
    canonical = pl.col(value) * unit.factor
    checks: list[Check] = []
    if variable.hard is not None:
        checks.append(
            Check(
                Severity.ERROR,
                unit.column,
                outside(canonical, variable.hard),
                _describe(variable, unit, text, variable.hard, hard=True),
            )
        )
    if variable.soft is not None:
        within_hard = pl.lit(True) if variable.hard is None else ~outside(canonical, variable.hard)
        checks.append(
            Check(
                Severity.WARNING,
                unit.column,
                within_hard & outside(canonical, variable.soft),
                _describe(variable, unit, text, variable.soft, hard=False),
            )
        )
    return checks


def likely_unit(
    written: float, variable: Variable, unit: AlternativeUnit, limits: Limits
) -> AlternativeUnit | None:
    """Another unit of ``variable`` in which ``written`` falls within ``limits``, if any.

    Prefers a unit that also meets the soft limits. Units with the same factor as the
    column's (FSH mIU/mL = IU/L) cannot explain a slip and are not offered.
    """
    candidates = [
        other
        for other in units_of(variable)
        if other.factor != unit.factor and limits.contains(written * other.factor)
    ]
    soft = variable.soft
    plausible = [c for c in candidates if soft is None or soft.contains(written * c.factor)]
    chosen = plausible or candidates
    return chosen[0] if chosen else None


def _describe(
    variable: Variable, unit: AlternativeUnit, text: str, limits: Limits, *, hard: bool
) -> Callable[[Row], Problem]:
    expected = range_text(limits, unit)

    def describe(row: Row) -> Problem:
        written = float(row[text])
        if hard:
            message = f'value "{row[text]}" is outside {expected}'
        else:
            message = f'value "{row[text]}" is outside the usual range {expected}; check it'
        other = likely_unit(written, variable, unit, limits)
        if other is not None:
            message += "; " + _slip_hint(written, variable, other, hard=hard)
        return Problem(
            message,
            value=str(row[text]),
            expected=expected,
            likely_unit=None if other is None else other.unit,
        )

    return describe


def _slip_hint(written: float, variable: Variable, other: AlternativeUnit, *, hard: bool) -> str:
    """``looks like /mm³ (247910 /mm³ = 247.91 10⁹/L): convert it or name the column …``."""
    canonical = canonical_unit(variable)
    shown = f"{number_text(written)} {other.unit}"
    if other.factor != 1.0:
        shown += f" = {quantity_text(written * other.factor, canonical)}"
    if hard:
        return f"looks like {other.unit} ({shown}): convert it or name the column {other.column}"
    return f"if it is in {other.unit} ({shown}), convert it or name the column {other.column}"
