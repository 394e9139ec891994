"""Finding the files of a dataset: a folder of CSVs, a workbook, or a folder with one workbook.

INTERCHANGE.md: "A study dataset is a folder of CSV files [...]; a .xlsx workbook with one sheet
per file name is accepted too." ``participants.csv`` is required; ``pregnancies.csv``,
``visits.csv``, ``adverse_events.csv`` and ``mobilisation.csv`` are optional.
A folder without CSVs but with exactly one workbook is read as that workbook. File names are
matched case-insensitively; Excel's lock files (``~$name.xlsx``) are not workbooks.

Every file is first checked against the size and column limits of ``ovaregen.io.file_limits``
(a file over a limit is not read at all), and whatever a reader raises — a Polars error, a
Polars panic, memory running out — becomes an error naming the file, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ovaregen.domain.variables import DatasetFile
from ovaregen.io.csv_source import read_csv_table
from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.file_limits import (
    DEFAULT_LIMITS,
    ReadLimits,
    csv_limit_findings,
    workbook_limit_findings,
)
from ovaregen.io.raw import RawTable
from ovaregen.io.xlsx_source import read_workbook

Tables = dict[DatasetFile, RawTable]

READ_FAILURES = (pl.exceptions.PolarsError, pl.exceptions.PanicException, MemoryError)
"""What reading a file can raise besides the findings the readers return."""


def load_tables(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> tuple[Tables, list[Finding]]:
    """Read every dataset file at ``path`` as text, with the findings about the files."""
    if not path.exists():
        return {}, [_error(str(path), "the dataset does not exist (no such folder or file)")]
    if path.is_file():
        if path.suffix.lower() == ".xlsx":
            return _workbook(path, limits)
        return {}, [
            _error(
                path.name,
                "not a dataset: give a folder of CSV files (participants.csv, "
                "pregnancies.csv) or an .xlsx workbook",
            )
        ]
    return _load_folder(path, limits)


def read_failure(label: str, error: BaseException) -> Finding:
    """The error for a file whose reading failed with ``error`` (its first line only)."""
    if isinstance(error, MemoryError):
        problem = "memory ran out"
    else:
        text = str(error).strip().splitlines()
        problem = f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__
    return _error(
        label,
        f"the file could not be read ({problem}); nothing of the dataset was stored: check "
        "that it is a dataset file saved as UTF-8 CSV or .xlsx",
    )


def _workbook(path: Path, limits: ReadLimits) -> tuple[Tables, list[Finding]]:
    over = workbook_limit_findings(path, limits)
    if over:
        return {}, over
    try:
        return read_workbook(path, limits)
    except READ_FAILURES as error:
        return {}, [read_failure(path.name, error)]


def _csv(
    path: Path, file: DatasetFile, limits: ReadLimits
) -> tuple[RawTable | None, list[Finding]]:
    over = csv_limit_findings(path, limits)
    if over:
        return None, over
    try:
        return read_csv_table(path, file)
    except READ_FAILURES as error:
        return None, [read_failure(path.name, error)]


def _load_folder(folder: Path, limits: ReadLimits) -> tuple[Tables, list[Finding]]:
    try:
        entries = sorted(p for p in folder.iterdir() if p.is_file())
    except OSError as error:
        return {}, [_error(str(folder), f"the folder cannot be read: {error.strerror}")]
    csvs = {p.name.lower(): p for p in entries if p.suffix.lower() == ".csv"}
    workbooks = [p for p in entries if p.suffix.lower() == ".xlsx" and not p.name.startswith("~$")]
    if not csvs and len(workbooks) == 1:
        return _workbook(workbooks[0], limits)
    findings: list[Finding] = []
    if not csvs and len(workbooks) > 1:
        names = ", ".join(p.name for p in workbooks)
        return {}, [
            _error(
                str(folder),
                f"the folder holds several workbooks and no CSV ({names}); keep only one",
            )
        ]
    expected = {file.file_name: file for file in DatasetFile}
    for name, path in csvs.items():
        if name not in expected:
            findings.append(
                Finding(
                    Severity.WARNING,
                    path.name,
                    "not a file of the dataset; ignored",
                    expected=", ".join(f.file_name for f in DatasetFile),
                )
            )
    for workbook in workbooks:
        findings.append(
            Finding(
                Severity.WARNING,
                workbook.name,
                "ignored: the folder holds CSV files, which are read instead",
            )
        )
    if "participants.csv" not in csvs:
        findings.append(
            _error("participants.csv", f"missing from the folder {folder}; it is required")
        )
    tables: Tables = {}
    for name, file in expected.items():
        if name in csvs:
            table, file_findings = _csv(csvs[name], file, limits)
            findings += file_findings
            if table is not None:
                tables[file] = table
    return tables, findings


def _error(file: str, message: str) -> Finding:
    return Finding(Severity.ERROR, file, message)
