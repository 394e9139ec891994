"""Finding the files of a dataset: a folder of CSVs, a workbook, or a folder with one workbook.

INTERCHANGE.md: "A study dataset is a folder of CSV files [...]; a .xlsx workbook with one sheet
per file name is accepted too." ``participants.csv`` is required; ``pregnancies.csv``,
``visits.csv``, ``adverse_events.csv`` and ``mobilisation.csv`` are optional.
A folder without CSVs but with exactly one workbook is read as that workbook. File names are
matched case-insensitively; Excel's lock files (``~$name.xlsx``) are not workbooks.
"""

from __future__ import annotations

from pathlib import Path

from ovaregen.domain.variables import DatasetFile
from ovaregen.io.csv_source import read_csv_table
from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.raw import RawTable
from ovaregen.io.xlsx_source import read_workbook

Tables = dict[DatasetFile, RawTable]


def load_tables(path: Path) -> tuple[Tables, list[Finding]]:
    """Read every dataset file at ``path`` as text, with the findings about the files."""
    if not path.exists():
        return {}, [_error(str(path), "the dataset does not exist (no such folder or file)")]
    if path.is_file():
        if path.suffix.lower() == ".xlsx":
            return read_workbook(path)
        return {}, [
            _error(
                path.name,
                "not a dataset: give a folder of CSV files (participants.csv, "
                "pregnancies.csv) or an .xlsx workbook",
            )
        ]
    return _load_folder(path)


def _load_folder(folder: Path) -> tuple[Tables, list[Finding]]:
    try:
        entries = sorted(p for p in folder.iterdir() if p.is_file())
    except OSError as error:
        return {}, [_error(str(folder), f"the folder cannot be read: {error.strerror}")]
    csvs = {p.name.lower(): p for p in entries if p.suffix.lower() == ".csv"}
    workbooks = [p for p in entries if p.suffix.lower() == ".xlsx" and not p.name.startswith("~$")]
    if not csvs and len(workbooks) == 1:
        return read_workbook(workbooks[0])
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
            table, file_findings = read_csv_table(csvs[name], file)
            findings += file_findings
            if table is not None:
                tables[file] = table
    return tables, findings


def _error(file: str, message: str) -> Finding:
    return Finding(Severity.ERROR, file, message)
