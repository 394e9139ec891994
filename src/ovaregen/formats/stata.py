"""``--to stata`` / ``--from stata``: a folder with one Stata ``.dta`` file per table
(``participants.dta``, ``visits.dta``, …), written and read with pyreadstat (ReadStat), in
the format of Stata 14 and later (dta 118: UTF-8 text, long strings as ``strL``).

pyreadstat rather than pandas' ``to_stata``: one call writes variable labels, value labels
and display formats, and the same library writes SPSS and SAS transport, so the three formats
share one encoding (``formats.statistics_packages``). pandas' own ``read_stata`` is the
independent check (tests/formats/statistics_packages).

Per column: the label is the dictionary's description with its unit (``typed.label_of``), cut
to Stata's 80 characters ([U] 12.6.2) by ``statistics_packages.shortened``; choices and
booleans carry value labels; dates are ``%td`` (days since 1960-01-01); numbers ``double``;
counts ``long`` (so a count outside −2,147,483,647..2,147,483,620, Stata's ``long`` range
([D] data types), is refused). Names: at most 32 characters ([U] 11.3), the rule of
``statistics_packages.stored_names``; a name changed by it is written as the column's label
and read back from there, so a renamed column over 80 characters is refused (``FormatError``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl
import pyreadstat

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import DatasetFile, Kind
from ovaregen.formats.clinic_records import ClinicRecords
from ovaregen.formats.errors import FormatError
from ovaregen.formats.folder import FileWriter
from ovaregen.formats.statistics_packages import (
    SAS_EPOCH,
    Decoded,
    blank_unknown_text,
    column_labels,
    encoded,
    names_back,
    read_folder,
    refuse_unmapped_choices,
    stored_names,
    value_labels_of,
    write_tables,
)
from ovaregen.formats.typed import variable_of
from ovaregen.io.dataset import Dataset, Finding
from ovaregen.io.reader import ValidationReport

EXTENSION = "dta"
NAME_LIMIT = 32
LABEL_LIMIT = 80
LONG_RANGE = (-2_147_483_647, 2_147_483_620)
"""Stata's ``long``: larger values are its missing-value codes ([D] data types)."""
DATE_FORMAT = "%td"


def write_stata(
    dataset: Dataset, protocol: Protocol, out: Path, records: ClinicRecords
) -> list[Path]:
    """Write the ``.dta`` folder at ``out`` (module docstring); the files written."""
    del protocol, records  # a .dta file holds the data and its labels only
    return write_tables(dataset, Path(out), EXTENSION, _table)


def _table(label: str, file: DatasetFile, frame: pl.DataFrame) -> FileWriter:
    """Check and encode one table (``FormatError`` before anything is written)."""
    refuse_unmapped_choices(label, file, frame)
    _refuse_outside_long(label, file, frame)
    names = stored_names(file, list(frame.columns), NAME_LIMIT)
    labels = column_labels(label, file, names, "Stata", (NAME_LIMIT, LABEL_LIMIT))
    value_labels = {
        names[c]: found for c in frame.columns if (found := value_labels_of(variable_of(file, c)))
    }
    formats = {names[c]: DATE_FORMAT for c in frame.columns if _kind(file, c) is Kind.DATE}
    table = encoded(file, frame, SAS_EPOCH, seconds=False, counts=pl.Int32()).rename(names)
    table = blank_unknown_text(table)

    def write(path: Path) -> None:
        pyreadstat.write_dta(
            table,
            path,
            column_labels=labels,
            variable_value_labels=value_labels,
            variable_format=formats,
        )

    return write


def _kind(file: DatasetFile, column: str) -> Kind | None:
    v = variable_of(file, column)
    return None if v is None else v.kind


def _refuse_outside_long(label: str, file: DatasetFile, frame: pl.DataFrame) -> None:
    low, high = LONG_RANGE
    for column in frame.columns:
        if _kind(file, column) is not Kind.INTEGER:
            continue
        series = frame.get_column(column)
        outside = (series < low) | (series > high)
        if outside.any():
            row = int(outside.arg_true()[0])
            raise FormatError(
                f"{label}: column {column!r}, row {row + 1}: {series[row]} is outside Stata's "
                f"long ({low:,}..{high:,})"
            )


def read_stata(source: Path, protocol: Protocol) -> ValidationReport:
    """Read and validate a folder of ``.dta`` files (module docstring)."""
    return read_folder(Path(source), protocol, EXTENSION, _read_file, _names)


def _read_file(path: Path) -> Decoded:
    frame, meta = pyreadstat.read_dta(path, output_format="polars")
    return Decoded(frame, meta.column_names_to_labels, meta.variable_value_labels)


def _names(
    file: DatasetFile, found: Decoded, label: str, findings: list[Finding]
) -> Mapping[str, str] | None:
    return names_back(file, found, label, findings, NAME_LIMIT)
