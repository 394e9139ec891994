"""The three-valued criteria engine.

A criterion is a Polars boolean expression over a canonical participants frame whose null
means *unknown* (a needed value is missing). Polars' ``&``, ``|`` and ``~`` follow Kleene
logic (false and unknown = false; true or unknown = true), as CRITERIA.md requires, so one
expression serves one participant in a web form and a million in a registry.

Criteria carry a stable id (``poi.fsh``, ``excl.endometriosis``), the columns they read and
the rule's source, so that a screening result can say which criterion failed or is unknown
and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl


class Role(StrEnum):
    """What a criterion's value means for eligibility."""

    INCLUSION = "inclusion"
    """Must be true."""
    EXCLUSION = "exclusion"
    """Must be false."""
    COMPONENT = "component"
    """Part of a diagnosis; shown in explanations, not judged on its own."""


@dataclass(frozen=True)
class Criterion:
    """One named, sourced, three-valued rule."""

    id: str
    description: str
    source: str
    inputs: tuple[str, ...]
    expression: pl.Expr = field(compare=False, repr=False)
    role: Role = Role.COMPONENT
    parts: tuple[str, ...] = ()
    """Ids of the criteria this one combines (for explanations)."""

    def column(self) -> pl.Expr:
        """The criterion's expression, named by its id."""
        return self.expression.alias(self.id)


@dataclass(frozen=True)
class RuleSet:
    """A versioned set of criteria: a guideline edition, or a protocol version."""

    id: str
    version: str
    source: str
    criteria: tuple[Criterion, ...]

    def __getitem__(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(f"{criterion_id!r} is not a criterion of {self.id} {self.version}")

    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria)


def at_least(k: int, conditions: Sequence[pl.Expr]) -> pl.Expr:
    """Three-valued "at least k of these are true".

    True when k are true; false when fewer than k could still become true (true or unknown);
    otherwise unknown. Source: CRITERIA.md, Bologna "at least two of three".
    """
    sure = pl.sum_horizontal([c.fill_null(False).cast(pl.Int32) for c in conditions])
    possible = pl.sum_horizontal([c.fill_null(True).cast(pl.Int32) for c in conditions])
    return (
        pl.when(sure >= k)
        .then(pl.lit(True))
        .when(possible < k)
        .then(pl.lit(False))
        .otherwise(pl.lit(None, pl.Boolean))
    )


def all_of(conditions: Iterable[pl.Expr]) -> pl.Expr:
    """Kleene conjunction of any number of conditions (true when there are none)."""
    result: pl.Expr = pl.lit(True)
    for condition in conditions:
        result = result & condition
    return result


def any_of(conditions: Iterable[pl.Expr]) -> pl.Expr:
    """Kleene disjunction of any number of conditions (false when there are none)."""
    result: pl.Expr = pl.lit(False)
    for condition in conditions:
        result = result | condition
    return result


def is_true(flag: str) -> pl.Expr:
    """A boolean column as a criterion: unknown where the cell is empty."""
    return pl.col(flag).cast(pl.Boolean)


def evaluate(frame: pl.DataFrame, criteria: Iterable[Criterion]) -> pl.DataFrame:
    """One boolean column per criterion (named by its id), null = unknown."""
    return frame.select(*(c.column() for c in criteria))


def truth_label(value: bool | None) -> str:
    """``true`` / ``false`` / ``unknown``, as the interchange format writes a criterion."""
    if value is None:
        return "unknown"
    return "true" if value else "false"


def truth_labels(expression: pl.Expr) -> pl.Expr:
    """Vectorised :func:`truth_label`."""
    return (
        pl.when(expression.is_null())
        .then(pl.lit("unknown"))
        .when(expression)
        .then(pl.lit("true"))
        .otherwise(pl.lit("false"))
    )
