"""Alternative-unit columns: conversion into the canonical column, and agreement.

INTERCHANGE.md: ``amh_pmol_l`` is "accepted instead and converted", likewise ``wbc_per_mm3``,
``platelets_per_mm3``, ``wbc_dN_per_mm3`` (and, from the data dictionary, ``fsh_N_miu_ml``,
``hemoglobin_g_l``, ``amh_post_pmol_l``, ``oestradiol_pmol_l``, ``oestradiol_post_pmol_l``):
``canonical = value × factor``.

When a file carries the canonical column and an alternative, a row may fill either; where both
hold a value they must agree: the difference may not exceed 2 % of the larger value plus the
rounding of each as written (half a unit of its last decimal), else it is an error naming both.
The canonical column's value is kept when they agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from ovaregen.domain.variables import AlternativeUnit, Variable
from ovaregen.io.checks import Check, Problem, Row
from ovaregen.io.dataset import Severity
from ovaregen.io.units import canonical_unit, number_text, quantity_text

RELATIVE_AGREEMENT = 0.02


def converted(value: pl.Expr, unit: AlternativeUnit) -> pl.Expr:
    """A parsed value in ``unit`` as a canonical value."""
    return value if unit.factor == 1.0 else value * unit.factor


def combined(sources: Sequence[tuple[AlternativeUnit, pl.Expr]]) -> pl.Expr:
    """The canonical value: the first source (canonical column first) that has one."""
    return pl.coalesce([converted(value, unit) for unit, value in sources])


def agreement_check(
    variable: Variable,
    first: tuple[AlternativeUnit, str, str],
    other: tuple[AlternativeUnit, str, str],
) -> Check:
    """Rows where two columns of ``variable`` both hold a value and disagree.

    Each source is (unit, text column, parsed-value column) in the checked frame.
    """
    first_unit, first_text, first_value = first
    other_unit, other_text, other_value = other
    a = converted(pl.col(first_value), first_unit)
    b = converted(pl.col(other_value), other_unit)
    tolerance = (
        RELATIVE_AGREEMENT * pl.max_horizontal(a.abs(), b.abs())
        + _half_step(pl.col(first_text)) * first_unit.factor
        + _half_step(pl.col(other_text)) * other_unit.factor
    )
    return Check(
        Severity.ERROR,
        first_unit.column,
        (a - b).abs() > tolerance,
        _describe(variable, first, other),
    )


def _half_step(text: pl.Expr) -> pl.Expr:
    """Half a unit of the last decimal written: ``4.2`` → 0.05, ``30`` → 0.5."""
    decimals = text.str.extract(r"\.(\d+)$").str.len_chars().fill_null(0)
    return 0.5 * pl.lit(10.0).pow(-decimals.cast(pl.Float64))


def _describe(
    variable: Variable,
    first: tuple[AlternativeUnit, str, str],
    other: tuple[AlternativeUnit, str, str],
) -> Callable[[Row], Problem]:
    first_unit, first_text, first_value = first
    other_unit, other_text, other_value = other
    canonical = canonical_unit(variable)

    def describe(row: Row) -> Problem:
        mine = float(row[first_value]) * first_unit.factor
        theirs = float(row[other_value]) * other_unit.factor
        return Problem(
            f'value "{row[first_text]}" ({quantity_text(mine, canonical)}) disagrees with '
            f'column {other_unit.column} "{row[other_text]}" '
            f"(= {quantity_text(theirs, canonical)}); where both columns are filled they must "
            f"give the same value (within {number_text(RELATIVE_AGREEMENT * 100)} % and "
            "rounding): correct one of them or leave it empty",
            value=str(row[first_text]),
            expected=f"the value of {other_unit.column} in {canonical.unit}: "
            f"{quantity_text(theirs, canonical)}",
        )

    return describe
