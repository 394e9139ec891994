"""Worksheet cells that would read silently as unknown: formulas without a saved value, merges.

A workbook stores, beside each formula, the value it last computed; a reader that does not
calculate (ovaregen, like every program reading .xlsx without Excel) sees only that value. A
formula written by a program that never calculated it (a script, an export) has none, and its
cell would read as empty — unknown — though the sheet shows a number. A merged range keeps its
value in its first cell only; every other cell of it is empty in the file, although the sheet
shows the value across the range. Both are errors naming the sheet and the cell, with the fix:
open the workbook in a spreadsheet program and save it (values are then stored), and unmerge.

The sheet's XML is scanned for the tags first (a fast byte search); only a sheet that has
formulas or merges is parsed, element by element, in constant memory.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from ovaregen.io.checks import MAX_LISTED, OmittedFindings
from ovaregen.io.dataset import Finding, Severity

_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_MERGE_TAG = re.compile(rb"<(?:\w+:)?mergeCell\s")
_CELL = re.compile(r"([A-Z]+)(\d+)")
_CHUNK = 1 << 20
_OVERLAP = 32


def sheet_cell_findings(path: Path, member: str, label: str) -> list[Finding]:
    """Errors for the uncached formulas and merged ranges of one sheet (``member`` is the
    sheet's part in the archive, e.g. ``xl/worksheets/sheet1.xml``)."""
    try:
        with zipfile.ZipFile(path) as archive:
            formulas, merges = _hints(archive, member)
            if not (formulas or merges):
                return []
            with archive.open(member) as stream:
                uncached, merged = _scan(stream)
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return []  # the workbook reader reports a sheet it cannot read
    return _listed(
        label, [_uncached_finding(label, ref, formula) for ref, formula in uncached], "formulas"
    ) + _listed(label, [_merged_finding(label, ref) for ref in merged], "merged ranges")


def _hints(archive: zipfile.ZipFile, member: str) -> tuple[bool, bool]:
    """Whether the sheet's XML has a formula tag, a merge tag (a byte search, in chunks)."""
    formulas = merges = False
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            window = tail + chunk
            formulas = formulas or _FORMULA_TAG.search(window) is not None
            merges = merges or _MERGE_TAG.search(window) is not None
            if formulas and merges:
                break
            tail = window[-_OVERLAP:]
    return formulas, merges


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _scan(stream: IO[bytes]) -> tuple[list[tuple[str, str]], list[str]]:
    """(cell, formula) of each formula without a saved value, and every merged range."""
    uncached: list[tuple[str, str]] = []
    merged: list[str] = []
    for element in _elements(stream):
        name = _local(element.tag)
        if name == "c":
            formula = value = None
            for child in element:
                child_name = _local(child.tag)
                if child_name == "f":
                    formula = child
                elif child_name == "v":
                    value = child
            text = (value.text or "") if value is not None else None
            cached_text = element.get("t") == "str" and value is not None
            if formula is not None and not text and not cached_text:
                uncached.append((element.get("r", "?"), formula.text or ""))
            element.clear()
        elif name == "mergeCell":
            merged.append(element.get("ref", "?"))
            element.clear()
        elif name == "row":
            element.clear()
    return uncached, merged


def _elements(stream: IO[bytes]) -> Iterator[ElementTree.Element]:
    for _, element in ElementTree.iterparse(stream, events=("end",)):
        yield element


def _row_of(reference: str) -> int | None:
    match = _CELL.match(reference)
    return int(match[2]) if match else None


def _uncached_finding(label: str, reference: str, formula: str) -> Finding:
    shown = f" (={formula})" if formula else ""
    return Finding(
        Severity.ERROR,
        label,
        f"cell {reference} holds a formula{shown} without a saved value, which would read as "
        "unknown: open the workbook in a spreadsheet program and save it so that the values are "
        "stored (or replace the formulas by their values)",
        line=_row_of(reference),
        value=f"={formula}" if formula else None,
        expected="a value (a formula's saved result)",
    )


def _merged_finding(label: str, reference: str) -> Finding:
    first = reference.split(":", 1)[0]
    return Finding(
        Severity.ERROR,
        label,
        f"cells {reference} are merged: only {first} holds the value and the other cells would "
        "read as unknown; unmerge them and write the value in each cell that needs it",
        line=_row_of(first),
        value=reference,
        expected="no merged cells",
    )


def _listed(label: str, findings: list[Finding], what: str) -> list[Finding]:
    """At most :data:`MAX_LISTED` findings of one kind, the rest counted in one."""
    if len(findings) <= MAX_LISTED:
        return findings
    rest = len(findings) - MAX_LISTED
    return [
        *findings[:MAX_LISTED],
        OmittedFindings(
            Severity.ERROR,
            label,
            f"{rest} more {what} with the same problem, not listed",
            count=rest,
        ),
    ]
