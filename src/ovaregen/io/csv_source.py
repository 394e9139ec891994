"""Reading one CSV file of a dataset into a :class:`RawTable`.

INTERCHANGE.md: UTF-8, comma-separated, header row. A UTF-8 byte-order mark (Excel's
"CSV UTF-8") is accepted silently. Bytes that are not UTF-8, a row with more or fewer fields
than the header, and text the CSV grammar cannot read are findings naming the line; they never
raise.

Two paths give the same result. The fast one lets Polars parse the whole file and checks the
field count of every physical line with vectorised string counts; it applies when no quoted
value spans lines. Otherwise (or when Polars refuses the text) Python's ``csv`` module reads
the file record by record, which knows the exact line of every record.

A cell (header names included) that begins with a single quote, then quotes or none, then one
of ``= + - @``, tab or carriage return has that one quote removed: ``io.spreadsheet_safe``'s
rule, which ovaregen's own writers apply so that no spreadsheet runs a cell as a formula.
The quote must be the cell's first character; the value is stripped after it is removed.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from ovaregen.domain.variables import DatasetFile
from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.raw import RawTable, build_table
from ovaregen.io.spreadsheet_safe import unescaped_frame, unescaped_header

BOM = b"\xef\xbb\xbf"
_FREE_SEPARATORS = ("\x1f", "\x1e", "\x1d", "\x1c", "\x01", "\x02")
_QUOTED = r'"[^"]*"'
_COMMA_IN_QUOTES = r'^(?:[^"]*"[^"]*")*[^"]*"[^",]*,'
"""A line with a comma between an opening and a closing quote (quotes pair up on the line)."""
_BLANK = r'^[\s,"]*$'
"""A line with no value in any field (blank, or bare separators): skipped, never ragged."""


def read_csv_table(path: Path, file: DatasetFile) -> tuple[RawTable | None, list[Finding]]:
    """Read ``path`` as the ``file`` of a dataset; ``None`` when nothing usable could be read."""
    label = path.name
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, [_file_error(label, f"the file cannot be read: {error.strerror or error}")]
    if data.startswith(BOM):
        data = data[len(BOM) :]
    if not data or data.isspace():
        return None, [
            _file_error(label, "the file is empty; it needs a header row, then one row each")
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [_encoding_error(label, data, error)]
    if not _first_line(text).strip():
        return None, [_file_error(label, "the file has no header: line 1 is empty")]
    read = _read_fast(data, text) or _read_slow(text, label)
    if isinstance(read, Finding):
        return None, [read]
    header, cells, lines, ragged = read
    header, cells = unescaped_header(header), unescaped_frame(cells)
    findings = [_ragged_error(label, line, fields, len(header)) for line, fields in ragged]
    table, header_findings = build_table(file, label, header, cells, lines)
    return table, header_findings + findings


_Read = tuple[list[str], pl.DataFrame, pl.Series, list[tuple[int, int]]]
"""Header names, text cells (one column per position), line of each row, ragged lines."""


def _read_fast(data: bytes, text: str) -> _Read | None:
    """Parse with Polars; ``None`` when the file needs the record-by-record path."""
    first_line = _first_line(text)
    separator = next((s for s in _FREE_SEPARATORS if s.encode() not in data), None)
    if first_line.count('"') % 2 or separator is None:
        return None
    header = next(csv.reader([first_line.rstrip("\r")]))
    width = len(header)
    physical = pl.read_csv(
        data,
        has_header=False,
        separator=separator,
        quote_char=None,
        infer_schema=False,
        empty_string_is_null=False,
        new_columns=["line"],
    ).to_series()
    body = physical.slice(1)
    fields = _field_counts(body, quoted='"' in text)
    if fields is None:
        return None  # a quoted value spans lines, or a stray quote: read record by record
    try:
        cells = pl.read_csv(
            data,
            has_header=True,
            infer_schema=False,
            truncate_ragged_lines=True,
            new_columns=[f"c{i}" for i in range(width)],
        )
    except pl.exceptions.PolarsError:
        return None
    if cells.width != width or cells.height != body.len():
        return None
    lines = pl.int_range(2, cells.height + 2, eager=True).alias("line")
    ragged = _ragged_lines(body, fields, width)
    if ragged:
        keep = ~lines.is_in([line for line, _ in ragged])
        cells, lines = cells.filter(keep), lines.filter(keep)
    return header, cells, lines, ragged


def _field_counts(body: pl.Series, *, quoted: bool) -> pl.Series | None:
    """The number of fields on each line; ``None`` if a line has an odd number of quotes.

    Separators are counted as commas; only on the (rare) lines with a comma inside quotes are
    the quoted parts removed first, since a regex replacement on every line is slow.
    """
    line = pl.col("text")
    counts = [line.str.count_matches(",", literal=True).alias("commas")]
    if quoted:
        counts.append(line.str.count_matches('"', literal=True).alias("quotes"))
        counts.append(line.str.contains(_COMMA_IN_QUOTES).alias("inside"))
    counted = pl.DataFrame({"text": body}).select(counts)
    fields = counted.get_column("commas") + 1
    if not quoted:
        return fields
    if (counted.get_column("quotes") % 2 == 1).any():
        return None
    inside = counted.get_column("inside")
    if inside.any():
        unquoted = body.filter(inside).str.replace_all(_QUOTED, "")
        fields = fields.scatter(
            inside.arg_true(), unquoted.str.count_matches(",", literal=True) + 1
        )
    return fields


def _ragged_lines(body: pl.Series, fields: pl.Series, width: int) -> list[tuple[int, int]]:
    """(line, field count) of every non-blank line whose field count is not ``width``."""
    frame = pl.DataFrame({"text": body, "fields": fields}).with_row_index("line", offset=2)
    suspects = frame.filter(pl.col("fields") != width)
    if suspects.is_empty():
        return []
    ragged = suspects.filter(~pl.col("text").str.contains(_BLANK))
    return [(int(line), int(count)) for line, count in ragged.select("line", "fields").rows()]


def _read_slow(text: str, label: str) -> _Read | Finding:
    """Read record by record with the ``csv`` module, noting the first line of each record."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    ragged: list[tuple[int, int]] = []
    end = 0
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if header is None:
                header = record
            elif not any(field.strip() for field in record):
                continue
            elif len(record) != len(header):
                ragged.append((start, len(record)))
            else:
                rows.append(record)
                lines.append(start)
    except csv.Error as error:
        return Finding(
            Severity.ERROR,
            label,
            f"the row starting on this line cannot be read as CSV ({error}): a value opened "
            "with a double quote must close with one, followed by a comma or the end of the line",
            line=end + 1,
        )
    header = header or []
    names = [f"c{i}" for i in range(len(header))]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    cells = pl.DataFrame(
        {
            name: pl.Series(name, values, pl.String)
            for name, values in zip(names, columns, strict=True)
        }
    )
    return header, cells, pl.Series("line", lines, pl.Int64), ragged


def _first_line(text: str) -> str:
    end = text.find("\n")
    return text if end < 0 else text[:end]


def _file_error(label: str, problem: str) -> Finding:
    return Finding(Severity.ERROR, label, problem)


def _ragged_error(label: str, line: int, fields: int, width: int) -> Finding:
    if fields > width:
        advice = (
            "a value containing a comma must be in double quotes (and numbers need a decimal "
            "point, not a comma), or a comma is extra"
        )
    else:
        advice = "a value or a comma is missing (an empty value still needs its comma)"
    return Finding(
        Severity.ERROR,
        label,
        f"{fields} field{'' if fields == 1 else 's'} but the header has {width}: {advice}",
        line=line,
        value=f"{fields} fields",
        expected=f"{width} fields, as in the header",
    )


def _encoding_error(label: str, data: bytes, error: UnicodeDecodeError) -> Finding:
    """Name the line and byte of the first byte that is not UTF-8, and the fix."""
    start = error.start
    line = data.count(b"\n", 0, start) + 1
    line_start = data.rfind(b"\n", 0, start) + 1
    byte = data[start]
    guess = bytes([byte]).decode("cp1252", errors="replace")
    field = data[line_start:start].count(b",")
    header = data[: data.find(b"\n")].decode("utf-8", errors="replace").split(",")
    column = header[field].strip() if line > 1 and field < len(header) else None
    return Finding(
        Severity.ERROR,
        label,
        f"byte {start - line_start + 1} of the line, 0x{byte:02X}, is not UTF-8 "
        f'(in Windows-1252/Latin-1 it would be "{guess}"); the file must be saved as UTF-8 '
        '(in Excel: Save As → "CSV UTF-8")',
        line=line,
        column=column,
        value=f"0x{byte:02X}",
        expected="UTF-8 text",
    )
