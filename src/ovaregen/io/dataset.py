"""A study dataset in canonical form, and the findings of reading one.

The contract between the readers (``ovaregen.io.reader``) and everything downstream:
a :class:`Dataset` holds only validated values in canonical units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial

import polars as pl

from ovaregen.domain.schema import canonical_schema
from ovaregen.domain.variables import DatasetFile


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem found in a dataset: where it is, what was there, what was expected.

    ``line`` is the 1-based line of the CSV file (the header is line 1) or the row of the
    worksheet; ``None`` for a problem of a whole file or column.
    """

    severity: Severity
    file: str
    message: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None
    likely_unit: str | None = None


def empty_table(file: DatasetFile) -> pl.DataFrame:
    """A canonical table of ``file`` with no rows."""
    return pl.DataFrame(schema=canonical_schema(file))


@dataclass(frozen=True)
class Dataset:
    """A validated study dataset in canonical units: the flat projection of a study record.

    One frame per file of INTERCHANGE.md: ``participants`` (one row per woman),
    ``pregnancies``, ``visits`` (one row per woman and follow-up visit), ``adverse_events`` and
    ``mobilisation`` (one row per woman and G-CSF day). Each has every canonical column of its
    file (``ovaregen.domain.schema``), nulls for unknown values, then any unknown columns the
    file carried (kept as text). ``supplied`` names, per file, the canonical columns the
    source actually had, so that writing the dataset back gives the same columns; a file
    absent from ``supplied`` and without rows was not in the source.
    """

    participants: pl.DataFrame
    pregnancies: pl.DataFrame = field(default_factory=partial(empty_table, DatasetFile.PREGNANCIES))
    source: str = ""
    supplied: dict[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: tuple[Finding, ...] = ()
    visits: pl.DataFrame = field(default_factory=partial(empty_table, DatasetFile.VISITS))
    adverse_events: pl.DataFrame = field(
        default_factory=partial(empty_table, DatasetFile.ADVERSE_EVENTS)
    )
    mobilisation: pl.DataFrame = field(
        default_factory=partial(empty_table, DatasetFile.MOBILISATION)
    )

    def table(self, file: DatasetFile) -> pl.DataFrame:
        """The frame of one file."""
        frame: pl.DataFrame = getattr(self, file.value)
        return frame

    def has(self, file: DatasetFile) -> bool:
        """Whether the dataset holds ``file``: supplied by its source, or with rows."""
        return file.value in self.supplied or not self.table(file).is_empty()
