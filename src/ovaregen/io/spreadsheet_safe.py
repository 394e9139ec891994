"""Text cells a spreadsheet cannot run: the rule against CSV formula injection (OWASP, "CSV
Injection": https://owasp.org/www-community/attacks/CSV_Injection; CWE-1236).

A spreadsheet that opens a CSV file runs a cell beginning with ``=``, ``+``, ``-`` or ``@`` as
a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``), and also one whose tab or carriage
return it drops first. The rule, for every CSV ovaregen writes:

- a **text** cell beginning with ``=`` ``+`` ``-`` ``@``, a tab or a carriage return is written
  with one single quote ``'`` before it (``=1+1`` → ``'=1+1``); the spreadsheet then shows it as
  text. Numbers are not text: a number (``-2.5``, also a text cell that is exactly a plain
  decimal number such as ``-5`` or ``+1e3``) is written as it is and stays a number;
- so that the round trip stays exact, a text cell that already begins with quotes followed by
  one of those characters (``'=x``, ``''-y``) gets one quote more (``''=x``, ``'''-y``);
- reading, exactly one leading quote is removed from a cell of that shape (one or more quotes,
  then one of those characters) and from no other cell.

``unescaped_cell(escaped_cell(s)) == s`` for every string ``s``. A header name is a text cell
like any other. Workbooks need none of this: a cell there is typed (string or formula), and a
string never runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl

TRIGGERS = "=+-@\t\r"
"""The first characters a spreadsheet may read as the start of a formula."""
QUOTE = "'"
"""What is put before a text cell that would start a formula."""

_TRIGGER_CLASS = "[=+\\-@\\t\\r]"
_NEEDS_QUOTE = f"^('*{_TRIGGER_CLASS})"
"""Quotes (none or more) then a trigger: the cells that get one quote more."""
_QUOTED = f"^'('*{_TRIGGER_CLASS})"
"""One quote, quotes, then a trigger: the cells that lose one quote when read."""
_PLAIN_NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
"""A decimal number in ASCII digits: a spreadsheet reads it as a number, never a formula."""
_NEEDS_QUOTE_RE = re.compile(_NEEDS_QUOTE)
_QUOTED_RE = re.compile(_QUOTED)
_PLAIN_NUMBER_RE = re.compile(_PLAIN_NUMBER)


def escaped_cell(text: str) -> str:
    """``text`` as it is written to a CSV cell meant for spreadsheets (the module's rule)."""
    if _NEEDS_QUOTE_RE.match(text) and not _PLAIN_NUMBER_RE.fullmatch(text):
        return QUOTE + text
    return text


def unescaped_cell(text: str) -> str:
    """A CSV cell as read: one leading quote removed when quotes then a trigger begin it."""
    return text[1:] if _QUOTED_RE.match(text) else text


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)


def escaped_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` ready for ``write_csv``: text columns and every column name escaped; numbers,
    booleans and dates unchanged. Only the columns with a cell to escape are rewritten."""
    text = [name for name, dtype in frame.schema.items() if _is_text(dtype)]
    strings = frame.with_columns(pl.col(text).cast(pl.String))
    flagged = _columns_where(strings, text, pl.col(text).str.contains(_NEEDS_QUOTE))
    escaped = strings.with_columns(_escaped(pl.col(name)) for name in flagged)
    return escaped.rename({name: escaped_cell(name) for name in frame.columns})


def _escaped(text: pl.Expr) -> pl.Expr:
    return (
        pl.when(text.str.contains(_PLAIN_NUMBER))
        .then(text)
        .otherwise(text.str.replace(_NEEDS_QUOTE, "'${1}"))
    )


def unescaped_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells as read from CSV: one quote removed where the rule added one (String
    columns; others are left alone). Only columns with a cell beginning with a quote are
    rewritten, so that a file without any costs one quick scan."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    flagged = _columns_where(frame, text, pl.col(text).str.starts_with(QUOTE))
    return frame.with_columns(pl.col(name).str.replace(_QUOTED, "${1}") for name in flagged)


def _columns_where(frame: pl.DataFrame, names: list[str], test: pl.Expr) -> list[str]:
    """The columns among ``names`` where ``test`` holds for some cell."""
    if not names:
        return []
    found = frame.select(test.any()).row(0, named=True)
    return [name for name in names if found[name]]


def unescaped_header(names: Iterable[str]) -> list[str]:
    """Header names as read from CSV (:func:`unescaped_cell`)."""
    return [unescaped_cell(name) for name in names]
