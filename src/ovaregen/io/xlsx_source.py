"""Reading a dataset from an ``.xlsx`` workbook: one sheet per file name.

INTERCHANGE.md accepts "a .xlsx workbook with one sheet per file name": the sheet
``participants`` (or ``participants.csv``, any case) and optionally ``pregnancies``. The header
is the first non-empty row of a sheet; findings name the worksheet row. Cells are turned into
the text a CSV would carry (dates ISO, booleans ``true``/``false``, whole numbers without
``.0``) so that one parser serves both sources.

Cells the file cannot give a value for — formulas without a saved value, merged ranges — are
errors naming sheet and cell (``ovaregen.io.xlsx_cells``); a header row wider than the column
limit is an error and the sheet is not read further (``ovaregen.io.file_limits``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
from openpyxl.utils import get_column_letter

from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.file_limits import DEFAULT_LIMITS, ReadLimits, too_many_columns
from ovaregen.io.raw import RawTable, build_table
from ovaregen.io.xlsx_cells import sheet_cell_findings


def read_workbook(
    path: Path, limits: ReadLimits = DEFAULT_LIMITS
) -> tuple[dict[DatasetFile, RawTable], list[Finding]]:
    """The dataset files held by the sheets of the workbook at ``path``."""
    label = path.name
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types on a damaged file
        return {}, [
            Finding(
                Severity.ERROR,
                label,
                f"cannot be opened as an .xlsx workbook ({type(error).__name__}: {error}); "
                "save it again from the spreadsheet program as .xlsx",
            )
        ]
    findings: list[Finding] = []
    tables: dict[DatasetFile, RawTable] = {}
    try:
        sheets = _sheets_by_file(workbook.sheetnames, label, findings)
        for file, sheet in sheets.items():
            sheet_label = f"{label} [{sheet}]"
            try:
                worksheet = workbook[sheet]
                table, sheet_findings = _read_sheet(worksheet, file, sheet_label, limits)
                member = getattr(worksheet, "_worksheet_path", None)
                if table is not None and isinstance(member, str):
                    sheet_findings += sheet_cell_findings(path, member, sheet_label)
            except Exception as error:  # a damaged sheet part
                table, sheet_findings = (
                    None,
                    [Finding(Severity.ERROR, sheet_label, f"the sheet cannot be read ({error})")],
                )
            findings += sheet_findings
            if table is not None:
                tables[file] = table
    finally:
        workbook.close()
    return tables, findings


def _sheets_by_file(
    names: list[str], label: str, findings: list[Finding]
) -> dict[DatasetFile, str]:
    sheets: dict[DatasetFile, str] = {}
    for name in names:
        key = name.strip().lower().removesuffix(".csv")
        file = next((f for f in DatasetFile if f.value == key), None)
        if file is None:
            findings.append(
                Finding(
                    Severity.WARNING,
                    label,
                    f'sheet "{name}" is not a file of the dataset; ignored',
                    expected="sheets " + ", ".join(f.value for f in DatasetFile),
                )
            )
        elif file in sheets:
            findings.append(
                Finding(
                    Severity.ERROR,
                    label,
                    f'sheets "{sheets[file]}" and "{name}" both hold {file.value}; keep one',
                )
            )
        else:
            sheets[file] = name
    if DatasetFile.PARTICIPANTS not in sheets:
        findings.append(
            Finding(
                Severity.ERROR,
                label,
                f'no sheet "participants" (sheets: {", ".join(names) or "none"})',
                expected='a sheet named "participants"',
            )
        )
    return sheets


def _read_sheet(
    sheet: Any, file: DatasetFile, label: str, limits: ReadLimits
) -> tuple[RawTable | None, list[Finding]]:
    header: list[str | None] | None = None
    header_row = 0
    columns: list[list[str | None]] = []
    lines: list[int] = []
    findings: list[Finding] = []
    sheet.reset_dimensions()  # the stored dimensions may be wrong; read every row there is
    for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [cell_text(value) for value in values]
        if header is None:
            if any(cells):
                width = max(i for i, cell in enumerate(cells) if cell) + 1
                if width > limits.max_columns:
                    return None, [too_many_columns(label, width, limits, row_number)]
                header, header_row = cells[:width], row_number
                columns = [[] for _ in header]
            continue
        if not any(cells):
            continue
        beyond = [i for i, cell in enumerate(cells) if cell and i >= len(header)]
        if beyond:
            findings.append(_beyond_header(label, row_number, beyond[0], cells[beyond[0]]))
            continue
        for column, cell in zip(columns, cells, strict=False):
            column.append(cell)
        for column in columns[len(cells) :]:
            column.append(None)
        lines.append(row_number)
    if header is None:
        return None, [Finding(Severity.ERROR, label, "the sheet is empty; it needs a header row")]
    cells_frame = pl.DataFrame(
        {f"c{i}": pl.Series(values, dtype=pl.String) for i, values in enumerate(columns)}
    )
    table, header_findings = build_table(
        file,
        label,
        header,
        cells_frame,
        pl.Series(lines, dtype=pl.Int64),
        header_line=header_row,
        position_name=lambda position: f"column {get_column_letter(position + 1)}",
    )
    return table, header_findings + findings


def _beyond_header(label: str, row: int, position: int, value: str | None) -> Finding:
    letter = get_column_letter(position + 1)
    return Finding(
        Severity.ERROR,
        label,
        f'a value in column {letter} ("{value}"), which has no header; '
        "name the column or delete the value",
        line=row,
        value=value,
        expected="values only under named columns",
    )


def cell_text(value: object) -> str | None:
    """A worksheet cell as the text a CSV file would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
