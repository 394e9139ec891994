"""A study dataset in canonical form, and the findings of reading one.

The contract between the readers (``ovaregen.io.reader``) and everything downstream:
a :class:`Dataset` holds only validated values in canonical units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl


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


@dataclass(frozen=True)
class Dataset:
    """A validated study dataset in canonical units.

    ``participants`` and ``pregnancies`` have every canonical column of their file
    (``ovaregen.domain.schema``), nulls for unknown values, then any unknown columns
    the files carried (kept as text). ``supplied`` names, per file, the canonical columns
    the source actually had, so that writing the dataset back gives the same columns.
    """

    participants: pl.DataFrame
    pregnancies: pl.DataFrame
    source: str
    supplied: dict[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: tuple[Finding, ...] = ()
