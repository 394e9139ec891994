"""``--to xpt`` / ``--from xpt``: a folder with one SAS transport file, version 5, per table
(``participants.xpt``, …) and ``aliases.csv``, written and read with pyreadstat (ReadStat).

Version 5 (SAS technical note TS-140) holds names of at most 8 characters, labels of at most
40 and character values of at most 200 bytes, and numbers as IBM floating point. So:
- each column is written under its alias (``formats.xpt_aliases``); ``aliases.csv`` (table,
  name, alias, label: the full label) beside the files says which, and the reader takes the
  names back from it, refusing a file with a column it does not list;
- the label is the dictionary's description with its unit (``typed.label_of``) cut to 40
  bytes (UTF-8) (``statistics_packages.shortened``), in full in ``aliases.csv``;
- a text over 200 bytes (UTF-8) is refused (``FormatError`` naming file, column, row, value),
  and so is a number IBM floating point cannot hold (non-zero and under 16⁻⁶⁵, or over
  16⁶³); every other double is held exactly (56 fraction bits against IEEE's 53);
- a choice is its dictionary word (a transport file carries no value labels: SAS keeps them
  in a format catalog, another file), a boolean 0/1, a date a SAS day number (days since
  1960-01-01) with the ``DATE9.`` format, a count or number a double; an unknown text is
  blank, read back as unknown.
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
from ovaregen.formats.folder import FileWriter, write_folder
from ovaregen.formats.statistics_packages import (
    SAS_EPOCH,
    Decoded,
    NamesOf,
    blank_unknown_text,
    encoded,
    read_folder,
    refuse_long_text,
    refuse_unmapped_choices,
    shortened,
)
from ovaregen.formats.typed import label_of, read_tables, tables_of, variable_of
from ovaregen.formats.xpt_aliases import aliases_of, member_name
from ovaregen.io.dataset import Dataset, Finding, Severity
from ovaregen.io.reader import ValidationReport

EXTENSION = "xpt"
ALIASES = "aliases.csv"
ALIAS_COLUMNS = ("table", "name", "alias", "label")
LABEL_LIMIT = 40
TEXT_LIMIT = 200
IBM_SMALLEST = 16.0**-65
IBM_LARGEST = 16.0**63
DATE_FORMAT = "DATE9"


def write_xpt(
    dataset: Dataset, protocol: Protocol, out: Path, records: ClinicRecords
) -> list[Path]:
    """Write the transport folder at ``out`` (module docstring); the files written."""
    del protocol, records  # a transport file holds the data and its labels only
    files: dict[str, FileWriter] = {}
    rows: list[dict[str, str]] = []
    for file, frame in tables_of(dataset).items():
        label = f"{file.value}.{EXTENSION}"
        files[label], aliases = _table(label, file, frame)
        rows += [
            {"table": file.value, "name": c, "alias": aliases[c], "label": label_of(file, c)}
            for c in frame.columns
        ]
    table = pl.DataFrame(rows, schema=dict.fromkeys(ALIAS_COLUMNS, pl.String))
    files[ALIASES] = lambda path: table.write_csv(path, line_terminator="\n")
    return write_folder(Path(out), files, provenance=dataset.provenance_json())


def _table(label: str, file: DatasetFile, frame: pl.DataFrame) -> tuple[FileWriter, dict[str, str]]:
    """Check and encode one table (``FormatError`` before anything is written)."""
    refuse_unmapped_choices(label, file, frame)
    canonical = {v for v in frame.columns if variable_of(file, v) is not None}
    aliases = aliases_of(file, [c for c in frame.columns if c not in canonical])
    values = encoded(file, frame, SAS_EPOCH, seconds=False, counts=pl.Float64(), choice_codes=False)
    refuse_long_text(label, values, TEXT_LIMIT, "SAS transport version 5")
    _refuse_outside_ibm(label, values)
    stored = blank_unknown_text(values.rename({c: aliases[c] for c in frame.columns}))
    labels: dict[str, str | None] = {
        aliases[c]: shortened(label_of(file, c), LABEL_LIMIT, in_bytes=True) for c in frame.columns
    }
    formats = {
        aliases[c]: DATE_FORMAT
        for c in frame.columns
        if (v := variable_of(file, c)) is not None and v.kind is Kind.DATE
    }

    def write(path: Path) -> None:
        pyreadstat.write_xport(
            stored,
            path,
            column_labels=labels,
            table_name=member_name(file),
            file_format_version=5,
            variable_format=formats,
        )

    return write, aliases


def _refuse_outside_ibm(label: str, frame: pl.DataFrame) -> None:
    for name in frame.columns:
        series = frame.get_column(name)
        if not series.dtype.is_float():
            continue
        size = series.abs()
        outside = ((size > 0) & (size < IBM_SMALLEST)) | (size >= IBM_LARGEST)
        if outside.any():
            row = int(outside.arg_true()[0])
            raise FormatError(
                f"{label}: column {name!r}, row {row + 1}: {series[row]!r} cannot be held by "
                f"SAS transport's IBM floating point (0, or between 16^-65 and 16^63 in size)"
            )


def read_xpt(source: Path, protocol: Protocol) -> ValidationReport:
    """Read and validate a transport folder (module docstring): ``aliases.csv`` gives each
    file's names back."""
    source = Path(source)
    findings: list[Finding] = []
    aliases = _alias_table(source / ALIASES, findings)
    if aliases is None:
        return read_tables(str(source), {}, findings, protocol)
    return read_folder(source, protocol, EXTENSION, _read_file, _names(aliases))


def _alias_table(path: Path, findings: list[Finding]) -> dict[tuple[str, str], str] | None:
    """(table, alias) → name from ``aliases.csv``; None, with a finding, when it cannot be."""
    if not path.is_file():
        findings.append(
            Finding(Severity.ERROR, ALIASES, "the alias table is missing (written with the files)")
        )
        return None
    try:
        table = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as error:
        findings.append(
            Finding(Severity.ERROR, ALIASES, f"the alias table cannot be read: {error}")
        )
        return None
    missing = [c for c in ALIAS_COLUMNS[:3] if c not in table.columns]
    if missing:
        findings.append(
            Finding(Severity.ERROR, ALIASES, f"the alias table has no column {missing[0]!r}")
        )
        return None
    rows = table.select("table", "alias", "name").iter_rows()
    return {(t.strip(), a.strip().upper()): n for t, a, n in rows if t and a and n}


def _names(aliases: Mapping[tuple[str, str], str]) -> NamesOf:
    def names(
        file: DatasetFile, found: Decoded, label: str, findings: list[Finding]
    ) -> Mapping[str, str] | None:
        unknown = [c for c in found.frame.columns if (file.value, c.upper()) not in aliases]
        if unknown:
            findings.append(
                Finding(
                    Severity.ERROR,
                    label,
                    f"the column {unknown[0]!r} is not in {ALIASES} for table {file.value!r}",
                    column=unknown[0],
                    expected=f"an alias listed in {ALIASES}",
                )
            )
            return None
        return {c: aliases[(file.value, c.upper())] for c in found.frame.columns}

    return names


def _read_file(path: Path) -> Decoded:
    frame, meta = pyreadstat.read_xport(path, output_format="polars")
    return Decoded(frame, meta.column_names_to_labels, {})
