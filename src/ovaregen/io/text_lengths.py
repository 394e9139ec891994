"""The longest text a dataset cell may hold where the clinic stores it in a sized column.

The clinic keeps some texts in columns of fixed width (``ovaregen.store.models``): PostgreSQL
refuses a longer value when the import writes it, SQLite stores it anyway — the same dataset
would be imported on one database and refused on the other, and the refusal came from the
database, not from the file. So each such column's width is a rule of the file: a longer value
is an error naming file, line, column and the length allowed (INTERCHANGE.md: an unreadable
value is an error that names file, row, column, value and what is accepted). Free text kept in
the eCRF (ethnicity, reasons) has no width and no limit here.
"""

from __future__ import annotations

import polars as pl

from ovaregen.domain.variables import DatasetFile
from ovaregen.io.checks import Check, Problem, Row, run_checks
from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.raw import RawTable

MAX_LENGTHS: dict[DatasetFile, dict[str, int]] = {
    file: {"participant_id": 64} for file in DatasetFile
}
"""Per file, column → most characters (the width of the column that stores it)."""
MAX_LENGTHS[DatasetFile.PARTICIPANTS] |= {"site": 16}
MAX_LENGTHS[DatasetFile.ADVERSE_EVENTS] |= {"term": 200, "ctcae_version": 16}
MAX_LENGTHS[DatasetFile.MOBILISATION] |= {"table_version": 64, "decided_by": 64}


def length_findings(table: RawTable) -> list[Finding]:
    """An error for every cell of ``table`` longer than its column may hold."""
    limits = {c: n for c, n in MAX_LENGTHS.get(table.file, {}).items() if c in table.columns}
    if not limits:
        return []
    too_long = table.frame.select(
        (pl.col(column).str.len_chars() > limit).any().alias(column)
        for column, limit in limits.items()
    ).row(0, named=True)
    checks = [_check(column, limits[column]) for column, hit in too_long.items() if hit]
    return run_checks(table.frame, checks, table.label) if checks else []


def _check(column: str, limit: int) -> Check:
    def describe(row: Row) -> Problem:
        text = str(row[column])
        shown = text if len(text) <= 40 else text[:37] + "…"
        return Problem(
            f'value "{shown}" has {len(text)} characters, more than the {limit} the clinic '
            f"stores for {column}: shorten it",
            shown,
            f"at most {limit} characters",
        )

    return Check(Severity.ERROR, column, pl.col(column).str.len_chars() > limit, describe)
