"""The CSV and Word files of the printed tables: read back with pandas and python-docx, the
same cells; footnote letters as superscript runs apart from the text; atomic, mode 0644."""

from __future__ import annotations

import stat
from pathlib import Path

import pandas as pd  # type: ignore[import-untyped]
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.table import _Cell

from ovaregen.report.table_files import write_table_files
from ovaregen.report.tables_view import results_view, table_view
from ovaregen.report.views import Cell, Footnotes, TableView
from tests.report.test_table_views import demo_analysis


@pytest.fixture(scope="module")
def views() -> tuple[list[TableView], Footnotes]:
    notes = Footnotes()
    analysis = demo_analysis("regenera")
    printed = [results_view(analysis, notes), table_view(analysis.table("table1_baseline"), notes)]
    numbered = [TableView(**{**v.__dict__, "number": i}) for i, v in enumerate(printed, start=1)]
    return numbered, notes


@pytest.fixture(scope="module")
def written(
    views: tuple[list[TableView], Footnotes], tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    folder = tmp_path_factory.mktemp("tables")
    tables, notes = views
    return write_table_files(tables, folder, stem="s1-regenera", footnotes=dict(notes.items))


def _text_and_marks(cell: _Cell) -> tuple[str, list[str]]:
    text, marks = "", []
    for paragraph in cell.paragraphs:
        for run in paragraph.runs:
            if run.font.superscript:
                marks.append(run.text)
            else:
                text += run.text
    return text, marks


def test_the_files_are_named_by_stem_and_table(written: list[Path]) -> None:
    names = [path.name for path in written]
    assert names == [
        "s1-regenera-results.csv",
        "s1-regenera-results.docx",
        "s1-regenera-table1_baseline.csv",
        "s1-regenera-table1_baseline.docx",
        "s1-regenera-tables.docx",
    ]
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert not [p for p in written[0].parent.iterdir() if p.name.startswith(".")]


def test_each_csv_reads_back_as_the_views_cells(
    views: tuple[list[TableView], Footnotes], written: list[Path]
) -> None:
    tables, _ = views
    for view, path in zip(tables, [written[0], written[2]], strict=True):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        assert list(frame.columns) == view.headers
        assert frame.to_numpy().tolist() == [[cell.text for cell in row] for row in view.rows]


def _check_word_table(view: TableView, table: object) -> None:
    rows = table.rows  # type: ignore[attr-defined]
    header = rows[0]
    assert [_text_and_marks(c)[0] for c in header.cells] == view.headers
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    assert len(rows) == len(view.rows) + 1
    for row, word_row in zip(view.rows, rows[1:], strict=True):
        for cell, word_cell in zip(row, word_row.cells, strict=True):
            text, marks = _text_and_marks(word_cell)
            assert text == cell.text
            assert tuple(marks) == cell.marks
            if cell.numeric:
                assert word_cell.paragraphs[0].alignment is not None


def test_each_word_file_holds_the_same_cells_under_its_caption(
    views: tuple[list[TableView], Footnotes], written: list[Path]
) -> None:
    tables, notes = views
    for view, path in zip(tables, [written[1], written[3]], strict=True):
        document = Document(str(path))
        assert len(document.tables) == 1
        _check_word_table(view, document.tables[0])
        paragraphs = [p.text for p in document.paragraphs]
        assert paragraphs[0] == f"Table {view.number}. {view.title}"
        used = {mark for row in view.rows for cell in row for mark in cell.marks}
        texts = dict(notes.items)
        for mark in used:
            assert f"{mark} {texts[mark]}" in paragraphs


def test_the_combined_word_file_holds_every_table_in_order(
    views: tuple[list[TableView], Footnotes], written: list[Path]
) -> None:
    tables, _ = views
    document = Document(str(written[-1]))
    assert len(document.tables) == len(tables)
    for view, table in zip(tables, document.tables, strict=True):
        _check_word_table(view, table)
    captions = [p.text for p in document.paragraphs if p.text.startswith("Table ")]
    assert captions == [view.caption for view in tables]


def test_a_comma_or_quote_in_a_cell_survives_the_csv(tmp_path: Path) -> None:
    view = TableView(
        "quoted", "Quoted", ["Criterion", "n"], [[Cell('age ≥ 18, "adult"'), Cell("3", css="num")]]
    )
    (csv_path, *_) = write_table_files([view], tmp_path, stem="s9")
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert frame.to_numpy().tolist() == [['age ≥ 18, "adult"', "3"]]
