"""Every printed table as files a journal takes: a CSV and a Word document per table, and one
Word document with them all.

``<stem>-<table id>.csv``: UTF-8, the header row then each row, each cell's exact text (the
footnote marks are not in it: they are footnotes, listed in the Word files). ``<stem>-<table
id>.docx`` and ``<stem>-tables.docx`` (python-docx): per table a caption paragraph "Table N.
Title" above a real Word table (style "Table Grid"), its header row repeated on each page,
numbers right-aligned, footnote letters as superscript runs apart from the cell's text, and
the table's notes and footnotes below. Every file is written atomically (a temporary file in
the folder, then ``os.replace``), mode 0644.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.table import _Cell, _Row

from ovaregen.report.views import Cell, TableView

FILE_MODE = 0o644
WORD_STYLE = "Table Grid"


# --- writing atomically -------------------------------------------------------------------------


def _write_atomically(data: bytes, path: Path) -> Path:
    """``data`` to ``path`` by a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


# --- CSV ----------------------------------------------------------------------------------------


def table_csv(view: TableView) -> str:
    """The table as CSV text: the headers, then each row's cell texts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(view.headers)
    writer.writerows([cell.text for cell in row] for row in view.rows)
    return out.getvalue()


# --- Word ---------------------------------------------------------------------------------------


def _repeat_header(row: _Row) -> None:
    """Mark a Word row as the header repeated at the top of each page (``w:tblHeader``)."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _fill(cell: _Cell, text: str, marks: Sequence[str], *, bold: bool, right: bool) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    for mark in marks:
        superscript = paragraph.add_run(mark)
        superscript.font.superscript = True
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _notes_below(document: WordDocument, view: TableView, footnotes: Mapping[str, str]) -> None:
    for note in view.notes:
        document.add_paragraph(note).runs[0].font.size = Pt(9)
    used = dict.fromkeys(mark for row in view.rows for cell in row for mark in cell.marks)
    for mark in (m for m in used if m in footnotes):
        paragraph = document.add_paragraph()
        letter = paragraph.add_run(mark)
        letter.font.superscript = True
        text = paragraph.add_run(" " + footnotes.get(mark, ""))
        text.font.size = Pt(9)


def add_table(
    document: WordDocument, view: TableView, footnotes: Mapping[str, str] | None = None
) -> None:
    """Append ``view`` to ``document``: caption, table, notes and the footnotes it uses."""
    document.add_paragraph(view.caption, style="Caption")
    columns = max([len(view.headers), *(len(row) for row in view.rows)])
    table = document.add_table(rows=1, cols=columns)
    table.style = WORD_STYLE
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    numeric = _numeric_columns(view.rows, columns)
    head = table.rows[0]
    _repeat_header(head)
    for index, text in enumerate(view.headers):
        _fill(head.cells[index], text, (), bold=True, right=numeric[index])
    for row in view.rows:
        cells = table.add_row().cells
        for index, cell in enumerate(row):
            _fill(cells[index], cell.text, cell.marks, bold=False, right=cell.numeric)
    _notes_below(document, view, footnotes or {})


def _numeric_columns(rows: Iterable[Sequence[Cell]], columns: int) -> list[bool]:
    """Columns whose cells are all numbers (their header is right-aligned too)."""
    flags = [True] * columns
    seen = [False] * columns
    for row in rows:
        for index, cell in enumerate(row):
            seen[index] = True
            flags[index] = flags[index] and cell.numeric
    return [flag and was for flag, was in zip(flags, seen, strict=True)]


def word_document(views: Sequence[TableView], footnotes: Mapping[str, str] | None = None) -> bytes:
    """A Word document of ``views`` (in order) as bytes."""
    document = Document()
    for index, view in enumerate(views):
        if index:
            document.add_paragraph()
        add_table(document, view, footnotes)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- the files ----------------------------------------------------------------------------------


def write_table_files(
    views: Sequence[TableView],
    folder: Path,
    *,
    stem: str,
    footnotes: Mapping[str, str] | None = None,
) -> list[Path]:
    """Per table ``<stem>-<id>.csv`` and ``<stem>-<id>.docx``, then ``<stem>-tables.docx``.

    ``footnotes`` maps a footnote mark to its text (``dict(Footnotes().items)`` of the
    Footnotes the views were made with), printed under each Word table that uses it (a mark
    without a text there is left unexplained). Returns the paths written, in that order.
    """
    written = []
    for view in views:
        written.append(
            _write_atomically(table_csv(view).encode("utf-8"), folder / f"{stem}-{view.id}.csv")
        )
        written.append(
            _write_atomically(word_document([view], footnotes), folder / f"{stem}-{view.id}.docx")
        )
    written.append(
        _write_atomically(word_document(views, footnotes), folder / f"{stem}-tables.docx")
    )
    return written
