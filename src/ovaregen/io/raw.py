"""A dataset file as read, before any parsing: every cell as stripped text, with its line.

Rules (INTERCHANGE.md "Conventions"): surrounding whitespace is not part of a value, an empty
cell is unknown (null), and a row with no value at all carries nothing (blank lines, rows of
bare commas that spreadsheets export). Header names are matched to the data dictionary
case-insensitively (``AFC`` is ``afc``); other names are kept as written. A header must not
repeat a name, and a column with values must have a name. A header name holding an invisible
character (a zero-width space, a byte-order mark, a no-break space: ``ovaregen.io.invisible``)
is an error naming the column and the character; the column is then read under the name
without it, so that the one error is not followed by others about a "missing" column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from ovaregen.domain.variables import DatasetFile, Kind, column_aliases, variables_of
from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.invisible import invisible_characters, visible, without_invisible

LINE = "\x00line"
"""Name of the column holding each row's line (CSV, header = 1) or worksheet row."""

_SURROUNDING_SPACE = r"^\s|\s$"


@dataclass(frozen=True)
class RawTable:
    """One file of a dataset as text.

    ``frame`` has :data:`LINE` (Int64) first, then one String column per distinct header
    name, in file order: values stripped, empty as null, empty rows dropped.
    """

    file: DatasetFile
    label: str
    frame: pl.DataFrame

    @property
    def columns(self) -> list[str]:
        return [c for c in self.frame.columns if c != LINE]


def known_columns(file: DatasetFile) -> dict[str, str]:
    """Lower-cased name → dictionary name, for every canonical and alternative-unit column."""
    names = [v.name for v in variables_of(file)] + [c for c, _, _ in column_aliases(file)]
    return {name.lower(): name for name in names}


def line_word(label: str) -> str:
    """How a file's rows are located: ``line`` in a CSV or XML file (an ODM file's rows are
    numbered by the line of the element opening them), ``row`` in a worksheet."""
    return "line" if label.lower().endswith((".csv", ".xml")) else "row"


def column_number(position: int) -> str:
    """How a CSV column is named when it has no usable header: ``column 3``."""
    return f"column {position + 1}"


def build_table(
    file: DatasetFile,
    label: str,
    header: Sequence[str | None],
    cells: pl.DataFrame,
    lines: pl.Series,
    header_line: int | None = 1,
    position_name: Callable[[int], str] = column_number,
) -> tuple[RawTable, list[Finding]]:
    """Name, clean and trim the text cells of one file.

    ``cells`` holds one String column per header position (any names), ``lines`` the line of
    each of its rows. Returns the table and the findings about its header.
    """
    findings: list[Finding] = []
    known = known_columns(file)
    positional = cells.columns
    typed = _typed_names(file)
    header = [
        _visible_name(label, written, position_name(position), header_line, findings)
        for position, written in enumerate(header)
    ]
    typed_positions = {
        positional[position]
        for position, written in enumerate(header)
        if known.get((written or "").strip().lower()) in typed
    }
    cleaned, markers = _clean(cells, typed_positions)
    has_values = cleaned.select(pl.all().is_not_null().any()).row(0) if cleaned.width else ()
    chosen: dict[str, str] = {}
    first_position: dict[str, int] = {}
    for position, written in enumerate(header):
        name = (written or "").strip()
        name = known.get(name.lower(), name)
        if not name:
            if has_values[position]:
                findings.append(
                    Finding(
                        Severity.ERROR,
                        label,
                        f"{position_name(position)} has values but no name in the header row; "
                        "give it a name or delete it",
                        line=header_line,
                    )
                )
            continue
        if name in first_position:
            findings.append(
                Finding(
                    Severity.ERROR,
                    label,
                    f'the header names "{name}" twice ({position_name(first_position[name])} '
                    f"and {position_name(position)}); each column needs its own name",
                    line=header_line,
                    column=name,
                    expected="distinct column names",
                )
            )
            continue
        first_position[name] = position
        chosen[name] = positional[position]
        if markers.get(positional[position]):
            findings.append(
                Finding(
                    Severity.WARNING,
                    label,
                    f'{markers[positional[position]]} cell(s) written "NA" or "N/A" read as '
                    "unknown (an empty cell is the interchange format's unknown)",
                    column=name,
                    value="NA",
                )
            )
    frame = cleaned.select(pl.col(source).alias(name) for name, source in chosen.items())
    frame = frame.insert_column(0, lines.cast(pl.Int64).alias(LINE))
    if chosen:
        frame = frame.filter(pl.any_horizontal(pl.col(list(chosen)).is_not_null()))
    else:
        frame = frame.clear()
    return RawTable(file, label, frame), findings


def _visible_name(
    label: str, written: str | None, where: str, header_line: int | None, findings: list[Finding]
) -> str | None:
    """The header name without invisible characters; an error when it had any."""
    if written is None:
        return None
    hidden = invisible_characters(written)
    if not hidden:
        return written
    meant = without_invisible(written).strip()
    characters = ", ".join(dict.fromkeys(h.describe() for h in hidden))
    findings.append(
        Finding(
            Severity.ERROR,
            label,
            f'the header name "{visible(written)}" ({where}) holds an invisible character '
            f"({characters}) that hides the column's name: delete it so that the name reads "
            f'"{meant}"',
            line=header_line,
            column=meant or None,
            value=visible(written),
            expected="a name of visible characters and ordinary spaces",
        )
    )
    return meant


MISSING_MARKERS = ("NA", "N/A", "na", "n/a", "Na", "N/a")
"""Cells that R and some spreadsheets write for a missing value: read as unknown, with a warning."""


def _typed_names(file: DatasetFile) -> set[str]:
    """Dictionary columns (canonical or alternative-unit) whose values are not free text."""
    typed = {v.name for v in variables_of(file) if v.kind is not Kind.TEXT}
    return typed | {column for column, v, _ in column_aliases(file) if v.kind is not Kind.TEXT}


def _clean(cells: pl.DataFrame, typed: set[str]) -> tuple[pl.DataFrame, dict[str, int]]:
    """Strip whitespace and turn empty text into null, touching only the columns that need it.

    In ``typed`` columns (numbers, counts, booleans, dates, choices) ``NA``/``N/A`` is also
    read as null; in free text it may be an answer and is kept. Returns, per positional
    column, how many ``NA`` cells were read as null.
    """
    if cells.width == 0:
        return cells, {}
    spaced = cells.select(pl.all().str.contains(_SURROUNDING_SPACE).any()).row(0)
    empty = cells.select((pl.all().str.len_bytes() == 0).any()).row(0)
    markers = cells.select(
        (
            (pl.col(name).str.strip_chars() if has_space else pl.col(name))
            .is_in(MISSING_MARKERS)
            .sum()
            if name in typed
            else pl.lit(0, pl.UInt32)
        ).alias(name)
        for name, has_space in zip(cells.columns, spaced, strict=True)
    ).row(0)
    cleaned: list[pl.Expr] = []
    counts: dict[str, int] = {}
    for name, has_space, has_empty, n_markers in zip(
        cells.columns, spaced, empty, markers, strict=True
    ):
        text = pl.col(name).str.strip_chars() if has_space or n_markers else pl.col(name)
        if n_markers:
            counts[name] = n_markers
            text = pl.when(~text.is_in(MISSING_MARKERS)).then(text)
        if has_space or has_empty or n_markers:
            cleaned.append(pl.when(text.str.len_bytes() > 0).then(text).alias(name))
    return (cells.with_columns(cleaned) if cleaned else cells), counts
