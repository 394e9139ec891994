"""What the report prints, before it is printed: cells, tables and their footnotes.

Format-neutral view models shared by the HTML document, the CSV and the Word files: a
:class:`Cell` holds the exact text a reader copies (a number stays a number: footnote marks
are never part of it), a :class:`TableView` a titled table, :class:`Footnotes` the methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ovaregen.report.figure_data import number

# --- footnotes --------------------------------------------------------------------------------


class Footnotes:
    """Numbered footnotes, one per distinct method and options, numbered in order of use."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self.items: list[tuple[int, str]] = []

    def cite(self, method: str | None, options: Mapping[str, Any] | None = None) -> int | None:
        """The number of the footnote of this method and options (made on first use)."""
        if not method:
            return None
        text = method
        if options:
            text += ". Options: " + "; ".join(
                f"{key.replace('_', ' ')}: {_option(value)}" for key, value in options.items()
            )
        if text not in self._numbers:
            self._numbers[text] = len(self.items) + 1
            self.items.append((self._numbers[text], text))
        return self._numbers[text]


def _option(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return number(value)
    return str(value)


# --- view models ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A table cell: text, an optional footnote number, a CSS class (``num`` for numbers)."""

    text: str
    note: int | None = None
    css: str = ""


@dataclass(frozen=True)
class TableView:
    """A table ready to print."""

    id: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    notes: tuple[str, ...] = ()
    long: bool = False
