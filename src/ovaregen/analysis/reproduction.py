"""The papers' figures against the ones reproduced from a dataset: value, unit and a status.

Every reproduction target of ``shared/spec/STUDIES.md`` is a :class:`Target`: what the paper
prints (the number as printed, its text and unit), how to read the same figure off an
:class:`~ovaregen.analysis.result.Analysis`, and how close it must be. :func:`reproduce` gives
each a :class:`Status`, so that nothing differs unflagged:

- ``exact`` — the reproduced figure, rounded as the paper rounds it, equals the printed one;
- ``within tolerance`` — it differs by no more than the target's stated tolerance (and the
  tolerance says why one is allowed: a synthetic cohort drawn to the published medians);
- ``differs`` — it differs by more;
- ``paper inconsistent`` — the paper contradicts itself here (the reason is given), so no
  reproduction can match every printed figure; both are shown;
- ``not reproduced`` — the dataset does not hold what the figure needs (the reason is given).

The targets are data, one module per study (``targets_regenera``, ``targets_mensc``,
``targets_ucmsc``); this module only compares.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from ovaregen.analysis.result import Analysis, Table


class Status(StrEnum):
    """How a reproduced figure compares with the published one (module docstring)."""

    EXACT = "exact"
    WITHIN = "within tolerance"
    DIFFERS = "differs"
    INCONSISTENT = "paper inconsistent"
    NOT_REPRODUCED = "not reproduced"


Reader = Callable[[Analysis], float | None]
"""Reads one figure off an analysis (None: the analysis does not hold it)."""


@dataclass(frozen=True)
class Target:
    """One published figure to reproduce.

    ``published`` is the number as printed (in ``unit``; a percentage in %), ``decimals`` the
    decimals the paper prints it with, ``tolerance`` the largest difference (in ``unit``)
    accepted and ``tolerance_reason`` why; ``inconsistent`` the reason when the paper
    contradicts itself. ``published_text`` is the paper's wording where it adds to the number.
    """

    id: str
    section: str
    label: str
    published: float
    unit: str
    decimals: int
    read: Reader
    tolerance: float = 0.0
    tolerance_reason: str = ""
    inconsistent: str = ""
    published_text: str = ""
    source: str = ""


@dataclass(frozen=True)
class Reproduction:
    """One target with the figure reproduced from the dataset and its status."""

    target: Target
    reproduced: float | None
    status: Status
    note: str


def _rounded(value: float, decimals: int) -> float:
    return round(value, decimals)


def _difference(value: float, decimals: int) -> str:
    """A difference printed with one decimal more than the paper prints the figure."""
    return f"{value:.{decimals + 1}f}"


def compare(target: Target, reproduced: float | None) -> Reproduction:
    """The status of ``reproduced`` against ``target`` (module docstring)."""
    if reproduced is None or not math.isfinite(reproduced):
        return Reproduction(
            target, None, Status.NOT_REPRODUCED, "the dataset does not hold this figure"
        )
    if target.inconsistent:
        return Reproduction(target, reproduced, Status.INCONSISTENT, target.inconsistent)
    difference = _rounded(reproduced, target.decimals) - target.published
    if math.isclose(difference, 0.0, abs_tol=0.5 * 10.0**-target.decimals * 1e-6):
        return Reproduction(target, reproduced, Status.EXACT, "")
    if abs(reproduced - target.published) <= target.tolerance + 1e-12:
        return Reproduction(target, reproduced, Status.WITHIN, target.tolerance_reason)
    return Reproduction(
        target,
        reproduced,
        Status.DIFFERS,
        f"differs by {_difference(abs(reproduced - target.published), target.decimals)} "
        f"{target.unit}".rstrip(),
    )


def reproduce(analysis: Analysis, targets: Sequence[Target]) -> list[Reproduction]:
    """Every target read off ``analysis`` and compared (a reader that finds nothing: None)."""
    out = []
    for target in targets:
        try:
            value = target.read(analysis)
        except (KeyError, IndexError, TypeError, ValueError):
            value = None
        out.append(compare(target, value))
    return out


def reproduction_table(analysis: Analysis, targets: Sequence[Target]) -> Table:
    """The reproduction as a plan table (``reproduction.csv``): one row per target, with the
    decimals the paper prints the figure with."""
    rows = reproduce(analysis, targets)
    frame = pl.DataFrame(
        {
            "target": [r.target.id for r in rows],
            "section": [r.target.section for r in rows],
            "figure": [r.target.label for r in rows],
            "unit": [r.target.unit for r in rows],
            "decimals": [r.target.decimals for r in rows],
            "published": [r.target.published for r in rows],
            "published_text": [r.target.published_text for r in rows],
            "reproduced": [r.reproduced for r in rows],
            "status": [str(r.status) for r in rows],
            "note": [r.note for r in rows],
        },
        schema={
            "target": pl.String,
            "section": pl.String,
            "figure": pl.String,
            "unit": pl.String,
            "decimals": pl.Int64,
            "published": pl.Float64,
            "published_text": pl.String,
            "reproduced": pl.Float64,
            "status": pl.String,
            "note": pl.String,
        },
    )
    return Table(
        "reproduction",
        "Published figures and their reproduction from this dataset",
        frame,
        (
            "exact: equal when rounded as the paper rounds; within tolerance: no further than "
            "the stated tolerance; paper inconsistent: the paper contradicts itself (reason "
            "given); not reproduced: the dataset does not hold the figure.",
        ),
    )


def targets_for(plan: str) -> tuple[Target, ...]:
    """The reproduction targets of a plan's study (none for a plan without a paper)."""
    from ovaregen.analysis import targets_mensc, targets_regenera, targets_ucmsc  # noqa: PLC0415

    registry = {
        "regenera": targets_regenera.TARGETS,
        "mensc": targets_mensc.TARGETS,
        "ucmsc-rct": targets_ucmsc.TARGETS,
    }
    return registry.get(plan, ())
