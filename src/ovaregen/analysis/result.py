"""What an analysis plan produces: results under fixed ids, tables, and the populations used.

Plain dataclasses of numbers and names (never formatted text); the renderers
(``ovaregen.report.results_json``, the HTML report) turn them into files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ovaregen.stats.result import Estimate, finite


@dataclass(frozen=True)
class Population:
    """A set of participants an analysis is done on: its id, its rule in words, its size."""

    id: str
    definition: str
    n: int


@dataclass(frozen=True)
class LeftOut:
    """Women of a result's population that the result could not use: how many, and why
    ("AMH after treatment unknown"). A report prints each, so that every woman is accounted for."""

    count: int
    reason: str


@dataclass(frozen=True)
class Result:
    """One statistical result of a plan (INTERCHANGE.md ``results.json``).

    ``id`` is fixed so that results can be checked from outside; ``population`` names the
    :class:`Population` it was computed on, and ``n`` the complete cases it actually used.
    ``extra`` carries the numbers particular to the result (``cutoff`` for a ROC curve, the
    ``terms`` of a regression, ``numerator``/``denominator`` of a rate, the groups compared),
    ready for JSON. ``detail`` keeps the statistics object itself (a ROC curve, a Kaplan–Meier
    table) for figures; it is never serialised.
    """

    id: str
    title: str
    method: str
    n: int
    population: str
    statistic: float | None = None
    df: float | None = None
    p_value: float | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    conf_level: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    detail: Any = field(default=None, compare=False, repr=False)
    left_out: tuple[LeftOut, ...] = ()

    @classmethod
    def of(
        cls,
        id: str,
        title: str,
        estimate: Estimate,
        population: str,
        *,
        detail: Any = None,
        warnings: tuple[str, ...] = (),
        left_out: tuple[LeftOut, ...] = (),
        **extra: Any,
    ) -> Result:
        """A result from a statistics :class:`Estimate` (its numbers made JSON-safe)."""
        return cls(
            id=id,
            title=title,
            method=estimate.method,
            n=estimate.n,
            population=population,
            statistic=finite(estimate.statistic),
            df=finite(estimate.df),
            p_value=finite(estimate.p_value),
            estimate=finite(estimate.estimate),
            ci_low=finite(estimate.ci_low),
            ci_high=finite(estimate.ci_high),
            conf_level=estimate.conf_level,
            options=dict(estimate.options),
            warnings=(*estimate.warnings, *warnings),
            extra=extra,
            detail=detail if detail is not None else estimate,
            left_out=left_out,
        )


@dataclass(frozen=True)
class Table:
    """A table of the plan, written as ``<id>.csv``; ``notes`` say how to read it."""

    id: str
    title: str
    frame: pl.DataFrame
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """Everything one plan produced for one dataset.

    ``dataset_checksum`` is the SHA-256 of the dataset's files as read
    (``ovaregen.io.reader.dataset_checksum``; None when it was not read from files);
    ``synthetic`` the sentence saying a generator made the dataset, not patients
    (``Provenance.statement``; None for a dataset not known to be synthetic).
    """

    plan: str
    protocol_name: str
    protocol_version: str
    rules_version: str
    dataset: str
    populations: tuple[Population, ...]
    results: tuple[Result, ...]
    tables: tuple[Table, ...]
    warnings: tuple[str, ...] = ()
    dataset_checksum: str | None = None
    synthetic: str | None = None

    def result(self, id: str) -> Result:
        """The result with this id."""
        for result in self.results:
            if result.id == id:
                return result
        raise KeyError(id)

    def table(self, id: str) -> Table:
        """The table with this id."""
        for table in self.tables:
            if table.id == id:
                return table
        raise KeyError(id)
