"""What Stata ``.dta``, SPSS ``.sav`` and SAS transport ``.xpt`` share (issue 14 item 5): one
file per table of the dataset, written and read with pyreadstat (ReadStat).

Encoding (``docs/formats-stata-spss-sas.md``), the same in the three formats:
- a choice is a number, its code 1..k in the dictionary's order, with a value label whose text
  is the dictionary's own word (``1 live_birth``; in SAS transport, which carries no value
  labels, the word itself); a boolean is 0 (``no``) or 1 (``yes``);
- a date is a day number (Stata and SAS: days since 1960-01-01) or, in SPSS, seconds since
  1582-10-14, under the format's date display format;
- a number is a double; a count is a Stata ``long`` (a double in SPSS and SAS, which hold
  whole numbers exactly);
- text is a string; an unknown text is the empty string (none of the three has a missing
  string), read back as unknown — interchange has no empty text (its cells are stripped).

Reading turns each file back into a polars frame of these types (codes to words through the
file's value labels, else the dictionary's order; 0/1 to booleans; empty strings to unknown)
and hands it to ``formats.typed.read_tables``, which validates it as ``ovaregen validate`` does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ovaregen.domain.protocols import Protocol
from ovaregen.domain.variables import DatasetFile, Kind, Variable, variables_of
from ovaregen.formats.errors import FormatError
from ovaregen.formats.folder import FileWriter, write_folder
from ovaregen.formats.typed import TypedTable, label_of, read_tables, tables_of, variable_of
from ovaregen.io.dataset import Dataset, Finding, Severity
from ovaregen.io.reader import ValidationReport

BOOLEAN_LABELS: dict[int | float, str] = {0: "no", 1: "yes"}
"""The value labels of every boolean column."""
SAS_EPOCH = dt.date(1960, 1, 1)
"""Day 0 of Stata's ``%td`` and SAS's ``DATE9.`` dates."""
SPSS_EPOCH = dt.date(1582, 10, 14)
"""Second 0 of SPSS's dates (the Gregorian calendar's start)."""


def value_labels_of(variable: Variable | None) -> dict[int | float, str] | None:
    """A choice's labels (code 1..k → the dictionary's word), a boolean's (0 no, 1 yes)."""
    if variable is None:
        return None
    if variable.kind is Kind.CHOICE:
        labels: dict[int | float, str] = dict(enumerate(variable.choices, start=1))
        return labels
    if variable.kind is Kind.BOOLEAN:
        return dict(BOOLEAN_LABELS)
    return None


def shortened(label: str, limit: int, *, in_bytes: bool = False) -> str:
    """A label cut to ``limit`` characters (UTF-8 bytes when ``in_bytes``): when longer, the
    most whole characters that leave room for ``...``, and ``...``."""
    if not in_bytes:
        return label if len(label) <= limit else label[: limit - 3] + "..."
    encoded = label.encode()
    if len(encoded) <= limit:
        return label
    return encoded[: limit - 3].decode(errors="ignore") + "..."


def encoded(
    file: DatasetFile,
    frame: pl.DataFrame,
    epoch: dt.date,
    *,
    seconds: bool,
    counts: pl.DataType,
    choice_codes: bool = True,
) -> pl.DataFrame:
    """The table's columns as the format stores them (module docstring): dates as numbers
    from ``epoch`` (in seconds when ``seconds``), counts as ``counts``, choices as codes (as
    their words, the text, unless ``choice_codes``)."""
    columns = []
    for name in frame.columns:
        v = variable_of(file, name)
        column = pl.col(name)
        if v is None or v.kind is Kind.TEXT or (v.kind is Kind.CHOICE and not choice_codes):
            columns.append(column.cast(pl.String))
        elif v.kind is Kind.CHOICE:
            codes = {word: code for code, word in enumerate(v.choices, start=1)}
            columns.append(column.replace_strict(codes, default=None, return_dtype=pl.Int32))
        elif v.kind is Kind.BOOLEAN:
            columns.append(column.cast(pl.Int32))
        elif v.kind is Kind.DATE:
            since = column - pl.lit(epoch)
            number = since.dt.total_seconds() if seconds else since.dt.total_days()
            columns.append(number.cast(pl.Float64))
        elif v.kind is Kind.INTEGER:
            columns.append(column.cast(counts))
        else:
            columns.append(column.cast(pl.Float64))
    return frame.select(columns)


def blank_unknown_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Unknown text as ``""``, what the three formats store for it (module docstring), written
    so rather than left to pyreadstat, which fails on a missing ``strL`` (a Stata text over
    2045 bytes: "A registered string reference was never inserted into any row")."""
    return frame.with_columns(pl.col(pl.String).fill_null(""))


def refuse_unmapped_choices(label: str, file: DatasetFile, frame: pl.DataFrame) -> None:
    """``FormatError`` for a choice value that is not one of the dictionary's words (a
    dataset that was validated has none; this keeps the writer from losing one silently)."""
    for name in frame.columns:
        v = variable_of(file, name)
        if v is None or v.kind is not Kind.CHOICE:
            continue
        stray = frame.get_column(name).is_not_null() & ~frame.get_column(name).is_in(v.choices)
        if stray.any():
            row = int(stray.arg_true()[0])
            raise FormatError(
                f"{label}: column {name!r}, row {row + 1}: {frame[row, name]!r} is not one of "
                f"the dictionary's choices ({', '.join(v.choices)})"
            )


def refuse_long_text(label: str, frame: pl.DataFrame, limit: int, stored: str) -> None:
    """``FormatError`` naming file, column, row and value for a text over ``limit`` bytes."""
    for name in frame.columns:
        series = frame.get_column(name)
        if series.dtype != pl.String:
            continue
        over = series.str.len_bytes() > limit
        if over.any():
            row = int(over.arg_true()[0])
            value = str(series[row])
            raise FormatError(
                f"{label}: column {name!r}, row {row + 1}: the text {value[:40]!r}"
                f"{'…' if len(value) > 40 else ''} is {len(value.encode())} bytes; {stored} "
                f"holds at most {limit} bytes of text"
            )


_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_]")
RESERVED = frozenset(
    [
        "all",
        "and",
        "by",
        "eq",
        "ge",
        "gt",
        "le",
        "lt",
        "ne",
        "not",
        "or",
        "to",
        "with",
        "_all",
        "_b",
        "byte",
        "_coef",
        "_cons",
        "double",
        "float",
        "if",
        "in",
        "int",
        "long",
        "_n",
        "_pi",
        "_pred",
        "_rc",
        "_skip",
        "strl",
        "using",
    ]
)
"""Words SPSS (``ALL AND BY EQ …``, 'Variable names') or Stata ('Naming conventions',
[U] 11.3) keep for themselves, compared without case."""


def _base_name(column: str, limit: int) -> str:
    name = _NOT_IN_NAME.sub("_", column)
    if not name[:1].isalpha() or name.lower() in RESERVED:
        name = "v_" + name
    return name[:limit]


def stored_names(file: DatasetFile, columns: list[str], limit: int) -> dict[str, str]:
    """Column → its name in the file. A dictionary name is kept (each is a valid Stata and
    SPSS name), and so is an extra column's name of ASCII letters, digits and ``_`` that
    starts with a letter, is not a reserved word, has at most ``limit`` characters and is not
    taken (without case: SPSS names ignore it). Any other name, in column order: every other
    character becomes ``_`` (``v_`` before a name not starting with a letter, or a reserved
    word), cut to ``limit``, with ``_2``, ``_3``… while the name is taken. The original name
    is then the column's label, which the reader takes back (:func:`column_of`)."""
    taken = {v.name.lower() for v in variables_of(file)}
    names: dict[str, str] = {}
    for column in columns:
        if variable_of(file, column) is not None:
            names[column] = column
        elif _base_name(column, limit) == column and column.lower() not in taken:
            names[column] = column
            taken.add(column.lower())
    for column in columns:
        if column in names:
            continue
        name, n = _base_name(column, limit), 1
        while name.lower() in taken:
            n += 1
            suffix = f"_{n}"
            name = _base_name(column, limit)[: limit - len(suffix)] + suffix
        taken.add(name.lower())
        names[column] = name
    return {column: names[column] for column in columns}


def column_labels(
    label: str,
    file: DatasetFile,
    names: Mapping[str, str],
    package: str,
    limits: tuple[int, int],
) -> dict[str, str | None]:
    """Each stored name's variable label (``typed.label_of``, shortened to the package's
    limit); ``FormatError`` for a column renamed to fit (``stored_names``) whose own name the
    label could not keep. ``limits``: the package's (name, label) lengths."""
    name_limit, label_limit = limits
    labels: dict[str, str | None] = {}
    for column, name in names.items():
        text = label_of(file, column)
        if name != column and len(text) > label_limit:
            raise FormatError(
                f"{label}: column {column!r}: {package} names hold at most {name_limit} "
                f"letters, digits and _ and labels {label_limit} characters, so a name of "
                f"{len(column)} characters that is not a {package} name cannot be kept"
            )
        labels[name] = shortened(text, label_limit)
    return labels


def write_tables(
    dataset: Dataset,
    out: Path,
    extension: str,
    table: Callable[[str, DatasetFile, pl.DataFrame], FileWriter],
) -> list[Path]:
    """Write ``<table>.<extension>`` for each table of the dataset into the folder ``out``,
    each encoded by ``table`` (label, file, frame) before anything is written."""
    files = {
        f"{file.value}.{extension}": table(f"{file.value}.{extension}", file, frame)
        for file, frame in tables_of(dataset).items()
    }
    return write_folder(Path(out), files, provenance=dataset.provenance_json())


def column_of(file: DatasetFile, stored: str, label: str | None, limit: int) -> str:
    """The dataset column of a file's column (the inverse of :func:`stored_names`): a
    dictionary name is itself; an extra column is named by its label when the label gives
    this name by the rule (with or without a ``_N`` suffix), else by its stored name."""
    if variable_of(file, stored) is not None or not label:
        return stored
    base = _base_name(label, limit)
    if stored == base:
        return label
    match = re.fullmatch(r"(.*)(_\d+)", stored)
    if match and match.group(1) == base[: limit - len(match.group(2))]:
        return label
    return stored


@dataclass(frozen=True)
class Decoded:
    """One file as pyreadstat read it: its frame (stored names), each column's label and
    value labels."""

    frame: pl.DataFrame
    labels: Mapping[str, str | None]
    value_labels: Mapping[str, Mapping[float, str]]


def decoded(file: DatasetFile, found: Decoded, names: Mapping[str, str]) -> pl.DataFrame:
    """The frame under dataset names (``names``: stored → column), with codes, 0/1 and empty
    strings decoded (module docstring); anything else is left for validation to judge."""
    columns = []
    for stored in found.frame.columns:
        name = names[stored]
        series = found.frame.get_column(stored)
        v = variable_of(file, name)
        if series.dtype == pl.String:
            columns.append(series.replace("", None).alias(name))
        elif v is not None and v.kind in (Kind.CHOICE, Kind.BOOLEAN) and series.dtype.is_numeric():
            columns.append(_words(series, v, found.value_labels.get(stored)).alias(name))
        else:
            columns.append(series.alias(name))
    return pl.DataFrame(columns)


def _words(series: pl.Series, variable: Variable, labels: Mapping[float, str] | None) -> pl.Series:
    """Codes as the dictionary's words: through the file's value labels (a label that is a
    word, or a word written as words: ``Live birth``), else codes 1..k in the dictionary's
    order; a boolean 0/1. A code with no word stays its number, for validation to refuse."""
    if variable.kind is Kind.BOOLEAN:
        words = {0.0: "false", 1.0: "true"}
    elif labels:
        words = {float(code): _word(text, variable.choices) for code, text in labels.items()}
    else:
        words = {float(code): word for code, word in enumerate(variable.choices, start=1)}
    as_number = series.cast(pl.Float64)
    whole = as_number.is_finite() & (as_number == as_number.floor())
    text = pl.select(
        pl.when(pl.lit(whole))
        .then(pl.lit(as_number.cast(pl.Int64, strict=False).cast(pl.String)))
        .otherwise(pl.lit(as_number.cast(pl.String)))
    ).to_series()
    named = as_number.replace_strict(words, default=None, return_dtype=pl.String)
    return named.fill_null(text)


def _word(label: str, choices: tuple[str, ...]) -> str:
    key = label.strip().lower().replace(" ", "_").replace("-", "_")
    return key if key in choices else label


def names_back(
    file: DatasetFile, found: Decoded, label: str, findings: list[Finding], limit: int
) -> Mapping[str, str] | None:
    """Each stored name's dataset column (``statistics_packages.column_of``); None, with a
    finding, when two columns of the file would be the same column."""
    names = {s: column_of(file, s, found.labels.get(s), limit) for s in found.frame.columns}
    seen: dict[str, str] = {}
    for stored, column in names.items():
        if column in seen:
            findings.append(
                Finding(
                    Severity.ERROR,
                    label,
                    f"the columns {seen[column]!r} and {stored!r} are both {column!r}",
                    column=stored,
                )
            )
            return None
        seen[column] = stored
    return names


FileReader = Callable[[Path], Decoded]
"""Reads one file with pyreadstat (raises on a file it cannot read)."""


NamesOf = Callable[[DatasetFile, Decoded, str, list[Finding]], Mapping[str, str] | None]
"""A file's stored name → dataset column (file, what was read, its label, the findings)."""


def read_folder(
    source: Path,
    protocol: Protocol,
    extension: str,
    read_file: FileReader,
    names_of: NamesOf,
) -> ValidationReport:
    """Read every ``<table>.<extension>`` of the folder ``source`` (participants required)
    and validate them (``typed.read_tables``); ``names_of`` gives each file's stored → column
    names, or None after adding its findings."""
    findings: list[Finding] = []
    tables: dict[DatasetFile, TypedTable] = {}
    if not source.is_dir():
        findings.append(Finding(Severity.ERROR, source.name, f"a {extension} dataset is a folder"))
        return read_tables(str(source), tables, findings, protocol)
    for file in DatasetFile:
        label = f"{file.value}.{extension}"
        path = source / label
        if not path.is_file():
            if file is DatasetFile.PARTICIPANTS:
                findings.append(Finding(Severity.ERROR, label, "the file is missing"))
            continue
        try:
            found = read_file(path)
        except Exception as error:  # pyreadstat's errors are several classes, and OSError
            findings.append(Finding(Severity.ERROR, label, f"the file cannot be read: {error}"))
            continue
        names = names_of(file, found, label, findings)
        if names is not None:
            tables[file] = TypedTable(label, decoded(file, found, names))
    return read_tables(str(source), tables, findings, protocol)
