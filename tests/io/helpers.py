"""Small builders for dataset folders and workbooks, and for looking at findings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl

from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.findings import render_finding
from ovaregen.io.reader import ValidationReport, validate_dataset


def csv_folder(
    folder: Path,
    participants: str | bytes | None,
    pregnancies: str | bytes | None = None,
) -> Path:
    """A dataset folder holding the given file contents (text is written as UTF-8)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in (("participants.csv", participants), ("pregnancies.csv", pregnancies)):
        if content is None:
            continue
        data = content.encode() if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return folder


def workbook(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    """An .xlsx file with one sheet per entry, rows from row 1."""
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def validate_csv(
    folder: Path, participants: str | bytes | None, pregnancies: str | bytes | None = None
) -> ValidationReport:
    return validate_dataset(csv_folder(folder, participants, pregnancies))


def errors(report: ValidationReport) -> list[Finding]:
    return [f for f in report.findings if f.severity is Severity.ERROR]


def warnings(report: ValidationReport) -> list[Finding]:
    return [f for f in report.findings if f.severity is Severity.WARNING]


def only_error(report: ValidationReport) -> Finding:
    """The single error of a report (fails the test when there is not exactly one)."""
    found = errors(report)
    assert len(found) == 1, [render_finding(f) for f in found]
    return found[0]


def only_warning(report: ValidationReport) -> Finding:
    found = warnings(report)
    assert len(found) == 1, [render_finding(f) for f in found]
    return found[0]


def assert_located(
    finding: Finding, file: str, line: int | None, column: str | None, *parts: str
) -> str:
    """The finding names file, line and column, and its rendering contains every part."""
    assert (finding.file, finding.line, finding.column) == (file, line, column)
    text = render_finding(finding)
    for part in parts:
        assert part in text, f"{part!r} not in {text!r}"
    return text
