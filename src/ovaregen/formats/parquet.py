"""Apache Parquet both ways (issue 14 item 5): ``--to parquet`` writes a folder of one
``<table>.parquet`` per table of the dataset; ``--from parquet`` reads such a folder, or
Parquet files of the same columns written elsewhere (pandas ``to_parquet``, R ``arrow``).

Written with pyarrow (Parquet format 2.6, snappy), one column per dictionary variable the source
supplied, then its extra columns (string), in the dictionary's types: number ``double``,
integer ``int64``, yes/no ``bool``, date ``date32`` (days, no time of day), text and choices
``string``. Choices are plain strings, not dictionary (categorical) columns: pandas would read
a categorical column as ``Categorical`` and R as ``factor``, whose levels and comparisons
surprise an analyst; Parquet's dictionary *encoding* (pyarrow's default) already stores each
choice once, and the allowed choices are in the field metadata. Every field carries key-value
metadata (Parquet ``KeyValue``, Arrow field metadata): ``description``, ``unit`` (when the
dictionary has one), ``kind``, ``choices`` (a JSON list); the file carries ``ovaregen`` (JSON:
table, label, protocol, ovaregen version).

Reading: polars reads each file, its columns in their Parquet types, and
``formats.typed.read_tables`` turns them into the interchange text and validates them as
``ovaregen validate`` does, so a value of the wrong type (text in a number column, a number in
a date column) is a finding naming file, row, column and value. pandas' conventions are
undone: its index columns (``__index_level_N__``) are not data, NaN in a float column is a
missing value; a timestamp column counts as dates when every time of day is midnight, else it
is read as text (and refused where the dictionary wants a date).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import DatasetFile, Kind
from ovaregen.formats.clinic_records import ClinicRecords
from ovaregen.formats.folder import FileWriter, write_folder
from ovaregen.formats.tables import TABLE_LABELS, ovaregen_version, table_files
from ovaregen.formats.typed import TypedTable, read_tables, tables_of, variable_of
from ovaregen.io.dataset import Dataset, Finding, Severity
from ovaregen.io.reader import ValidationReport

if TYPE_CHECKING:  # pyarrow is imported when a file is written, not by every ovaregen command
    import pyarrow as pa  # type: ignore[import-untyped]

SUFFIX = ".parquet"


@cache
def arrow_types() -> dict[Kind, pa.DataType]:
    """The Arrow (Parquet logical) type of each kind of the dictionary; an extra column is
    string."""
    import pyarrow as pa  # noqa: PLC0415

    return {
        Kind.TEXT: pa.string(),
        Kind.CHOICE: pa.string(),
        Kind.INTEGER: pa.int64(),
        Kind.NUMBER: pa.float64(),
        Kind.BOOLEAN: pa.bool_(),
        Kind.DATE: pa.date32(),
    }


_PANDAS_INDEX = "__index_level_"


# --- writing ----------------------------------------------------------------------------------


def write_parquet(
    dataset: Dataset, protocol: Protocol, out: Path, records: ClinicRecords
) -> list[Path]:
    """Write ``<table>.parquet`` for each table of the dataset into the folder ``out``
    (module docstring)."""
    del records  # the audit trail and signatures have no place in a table (ODM holds them)
    writers: dict[str, FileWriter] = {
        f"{file.value}{SUFFIX}": _writer(arrow_table(file, frame, protocol))
        for file, frame in tables_of(dataset).items()
    }
    return write_folder(out, writers, provenance=dataset.provenance_json())


def _writer(table: pa.Table) -> FileWriter:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # noqa: PLC0415

    def write(path: Path) -> None:
        pq.write_table(table, path, compression="snappy")

    return write


def arrow_schema(file: DatasetFile, columns: list[str], protocol: Protocol) -> pa.Schema:
    """The Arrow schema a table is written with: types and metadata (module docstring)."""
    import pyarrow as pa  # noqa: PLC0415

    fields = []
    for name in columns:
        variable = variable_of(file, name)
        if variable is None:
            fields.append(pa.field(name, pa.string(), metadata={b"description": b"extra column"}))
            continue
        metadata = {
            b"description": variable.description.encode(),
            b"kind": variable.kind.value.encode(),
        }
        if variable.unit:
            metadata[b"unit"] = variable.unit.encode()
        if variable.choices:
            metadata[b"choices"] = json.dumps(list(variable.choices)).encode()
        fields.append(pa.field(name, arrow_types()[variable.kind], metadata=metadata))
    note = {
        "table": file.value,
        "label": TABLE_LABELS[file],
        "protocol": protocol.name,
        "ovaregen_version": ovaregen_version(),
    }
    return pa.schema(fields, metadata={b"ovaregen": json.dumps(note).encode()})


def arrow_table(file: DatasetFile, frame: pl.DataFrame, protocol: Protocol) -> pa.Table:
    """One table in the dictionary's Arrow types, with its metadata."""
    extras = [c for c in frame.columns if variable_of(file, c) is None]
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c in extras)
    schema = arrow_schema(file, frame.columns, protocol)
    return frame.to_arrow().cast(schema)


# --- reading ----------------------------------------------------------------------------------


def read_parquet(source: Path, protocol: Protocol, options: object) -> ValidationReport:
    """The report on the Parquet folder (or one file) at ``source`` (module docstring); never
    raises on bad content."""
    del options
    source = Path(source)
    findings: list[Finding] = []
    tables: dict[DatasetFile, TypedTable] = {}
    for file, path in table_files(source, SUFFIX, "Parquet", findings).items():
        frame = read_frame(path, findings)
        if frame is not None:
            tables[file] = TypedTable(path.name, frame)
    if any(f.severity is Severity.ERROR for f in findings):
        return read_tables(str(source), {}, findings, protocol)
    return read_tables(str(source), tables, findings, protocol)


def read_frame(path: Path, findings: list[Finding]) -> pl.DataFrame | None:
    """One Parquet file as a polars frame of its own types (pandas' conventions undone, module
    docstring); None, with a finding, for a file that is not Parquet or has a column that holds
    no single values (a list, a struct, bytes). Read by polars' own Parquet reader (pyarrow's
    ``read_table`` costs seconds to start, for the same columns)."""
    label = path.name
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        findings.append(Finding(Severity.ERROR, label, f"not read as Parquet: {message}"))
        return None
    frame = frame.select(c for c in frame.columns if not c.startswith(_PANDAS_INDEX))
    refused = False
    for name, dtype in frame.schema.items():
        if dtype.is_nested() or dtype in (pl.Binary, pl.Object):
            findings.append(
                Finding(
                    Severity.ERROR,
                    label,
                    f"a column of {dtype} is not read: each cell holds one value",
                    column=name,
                    value=str(dtype),
                    expected="string, double, int64, bool or date32",
                )
            )
            refused = True
    if refused:
        return None
    return frame.select(_undone(frame.get_column(c)) for c in frame.columns)


def _undone(series: pl.Series) -> pl.Series:
    """pandas' conventions undone (module docstring): NaN as missing, midnight timestamps as
    dates, other timestamps as ISO 8601 text."""
    dtype = series.dtype
    if dtype.is_float():
        return series.fill_nan(None)
    if isinstance(dtype, pl.Datetime):
        times = series.drop_nulls()
        if (times.dt.truncate("1d") == times).all():
            return series.dt.date()
        return series.dt.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return series.cast(pl.String)
    return series
