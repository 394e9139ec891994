"""Resource limits on dataset files, checked before a file is read.

Reading a file costs several times its size in memory (text, then typed columns, then the
checks): an attack run read a CSV whose header had 10⁶ columns for 2.5 minutes and 7.7 GB,
and a 2 GB file until Polars panicked at 10.6 GB. A real study is far smaller — a few hundred
women with one or two hundred variables, a 300 000-row repeated-measures file at the most —
so the limits below are generous for any study and still keep one import within a few GB:

- a CSV file holds at most :data:`MAX_CSV_BYTES` (256 MiB);
- a workbook holds at most :data:`MAX_WORKBOOK_BYTES` (64 MiB) on disk and
  :data:`MAX_UNPACKED_BYTES` (1 GiB) once unpacked (an .xlsx is a zip archive: a small file
  can unpack to gigabytes);
- a header row has at most :data:`MAX_COLUMNS` (5 000) columns (the data dictionary has
  about 150; REDCap exports with a few thousand fields pass).

Only the file's size and its header line are read to check them. A file over a limit is one
error naming the file, the limit and what was found; nothing of it is read. The limits are a
:class:`ReadLimits` value so that tests (and a deployment that needs it) can choose others.
"""

from __future__ import annotations

import csv
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ovaregen.io.dataset import Finding, Severity

MAX_CSV_BYTES = 256 * 2**20
MAX_WORKBOOK_BYTES = 64 * 2**20
MAX_UNPACKED_BYTES = 2**30
MAX_COLUMNS = 5000
_CHUNK = 1 << 16


@dataclass(frozen=True)
class ReadLimits:
    """The limits a dataset's files are checked against (defaults: the module's constants)."""

    max_csv_bytes: int = MAX_CSV_BYTES
    max_workbook_bytes: int = MAX_WORKBOOK_BYTES
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES
    max_columns: int = MAX_COLUMNS

    @property
    def max_header_bytes(self) -> int:
        """How much of a header line is read to count its columns (64 bytes per column)."""
        return max(self.max_columns * 64, _CHUNK)


DEFAULT_LIMITS = ReadLimits()


def size_text(size: int) -> str:
    """``256 MiB``, ``1.5 GiB``, ``812 bytes``."""
    if size < 2**10:
        return f"{size} bytes"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            value = size / scale
            return (
                f"{value:.0f} {unit}"
                if value.is_integer() or value >= 10
                else f"{value:.1f} {unit}"
            )
    return f"{size} bytes"  # pragma: no cover - unreachable


def csv_limit_findings(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> list[Finding]:
    """An error when the CSV file at ``path`` is larger, or its header wider, than allowed."""
    label = path.name
    try:
        size = path.stat().st_size
    except OSError:
        return []  # the reader reports a file that cannot be read
    if size > limits.max_csv_bytes:
        return [_too_large(label, size, limits.max_csv_bytes, "a CSV file")]
    columns = header_columns(path, limits.max_header_bytes)
    if columns is None:
        return [
            _too_wide(
                label,
                f"a header line longer than {size_text(limits.max_header_bytes)}",
                limits.max_columns,
            )
        ]
    if columns > limits.max_columns:
        return [_too_wide(label, f"{columns} columns", limits.max_columns)]
    return []


def header_columns(path: Path, max_bytes: int) -> int | None:
    """The number of fields of the file's first line; ``None`` when no line end is found
    within ``max_bytes``. Reads only the first line."""
    read = bytearray()
    try:
        with path.open("rb") as stream:
            while len(read) <= max_bytes:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                end = chunk.find(b"\n")
                if end >= 0:
                    read += chunk[:end]
                    break
                read += chunk
            else:
                return None
    except OSError:
        return 0
    if len(read) > max_bytes:
        return None
    line = read.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")
    if '"' not in line:
        return line.count(",") + 1
    try:
        return len(next(csv.reader([line])))
    except (csv.Error, StopIteration):
        return line.count(",") + 1


def workbook_limit_findings(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> list[Finding]:
    """An error when the workbook at ``path`` is larger, packed or unpacked, than allowed."""
    label = path.name
    try:
        size = path.stat().st_size
    except OSError:
        return []
    if size > limits.max_workbook_bytes:
        return [_too_large(label, size, limits.max_workbook_bytes, "a workbook")]
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return []  # not a zip archive: the workbook reader says it cannot be opened
    if unpacked > limits.max_unpacked_bytes:
        return [
            Finding(
                Severity.ERROR,
                label,
                f"the workbook unpacks to {size_text(unpacked)} ({unpacked} bytes), more than the "
                f"{size_text(limits.max_unpacked_bytes)} a workbook may hold; nothing of it was "
                "read: split the dataset into CSV files, or remove what the study does not need",
                value=size_text(unpacked),
                expected=f"at most {size_text(limits.max_unpacked_bytes)} unpacked",
            )
        ]
    return []


def too_many_columns(label: str, columns: int, limits: ReadLimits, line: int) -> Finding:
    """The error for a header row (e.g. a worksheet's) with more columns than allowed."""
    return _too_wide(label, f"{columns} columns", limits.max_columns, line=line)


def _too_large(label: str, size: int, limit: int, what: str) -> Finding:
    return Finding(
        Severity.ERROR,
        label,
        f"the file holds {size_text(size)} ({size} bytes), more than the {size_text(limit)} "
        f"{what} of a dataset may hold; nothing of it was read: check that it is the right file, "
        "or split it (a study's files are far smaller)",
        value=f"{size} bytes",
        expected=f"at most {size_text(limit)}",
    )


def _too_wide(label: str, found: str, limit: int, line: int = 1) -> Finding:
    return Finding(
        Severity.ERROR,
        label,
        f"the header has {found}, more than the {limit} columns a dataset file may have; "
        "nothing of it was read: check that it is the right file and that line "
        f"{line} is the header",
        line=line,
        value=found,
        expected=f"at most {limit} columns",
    )
