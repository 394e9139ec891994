"""Cells holding a control character (NUL and the other C0 controls but tab, CR and LF).

No one types a NUL on purpose: it is left by a broken export or a binary file saved as CSV.
Text with a NUL cannot be stored (PostgreSQL refuses it), so it is an error in the file, at its
line and column, before anything reaches the database (INTERCHANGE.md: a value that cannot be
read is an error naming file, row, column and value).
"""

from __future__ import annotations

import polars as pl

from ovaregen.io.checks import Check, Problem, Row, run_checks
from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.invisible import CONTROL_PATTERN, invisible_characters, visible
from ovaregen.io.raw import RawTable


def control_findings(table: RawTable) -> list[Finding]:
    """An error for every cell of ``table`` holding a control character."""
    columns = table.columns
    if not columns:
        return []
    hit = table.frame.select(pl.col(columns).str.contains(CONTROL_PATTERN).any()).row(0)
    checks = [_check(name) for name, found in zip(columns, hit, strict=True) if found]
    return run_checks(table.frame, checks, table.label) if checks else []


def _check(column: str) -> Check:
    def describe(row: Row) -> Problem:
        text = str(row[column])
        first = invisible_characters(text)[0]
        return Problem(
            f'the value "{visible(text)}" holds the control character {first.code} '
            f"({_name(first.character)}), which no one can see or type: delete it (it is often "
            "left by a broken export)",
            visible(text),
            "text without control characters",
        )

    return Check(
        Severity.ERROR,
        column,
        pl.col(column).str.contains(CONTROL_PATTERN),
        describe,
    )


def _name(character: str) -> str:
    return "NUL" if character == "\x00" else f"control character {ord(character)}"
