"""Looking at a CSV file as a spreadsheet would: the cells that would start a formula.

Independent of ``ovaregen.io.spreadsheet_safe`` on purpose: the file is opened with Python's
``csv`` module and with pandas' ``read_csv``, and a cell counts as live when its first
character is ``=``, ``+``, ``-``, ``@``, tab or carriage return (OWASP, "CSV Injection"),
unless the whole cell is a plain decimal number (which a spreadsheet reads as a number)."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd  # type: ignore[import-untyped]

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def live(cell: str) -> bool:
    """Whether a spreadsheet would read ``cell`` as the start of a formula."""
    return cell.startswith(TRIGGERS) and NUMBER.fullmatch(cell) is None


def csv_cells(text: str) -> list[list[str]]:
    """Every row (header first) as Python's ``csv`` module reads it."""
    return list(csv.reader(io.StringIO(text, newline="")))


def live_cells(text: str) -> list[str]:
    """Every live cell of a CSV text, header included, by the ``csv`` module and by pandas."""
    found = [cell for row in csv_cells(text) for cell in row if live(cell)]
    if text.strip():
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        found += [str(name) for name in frame.columns if live(str(name))]
        found += [cell for column in frame.columns for cell in frame[column] if live(cell)]
    return found
