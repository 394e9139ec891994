"""What the report prints, before it is printed: cells, tables and their footnotes.

Format-neutral view models shared by the HTML document, the CSV and the Word files: a
:class:`Cell` holds the exact text a reader copies, a :class:`TableView` a titled table,
:class:`Footnotes` the methods (one lettered footnote per method and option set).

The text of a cell is exactly what it says; a footnote letter is never part of it (a ``note``
is allowed on label cells only, never on a ``num`` or ``stat`` cell). A cell of css ``num``
holds one plain number (or ``—``, or a p-value's ``< 0.001`` / ``> 0.999``, or a percentage);
a cell of css ``stat`` a compound figure in one of the forms below. The forms, which a
reader's (or a test's) parser can rely on:

- count or plain number (css ``num``): ASCII digits, an optional leading ``-`` (ASCII
  hyphen-minus), an optional ``.`` and decimals, no thousands separator; ``float(text)``
  reads it: ``145``, ``-0.31``, ``0.000012`` (never an exponent: small values keep their
  significant digits as decimals);
- percentage: a number then ``%``: ``68.28%``;
- a rate: ``68.28% (99/145)`` — percentage, then numerator/denominator in parentheses;
- a number with its unit: number, one space, unit (``39.1 years``, ``-0.31 ng/mL``, ``33340
  /mm³``), except ``%`` which follows the number directly; a labelled estimate: label, one
  space, number (``AUC 0.487``, ``OR 1.02``, ``RR 3.2``, ``HR 0.8``), a correlation ``r =
  0.465``;
- an interval: ``low to high`` (``61.2 to 74.9``; for a percentage ``60.31% to 75.30%``);
- a Table 1 summary (css ``stat``): ``39.2 ± 3.75`` (mean ± SD), ``40.0 (38.0 to 41.0)``
  (median (IQR) and mean (range)), ``46 (31.7%)`` (count (percentage of the known values));
- a p-value: ``0.047`` (three decimals), ``< 0.001`` or ``> 0.999``;
- not applicable or undefined: ``—`` (em dash).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DASH = "—"
DATA_OPTIONS = frozenset(
    {
        "count",
        "n_dropped",
        "adjusted_for",
        "comparison",
        "reference",
        "correction_applied",
        "term",
        "estimate",
    }
)
"""Options that describe the data a method met or the figure it reports, not the method: they
do not split footnotes (the count of a rate, the covariate of an ANCOVA, the arms compared,
whether Yates applied, a model's term, which estimate of the fit is printed)."""


# --- numbers ----------------------------------------------------------------------------------


def plain(value: float | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits, plain digits only (module docstring).

    Integers print whole; a value of ``digits`` or more integer digits is rounded to a whole
    number; no thousands separator, no exponent.
    """
    if value is None or isinstance(value, bool) or not math.isfinite(value):
        return DASH
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= digits - 1:
        return str(round(value))
    text = f"{value:.{digits - 1 - magnitude}f}"
    return "0" if float(text) == 0 else text


def shortest(value: float | None) -> str:
    """A measured value as recorded (up to 6 significant digits, no trailing zeros): ``32.5``."""
    if value is None or not math.isfinite(value):
        return DASH
    text = plain(value, 6)
    return text.rstrip("0").rstrip(".") if "." in text else text


def fixed(value: float | None, decimals: int) -> str:
    """A number with exactly ``decimals`` decimals (as a paper prints it); ``-0`` is ``0``."""
    if value is None or not math.isfinite(value):
        return DASH
    text = f"{value:.{max(decimals, 0)}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def percent_text(value: float | None, decimals: int = 2) -> str:
    """A percentage (``value`` already in percent): ``68.28%``."""
    return DASH if value is None or not math.isfinite(value) else fixed(value, decimals) + "%"


SINGULAR = {"women": "woman", "pregnancies": "pregnancy", "infants": "infant", "years": "year"}
"""Count units in the singular, for a count of one ("1 woman")."""


def with_unit(text: str, unit: str) -> str:
    """A number's text with its unit: ``%`` joined, any other unit after one space."""
    if not unit or text == DASH:
        return text
    if text == "1":
        unit = SINGULAR.get(unit, unit)
    return text + unit if unit == "%" else f"{text} {unit}"


def interval_text(low: float | None, high: float | None, scale: float = 1.0, unit: str = "") -> str:
    """A confidence interval ``low to high`` (scaled, e.g. ×100, and ``%`` on each bound)."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return DASH
    if unit == "%":
        return f"{percent_text(low * scale)} to {percent_text(high * scale)}"
    return f"{plain(low * scale)} to {plain(high * scale)}"


def p_text(value: float | None) -> str:
    """A p-value: ``< 0.001`` below a thousandth, ``> 0.999`` near 1, else three decimals."""
    if value is None or not math.isfinite(value):
        return DASH
    if value < 0.001:
        return "< 0.001"
    if value > 0.999:
        return "> 0.999"
    return f"{value:.3f}"


# --- footnotes --------------------------------------------------------------------------------


def letters(index: int) -> str:
    """The footnote mark of the ``index``-th footnote (0-based): a … z, aa, ab, …"""
    mark = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        mark = chr(ord("a") + rest) + mark
    return mark


def _option(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return plain(value)
    return str(value)


class Footnotes:
    """Lettered footnotes, in order of first use: one per method and set of defining options.

    ``cite`` without options joins the method's footnote when there is one (a table that
    names only the method); options that describe the data (:data:`DATA_OPTIONS`) are left
    out, so that thirteen rates with different counts share one footnote. ``note`` adds a
    footnote that is not a method (a warning on a row), one per distinct text. ``items`` are
    ``(mark, text)`` pairs in order.
    """

    def __init__(self) -> None:
        self._marks: dict[str, str] = {}
        self._by_method: dict[str, list[str]] = {}
        self._bare: dict[str, str] = {}
        self.items: list[tuple[str, str]] = []

    def _add(self, text: str) -> str:
        mark = letters(len(self.items))
        self._marks[text] = mark
        self.items.append((mark, text))
        return mark

    def cite(self, method: str | None, options: Mapping[str, Any] | None = None) -> str | None:
        """The mark of the footnote of this method and options (made on first use)."""
        if not method:
            return None
        defining = {k: v for k, v in (options or {}).items() if k not in DATA_OPTIONS}
        known = self._by_method.setdefault(method, [])
        if not defining:
            if known:
                return known[0]
            mark = self._add(method)
            self._bare[method] = mark
            known.append(mark)
            return mark
        text = f"{method}. Options: " + "; ".join(
            f"{key.replace('_', ' ')}: {_option(value)}" for key, value in defining.items()
        )
        if text in self._marks:
            return self._marks[text]
        bare = self._bare.pop(method, None)
        if bare is not None:  # the method was cited bare first: its footnote gains the options
            self.items = [(m, text if m == bare else t) for m, t in self.items]
            self._marks[text] = bare
            return bare
        mark = self._add(text)
        known.append(mark)
        return mark

    def note(self, text: str) -> str:
        """The mark of a footnote that is not a method (made on first use)."""
        return self._marks.get(text) or self._add(text)


# --- view models ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A table cell: its exact text, footnote marks (label cells only), a CSS class.

    ``css`` ``num`` marks a plain number, ``stat`` a compound figure (both right-aligned, never
    a footnote; module docstring); ``label`` a row label, ``sub`` an indented one; ``notes``
    holds marks beyond the first ``note``.
    """

    text: str
    note: str | None = None
    css: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.marks and self.numeric:
            raise ValueError(f"a footnote mark on the number cell {self.text!r}")

    @property
    def marks(self) -> tuple[str, ...]:
        """Every footnote mark of the cell, in order."""
        first = (self.note,) if self.note else ()
        return tuple(dict.fromkeys((*first, *self.notes)))

    @property
    def numeric(self) -> bool:
        """A number or a compound figure (right-aligned, no footnote)."""
        return bool({"num", "stat"} & set(self.css.split()))


@dataclass(frozen=True)
class TableView:
    """A table ready to print; ``number`` is set by the document (Table N)."""

    id: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    notes: tuple[str, ...] = ()
    long: bool = False
    number: int | None = None

    @property
    def caption(self) -> str:
        """``Table N. Title`` once the document numbered the table, else the title."""
        return self.title if self.number is None else f"Table {self.number}. {self.title}"
