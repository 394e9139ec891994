"""``--to spss`` / ``--from spss``: a folder with one SPSS ``.sav`` file per table
(``participants.sav``, …), written and read with pyreadstat (ReadStat), UTF-8.

Per column (shared encoding: ``formats.statistics_packages``): the label is the dictionary's
description with its unit (``typed.label_of``, at most 256 characters, the longest variable
label SPSS shows); choices and booleans carry value labels; the measure level is ``nominal``
for a choice, a boolean and text, ``scale`` for numbers, counts and dates (the dictionary does
not say which choice lists are ordered, so none is written ``ordinal``); dates are SPSS dates
(seconds since 1582-10-14, format ``DATE11``), counts ``F11.0``. Names: at most 64 bytes
('Variable names' in the SPSS Statistics command syntax reference), the rule of
``statistics_packages.stored_names``, which also keeps SPSS's reserved words and its
case-blind names apart; a changed name is the column's label and read back from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl
import pyreadstat

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import DatasetFile, Kind
from ovaregen.formats.clinic_records import ClinicRecords
from ovaregen.formats.folder import FileWriter
from ovaregen.formats.statistics_packages import (
    SPSS_EPOCH,
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

EXTENSION = "sav"
NAME_LIMIT = 64
LABEL_LIMIT = 256
FORMATS = {Kind.DATE: "DATE11", Kind.INTEGER: "F11.0"}
MEASURES = {Kind.NUMBER: "scale", Kind.INTEGER: "scale", Kind.DATE: "scale"}
"""Every other kind (choice, boolean, text) is ``nominal``."""


def write_spss(
    dataset: Dataset, protocol: Protocol, out: Path, records: ClinicRecords
) -> list[Path]:
    """Write the ``.sav`` folder at ``out`` (module docstring); the files written."""
    del protocol, records  # a .sav file holds the data and its labels only
    return write_tables(dataset, Path(out), EXTENSION, _table)


def _table(label: str, file: DatasetFile, frame: pl.DataFrame) -> FileWriter:
    """Check and encode one table (``FormatError`` before anything is written)."""
    refuse_unmapped_choices(label, file, frame)
    names = stored_names(file, list(frame.columns), NAME_LIMIT)
    labels = column_labels(label, file, names, "SPSS", (NAME_LIMIT, LABEL_LIMIT))
    formats: dict[str, str] = {}
    measures: dict[str, str] = {}
    value_labels: dict[str, dict[int | float, str]] = {}
    for column, name in names.items():
        v = variable_of(file, column)
        kind = None if v is None else v.kind
        measures[name] = MEASURES.get(kind, "nominal") if kind else "nominal"
        if kind in FORMATS:
            formats[name] = FORMATS[kind]
        if found := value_labels_of(v):
            value_labels[name] = dict(found)
    table = encoded(file, frame, SPSS_EPOCH, seconds=True, counts=pl.Float64()).rename(names)
    table = blank_unknown_text(table)

    def write(path: Path) -> None:
        pyreadstat.write_sav(
            table,
            path,
            column_labels=labels,
            variable_value_labels=value_labels,
            variable_measure=measures,
            variable_format=formats,
        )

    return write


def read_spss(source: Path, protocol: Protocol) -> ValidationReport:
    """Read and validate a folder of ``.sav`` files (module docstring)."""
    return read_folder(Path(source), protocol, EXTENSION, _read_file, _names)


def _read_file(path: Path) -> Decoded:
    frame, meta = pyreadstat.read_sav(path, output_format="polars")
    return Decoded(frame, meta.column_names_to_labels, meta.variable_value_labels)


def _names(
    file: DatasetFile, found: Decoded, label: str, findings: list[Finding]
) -> Mapping[str, str] | None:
    return names_back(file, found, label, findings, NAME_LIMIT)
