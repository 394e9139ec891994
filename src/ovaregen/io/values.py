"""Parsing cell text into typed values, one rule per kind (INTERCHANGE.md "Conventions").

- number: a decimal with a point (``1.5``, ``-2``, ``1e3``); ``1,5``, ``abc``, ``inf``, ``nan``
  are refused;
- integer (whole number): a number with no fraction (``3`` and ``3.0``; not ``3.5``);
- boolean: ``true``/``false``, ``yes``/``no``, ``1``/``0``, in any case;
- date: ISO ``YYYY-MM-DD`` and a real calendar date;
- choice: one of the listed lower-case words; other case and spaces or hyphens for
  underscores are accepted and written canonically (``Live birth`` → ``live_birth``);
- text: as written.

A number is written without a thousands separator (``1000``, not ``1,000``, ``1.000`` or
``1 000``); when a value looks like one, the message says what to write instead, both readings
where the text is ambiguous (``1,000`` is a thousand with a separator, or one with a decimal
comma).

Every parser is a Polars expression over the stripped text (null = unknown); it yields null
where the text is not a value of its kind, so "unparseable" is ``text present, value null``.
Booleans and choices have few distinct texts per column: each distinct text is parsed once
(:func:`parse_word`) and the column is translated by lookup, which is several times faster
than string functions over every row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import polars as pl

from ovaregen.domain.variables import Kind, Variable
from ovaregen.io.invisible import invisible_characters, visible, without_invisible

TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
_BOOLEANS = {word: True for word in TRUE_WORDS} | {word: False for word in FALSE_WORDS}
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_SEPARATORS = re.compile(r"[\s\-]+")
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?P<sep>[,.' \u00a0\u2009\u202f])\d{3}(?:(?P=sep)\d{3})*")
"""A whole number with a thousands separator: ``1,000``, ``12.500``, ``1 000 000``, ``1'000``."""
_GROUPED_DECIMAL = re.compile(
    r"[+-]?\d{1,3}(?P<sep>[,.' \u00a0\u2009\u202f])\d{3}(?:(?P=sep)\d{3})*(?P<point>[.,])\d+"
)
"""A grouped number with decimals: ``1,234.5`` or (continental) ``1.234,5``."""
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|[+-]?(inf|infinity|nan)", re.IGNORECASE)
"""What Polars reads as a Float64 (Python's ``float`` also takes ``1_000``, Polars does not)."""


WORD_KINDS = (Kind.BOOLEAN, Kind.CHOICE)
"""Kinds parsed per distinct text, then looked up (see the module docstring)."""


def parse(text: pl.Expr, variable: Variable, words: Sequence[str] = ()) -> pl.Expr:
    """The typed value of ``text``; whole numbers come out as Float64 (cast after checks).

    For :data:`WORD_KINDS`, ``words`` must hold every distinct text of the column.
    """
    kind = variable.kind
    if kind in WORD_KINDS:
        dtype = pl.Boolean() if kind is Kind.BOOLEAN else pl.String()
        lookup = {
            word: value for word in words if (value := parse_word(word, variable)) is not None
        }
        if not lookup:
            return pl.lit(None, dtype)
        return text.replace_strict(
            list(lookup), list(lookup.values()), default=None, return_dtype=dtype
        )
    if kind is Kind.NUMBER or kind is Kind.INTEGER:
        number = text.cast(pl.Float64, strict=False)
        valid = number.is_finite()
        if kind is Kind.INTEGER:
            valid = valid & (number == number.floor())
        return pl.when(valid).then(number)
    if kind is Kind.DATE:
        return pl.when(text.str.contains(ISO_DATE)).then(text.str.to_date("%Y-%m-%d", strict=False))
    return text


def parse_word(text: str, variable: Variable) -> bool | str | None:
    """A boolean or choice cell's value; ``None`` when the text is not one."""
    if variable.kind is Kind.BOOLEAN:
        return _BOOLEANS.get(text.lower())
    word = _SEPARATORS.sub("_", text.lower())
    return word if word in variable.choices else None


def unparseable(text: pl.Expr, value: pl.Expr) -> pl.Expr:
    """Rows whose text is present but is not a value of its kind."""
    return text.is_not_null() & value.is_null()


def expected_value(variable: Variable, value_range: str | None = None) -> str:
    """What a cell of ``variable`` must hold, e.g. ``a whole number in 0–80 follicles``."""
    within = f" in {value_range}" if value_range else ""
    match variable.kind:
        case Kind.NUMBER:
            return f"a number{within}"
        case Kind.INTEGER:
            return f"a whole number{within}"
        case Kind.BOOLEAN:
            return "true or false (yes/no and 1/0 are accepted too)"
        case Kind.DATE:
            return "a date written YYYY-MM-DD"
        case Kind.CHOICE:
            return "one of: " + ", ".join(variable.choices)
        case _:
            return "text"


def what_is_wrong(text: str, variable: Variable) -> str:
    """Why ``text`` is not a value of ``variable``'s kind, quoting it."""
    quoted = f'value "{visible(text)}"'
    hidden = invisible_characters(text)
    if hidden:
        characters = ", ".join(dict.fromkeys(h.describe() for h in hidden))
        return (
            f"{quoted} holds an invisible character ({characters}): delete it "
            f'("{without_invisible(text).strip()}")'
        )
    match variable.kind:
        case Kind.NUMBER | Kind.INTEGER:
            grouped = _grouping_advice(text)
            if grouped is not None:
                return f"{quoted} {grouped}"
            if _DECIMAL_COMMA.fullmatch(text):
                return (
                    f"{quoted} has a decimal comma; write the decimal separator as a point "
                    f'("{text.replace(",", ".")}")'
                )
            number = _float(text)
            if number is None:
                return f"{quoted} is not a number"
            if not math.isfinite(number):
                return f"{quoted} is not a finite number"
            return f"{quoted} is not a whole number"
        case Kind.BOOLEAN:
            return f"{quoted} is not true or false"
        case Kind.DATE:
            if re.fullmatch(ISO_DATE.strip("^$"), text):
                return f"{quoted} is not a real calendar date"
            return f"{quoted} is not a date written YYYY-MM-DD"
        case _:
            return f"{quoted} is not one of the accepted words"


def _grouping_advice(text: str) -> str | None:
    """What to write for a number with a thousands separator (None when it has none).

    The interchange format takes digits with a decimal point and nothing else (INTERCHANGE.md
    "number"; Polars reads no separator): ``1,000`` becomes ``1000``.
    """
    match = _GROUPED_DECIMAL.fullmatch(text)
    if match is not None and match["sep"] != match["point"]:
        separator = match["sep"]
        digits = text[: match.start("point")].replace(separator, "")
        plain = f"{digits}.{text[match.end('point') :]}"
        return (
            f"has a thousands separator ({_separator_name(separator)}): write numbers with no "
            f'separator and a decimal point ("{plain}")'
        )
    match = _GROUPED.fullmatch(text)
    if match is None:
        return None
    separator = match["sep"]
    plain = text.replace(separator, "")
    if separator == "," and text.count(",") == 1:
        return (
            f'has a comma: numbers are written with no thousands separator and a decimal point: "'
            f'{plain}" if the comma separates thousands, "{text.replace(",", ".")}" if it is a '
            "decimal comma"
        )
    if separator == "." and text.count(".") == 1:
        return None  # "1.000" is one, with a decimal point: a valid number, not grouped
    return (
        f"has a thousands separator ({_separator_name(separator)}): write numbers with no "
        f'separator ("{plain}")'
    )


def _separator_name(separator: str) -> str:
    names = {",": "a comma", ".": "a point", "'": "an apostrophe", " ": "a space"}
    return names.get(separator, "a no-break or thin space")


def _float(text: str) -> float | None:
    return float(text) if _NUMBER.fullmatch(text) else None
