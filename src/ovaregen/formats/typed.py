"""What the typed formats share (Dataset-JSON, Parquet, Stata, SPSS, SAS transport; issue 14
items 4–5): one table per file of the dataset, columns under the dictionary's names with the
dictionary's types, described by the dictionary's text and unit.

Writing: :func:`tables_of` gives the tables as the interchange writer would write them (the
canonical columns the source supplied, then its extra columns as text).

Reading: a format reader turns its file into a polars frame (its own types), then
:func:`read_tables` turns every value back into the text the interchange CSV would hold
(booleans ``true``/``false``, dates ``YYYY-MM-DD``, a whole number without ``.0`` where the
dictionary counts) and validates the tables as ``ovaregen validate`` validates a folder
(``io.reader.validate_tables``): all or nothing, every finding naming file, row, column and
value. Rows are counted from 1, the first record (a typed file has no header line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import DatasetFile, Kind, Variable, variables_of
from ovaregen.io.dataset import Dataset, Finding
from ovaregen.io.raw import RawTable, build_table
from ovaregen.io.reader import ValidationReport, validate_tables
from ovaregen.io.writer import interchange_frame


def tables_of(dataset: Dataset) -> dict[DatasetFile, pl.DataFrame]:
    """Each file the dataset holds (participants always), with the columns it is written with."""
    return {
        file: interchange_frame(dataset, file)
        for file in DatasetFile
        if file is DatasetFile.PARTICIPANTS or dataset.has(file)
    }


def variable_of(file: DatasetFile, column: str) -> Variable | None:
    """The dictionary's variable of a canonical column; None for an extra column (text)."""
    for v in variables_of(file):
        if v.name == column:
            return v
    return None


def label_of(file: DatasetFile, column: str) -> str:
    """A column's label: the dictionary's description with its unit (``Anti-Müllerian hormone
    (ng/mL)``); an extra column is labelled by its own name."""
    v = variable_of(file, column)
    if v is None:
        return column
    return f"{v.description} ({v.unit})" if v.unit else v.description


@dataclass(frozen=True)
class TypedTable:
    """One file as a format reader found it: ``label`` names it in findings
    (``participants.parquet``), ``frame`` holds its columns in the format's own types."""

    label: str
    frame: pl.DataFrame


def read_tables(
    source: str,
    tables: Mapping[DatasetFile, TypedTable],
    findings: list[Finding],
    protocol: Protocol | None,
) -> ValidationReport:
    """Validate typed tables as ``ovaregen validate`` validates CSV files (module docstring);
    ``findings`` are the format reader's own (a file missing, a column of the wrong type)."""
    raw: dict[DatasetFile, RawTable] = {}
    for file, table in tables.items():
        cells = as_text(file, table.frame)
        lines = pl.Series("line", range(1, table.frame.height + 1), dtype=pl.Int64)
        built, header_findings = build_table(
            file,
            table.label,
            list(table.frame.columns),
            cells.rename({c: f"c{i}" for i, c in enumerate(cells.columns)}),
            lines,
            header_line=None,
        )
        findings += header_findings
        raw[file] = built
    return validate_tables(source, raw, findings, protocol)


def as_text(file: DatasetFile, frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as the interchange text of its values (module docstring)."""
    return frame.select(_text(frame.get_column(c), variable_of(file, c)) for c in frame.columns)


def _text(series: pl.Series, variable: Variable | None) -> pl.Series:
    dtype = series.dtype
    if dtype == pl.Boolean:
        return series.cast(pl.String)  # true / false
    if dtype == pl.Date:
        return series.dt.strftime("%Y-%m-%d")
    if isinstance(dtype, pl.Datetime):
        return series.dt.strftime("%Y-%m-%d")
    if dtype.is_float() and variable is not None and variable.kind is Kind.INTEGER:
        whole = series.is_not_null() & series.is_finite() & (series == series.floor())
        as_int = series.cast(pl.Int64, strict=False).cast(pl.String)
        return (
            pl.select(
                pl.when(pl.lit(whole))
                .then(pl.lit(as_int))
                .otherwise(pl.lit(series.cast(pl.String)))
            )
            .to_series()
            .alias(series.name)
        )
    return series.cast(pl.String)
