"""The cohort a plan works on: every canonical column plus every derived one, one row each.

Built once per analysis from a validated :class:`~ovaregen.io.dataset.Dataset` by the domain
derivation (diagnoses of the protocol's edition and settings, eligibility, endpoints), so
that plans only select, group and call statistics — never re-derive a clinical rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import polars as pl

from ovaregen.domain.derivation import Derivation, derive_table
from ovaregen.domain.protocols import Protocol
from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Dataset, empty_table


@dataclass(frozen=True)
class Cohort:
    """``people``: canonical participants; ``derived``: the same rows with derived columns;
    ``pregnancies``: canonical pregnancy rows; ``derivation``: the domain's cohort tables;
    ``supplied``: the participant columns the dataset actually had (None: all of them)."""

    protocol: Protocol
    people: pl.DataFrame
    derived: pl.DataFrame
    pregnancies: pl.DataFrame
    derivation: Derivation
    source: str
    data_warnings: int
    supplied: tuple[str, ...] | None = None
    visits: pl.DataFrame = field(default_factory=partial(empty_table, DatasetFile.VISITS))
    """One row per woman and follow-up visit (canonical visits.csv)."""
    adverse_events: pl.DataFrame = field(
        default_factory=partial(empty_table, DatasetFile.ADVERSE_EVENTS)
    )

    def recorded(self, columns: tuple[str, ...]) -> tuple[str, ...]:
        """Those of ``columns`` that the dataset records (a column it lacks is not asked)."""
        if self.supplied is None:
            return columns
        return tuple(c for c in columns if c in self.supplied)


def build_cohort(dataset: Dataset, protocol: Protocol) -> Cohort:
    """Derive every column of ``dataset`` under ``protocol`` (inputs are not modified)."""
    people = conform(dataset.participants, DatasetFile.PARTICIPANTS)
    pregnancies = conform(dataset.pregnancies, DatasetFile.PREGNANCIES)
    derivation = derive_table(people, pregnancies, protocol)
    return Cohort(
        protocol=protocol,
        people=people,
        derived=derivation.participants,
        pregnancies=pregnancies,
        derivation=derivation,
        source=dataset.source,
        data_warnings=len(dataset.warnings),
        supplied=dataset.supplied.get("participants"),
        visits=conform(dataset.visits, DatasetFile.VISITS),
        adverse_events=conform(dataset.adverse_events, DatasetFile.ADVERSE_EVENTS),
    )
