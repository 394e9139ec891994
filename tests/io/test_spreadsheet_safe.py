"""CSV formula injection (issue 11, item 4): a text cell beginning with ``=``, ``+``, ``-``,
``@``, tab or CR is written with a leading quote, numbers stay numbers, and reading removes
exactly the quote the writer added, so that writer then reader is the identity on every
string. Checked cell by cell, on frames, and on the dataset files ``write_dataset`` writes,
which are opened with the ``csv`` module and pandas as a spreadsheet user would."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from tempfile import TemporaryDirectory

import pandas as pd  # type: ignore[import-untyped]
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovaregen.domain.schema import conform
from ovaregen.domain.variables import DatasetFile
from ovaregen.io.csv_source import read_csv_table
from ovaregen.io.dataset import Dataset
from ovaregen.io.raw import LINE
from ovaregen.io.reader import read_dataset
from ovaregen.io.spreadsheet_safe import (
    escaped_cell,
    escaped_frame,
    unescaped_cell,
    unescaped_frame,
)
from ovaregen.io.writer import csv_text, write_dataset
from tests.spreadsheet_checks import live, live_cells

TRICKY = st.text(alphabet="=+-@\t\r\n'\" ,;aZ0.9é|!()", max_size=12)
"""Text made mostly of what matters here: triggers, quotes, separators, digits."""
ATTACKS = (
    "=1+1",
    '=HYPERLINK("http://evil.example","click")',
    "+34 600 000 000",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+x", "'+x"),
        ("-x", "'-x"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("''-x", "'''-x"),
        ("-", "'-"),
        ("-5", "-5"),
        ("+1.5e3", "+1.5e3"),
        ("-.5", "-.5"),
        ("-5\n", "'-5\n"),
        ("-١٢", "'-١٢"),
        ("'x", "'x"),
        ("'", "'"),
        ("a=b", "a=b"),
        (" =x", " =x"),
        ("", ""),
    ],
)
def test_the_rule_cell_by_cell(value: str, written: str) -> None:
    assert escaped_cell(value) == written
    assert unescaped_cell(written) == value


@pytest.mark.parametrize(
    ("read", "value"), [("'=x", "=x"), ("''=x", "'=x"), ("'x", "'x"), ("'-5", "-5"), ("=x", "=x")]
)
def test_the_reader_removes_exactly_one_quote_and_only_before_a_trigger(
    read: str, value: str
) -> None:
    assert unescaped_cell(read) == value


@given(TRICKY | st.text(max_size=30))
def test_writer_then_reader_is_the_identity_on_every_string(text: str) -> None:
    written = escaped_cell(text)
    assert unescaped_cell(written) == text
    assert not live(written), f"{written!r} would start a formula"


@given(st.lists(st.tuples(TRICKY, st.floats(-1e6, 1e6)), min_size=1, max_size=6))
@settings(max_examples=150)
def test_a_written_frame_reads_back_exactly_and_runs_nothing(
    rows: list[tuple[str, float]],
) -> None:
    texts = [text for text, _ in rows]
    numbers = [number for _, number in rows]
    frame = pl.DataFrame(
        {"=text": texts, "number": numbers}, schema={"=text": pl.String, "number": pl.Float64}
    )
    text = csv_text(frame)
    assert live_cells(text) == []
    read_rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [unescaped_cell(c) for c in read_rows[0]] == ["=text", "number"]
    assert [unescaped_cell(row[0]) for row in read_rows[1:]] == texts
    read = unescaped_frame(pl.read_csv(io.StringIO(text), infer_schema=False))
    assert read.get_column("'=text").fill_null("").to_list() == texts
    by_pandas = pd.read_csv(io.StringIO(text), keep_default_na=False, dtype={"'=text": str})
    assert [unescaped_cell(v) for v in by_pandas["'=text"]] == texts
    assert by_pandas["number"].dtype == "float64"  # a negative number stays a number
    assert by_pandas["number"].tolist() == pytest.approx(numbers)


def test_numbers_booleans_and_dates_are_never_quoted() -> None:
    frame = pl.DataFrame(
        {"n": [-1, 2], "x": [-0.5, None], "b": [True, False], "s": ["-1", "=1"]}
    ).with_columns(d=pl.Series([None, None], dtype=pl.Date))
    assert csv_text(frame) == "n,x,b,s,d\n-1,-0.5,true,-1,\n2,,false,'=1,\n"


def test_categorical_and_enum_text_is_escaped_too() -> None:
    frame = pl.DataFrame({"c": ["=a", "b"], "e": ["@x", "y"]}).with_columns(
        pl.col("c").cast(pl.Categorical), pl.col("e").cast(pl.Enum(["@x", "y"]))
    )
    assert escaped_frame(frame).rows() == [("'=a", "'@x"), ("b", "y")]


def _people(texts: list[str]) -> Dataset:
    rows = [
        {"participant_id": f"P{i}", "ethnicity": text, "site": text, "=notes": text}
        for i, text in enumerate(texts)
    ]
    return Dataset(participants=conform(pl.DataFrame(rows), DatasetFile.PARTICIPANTS))


def test_a_written_dataset_holds_no_live_formula_and_reads_back_the_same(
    tmp_path: Path,
) -> None:
    texts = [*ATTACKS, "'=already quoted", "''+twice", "plain", "-5"]
    dataset = Dataset(
        participants=conform(
            pl.DataFrame(
                {
                    "participant_id": [f"P{i}" for i in range(len(texts))],
                    "ethnicity": texts,
                    "=notes": texts,
                    "amh_ng_ml": [1.5] * len(texts),
                }
            ),
            DatasetFile.PARTICIPANTS,
        ),
        adverse_events=conform(
            pl.DataFrame({"participant_id": ["P0", "P1"], "term": ["=1+1", "@pain"]}),
            DatasetFile.ADVERSE_EVENTS,
        ),
    )
    write_dataset(dataset, tmp_path / "out")
    for path in (tmp_path / "out").iterdir():
        assert live_cells(path.read_text(encoding="utf-8")) == [], path.name
    again = read_dataset(tmp_path / "out")
    stripped = [t.strip() for t in texts]  # surrounding whitespace is not part of a value
    assert again.participants.get_column("ethnicity").to_list() == stripped
    assert again.participants.get_column("=notes").to_list() == stripped
    assert again.adverse_events.get_column("term").to_list() == ["=1+1", "@pain"]
    by_pandas = pd.read_csv(tmp_path / "out" / "participants.csv", keep_default_na=False)
    assert by_pandas["ethnicity"].tolist()[:2] == ["'=1+1", "'" + ATTACKS[1]]
    assert "'=notes" in by_pandas.columns  # the documented leading quote, nothing else


@given(st.lists(TRICKY.map(str.strip).filter(bool), min_size=1, max_size=5))
@settings(max_examples=60, deadline=None)
def test_any_text_survives_write_dataset_then_read_dataset(texts: list[str]) -> None:
    with TemporaryDirectory() as temporary:
        folder = Path(temporary) / "out"
        write_dataset(_people(texts), folder)
        text = (folder / "participants.csv").read_text(encoding="utf-8")
        again = read_dataset(folder).participants
    assert live_cells(text) == []
    for column in ("ethnicity", "site", "=notes"):
        assert again.get_column(column).to_list() == texts, column


@given(st.lists(TRICKY, min_size=1, max_size=5))
@settings(max_examples=60, deadline=None)
def test_the_csv_reader_undoes_the_writer_on_both_of_its_paths(texts: list[str]) -> None:
    """The fast (Polars) and the record-by-record path remove the same quotes; the value is
    stripped after the quote is removed, as an unquoted file would be read."""
    frame = pl.DataFrame({"participant_id": texts, "=x": texts})
    with TemporaryDirectory() as temporary:
        path = Path(temporary) / "participants.csv"
        path.write_text(csv_text(frame), encoding="utf-8")
        table, findings = read_csv_table(path, DatasetFile.PARTICIPANTS)
    assert table is not None, findings
    kept = [t.strip() for t in texts if t.strip()]  # a row with no value carries nothing
    read = table.frame.drop(LINE)
    assert read.columns == ["participant_id", "=x"]
    assert read.get_column("participant_id").to_list() == kept
    assert read.get_column("=x").to_list() == kept
